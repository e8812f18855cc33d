"""Retrieval quality floors on the development set and on the team's own independent set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index import ModelIndex
from index.evaluate import all_at, evaluate, from_feedback, hit_at, is_match, score
from tests.conftest import DEV_SET, ROOT, TEAM_SET

DEV2_SET = ROOT / "tests" / "data" / "questions_dev2.jsonl"


def test_scoring_rules() -> None:
    assert is_match("SCON.SP2.1", "SCON")
    assert is_match("SCON", "SCON")
    assert not is_match("SCONX.SP1.1", "SCON")
    assert not is_match("GP2.8", "GP2")
    assert hit_at(["A.SP1.1", "CM.SP3.2"], ["CM.SP3.2"], 2)
    assert not hit_at(["A.SP1.1", "CM.SP3.2"], ["CM.SP3.2"], 1)


def test_comparison_needs_every_side_in_the_top_three() -> None:
    assert score("compare", ["OPF", "OPD"], ["OPF", "OPD.SP1.1", "CM"], None) == (True, True)
    assert score("compare", ["OPF", "OPD"], ["OPD", "OPF"], None) == (True, True)
    # one side only: a hit at 1 but not at 3
    assert score("compare", ["OPF", "OPD"], ["OPF", "OPF.SP1.1", "SAM.SP1.1", "OPD"], None) == (True, False)
    assert score("compare", ["OPF", "OPD"], ["SAM.SP1.1", "OPF", "OPD"], None) == (False, True)
    assert not all_at([], ["OPF"], 3)
    assert not all_at(["OPF"], [], 3)


def test_not_in_model_needs_no_results_and_the_reason() -> None:
    assert score("nonsvc", [], [], "RD is a CMMI-DEV process area") == (True, True)
    assert score("nonsvc", [], ["SSD"], "RD is a CMMI-DEV process area") == (False, False)
    assert score("nonsvc", [], [], None) == (False, False)
    # other kinds keep the any-of rule
    assert score("paraphrase", ["CM.SP3.2", "CM"], ["X", "Y", "CM.SP1.1"], None) == (False, True)


def test_rows_with_nothing_to_expect_are_skipped_unless_not_in_model(index: ModelIndex, tmp_path: Path) -> None:
    rows = [
        from_feedback("how do we track customer requests?", "bad", ["SD.SP2.1", "IRP.SP1.1"]),  # waiting for a person's answer
        {"q": "what is RD", "expect": [], "kind": "nonsvc"},
        {"q": "half written", "expect": [], "kind": "paraphrase"},
        from_feedback("what does WMC.SP1.6 require", "good", ["WMC.SP1.6", "WMC.SP1.7"]),
    ]
    path = tmp_path / "feedback.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    scored, summary = evaluate(index, path)
    assert [r.question for r in scored] == ["what is RD", "what does WMC.SP1.6 require"]
    assert summary["nonsvc"]["hit@1"] == 1.0 and summary["feedback"] == {"n": 1, "hit@1": 1.0, "hit@3": 1.0}
    assert "feedback_bad" not in summary and summary["overall"]["n"] == 2


def test_feedback_rows_say_what_was_right_or_what_was_shown() -> None:
    assert from_feedback("q", "good", ("A.SP1.1", "B.SP1.1")) == {"q": "q", "expect": ["A.SP1.1"], "kind": "feedback"}
    assert from_feedback("q", "bad", ("A.SP1.1", "B.SP1.1")) == {
        "q": "q",
        "expect": [],
        "kind": "feedback_bad",
        "got": ["A.SP1.1", "B.SP1.1"],
    }


@pytest.mark.skipif(not DEV_SET.exists(), reason="../shared/eval is not beside this checkout")
def test_dev_set_meets_targets(index: ModelIndex) -> None:
    _, summary = evaluate(index, DEV_SET)
    assert summary["overall"]["hit@3"] >= 0.90
    assert summary["overall"]["hit@1"] >= 0.85
    assert summary["id"]["hit@1"] == 1.0


def test_team_set_meets_targets(index: ModelIndex) -> None:
    _, summary = evaluate(index, TEAM_SET)
    assert summary["overall"]["n"] == 100
    assert summary["overall"]["hit@3"] >= 0.94
    assert summary["overall"]["hit@1"] >= 0.87
    assert summary["id"]["hit@1"] == 1.0
    assert summary["list"]["hit@1"] == 1.0
    assert summary["typo"]["hit@3"] >= 0.875


def test_dev2_set_meets_targets(index: ModelIndex) -> None:
    _, summary = evaluate(index, DEV2_SET)
    assert summary["overall"]["n"] >= 120
    assert summary["overall"]["hit@1"] >= 0.91
    assert summary["overall"]["hit@3"] >= 0.94
    assert summary["compare"]["hit@3"] == 1.0  # every side of every comparison in the top 3
    assert summary["nonsvc"]["hit@1"] == 1.0  # never answered as something else
    assert summary["id"]["hit@1"] == 1.0
    assert summary["list"]["hit@1"] == 1.0


BLIND_SET = ROOT / "tests" / "data" / "questions_blind.jsonl"


def test_blind_set_meets_targets(index: ModelIndex) -> None:
    # 169 questions written from the model file alone by someone who never saw the search code or hints. Measured once,
    # unseen, at 0.917 / 0.970; from now on it is a floor, no longer blind: new unseen sets should come from feedback.
    _, summary = evaluate(index, BLIND_SET)
    assert summary["overall"]["n"] == 169
    assert summary["overall"]["hit@1"] >= 0.90
    assert summary["overall"]["hit@3"] >= 0.96
    assert summary["compare"]["hit@3"] == 1.0
    assert summary["nonsvc"]["hit@1"] == 1.0
