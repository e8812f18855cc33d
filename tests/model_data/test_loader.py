"""The model data file: complete, corrected from the OCR, and validated on load."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from importlib import resources

import pytest

from model_data import GenericPractice, Model, ModelError, Practice, ProcessArea
from model_data.loader import EXPECTED_COUNTS, parse_model


def raw_model() -> dict:
    return json.loads(resources.files("model_data").joinpath("cmmi_svc_v1_3.json").read_text(encoding="utf-8"))


def test_counts_match_cmmi_svc_v13(model: Model) -> None:
    assert model.counts() == {
        "process_areas": 24,
        "specific_goals": 53,
        "specific_practices": 181,
        "generic_goals": 3,
        "generic_practices": 13,
    }


def test_levels_categories_and_optional(model: Model) -> None:
    by_level = {level: sorted(pa.abbr for pa in model.pas_at_level(level)) for level in (2, 3, 4, 5)}
    assert by_level[2] == ["CM", "MA", "PPQA", "REQM", "SAM", "SD", "WMC", "WP"]
    assert by_level[4] == ["OPP", "QWM"]
    assert by_level[5] == ["CAR", "OPM"]
    assert len(by_level[3]) == 12
    assert [pa.abbr for pa in model.process_areas if pa.optional] == ["SSD"]
    assert sorted(model.categories) == [
        "Process Management",
        "Project and Work Management",
        "Service Establishment and Delivery",
        "Support",
    ]
    sed = sorted(pa.abbr for pa in model.process_areas if pa.category == "Service Establishment and Delivery")
    assert sed == ["IRP", "SD", "SSD", "SST", "STSM"]


def test_services_names_not_dev_or_ocr_errors(model: Model) -> None:
    assert model.dev_aliases == {"PP": "WP", "PMC": "WMC", "IPM": "IWM", "QPM": "QWM"}
    text = json.dumps(raw_model())
    for ocr_error in (r"Tisks", r"MMC:", r"WMC:", r"Estamate", r"Etablish", r"\bST\.SP", r"\bDT\.SP", r"\bDMM\.", r"Anayze", r"\bSPG\."):
        assert not re.search(ocr_error, text), ocr_error
    # the renamed work-management process areas speak of work, never projects
    for abbr in ("WP", "WMC", "IWM", "QWM"):
        pa = model.pa(abbr)
        for element in (pa, *pa.goals, *pa.practices):
            assert "project" not in f"{element.title} {element.statement}".lower(), element.id


def test_published_text_spot_checks(model: Model) -> None:
    sp = model.get("WMC.SP1.6")
    assert isinstance(sp, Practice) and sp.title == "Conduct Progress Reviews"
    assert model.get("WMC.SP1.3").statement == "Monitor risks against those identified in the work plan."
    assert model.get("SD.SP3.1").statement == "Receive and process service requests in accordance with service agreements."
    assert model.get("WP.SP1.1").title == "Establish the Service Strategy"
    assert model.get("GG2").statement == "The process is institutionalized as a managed process."
    assert model.pa("SCON").purpose.startswith("The purpose of Service Continuity (SCON) is to establish and maintain plans")


# The published CMMI-SVC V1.3 (CMU/SEI-2010-TR-034) wording where an earlier transcription differed.
PUBLISHED_TITLES = {
    "IWM.SP1.6": "Establish Teams",
    "WMC.SP1.3": "Monitor Risks",
    "SCON.SP3.3": "Analyze Results of Verification and Validation of the Service Continuity Plan",
}
PUBLISHED_STATEMENTS = {
    "REQM.SP1.2": "Obtain commitment to requirements from participants.",
    "IRP.SP2.4": "Monitor the status of incidents to closure.",
    "IWM.SP1.6": "Establish and maintain teams.",
    "WMC.SP1.7": "Review accomplishments and results at selected milestones.",
    "REQM.SP1.3": "Manage changes to requirements as they evolve.",
    "IWM.SG2": "Coordination and collaboration of relevant stakeholders are conducted.",
    "IWM.SP1.1": "Establish and maintain the defined process from startup and throughout the work.",
    "SCON.SP3.3": "Analyze the results of verifying and validating the service continuity plan.",
    "OPF.SP3.2": "Deploy the organization's set of standard processes to work groups at their startup "
    "and deploy changes to them as appropriate throughout the work.",
    "WMC.SP1.5": "Monitor stakeholder involvement against the plan.",
    "WMC.SP1.1": "Monitor actual values of planning parameters against the work plan.",
    "REQM.SP1.5": "Ensure that plans and work products remain aligned with requirements.",
    "DAR.SP1.6": "Select solutions from alternatives based on evaluation criteria.",
    "REQM.SG1": "Requirements are managed and inconsistencies with plans and work products are identified.",
    "QWM.SP2.3": "Perform root cause analysis of selected issues to address deficiencies in achieving the work group's "
    "quality and process performance objectives.",
    "OPD.SP1.3": "Establish and maintain tailoring criteria and guidelines for the organization's set of standard processes.",
    "WMC.SP1.6": "Periodically review the work progress, performance, and issues.",
    "WMC.SG2": "Corrective actions are managed to closure when the work performance or results deviate significantly from the plan.",
    "CAR.SP2.3": "Record causal analysis and resolution data for use across work groups and the organization.",
}


def test_published_titles_and_statements(model: Model) -> None:
    for element_id, title in PUBLISHED_TITLES.items():
        assert model.get(element_id).title == title, element_id
    for element_id, statement in PUBLISHED_STATEMENTS.items():
        assert model.get(element_id).statement == statement, element_id
    assert model.pa("WMC").purpose.endswith(
        "so that appropriate corrective actions can be taken when the performance deviates significantly from the plan."
    )


def test_generic_practice_support(model: Model) -> None:
    gp = model.get("GP2.6")
    assert isinstance(gp, GenericPractice) and gp.supported_by == ("CM",)
    assert [g.id for g in model.generic_practices_supported_by("PPQA")] == ["GP2.9"]
    assert model.get("GP2.1").supported_by == ()


def test_ids_are_canonical_and_nested(model: Model) -> None:
    for pa in model.process_areas:
        assert model.process_area_of(pa.abbr) is pa
        for goal in pa.goals:
            assert re.fullmatch(rf"{pa.abbr}\.SG\d", goal.id)
            for practice in goal.practices:
                assert re.fullmatch(rf"{pa.abbr}\.SP{goal.id[-1]}\.\d+", practice.id)
                assert model.goal_of(practice.id) is goal
    assert model.process_area_of("GP2.8") is None


def test_elements_are_frozen(model: Model) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        model.pa("CAM").name = "x"  # type: ignore[misc]


def test_every_element_has_own_words_hints(model: Model) -> None:
    for element in model.elements.values():
        assert element.hint.explain, element.id
        assert len(element.hint.keywords) >= 5, element.id
        statement = element.statement.lower().rstrip(".")
        assert all(k.lower().rstrip(".") != statement for k in element.hint.keywords), element.id


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (lambda raw: raw["process_areas"][0]["goals"][0]["practices"].pop(), "counts"),
        (lambda raw: raw["process_areas"][1]["goals"][0]["practices"][0].update(id="CAM.SP1.1"), "out of place"),
        (lambda raw: raw["process_areas"][0].update(category="Delivery"), "unknown category"),
        (lambda raw: raw["process_areas"][0].update(maturity_level=7), "maturity level"),
        (lambda raw: raw["process_areas"][0]["goals"][0].update(statement=""), "non-empty"),
        (lambda raw: raw["generic_goals"][1]["practices"][0].update(supported_by=["XYZ"]), "unknown process areas"),
        (lambda raw: raw["process_areas"][2]["goals"].append(copy.deepcopy(raw["process_areas"][2]["goals"][0])), "out of place"),
    ],
)
def test_validation_rejects_broken_data(break_it, message: str) -> None:
    raw = raw_model()
    break_it(raw)
    with pytest.raises(ModelError, match=message):
        parse_model(raw)


def test_hints_for_unknown_ids_are_rejected() -> None:
    with pytest.raises(ModelError, match="unknown elements"):
        parse_model(raw_model(), {"WMC.SP9.9": {"explain": "x", "keywords": ["y"]}})


def outside_raw() -> dict:
    return json.loads(resources.files("model_data").joinpath("not_in_svc.json").read_text(encoding="utf-8"))


def test_not_in_svc_areas_are_loaded(model: Model) -> None:
    by_abbr = {a.abbr: a for a in model.elsewhere}
    for abbr in ("RD", "TS", "PI", "VER", "VAL", "AM", "ARD", "ATM", "AVAL", "AVER", "SSAD"):
        area = by_abbr[abbr]
        assert area.model.startswith(("CMMI-DEV", "CMMI-ACQ")) and area.about and area.in_svc
        assert all(i in model.elements for i in area.in_svc)
    assert by_abbr["VER"].name == "Verification" and by_abbr["SSAD"].name == "Solicitation and Supplier Agreement Development"
    assert not set(by_abbr) & ({pa.abbr for pa in model.process_areas} | set(model.dev_aliases))


@pytest.mark.parametrize(
    ("break_it", "message"),
    [
        (lambda raw: raw["areas"].append({**raw["areas"][0]}), "already a CMMI-SVC name or listed twice"),
        (lambda raw: raw["areas"][0].update(abbr="CAM"), "already a CMMI-SVC name"),
        (lambda raw: raw["areas"][0].update(abbr="PMC"), "already a CMMI-SVC name"),
        (lambda raw: raw["areas"][0].update(name="Service Delivery"), "is a CMMI-SVC name"),
        (lambda raw: raw["areas"][0].update(in_svc=["SSD.SP9.1"]), "unknown elements"),
        (lambda raw: raw["areas"][0].update(in_svc=[]), "must list CMMI-SVC elements"),
        (lambda raw: raw["areas"][0].update(about=""), "non-empty"),
    ],
)
def test_not_in_svc_validation(break_it, message: str) -> None:
    outside = outside_raw()
    break_it(outside)
    with pytest.raises(ModelError, match=message):
        parse_model(raw_model(), outside=outside)


def test_every_process_area_says_when_to_use_it(model: Model) -> None:
    for pa in model.process_areas:
        assert pa.hint.use_when and not pa.hint.use_when[0].isupper(), pa.abbr  # reads after "Use X when"


def test_expected_counts_constant_is_what_the_model_has(model: Model) -> None:
    assert model.counts() == EXPECTED_COUNTS
    assert all(isinstance(pa, ProcessArea) for pa in model.process_areas)
