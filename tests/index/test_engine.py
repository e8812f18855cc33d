"""Search over the real model: lookups, lists, natural language, typos and hostile input."""

from __future__ import annotations

import pytest

from index import ModelIndex
from model_data import Model


def ids(index: ModelIndex, text: str, k: int = 5) -> list[str]:
    return [h.id for h in index.search(text, limit=k).hits]


@pytest.mark.parametrize("text", ["WMC.SP1.6", "what does wmc sp 1.6 require?", "tell me about SP1.6 of WMC", "WMC-SP1.6 in plain English"])
def test_id_lookup_first(index: ModelIndex, text: str) -> None:
    answer = index.search(text)
    assert answer.intent == "lookup"
    assert answer.hits[0].id == "WMC.SP1.6"
    # related elements follow: its goal and its process area
    assert [h.id for h in answer.hits[1:3]] == ["WMC.SG1", "WMC"]


def test_dev_alias_is_explained(index: ModelIndex) -> None:
    answer = index.search("PMC SP1.7")
    assert answer.hits[0].id == "WMC.SP1.7"
    assert any("CMMI-DEV" in n and "WMC" in n for n in answer.notes)


def test_missing_id_suggests_real_ones(index: ModelIndex) -> None:
    answer = index.search("WMC.SP1.9")
    assert answer.intent == "none"
    assert "not in CMMI-SVC" in answer.notes[0]
    assert answer.hits and all(h.pa == "WMC" for h in answer.hits)


@pytest.mark.parametrize(
    ("text", "abbr"),
    [("what is CAM", "CAM"), ("what is cam", "CAM"), ("purpose of service continuity", "SCON"), ("project planning", "WP")],
)
def test_process_area_by_abbreviation_or_name(index: ModelIndex, text: str, abbr: str) -> None:
    answer = index.search(text)
    assert answer.intent == "lookup"
    assert answer.hits[0].id == abbr


@pytest.mark.parametrize("level", [2, 3, 4, 5])
def test_list_by_maturity_level(index: ModelIndex, model: Model, level: int) -> None:
    for text in (f"which process areas are maturity level {level}", f"ML{level} PAs"):
        answer = index.search(text, limit=50)
        assert answer.intent == "list", text
        assert [h.id for h in answer.hits] == [pa.abbr for pa in model.pas_at_level(level)]


@pytest.mark.parametrize("category", ["Service Establishment and Delivery", "Support", "Process Management", "Project and Work Management"])
def test_list_by_category(index: ModelIndex, model: Model, category: str) -> None:
    answer = index.search(f"{category.lower()} PAs", limit=50)
    assert answer.intent == "list"
    assert [h.id for h in answer.hits] == [pa.abbr for pa in model.process_areas if pa.category == category]


def test_list_practices_of_a_process_area(index: ModelIndex, model: Model) -> None:
    answer = index.search("practices of IRP", limit=50)
    expected = ["IRP", *[g.id for g in model.pa("IRP").goals], *[p.id for p in model.pa("IRP").practices]]
    assert [h.id for h in answer.hits] == expected


def test_optional_process_area(index: ModelIndex) -> None:
    assert ids(index, "which process area is optional?") == ["SSD"]


def test_capability_level_names_its_generic_goal(index: ModelIndex) -> None:
    assert ids(index, "generic practice for capability level 1", 1) == ["GP1.1"]
    assert ids(index, "capability level 2", 1) == ["GG2"]


@pytest.mark.parametrize(
    ("text", "expected_pa"),
    [
        ("where do we record that an outage happened and who reported it", "IRP"),
        ("our backups and disaster recovery plan", "SCON"),
        ("which vendor should we pick for managed hosting", "SAM"),
        ("keeping an eye on disk headroom against thresholds", "CAM"),
    ],
)
def test_ops_vocabulary_reaches_the_right_process_area(index: ModelIndex, text: str, expected_pa: str) -> None:
    answer = index.search(text)
    assert answer.intent == "search"
    assert answer.hits[0].pa == expected_pa
    assert len(answer.hits) > 1  # alternatives come with the best match


def test_which_pa_questions_rank_process_areas(index: ModelIndex) -> None:
    answer = index.search("which PA covers disaster recovery?")
    assert answer.hits[0].id == "SCON"
    assert all(h.kind == "process_area" for h in answer.hits)


def test_generic_questions_rank_generic_practices(index: ModelIndex) -> None:
    answer = index.search("which generic practice makes sure the process has an owner with authority")
    assert answer.hits[0].id == "GP2.4"
    assert all(h.kind == "generic_practice" for h in answer.hits)


def test_typos_are_corrected_and_said(index: ModelIndex) -> None:
    answer = index.search("trainig recrods for engneers")
    assert answer.hits[0].id == "OT.SP2.2"
    assert "I read 'trainig' as 'training'." in answer.notes
    assert "I read 'recrods' as 'records'." in answer.notes


def test_ordinary_words_are_not_respelled(index: ModelIndex) -> None:
    answer = index.search("how do we plan the budget and schedule for next year")
    assert not answer.notes


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "\x00\x01\x1b[31m",
        'AND OR ( " * ~ ^ [ ] { } : \\',
        "title:foo AND NOT bar*",
        "WMC.SP1.6" * 2000,
        "tickets " * 1500,
        "ünïcödé ✓ 你好 🙂 SLA",
        "'; DROP TABLE evidence; --",
        "<!channel> <@U123> &amp;",
    ],
)
def test_hostile_input_never_raises(index: ModelIndex, text: str) -> None:
    answer = index.search(text)
    assert answer.intent in {"empty", "none", "search", "lookup", "list"}
    assert len(answer.hits) <= 50


def test_long_input_is_truncated_and_said(index: ModelIndex) -> None:
    answer = index.search("how do we track customer requests " * 400)
    assert any("first 1,000 characters" in n for n in answer.notes)
    assert answer.hits


def test_empty_is_empty(index: ModelIndex) -> None:
    assert index.search(" \t\n").intent == "empty"


def test_nothing_found(index: ModelIndex) -> None:
    assert index.search("zxqv blorft").hits == ()


def test_raw_search_is_plain_bm25(index: ModelIndex) -> None:
    assert index.raw_search("configuration audits")[0] == "CM.SP3.2"
    assert index.raw_search("") == []


def test_concurrent_builds_do_not_collide(model: Model) -> None:
    import threading

    from index import build_index

    errors: list[BaseException] = []

    def build() -> None:
        try:
            build_index(model)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=build) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
