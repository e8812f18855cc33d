"""Slack interaction over real HTTP on 127.0.0.1: thread follow-ups, button → modal → submit, pagination in place, files from
a DM or a mention, announcements, the Home tab redrawn after changes, and Share posting what the person saw."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from conftest import Served, SlackSender, serving, slack_settings
from fake_slack import BOT_USER_ID, RESPONSE_URL, TEAM_ID, FakeSlack

from bot.slack import render
from bot.slack.app import build_app
from bot.slack.listeners import base
from handlers import Context, Request
from index import ModelIndex
from model_data import Model
from store import Store, make_engine, sqlite_url, upgrade
from store.inbox import DONE
from tests.helpers import log_evidence

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
WORKSPACE = f"slack:{TEAM_ID}"
T = TypeVar("T")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    url = sqlite_url(Path(tmp_path_factory.mktemp("interaction")) / "cmmi.db")
    engine = make_engine(url)
    upgrade(engine)
    yield Store(engine, lambda: NOW)
    engine.dispose()


@pytest.fixture(scope="module")
def app_ctx(model: Model, index: ModelIndex, store: Store) -> Context:
    return Context(model=model, index=index, store=store)


@pytest.fixture(scope="module")
def served(fake_slack: FakeSlack, app_ctx: Context) -> Iterator[Served]:
    with serving(build_app(slack_settings(fake_slack.api_url), app_ctx)) as served:
        yield served


@pytest.fixture
def slack(served: Served, fake_slack: FakeSlack) -> SlackSender:
    fake_slack.reset()
    return SlackSender(served.url, fake_slack)


def eventually(check: Callable[[], T | None], timeout: float = 5.0) -> T:
    """What check returns once it returns something: work after an ack finishes a moment later."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            assert found, "it never happened"
            return found
        time.sleep(0.02)


def text_of(node: Any) -> str:
    return json.dumps(node, ensure_ascii=False)


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def mention(slack: SlackSender, text: str, *, ts: str, channel: str, user: str = "U0BOB") -> str:
    """A mention of the bot, as the app_mention event Slack sends; returns its event ID."""
    event_id = slack.next_id("Ev")
    event = {"type": "app_mention", "user": user, "text": f"<@{BOT_USER_ID}> {text}", "ts": ts, "channel": channel, "event_ts": ts}
    assert slack.event(event, event_id=event_id).status == 200
    return event_id


def reply_in_thread(slack: SlackSender, text: str, *, thread: str, channel: str, user: str = "U0BOB", **more: Any) -> str:
    """A person's reply in a channel thread, as the message.channels event Slack sends; returns its event ID."""
    event_id = slack.next_id("Ev")
    ts = f"{float(thread) + 1 + int(event_id[2:]) / 1e6:.6f}"
    event = {"type": "message", "channel_type": "channel", "user": user, "text": text, "ts": ts, "thread_ts": thread, "channel": channel}
    assert slack.event({**event, **more}, event_id=event_id).status == 200
    return event_id


def topic(store: Store, channel: str, thread: str) -> str | None:
    found = store.threads.topic(workspace_id=WORKSPACE, channel_id=channel, thread_id=thread)
    return found.element_id if found else None


# ---- thread follow-ups -------------------------------------------------------------------------------------------


