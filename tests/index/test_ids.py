"""The ID grammar: every way people type an ID resolves to the canonical one."""

from __future__ import annotations

import pytest

from index.ids import IdGrammar
from model_data import Model


@pytest.fixture(scope="module")
def grammar(model: Model) -> IdGrammar:
    return IdGrammar(model)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("WMC.SP1.6", "WMC.SP1.6"),
        ("WMC SP 1.6", "WMC.SP1.6"),
        ("wmc.sp1.6", "WMC.SP1.6"),
        ("WMC-SP1.6", "WMC.SP1.6"),
        ("what does wmc sp 1 6 say", "WMC.SP1.6"),
        ("SP1.6 of WMC", "WMC.SP1.6"),
        ("sp 2.1 in the ppqa", "PPQA.SP2.1"),
        ("WMC.SG1", "WMC.SG1"),
        ("wmc sg 2", "WMC.SG2"),
        ("reqm sp1-4", "REQM.SP1.4"),
        ("SSD 3.2 peer reviews", "SSD.SP3.2"),
        ("GP2.8", "GP2.8"),
        ("gp 2.10", "GP2.10"),
        ("GG 3", "GG3"),
    ],
)
def test_forms(grammar: IdGrammar, text: str, canonical: str) -> None:
    refs = grammar.find(text)
    assert [r.canonical for r in refs] == [canonical]
    assert refs[0].exists


@pytest.mark.parametrize(
    ("text", "canonical", "alias"),
    [("PMC SP1.7", "WMC.SP1.7", "PMC"), ("pp sp2.7", "WP.SP2.7", "PP"), ("IPM SP1.1", "IWM.SP1.1", "IPM"), ("QPM SG1", "QWM.SG1", "QPM")],
)
def test_cmmi_dev_names(grammar: IdGrammar, text: str, canonical: str, alias: str) -> None:
    (ref,) = grammar.find(text)
    assert (ref.canonical, ref.via_alias.upper()) == (canonical, alias)


def test_misspelled_abbreviation_only_before_a_practice_number(grammar: IdGrammar) -> None:
    (ref,) = grammar.find("rksm sp3.2")
    assert ref.canonical == "RSKM.SP3.2" and ref.via_alias == "rksm"
    assert grammar.find("rksm is what") == []


def test_unknown_ids_are_reported_not_dropped(grammar: IdGrammar) -> None:
    (ref,) = grammar.find("WMC.SP1.9")
    assert ref.canonical == "WMC.SP1.9" and not ref.exists


def test_several_ids_in_reading_order(grammar: IdGrammar) -> None:
    assert [r.canonical for r in grammar.find("compare GP2.8 with wmc sp1.6 and CM.SG3")] == ["GP2.8", "WMC.SP1.6", "CM.SG3"]


def test_bare_abbreviations(grammar: IdGrammar) -> None:
    assert [r.canonical for r in grammar.find_process_areas("what is CAM", short_query=False)] == ["CAM"]
    assert [r.canonical for r in grammar.find_process_areas("what is cam", short_query=True)] == ["CAM"]
    # lower-case English words that happen to be abbreviations are not references in a sentence
    assert grammar.find_process_areas("our car rental service sends a cam feed to sam", short_query=False) == []
