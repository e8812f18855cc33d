"""Thread follow-ups: which replies are follow-ups, and what each becomes for the element its thread is about."""

from __future__ import annotations

import pytest

from handlers import Context, Request, UserError, dispatch
from handlers.support import followup
from handlers.support.followup import Ask
from model_data import Model


@pytest.mark.parametrize(
    ("text", "ask"),
    [
        ("what evidence would show that?", Ask.EVIDENCE_EXAMPLES),
        ("What evidence would show this", Ask.EVIDENCE_EXAMPLES),
        ("and what kind of evidence could demonstrate it?", Ask.EVIDENCE_EXAMPLES),
        ("which evidence do we need?", Ask.EVIDENCE_EXAMPLES),
        ("what would an appraiser look for here?", Ask.EVIDENCE_EXAMPLES),
        ("examples of evidence?", Ask.EVIDENCE_EXAMPLES),
        ("and its goal?", Ask.GOAL),
        ("what's its goal", Ask.GOAL),
        ("which goal is it under?", Ask.GOAL),
        ("And its process area?", Ask.PROCESS_AREA),
        ("which PA is this in?", Ask.PROCESS_AREA),
        ("log this as evidence https://wiki.example.com/review weekly minutes", Ask.LOG_EVIDENCE),
        ("please record it as CMMI evidence: <https://wiki.example.com/r|review> minutes", Ask.LOG_EVIDENCE),
    ],
)
def test_follow_ups_are_recognised(text: str, ask: Ask) -> None:
    found = followup.recognise(text)
    assert found is not None and found.ask is ask


@pytest.mark.parametrize(
    "text",
    [
        "thanks!",
        "what evidence would show that the outage was caused by the DNS change?",  # about something else
        "its goal was to cut the backlog by half",
        "I think its goal is unclear, @bob what do you think?",
        "can we log this somewhere?",
        "what does WMC.SP1.1 require?",  # a new question: mention the bot for those
        "the process area meeting is at 3",
        "log",
        "",
        "what evidence would show that? " + "x" * 3000,
    ],
)
def test_ordinary_chatter_is_not_a_follow_up(text: str) -> None:
    assert followup.recognise(text) is None


def test_logging_keeps_the_link_and_note_as_typed_and_may_name_another_practice(model: Model) -> None:
    resolved = followup.resolve("log this as evidence <https://wiki.example.com/r|review> weekly minutes", "WMC.SP1.6", model)
    assert resolved == followup.Resolved(command="evidence add WMC.SP1.6 <https://wiki.example.com/r|review> weekly minutes")
    other = followup.resolve("log this as evidence for wmc.sp1.2 - https://x.example.com/a", "WMC.SG1", model)
    assert other == followup.Resolved(command="evidence add WMC.SP1.2 https://x.example.com/a")


@pytest.mark.parametrize(
    ("element", "text", "command"),
    [
        ("WMC.SP1.6", "and its goal?", "ask WMC.SG1"),
        ("WMC.SP1.6", "and its process area?", "ask WMC"),
        ("WMC.SG1", "which PA?", "ask WMC"),
        ("GP2.8", "and its goal?", "ask GG2"),
    ],
)
def test_parents_become_ordinary_questions(model: Model, element: str, text: str, command: str) -> None:
    assert followup.resolve(text, element, model) == followup.Resolved(command=command)


@pytest.mark.parametrize(
    ("element", "text", "says"),
    [
        ("WMC", "and its goal?", "its goals are WMC.SG1, WMC.SG2"),
        ("WMC.SG1", "and its goal?", "is itself a specific goal"),
        ("GP2.8", "which process area?", "applies to every process area"),
        ("WMC.SG1", "log this as evidence https://x.example.com/a", "log this as evidence for WMC.SP1.1"),
        ("GP2.8", "log this as evidence https://x.example.com/a", "log this as evidence for WMC.GP2.8"),
    ],
)
def test_what_an_element_does_not_have_is_explained(model: Model, element: str, text: str, says: str) -> None:
    with pytest.raises(UserError, match=says.replace(".", r"\.")):
        followup.resolve(text, element, model)


def test_evidence_examples_come_from_the_hints_with_a_log_button(model: Model) -> None:
    resolved = followup.resolve("what evidence would show that?", "WMC.SP1.6", model)
    assert resolved is not None and resolved.reply is not None
    reply = resolved.reply
    assert reply.sections[0].body == "Evidence is status reports, review minutes and dashboards."
    assert "not model text" in (reply.sections[1].note or "")
    assert [a.command for a in reply.actions] == ["evidence form WMC.SP1.6"]
    goal = followup.resolve("examples of evidence?", "WMC.SG1", model)
    assert goal is not None and goal.reply is not None
    assert [str(i).split(":")[0] for i in goal.reply.sections[0].items] == [
        f"{p.id} {p.title}" for p in model.elements["WMC.SG1"].practices
    ]


def test_a_reply_is_about_an_element_only_when_it_answers_about_one(ctx: Context, model: Model) -> None:
    def about(text: str) -> str | None:
        return followup.topic(dispatch(Request(text=text), ctx), model)

    assert about("what does WMC.SP1.6 require") == "WMC.SP1.6"
    assert about("how do we track customer requests?") == "SD.SP2.3"
    assert about("WMC") == "WMC" and about("GP2.8") == "GP2.8"
    assert about("practices of IRP") is None  # a list
    assert about("OPF vs OPD") is None  # a comparison
    assert about("asdkjh qwe") is None  # nothing found
    assert about("help") is None


def test_an_unknown_element_or_a_non_follow_up_resolves_to_nothing(model: Model) -> None:
    assert followup.resolve("and its goal?", "NOPE.SP9.9", model) is None
    assert followup.resolve("sounds good", "WMC.SP1.6", model) is None


def test_dispatch_names_the_element_an_answer_is_about(ctx: Context) -> None:
    assert dispatch(Request(text="what does WMC.SP1.6 require"), ctx).topic == "WMC.SP1.6"
    assert dispatch(Request(text="practices of IRP"), ctx).topic is None


def test_dispatch_resolves_a_follow_up_against_its_thread_element(ctx: Context) -> None:
    goal = dispatch(Request(text="and its goal?", topic="WMC.SP1.6"), ctx)
    assert goal.text.startswith("WMC.SG1 ") and goal.topic == "WMC.SG1"  # the parent, which the thread is now about
    examples = dispatch(Request(text="what evidence would show that?", topic="WMC.SP1.6"), ctx)
    assert examples.actions and examples.actions[0].command == "evidence form WMC.SP1.6"
    with pytest.raises(UserError) as raised:
        dispatch(Request(text="and its goal?", topic="NOPE.SP9.9"), ctx)  # the element left the model
    assert "no longer know what this thread was about" in str(raised.value.text)
    with pytest.raises(UserError):
        dispatch(Request(text="and its goal?", topic="WMC"), ctx)  # a process area has goals, not one goal