def test_follow_ups_in_a_thread_resolve_against_the_element_last_discussed(slack: SlackSender, fake_slack: FakeSlack, store: Store) -> None:
    group = store.groups.add(workspace_id=WORKSPACE, name="Follow Desk", actor="U0SETUP")
    store.groups.bind_channel(workspace_id=WORKSPACE, channel_id="C0FOLLOW", group_id=group.id, actor="U0SETUP")
    thread = "1700001000.000100"
    mention(slack, "what does WMC.SP1.6 require", ts=thread, channel="C0FOLLOW")
    [answer] = fake_slack.wait_for("chat.postMessage")
    assert answer.body["thread_ts"] == thread and answer.body["text"] == "WMC.SP1.6 Conduct Progress Reviews"
    assert eventually(lambda: topic(store, "C0FOLLOW", thread)) == "WMC.SP1.6"

    reply_in_thread(slack, "what evidence would show that?", thread=thread, channel="C0FOLLOW")
    [_, examples] = fake_slack.wait_for("chat.postMessage", count=2)
    assert examples.body["channel"] == "C0FOLLOW" and examples.body["thread_ts"] == thread
    assert examples.body["text"] == "Evidence for WMC.SP1.6 Conduct Progress Reviews"
    assert "Evidence is status reports, review minutes and dashboards." in text_of(examples.body)
    assert [b["value"] for b in buttons(examples.body)] == ["evidence form WMC.SP1.6"]

    reply_in_thread(
        slack, "log this as evidence <https://wiki.example.com/wmc-review> weekly review minutes", thread=thread, channel="C0FOLLOW"
    )
    [*_, logged] = fake_slack.wait_for("chat.postMessage", count=3)
    assert logged.body["thread_ts"] == thread and logged.body["text"].startswith("Logged evidence #")
    [item] = store.evidence.list(workspace_id=WORKSPACE, group_id=group.id, practice_keys={"WMC.SP1.6"})
    assert (item.link, item.note, item.created_by) == ("https://wiki.example.com/wmc-review", "weekly review minutes", "U0BOB")

    reply_in_thread(slack, "and its goal?", thread=thread, channel="C0FOLLOW")
    [*_, goal] = fake_slack.wait_for("chat.postMessage", count=4)
    assert goal.body["thread_ts"] == thread and goal.body["text"] == "WMC.SG1 Monitor the Work Against the Plan"
    assert eventually(lambda: topic(store, "C0FOLLOW", thread) if topic(store, "C0FOLLOW", thread) == "WMC.SG1" else None)

    # The thread is about the goal now: evidence needs a practice, which the person is told privately, in the thread.
    reply_in_thread(slack, "log this as evidence https://wiki.example.com/x", thread=thread, channel="C0FOLLOW", user="U0CAROL")
    [hint] = fake_slack.wait_for("chat.postEphemeral")
    assert (hint.body["user"], hint.body["thread_ts"]) == ("U0CAROL", thread)
    assert "log this as evidence for WMC.SP1.1" in hint.body["text"]
    assert len(store.evidence.list(workspace_id=WORKSPACE, group_id=group.id)) == 1
    fake_slack.quiet_for(0.2)
    assert len(fake_slack.calls("chat.postMessage")) == 4


def test_ordinary_conversation_in_threads_is_left_alone_without_a_database_write(
    slack: SlackSender, fake_slack: FakeSlack, store: Store
) -> None:
    thread = "1700002000.000100"
    asked = mention(slack, "GP2.8", ts=thread, channel="C0CHAT")
    fake_slack.wait_for("chat.postMessage")
    eventually(lambda: topic(store, "C0CHAT", thread))
    # The mention's own delivery is closed a moment after its answer is posted: count open deliveries after that.
    eventually(lambda: (entry := store.inbox.get(key=f"slack:event:{asked}")) is not None and entry.status == DONE)
    open_before = store.inbox.open_count()
    ignored = [
        reply_in_thread(slack, "thanks, that helps", thread=thread, channel="C0CHAT"),
        reply_in_thread(slack, "<@U0CAROL> and its goal?", thread=thread, channel="C0CHAT"),  # said to someone else
        reply_in_thread(slack, "and its goal?", thread=thread, channel="C0CHAT", bot_id="B0OTHER"),  # another bot
        reply_in_thread(slack, "and its goal?", thread="1700002999.000100", channel="C0CHAT"),  # a thread the bot never answered
        reply_in_thread(slack, "and its goal?", thread=thread, channel="C0OTHER"),  # the same ts in another channel
        reply_in_thread(slack, "and its goal?", thread=thread, channel="C0CHAT", subtype="message_changed"),  # an edit
    ]
    fake_slack.quiet_for(0.3)
    assert len(fake_slack.calls("chat.postMessage")) == 1  # only the answer to the mention
    assert fake_slack.calls("chat.postEphemeral") == []
    assert not any(store.inbox.seen(key=f"slack:event:{event_id}") for event_id in ignored)  # nothing recorded for them
    assert store.inbox.open_count() == open_before


