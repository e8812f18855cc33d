"""The ask handler: what a person sees for each kind of answer."""

from __future__ import annotations

import pytest

from handlers import Context, Request, UserError, dispatch
from handlers.ask import describe


def text_of(reply) -> str:
    parts = [reply.text]
    for s in reply.sections:
        parts += [s.title or "", s.body, s.note or "", *(f"{n}: {v}" for n, v in s.fields), *s.items]
    return "\n".join(parts)


def test_practice_answer_names_statement_goal_area_and_related(ctx: Context) -> None:
    reply = dispatch(Request("what does WMC.SP1.6 require"), ctx)
    text = text_of(reply)
    practice, goal, pa = ctx.model.get("WMC.SP1.6"), ctx.model.get("WMC.SG1"), ctx.model.pa("WMC")
    assert reply.sections[0].title == f"{practice.id} {practice.title}"
    assert reply.sections[0].body == practice.statement
    assert f"{goal.id} {goal.title}" in text
    assert f"{pa.abbr} {pa.name} · {pa.category} · maturity level {pa.maturity_level}" in text
    assert "GP2.8 Monitor and Control the Process (relies on WMC)" in text
    assert "WMC.SP1.7" in text  # a sibling under the same goal


def test_process_area_answer_lists_goals_and_practices(ctx: Context) -> None:
    reply = dispatch(Request("what is CAM"), ctx)
    text = text_of(reply)
    cam = ctx.model.pa("CAM")
    assert cam.purpose in text
    for practice in cam.practices:
        assert f"{practice.id} {practice.title}" in text


def test_generic_practice_answer_names_supporting_areas(ctx: Context) -> None:
    sections = describe(ctx.model, ctx.model.get("GP2.6"))
    assert ("Supported by", "CM Configuration Management") in sections[0].fields


def test_natural_language_answer_has_alternatives(ctx: Context) -> None:
    reply = dispatch(Request("who gets our monthly uptime and headroom report?"), ctx)
    titles = [s.title for s in reply.sections]
    assert "Also consider" in titles
    assert len(reply.data["results"]) == 5
    assert reply.data["results"][0]["id"] == reply.text.split()[0]


def test_list_answer(ctx: Context) -> None:
    reply = dispatch(Request("which process areas are at maturity level 5?"), ctx)
    assert [r["id"] for r in reply.data["results"]] == [pa.abbr for pa in ctx.model.pas_at_level(5)]
    (listing,) = [s for s in reply.sections if s.title == "Process areas at maturity level 5"]
    assert listing.items[0].startswith("CAR Causal Analysis and Resolution")
    assert any("levels below" in (s.note or "") for s in reply.sections)


def test_nothing_found_says_what_to_try(ctx: Context) -> None:
    reply = dispatch(Request("zxqv blorft"), ctx)
    assert reply.data["results"] == []
    assert "WMC.SP1.6" in text_of(reply)


@pytest.mark.parametrize("text", ["", "ask", "ask   "])
def test_empty_question_is_a_user_error(ctx: Context, text: str) -> None:
    with pytest.raises(UserError, match="Please type a question"):
        dispatch(Request(text), ctx)


def test_help_and_help_me(ctx: Context) -> None:
    reply = dispatch(Request("help"), ctx)
    assert any("ask QUESTION" in item for s in reply.sections for item in s.items)
    assert dispatch(Request("help ask"), ctx).sections[0].title.startswith("ask QUESTION")
    # 'help me ...' is a question, not the help command
    assert dispatch(Request("help me find the practice for configuration audits"), ctx).data["results"][0]["id"] == "CM.SP3.2"
    with pytest.raises(UserError, match="no command 'frobnicate'"):
        dispatch(Request("help frobnicate"), ctx)


def test_json_contract_keeps_results_and_adds_suggestions(ctx: Context) -> None:
    data = dispatch(Request("which PA covers disaster recovery?"), ctx).data
    assert list(data) == ["question", "results", "suggestions"]  # not_in_model only when it applies
    assert data["results"][0]["id"] == "SCON" and data["suggestions"] == []
    for r in data["results"]:
        assert set(r) == {"id", "kind", "title", "score"}


@pytest.mark.parametrize("text", ["explain the RD process area", "what does VER SP 2.2 require", "WMC.SP9.9", "GP2.11"])
def test_not_in_model_has_no_results_and_says_so(ctx: Context, text: str) -> None:
    reply = dispatch(Request(text), ctx)
    data = reply.data
    assert data["results"] == []
    assert "not" in data["not_in_model"] and "CMMI-SVC V1.3" in data["not_in_model"]
    assert data["suggestions"] and all(set(s) == {"id", "kind", "title", "score"} for s in data["suggestions"])
    shown = text_of(reply)
    assert data["not_in_model"] in shown  # the person reads the same as the JSON says
    assert all(s["id"] in shown for s in data["suggestions"])


def test_other_model_area_is_explained_in_our_words(ctx: Context) -> None:
    reply = dispatch(Request("what is the Requirements Development process area?"), ctx)
    text = text_of(reply)
    rd = next(a for a in ctx.model.elsewhere if a.abbr == "RD")
    assert rd.about in text and "cmmi-bot's summary" in text
    assert "Where CMMI-SVC V1.3 covers similar ground" in text and "SSD.SG1" in text


def test_comparison_shows_both_sides_and_when_to_use_which(ctx: Context) -> None:
    reply = dispatch(Request("OPF vs OPD"), ctx)
    assert [r["id"] for r in reply.data["results"][:2]] == ["OPF", "OPD"]
    titles = [s.title for s in reply.sections]
    assert "OPF Organizational Process Focus" in titles and "OPD Organizational Process Definition" in titles
    (when,) = [s for s in reply.sections if s.title == "When to use which"]
    assert when.items == (f"Use OPF when {ctx.model.pa('OPF').hint.use_when}", f"Use OPD when {ctx.model.pa('OPD').hint.use_when}")
    text = text_of(reply)
    assert ctx.model.pa("OPF").purpose in text and ctx.model.pa("OPD").purpose in text
    assert "OPF.SG3 Deploy Organizational Process Assets and Incorporate Experiences" in text  # goals


def test_list_answer_returns_the_listed_elements(ctx: Context) -> None:
    reply = dispatch(Request("list the SPs under CAM SG2"), ctx)
    assert [r["id"] for r in reply.data["results"]] == ["CAM.SG2", "CAM.SP2.1", "CAM.SP2.2", "CAM.SP2.3"]
    (listing,) = [s for s in reply.sections if s.title and s.title.startswith("Practices of CAM.SG2")]
    assert "CAM.SP2.1 Monitor and Analyze Capacity: Monitor and analyze capacity against thresholds." in listing.items


def test_respelled_words_are_said(ctx: Context) -> None:
    reply = dispatch(Request("trainig recrods"), ctx)
    assert "I read 'trainig' as 'training'." in text_of(reply)
    assert reply.data["results"][0]["id"] == "OT.SP2.2"
