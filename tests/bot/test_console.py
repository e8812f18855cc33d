"""The console end to end through bot.console.run with scripted input, on SQLite and PostgreSQL: numbered actions run as
pressed buttons, forms are filled in at the prompt, and a form's errors ask again for those fields only."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest

from bot import console
from bot.render_text import offered, render
from handlers import Action, Context, Request, dispatch
from handlers.support.actions import Kind
from tests.conftest import Clock

pytestmark = pytest.mark.calendar  # evidence dates are the store's clock's


def chat(ctx: Context, *lines: str, user: str = "alice") -> str:
    out = io.StringIO()
    assert console.run(ctx, io.StringIO("".join(line + "\n" for line in lines)), out, user=user) == 0
    return out.getvalue()


def number_of(ctx: Context, text: str, label: str) -> str:
    """The number the console shows for an action of the answer to `text` (as a person reads it off the screen)."""
    reply = dispatch(Request(text=text, user_id="alice", is_admin=True), ctx)
    return str([a.label for a in offered(reply)].index(label) + 1)


@pytest.fixture
def desk(db_ctx: Context) -> Context:
    chat(db_ctx, 'group add "Service Desk"', "group use Service Desk")
    return db_ctx


def test_ask_then_1_opens_the_evidence_form_and_the_fields_are_stored(desk: Context) -> None:
    out = chat(
        desk,
        "what does WMC.SP1.6 require",
        "1",  # Log evidence
        "",  # practice: keeps WMC.SP1.6
        "",  # work group: keeps the channel's
        "",  # kind: keeps artifact
        "https://wiki.example.com/review",
        "minutes of the weekly review",
        "",  # date: today
    )
    assert "→ 1 log evidence · 2 rate · 3 goal WMC.SG1 · 4 process area WMC" in out
    assert "Practice [WMC.SP1.6]: " in out and "Work group [Service Desk]: " in out
    [item] = desk.store.evidence.list(workspace_id="local")
    assert (item.practice_key, item.group, item.kind, item.link, item.note, item.created_by) == (
        "WMC.SP1.6", "Service Desk", "artifact", "https://wiki.example.com/review", "minutes of the weekly review", "alice",
    )  # fmt: skip
    assert item.evidence_date == desk.store.clock().date()
    assert f"Logged evidence #{item.id}" in out


def test_ask_then_the_thumbs_store_feedback(desk: Context) -> None:
    question = "how do we track customer requests?"
    out = chat(desk, question, number_of(desk, question, "👍 Helpful"))
    assert "👍 helpful" in out and "Thanks: your 👍" in out
    [vote] = desk.store.feedback.votes(workspace_id="local")
    assert (vote.question, vote.vote, vote.user_id) == (question, "good", "alice")


def test_a_form_error_asks_again_for_that_field_only(desk: Context, clock: Clock) -> None:
    day = (clock.now - timedelta(days=3)).date().isoformat()
    out = chat(desk, "evidence form WMC.SP1.6", "", "", "", "", "review minutes", "soon", day)
    asked, after = out.split("Please fix evidence date", 1)
    assert asked.count("Practice [WMC.SP1.6]: ") == 1
    assert "'soon' is not a date" in after
    assert re.findall(r"^(\w[\w ()]*?)(?: \[[^\]]*\])?: ", after, re.M) == ["Evidence date (optional)"]  # one prompt again
    assert "Evidence date (optional) [soon]: " in after  # with what was typed
    [item] = desk.store.evidence.list(workspace_id="local")
    assert (item.note, item.evidence_date.isoformat(), item.link) == ("review minutes", day, None)


def test_a_dash_clears_a_prefilled_field_and_words_pick_a_practice(desk: Context) -> None:
    chat(desk, "evidence add WMC.SP1.6 https://wiki.example.com/old old minutes")
    out = chat(desk, "evidence form 1", "progress reviews", "1", "", "", "-", "", "")
    assert "1 WMC.SP1.6 Conduct Progress Reviews" in out  # the picker's choices, numbered
    newest = desk.store.evidence.list(workspace_id="local")[0]
    assert (newest.id, newest.practice_key, newest.link, newest.note) == (2, "WMC.SP1.6", None, "old minutes")


def test_rate_from_an_answer_with_a_choice_by_number(desk: Context) -> None:
    out = chat(desk, "WMC.SP1.6", "2", "", "", "2", "patchy minutes")
    assert "Characterization: " in out and "2 LI largely implemented" in out
    [rating] = desk.store.ratings.current(workspace_id="local").values()
    assert (rating.practice_key, rating.value, rating.note, rating.rated_by) == ("WMC.SP1.6", "LI", "patchy minutes", "alice")
    assert "Rated WMC.SP1.6" in out


def test_numbers_without_an_action_and_an_action_that_was_not_offered(desk: Context) -> None:
    out = chat(desk, "what does WMC.SP1.6 require", "9")
    assert "There is no action 9 here: the last answer offered 1 to 4." in out
    session = console.Session(desk, Request(text="", user_id="alice"), io.StringIO(), io.StringIO(), interactive=False)
    evidence_id = desk.store.evidence.add(workspace_id="local", group=desk.store.groups.list(workspace_id="local")[0], practice_key="WMC.SP1.6", process_area="WMC", kind="artifact", link=None, note="n", evidence_date=desk.store.clock().date(), actor="bob")[0].id  # fmt: skip
    session.press(Action(Kind.SHOW, "Goal", f"evidence remove {evidence_id}"))  # a kind that cannot carry that command
    assert console.NOT_OFFERED in session.stdout.getvalue()
    assert [i.id for i in desk.store.evidence.list(workspace_id="local")] == [evidence_id]


def test_end_of_input_in_a_form_closes_it_and_stores_nothing(desk: Context) -> None:
    out = chat(desk, "evidence form WMC.SP1.6", "", "")
    assert console.CLOSED in out and desk.store.evidence.list(workspace_id="local") == []


def test_handle_line_handles_the_line_it_is_given(ctx: Context) -> None:
    ok, text = console.handle_line("GP2.8", ctx, Request(text="something else", user_id="bob"))
    assert ok and text.startswith("GP2.8 Monitor and Control the Process")


def test_hints_keep_identifiers_as_they_are_written(ctx: Context) -> None:
    reply = dispatch(Request(text="what does WMC.SP1.6 require"), ctx)
    assert render(reply).endswith("→ 1 log evidence · 2 rate · 3 goal WMC.SG1 · 4 process area WMC")