def test_a_mention_in_a_thread_is_answered_once(slack: SlackSender, fake_slack: FakeSlack, store: Store) -> None:
    thread = "1700003000.000100"
    mention(slack, "what does WMC.SP1.6 require", ts=thread, channel="C0ONCE")
    fake_slack.wait_for("chat.postMessage")
    eventually(lambda: topic(store, "C0ONCE", thread))
    # Slack sends a mention in a thread twice: as app_mention, and as message.channels. Only the first is answered.
    text = f"<@{BOT_USER_ID}> and its goal?"
    reply_in_thread(slack, text, thread=thread, channel="C0ONCE")
    ts = "1700003001.000200"
    slack.event({"type": "app_mention", "user": "U0BOB", "text": text, "ts": ts, "thread_ts": thread, "channel": "C0ONCE"})
    fake_slack.wait_for("chat.postMessage", count=2)
    fake_slack.quiet_for(0.3)
    answers = fake_slack.calls("chat.postMessage")
    assert len(answers) == 2 and answers[1].body["thread_ts"] == thread


def test_replies_to_a_shared_answer_follow_up_on_it(slack: SlackSender, fake_slack: FakeSlack, store: Store) -> None:
    answer = slack.command("what does IRP.SP2.1 require", channel="C0SHARED", response="ask-irp").message
    share = next(b for b in buttons(answer) if b["action_id"] == render.SHARE_ACTION)
    slack.press(render.SHARE_ACTION, share["value"], channel="C0SHARED", response="share-irp")
    [posted] = fake_slack.wait_for("chat.postMessage")
    ts = fake_slack.messages["C0SHARED"][-1]["ts"]  # the shared answer, as Slack posted it
    assert posted.body["text"] == "IRP.SP2.1 Identify and Record Incidents"
    assert eventually(lambda: topic(store, "C0SHARED", ts)) == "IRP.SP2.1"
    reply_in_thread(slack, "which process area?", thread=ts, channel="C0SHARED")
    [_, area] = fake_slack.wait_for("chat.postMessage", count=2)
    assert area.body["thread_ts"] == ts and area.body["text"] == "IRP Incident Resolution and Prevention"


# ---- button → modal → submit -----------------------------------------------------------------------------------


def submit(slack: SlackSender, view: dict[str, Any], values: dict[str, dict[str, Any]], user: str = "U0ALICE") -> Any:
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM_ID},
        "user": {"id": user, "team_id": TEAM_ID},
        "trigger_id": slack.next_id("trigger."),
        "view": {**view, "id": "V0FAKE", "state": {"values": {block: {block: value} for block, value in values.items()}}},
    }
    return slack.interactive(payload)


def test_log_evidence_button_opens_the_form_and_field_errors_keep_it_open(slack: SlackSender, fake_slack: FakeSlack, store: Store) -> None:
    group = store.groups.add(workspace_id=WORKSPACE, name="Button Desk", actor="U0SETUP")
    store.groups.bind_channel(workspace_id=WORKSPACE, channel_id="C0BUTTON", group_id=group.id, actor="U0SETUP")
    answer = slack.command("what does SD.SP3.1 require", channel="C0BUTTON", user="U0DORA", response="ask-sd").message
    [log_button] = [b for b in buttons(answer) if b["action_id"].startswith("cmmi:log_evidence:")]
    assert slack.press(log_button["action_id"], log_button["value"], channel="C0BUTTON", user="U0DORA").status == 200
    [opened] = fake_slack.wait_for("views.open")
    view = opened.body["view"]
    fields = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert fields["practice"]["initial_option"]["value"] == "SD.SP3.1"  # prefilled with the practice
    assert fields["group"]["initial_option"]["value"] == str(group.id)  # and the channel's work group

    good = {
        "practice": {"type": "external_select", "selected_option": fields["practice"]["initial_option"]},
        "group": {"type": "static_select", "selected_option": {"value": str(group.id)}},
        "kind": {"type": "static_select", "selected_option": {"value": "artifact"}},
        "link": {"type": "plain_text_input", "value": "not a link at all"},
        "note": {"type": "plain_text_input", "value": "delivery report"},
    }
    refused = submit(slack, view, good, user="U0DORA")
    errors = json.loads(refused.body)
    assert errors["response_action"] == "errors" and set(errors["errors"]) == {"link"}  # the modal stays open
    assert store.evidence.list(workspace_id=WORKSPACE, group_id=group.id) == []

    fixed = {**good, "link": {"type": "plain_text_input", "value": "https://wiki.example.com/sd-report"}}
    sent = submit(slack, view, fixed, user="U0DORA")
    assert sent.status == 200 and sent.body == ""  # closed
    [item] = store.evidence.list(workspace_id=WORKSPACE, group_id=group.id)
    assert (item.practice_key, item.link, item.created_by) == ("SD.SP3.1", "https://wiki.example.com/sd-report", "U0DORA")
    [confirmation] = fake_slack.wait_for("chat.postEphemeral")
    assert confirmation.body["channel"] == "C0BUTTON" and confirmation.body["text"].startswith("Logged evidence #")


def test_a_crafted_button_runs_nothing(slack: SlackSender, fake_slack: FakeSlack, store: Store) -> None:
    slack.press("cmmi:log_evidence:0", "group use Somewhere Else", channel="C0CRAFT", response="craft")
    [refusal] = fake_slack.wait_for(RESPONSE_URL, where=lambda c: c.path.endswith("/craft"))
    assert "not one cmmi-bot offered" in refusal.body["text"]
    assert store.groups.for_channel(workspace_id=WORKSPACE, channel_id="C0CRAFT") is None


# ---- pagination ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pages_desk(store: Store) -> str:
    """A work group with 25 evidence items, 5 of them for IRP: two pages of 20."""
    group = store.groups.add(workspace_id=WORKSPACE, name="Pages Desk", actor="U0SETUP")
    for n in range(25):
        key = "IRP.SP2.1" if n % 5 == 0 else "WMC.SP1.6"
        log_evidence(store, WORKSPACE, group, key, actor="U0PAGES", link=f"https://wiki.example.com/page-{n}", on=NOW.date())
    return '--group "Pages Desk"'


def test_next_and_previous_replace_the_page_in_place(slack: SlackSender, fake_slack: FakeSlack, pages_desk: str) -> None:
    first = slack.command(f"evidence list {pages_desk}", response="page1").message
    assert first["text"] == "Evidence for all practices, Pages Desk: 1–20 of 25, newest first (page 1 of 2)"
    [next_button] = [b for b in buttons(first) if b["action_id"].startswith("cmmi:page:")]
    assert (next_button["text"]["text"], next_button["value"]) == ("Next ▶", f"evidence list {pages_desk} --page 2")
    slack.press(next_button["action_id"], next_button["value"], response="page2")
    [second] = fake_slack.wait_for(RESPONSE_URL, where=lambda c: c.path.endswith("/page2"))
    assert second.body["replace_original"] is True and second.body["response_type"] == "ephemeral"  # in place of page 1
    assert second.body["text"] == "Evidence for all practices, Pages Desk: 21–25 of 25, newest first (page 2 of 2)"
    [previous] = [b for b in buttons(second.body) if b["action_id"].startswith("cmmi:page:")]
    assert (previous["text"]["text"], previous["value"]) == ("◀ Previous", f"evidence list {pages_desk} --page 1")
    slack.press(previous["action_id"], previous["value"], response="back")
    [back] = fake_slack.wait_for(RESPONSE_URL, where=lambda c: c.path.endswith("/back"))
    assert back.body["replace_original"] is True and back.body["text"] == first["text"]


def test_the_process_area_menu_narrows_the_list_in_place(slack: SlackSender, fake_slack: FakeSlack, pages_desk: str) -> None:
    listed = slack.command(f"evidence list {pages_desk}", response="menu").message
    [menu] = [b for b in buttons(listed) if b["type"] == "static_select"]
    assert [o["text"]["text"] for o in menu["options"]] == ["IRP", "WMC"]  # model order
    irp = next(o["value"] for o in menu["options"] if o["text"]["text"] == "IRP")
    slack.press(menu["action_id"], irp, menu=True, response="irp")
    [narrowed] = fake_slack.wait_for(RESPONSE_URL, where=lambda c: c.path.endswith("/irp"))
    assert narrowed.body["replace_original"] is True
    assert narrowed.body["text"] == "Evidence for IRP, Pages Desk: 5 item(s), newest first"
    assert "WMC.SP1.6" not in text_of(narrowed.body["blocks"])


def test_a_process_area_filter_on_gaps_replaces_the_report(slack: SlackSender, fake_slack: FakeSlack, pages_desk: str) -> None:
    slack.press("cmmi:filter:0", "gaps IRP", menu=True, channel="C0LIST", response="filter")
    [page] = fake_slack.wait_for(RESPONSE_URL, where=lambda c: c.path.endswith("/filter"))
    assert page.body["replace_original"] is True
    assert "IRP.SP1.1" in text_of(page.body) and "WMC.SP1.1" not in text_of(page.body)
    assert any(b["action_id"] == render.SHARE_ACTION and b["value"] == "gaps IRP" for b in buttons(page.body))  # still shareable


def test_a_failed_page_is_said_beside_the_list_not_instead_of_it(slack: SlackSender, fake_slack: FakeSlack, pages_desk: str) -> None:
    slack.press("cmmi:page:0", f"evidence list {pages_desk} --page 9", response="badpage")
    [said] = fake_slack.wait_for(RESPONSE_URL, where=lambda c: c.path.endswith("/badpage"))
    assert said.body["replace_original"] is False and said.body["text"].startswith("There are only 2 page(s)")  # the list stays


def test_the_home_work_group_menu_redraws_home_for_that_group(slack: SlackSender, fake_slack: FakeSlack, store: Store) -> None:
    store.groups.add(workspace_id=WORKSPACE, name="Menu Desk A", actor="U0SETUP")
    store.groups.add(workspace_id=WORKSPACE, name="Menu Desk B", actor="U0SETUP")
    slack.event({"type": "app_home_opened", "user": "U0MENU", "channel": "D0MENU", "tab": "home"})
    [drawn] = fake_slack.wait_for("views.publish")
    [menu] = [e for e in buttons(drawn.body["view"]) if e["action_id"].startswith("cmmi:home:")]
    choice = next(o["value"] for o in menu["options"] if "Menu Desk B" in o["value"])
    slack.press(menu["action_id"], choice, menu=True, home=True, user="U0MENU")
    [_, redrawn] = fake_slack.wait_for("views.publish", count=2)
    assert redrawn.body["user_id"] == "U0MENU" and "Readiness: Menu Desk B" in text_of(redrawn.body["view"])


# ---- files from anywhere ------------------------------------------------------------------------------------------


def test_export_from_a_dm_uploads_the_file_into_the_dm(slack: SlackSender, fake_slack: FakeSlack, app_ctx: Context) -> None:
    event = {
        "type": "message",
        "channel_type": "im",
        "user": "U0FILES",
        "text": "export ML2",
        "ts": "1700004000.000100",
        "channel": "D0FILES",
    }
    slack.event(event)
    fake_slack.wait_for("files.completeUploadExternal")
    [upload] = fake_slack.uploaded()
    [expected] = dispatch_attachments(app_ctx, "export ML2", "U0FILES")
    assert (upload["channel"], upload["thread_ts"], upload["content"]) == ("D0FILES", None, expected.content)
    assert upload["filename"] == expected.filename and upload["initial_comment"].startswith("Evidence workbook ")
    fake_slack.quiet_for(0.2)
    assert fake_slack.calls("chat.postMessage") == []  # the file and its comment are the answer; nothing claims more


def test_export_from_a_mention_uploads_into_the_thread(slack: SlackSender, fake_slack: FakeSlack) -> None:
    mention(slack, "export ML2", ts="1700004100.000100", channel="C0EXPORT")
    fake_slack.wait_for("files.completeUploadExternal")
    [upload] = fake_slack.uploaded()
    assert (upload["channel"], upload["thread_ts"]) == ("C0EXPORT", "1700004100.000100")


def test_a_failed_upload_says_so_and_never_that_a_file_was_sent(slack: SlackSender, fake_slack: FakeSlack) -> None:
    fake_slack.refuse("files.getUploadURLExternal", "missing_scope")
    event = {
        "type": "message",
        "channel_type": "im",
        "user": "U0NOFILE",
        "text": "export ML2",
        "ts": "1700004200.000100",
        "channel": "D0NOFILE",
    }
    slack.event(event)
    [said] = fake_slack.wait_for("chat.postMessage")
    assert said.body["channel"] == "D0NOFILE" and said.body["text"].startswith("I could not send you the file (error reference ")
    assert fake_slack.uploaded() == []
    fake_slack.refuse("files.getUploadURLExternal", "missing_scope")
    note = slack.command("export ML2", user="U0NOFILE2").message
    assert note["text"].startswith("I could not send you the file") and "direct messages" not in note["text"]


def dispatch_attachments(ctx: Context, text: str, user: str) -> Any:
    from handlers import dispatch

    return dispatch(Request(text, user_id=user, workspace_id=WORKSPACE, transport="slack"), ctx).attachments


# ---- announcements -----------------------------------------------------------------------------------------------


def test_a_channel_wide_change_is_announced_in_the_channel(slack: SlackSender, fake_slack: FakeSlack, store: Store) -> None:
    store.groups.add(workspace_id=WORKSPACE, name="R&D Desk", actor="U0SETUP")
    private = slack.command('group use "R&D Desk"', channel="C0LOUD", user="U0ERIN").message
    assert private["response_type"] == "ephemeral" and private["text"].startswith("This channel now logs to")
    [said] = fake_slack.wait_for("chat.postMessage")
    assert said.body["channel"] == "C0LOUD" and "thread_ts" not in said.body  # for everyone, not in a thread
    shown = said.body["blocks"][0]["text"]["text"]
    assert shown.startswith('<@U0ERIN> bound this channel to the work group "R&amp;D Desk"')  # who made it; the name as typed

    store.groups.add(workspace_id=WORKSPACE, name="Loud Desk", actor="U0SETUP")
    mention(slack, "group use Loud Desk", ts="1700005000.000100", channel="C0LOUD2", user="U0FRED")
    [_, *posts] = fake_slack.wait_for("chat.postMessage", count=3)
    by_thread = {p.body.get("thread_ts"): p.body for p in posts}
    assert "<@U0FRED> bound" in text_of(by_thread[None]) and by_thread[None]["channel"] == "C0LOUD2"  # for everyone
    assert "Loud Desk" in by_thread["1700005000.000100"]["text"]  # and the answer in the thread


def test_where_the_bot_cannot_announce_the_person_is_told_privately(slack: SlackSender, fake_slack: FakeSlack, store: Store) -> None:
    store.groups.add(workspace_id=WORKSPACE, name="Quiet Desk", actor="U0SETUP")
    fake_slack.refuse("chat.postMessage", "not_in_channel")
    private = slack.command("group use Quiet Desk", channel="C0QUIET").message
    assert "Quiet Desk" in private["text"] and base.CANNOT_ANNOUNCE.split(":")[0] in text_of(private)
    assert store.groups.for_channel(workspace_id=WORKSPACE, channel_id="C0QUIET") is not None  # the change stands


# ---- App Home redrawn after changes ---------------------------------------------------------------------------------


def test_home_is_redrawn_after_each_change_for_those_who_opened_it(slack: SlackSender, fake_slack: FakeSlack, store: Store) -> None:
    group = store.groups.add(workspace_id=WORKSPACE, name="Home Refresh Desk", actor="U0SETUP")
    store.groups.bind_channel(workspace_id=WORKSPACE, channel_id="C0REFRESH", group_id=group.id, actor="U0SETUP")
    slack.event({"type": "app_home_opened", "user": "U0GINA", "channel": "D0GINA", "tab": "home"})
    fake_slack.wait_for("views.publish")

    added = slack.command("evidence add WMC.SP1.6 https://wiki.example.com/gina-review", channel="C0REFRESH", user="U0GINA").message
    evidence_id = added["text"].split("#")[1].split()[0]
    [_, after_add] = fake_slack.wait_for("views.publish", count=2)
    assert after_add.body["user_id"] == "U0GINA" and f"evidence remove {evidence_id}" in text_of(after_add.body["view"])

    slack.press("cmmi:remove:0", f"evidence remove {evidence_id}", channel="C0REFRESH", user="U0GINA", response="remove")
    [*_, after_remove] = fake_slack.wait_for("views.publish", count=3)
    assert f"evidence remove {evidence_id}" not in text_of(after_remove.body["view"])

    slack.command("what does WMC.SP1.6 require", user="U0GINA")  # a question changes nothing
    slack.command("evidence add WMC.SP1.6 https://wiki.example.com/other", channel="C0REFRESH", user="U0HANK")  # never opened Home
    fake_slack.quiet_for(0.3)
    assert len(fake_slack.calls("views.publish")) == 3


# ---- Share ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "offered"),
    [
        ("what does WMC.SP1.6 require", True),
        ("how do we track customer requests?", True),
        ("what is the weather in paris", False),  # nothing found
        ("WMC.SP1.9", False),  # did you mean
        ("help", False),
        ("evidence list", False),
    ],
)
def test_share_is_offered_only_on_real_answers(slack: SlackSender, question: str, offered: bool) -> None:
    answer = slack.command(question, response="offer").message
    assert (render.SHARE_ACTION in [b["action_id"] for b in buttons(answer)]) is offered


def shown_answer(message: dict[str, Any]) -> list[dict[str, Any]]:
    """A message's answer: without the line saying who asked, and without Share."""
    blocks = [b for b in message["blocks"] if not (b["type"] == "context" and " asked: " in text_of(b))]
    return [
        {**b, "elements": [e for e in b["elements"] if e["action_id"] != render.SHARE_ACTION]} if b["type"] == "actions" else b
        for b in blocks
    ]


def without_block_ids(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in b.items() if k != "block_id"} for b in blocks]


def test_share_posts_exactly_the_answer_the_person_saw(slack: SlackSender, fake_slack: FakeSlack, store: Store) -> None:
    group = store.groups.add(workspace_id=WORKSPACE, name="Share Desk", actor="U0SETUP")
    store.groups.bind_channel(workspace_id=WORKSPACE, channel_id="C0SHARE2", group_id=group.id, actor="U0SETUP")
    seen = slack.command("how do we track customer requests?", channel="C0SHARE2", user="U0IVY", response="seen").message
    [share] = [b for b in buttons(seen) if b["action_id"] == render.SHARE_ACTION]
    block_id = next(b["block_id"] for b in seen["blocks"] if b["type"] == "actions" and share in b["elements"])
    slack.press(render.SHARE_ACTION, share["value"], channel="C0SHARE2", user="U0IVY", response="shared", block_id=block_id)
    [posted] = fake_slack.wait_for("chat.postMessage")
    assert without_block_ids(shown_answer(posted.body)) == without_block_ids(shown_answer(seen))
    assert "Updated since" not in text_of(posted.body)
    assert posted.body["blocks"][0]["elements"][0]["text"] == "<@U0IVY> asked: how do we track customer requests?"


def test_an_answer_that_changed_before_it_was_shared_says_as_of_when(slack: SlackSender, fake_slack: FakeSlack, store: Store) -> None:
    group = store.groups.add(workspace_id=WORKSPACE, name="Changing Desk", actor="U0SETUP")
    store.groups.bind_channel(workspace_id=WORKSPACE, channel_id="C0CHANGE", group_id=group.id, actor="U0SETUP")
    seen = slack.command("what does CAM.SP1.1 require", channel="C0CHANGE", user="U0JO", response="before").message
    assert "No evidence for CAM.SP1.1 yet" in text_of(seen)  # the channel's work group has nothing for it, as seen
    [share] = [b for b in buttons(seen) if b["action_id"] == render.SHARE_ACTION]
    block_id = next(b["block_id"] for b in seen["blocks"] if b["type"] == "actions" and share in b["elements"])
    log_evidence(store, WORKSPACE, group, "CAM.SP1.1", actor="U0KIM", link="https://wiki.example.com/cap-plan", on=NOW.date())
    slack.press(render.SHARE_ACTION, share["value"], channel="C0CHANGE", user="U0JO", response="after", block_id=block_id)
    [posted] = fake_slack.wait_for("chat.postMessage")
    shown = text_of(posted.body)
    assert "1 evidence item(s)" in shown and "No evidence for CAM.SP1.1 yet" not in shown  # what is true now...
    [as_of] = [b for b in posted.body["blocks"] if b["type"] == "context" and "Updated since it was first shown" in text_of(b)]
    assert "<!date^" in as_of["elements"][0]["text"]  # ...and from when, in each reader's time zone
