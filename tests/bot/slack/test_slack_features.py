"""Slack features that need the database, over real HTTP on 127.0.0.1: admins from users.info, posts in the channel,
exports as files, the "Log as CMMI evidence" shortcut and its modal, and App Home."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import Served, SlackSender, serving, slack_settings
from fake_slack import RESPONSE_URL, TEAM_ID, FakeSlack

from bot.slack import render, views
from bot.slack.app import build_app
from bot.slack.listeners import views as view_listeners
from bot.slack.listeners.base import CANNOT_POST_HERE
from handlers import Context, Request, dispatch
from index import ModelIndex
from model_data import Model
from store import Store, make_engine, sqlite_url, upgrade
from tests.helpers import log_evidence

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
WORKSPACE = f"slack:{TEAM_ID}"  # what the store keeps for the fake team: Slack workspaces carry their transport


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    url = sqlite_url(Path(tmp_path_factory.mktemp("slackdb")) / "cmmi.db")
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


def text_of(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False)


def test_an_admin_from_users_info_may_remove_someone_elses_evidence(slack: SlackSender, fake_slack: FakeSlack, store: Store) -> None:
    store.groups.add(workspace_id=WORKSPACE, name="Admins Desk", actor="U0SETUP")
    added = slack.command('evidence add WMC.SP1.6 https://wiki.example.com/a minutes --group "Admins Desk"', user="U0BOB").message
    evidence_id = added["text"].split("#")[1].split()[0]
    fake_slack.set_user("U0BOSS", is_admin=True)
    assert "Only the person who logged" in slack.command(f"evidence remove {evidence_id}", user="U0CAROL").message["text"]
    assert slack.command(f"evidence remove {evidence_id}", user="U0BOSS").message["text"] == f"Removed evidence #{evidence_id}."
    assert slack.command("evidence list", user="U0BOSS").status == 200
    # users.info once per user: the second command of U0BOSS came from the cache
    assert sorted(c.body["user"] for c in fake_slack.calls("users.info")) == ["U0BOB", "U0BOSS", "U0CAROL"]


def test_a_failed_users_info_means_no_admin_rights(slack: SlackSender, fake_slack: FakeSlack, store: Store) -> None:
    group = store.groups.add(workspace_id=WORKSPACE, name="Failing Desk", actor="U0SETUP")
    item, _ = log_evidence(store, WORKSPACE, group, "IRP.SP2.1", actor="U0OTHER", note="a note", on=NOW.date())
    fake_slack.refuse("users.info", "user_not_found")
    fake_slack.set_user("U0MAYBE", is_admin=True)
    assert "Only the person who logged" in slack.command(f"evidence remove {item.id}", user="U0MAYBE").message["text"]


def test_the_users_time_zone_is_the_digest_default(slack: SlackSender, fake_slack: FakeSlack) -> None:
    fake_slack.set_user("U0TOKYO", tz="Asia/Tokyo")
    assert "Mondays at 09:00 Asia/Tokyo" in slack.command("digest on", user="U0TOKYO", channel="C0TOKYO").message["text"]


def test_digest_now_is_posted_in_the_channel_not_privately(slack: SlackSender, fake_slack: FakeSlack) -> None:
    sent = slack.command("digest now", channel="C0DIGEST", response="now")
    assert sent.status == 200 and sent.body == ""  # nothing private: the answer is in the channel
    [post] = fake_slack.wait_for("chat.postMessage")
    assert post.body["channel"] == "C0DIGEST" and post.body["text"].startswith("Weekly CMMI digest")
    fake_slack.quiet_for(0.2)
    assert fake_slack.calls(RESPONSE_URL) == []


def test_digest_now_where_the_bot_cannot_post_says_how_to_fix_it(slack: SlackSender, fake_slack: FakeSlack) -> None:
    fake_slack.refuse("chat.postMessage", "not_in_channel")
    assert slack.command("digest now", channel="C0PRIVATE").message["text"] == render.escape(CANNOT_POST_HERE)


@pytest.mark.parametrize("command", ["status", "gaps"])
def test_status_and_gaps_can_be_shared(slack: SlackSender, fake_slack: FakeSlack, command: str) -> None:
    *_, actions = [b for b in slack.command(command).message["blocks"] if b["type"] == "actions"]  # gaps has page buttons too
    share = actions["elements"][-1]
    assert share["action_id"] == render.SHARE_ACTION and share["value"] == command


def test_export_arrives_as_a_file_in_a_direct_message(slack: SlackSender, fake_slack: FakeSlack, app_ctx: Context) -> None:
    note = slack.command("export ML2", user="U0EXPORT").message
    assert note["response_type"] == "ephemeral" and "direct messages" in note["text"]
    [upload] = fake_slack.uploaded()
    [expected] = dispatch(Request("export ML2", user_id="U0EXPORT", workspace_id=WORKSPACE, transport="slack"), app_ctx).attachments
    assert upload["content"] == expected.content
    assert upload["filename"] == expected.filename and expected.filename in note["text"]
    [opened] = fake_slack.calls("conversations.open")
    assert opened.body["users"] == "U0EXPORT" and upload["channel"].startswith("D")
    assert fake_slack.calls("chat.postMessage") == []  # nothing in the channel


def shortcut(slack: SlackSender, *, team: str = TEAM_ID, channel: str = "C0WORK", ts: str = "1700000900.000900") -> None:
    payload = {
        "type": "message_action",
        "callback_id": view_listeners.LOG_EVIDENCE_SHORTCUT,
        "trigger_id": slack.next_id("trigger."),
        "team": {"id": team},
        "user": {"id": "U0ALICE", "team_id": team},
        "channel": {"id": channel},
        "message": {"type": "message", "text": "weekly review: <!channel> see notes &amp; actions", "ts": ts},
        "message_ts": ts,
        "response_url": slack.fake.response_url("shortcut"),
    }
    assert slack.interactive(payload).status == 200


def search(slack: SlackSender, query: str) -> list[dict[str, Any]]:
    sent = slack.interactive(
        {
            "type": "block_suggestion",
            "action_id": "practice",
            "block_id": "practice",
            "value": query,
            "team": {"id": TEAM_ID},
            "user": {"id": "U0ALICE", "team_id": TEAM_ID},
            "view": {"id": "V0FAKE", "callback_id": views.FORM_CALLBACK, "type": "modal"},
        }
    )
    assert sent.status == 200
    return json.loads(sent.body)["options"]


def submit(slack: SlackSender, view: dict[str, Any], values: dict[str, dict[str, Any]]) -> Any:
    state = {block: {block: value} for block, value in values.items()}
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM_ID},
        "user": {"id": "U0ALICE", "team_id": TEAM_ID},
        "trigger_id": slack.next_id("trigger."),
        "view": {**view, "id": "V0FAKE", "state": {"values": state}},
    }
    return slack.interactive(payload)


def test_log_as_evidence_from_shortcut_to_stored_permalink(slack: SlackSender, fake_slack: FakeSlack, store: Store) -> None:
    group = store.groups.add(workspace_id=WORKSPACE, name="Modal Desk", actor="U0SETUP")
    store.groups.add(workspace_id=WORKSPACE, name="Other Desk", actor="U0SETUP")
    store.groups.bind_channel(workspace_id=WORKSPACE, channel_id="C0WORK", group_id=group.id, actor="U0SETUP")
    shortcut(slack)
    [opened] = fake_slack.wait_for("views.open")
    view = opened.body["view"]
    assert view["callback_id"] == views.FORM_CALLBACK
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks["practice"]["element"]["type"] == "external_select"
    assert blocks["group"]["element"]["initial_option"]["value"] == str(group.id)  # the channel's group is preselected
    assert {o["text"]["text"] for o in blocks["group"]["element"]["options"]} >= {"Modal Desk", "Other Desk"}
    assert blocks["note"]["element"]["max_length"] == 2000
    # The message's link is asked for when the form opens, so a failure shows before anyone types anything; it and
    # the message's text are prefilled.
    [permalink_call] = fake_slack.calls("chat.getPermalink")
    assert (permalink_call.body["channel"], permalink_call.body["message_ts"]) == ("C0WORK", "1700000900.000900")
    link = "https://fake.slack.test/archives/C0WORK/p1700000900000900"
    assert blocks["link"]["element"]["initial_value"] == link
    assert blocks["note"]["element"]["initial_value"] == "weekly review: <!channel> see notes & actions"  # as typed, unescaped
    assert json.loads(view["private_metadata"]) == {"command": "evidence add", "channel": "C0WORK", "hidden": {}}

    options = search(slack, "progress review")
    assert options[0]["value"] == "WMC.SP1.6" and options[0]["text"]["text"] == "WMC.SP1.6 Conduct Progress Reviews"
    assert all(len(o["text"]["text"]) <= 75 for o in options) and len(options) <= 100
    generic = search(slack, "WMC GP2.8")
    assert generic[0]["value"] == "WMC.GP2.8"
    assert len(search(slack, "GP2.8")) <= 100

    chosen = {"type": "external_select", "selected_option": options[0]}
    good = {
        "practice": chosen,
        "group": {"type": "static_select", "selected_option": {"value": str(group.id)}},
        "kind": {"type": "static_select", "selected_option": {"value": "artifact"}},
        "link": {"type": "plain_text_input", "value": link},
        "note": {"type": "plain_text_input", "value": "review minutes <@U123>"},
        "date": {"type": "datepicker", "selected_date": "2026-11-20"},
    }
    sent = submit(slack, view, good)
    assert sent.status == 200 and sent.body == ""  # a plain ack closes the modal
    [item] = store.evidence.list(
        workspace_id=WORKSPACE, group_id=group.id, practice_keys={"WMC.SP1.6"}
    )  # stored before the ack closed the form
    assert item.link == link
    assert (item.note, item.kind, item.evidence_date.isoformat(), item.created_by) == (
        "review minutes <@U123>",
        "artifact",
        "2026-11-20",
        "U0ALICE",
    )
    [confirmation] = fake_slack.wait_for("chat.postEphemeral")
    assert confirmation.body["channel"] == "C0WORK" and confirmation.body["user"] == "U0ALICE"
    assert "&lt;@U123&gt;" in text_of(confirmation.body) and "<@U123>" not in text_of(confirmation.body)

    fake_slack.reset()
    bad = {**good, "date": {"type": "datepicker", "selected_date": "2027-05-01"}, "note": {"value": "x" * 2001}}
    del bad["practice"]
    sent = submit(slack, view, bad)
    errors = json.loads(sent.body)
    assert errors["response_action"] == "errors"  # the modal stays open with what was typed
    assert set(errors["errors"]) == {"practice", "note", "date"}
    assert "future" in errors["errors"]["date"]
    fake_slack.quiet_for(0.2)
    assert [c.method for c in fake_slack.calls()] == ["users.info"] or fake_slack.calls() == []
    assert len(store.evidence.list(workspace_id=WORKSPACE, group_id=group.id)) == 1  # nothing more was stored


def test_the_shortcut_in_a_workspace_without_groups_says_how_to_create_one(slack: SlackSender, fake_slack: FakeSlack) -> None:
    shortcut(slack, team="T0EMPTY")
    [opened] = fake_slack.wait_for("views.open")
    assert "submit" not in opened.body["view"] and "group add" in text_of(opened.body["view"])


def test_app_home_shows_my_evidence_coverage_and_how_to_start(slack: SlackSender, fake_slack: FakeSlack, store: Store) -> None:
    group = store.groups.add(workspace_id=WORKSPACE, name="Home Desk", actor="U0SETUP")
    log_evidence(store, WORKSPACE, group, "SD.SP3.1", actor="U0HOME", link="https://wiki.example.com/home-sd", on=NOW.date())
    log_evidence(store, WORKSPACE, group, "CM.SP1.1", actor="U0ELSE", link="https://wiki.example.com/not-mine", on=NOW.date())
    assert slack.event({"type": "app_home_opened", "user": "U0HOME", "channel": "D0HOME", "tab": "home"}).status == 200
    [published] = fake_slack.wait_for("views.publish")
    assert published.body["user_id"] == "U0HOME"
    view = published.body["view"]
    shown = text_of(view)
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    assert "<https://wiki.example.com/home-sd|https://wiki.example.com/home-sd>" in shown and "not-mine" not in shown  # a link
    assert "Your recent evidence (1)" in shown
    assert "ML2 ░░░" in shown and "Top gaps for ML2" in shown and "How to start" in shown  # progress bars per level
    buttons = [e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    logs = [e["value"] for e in buttons if e["action_id"].startswith("cmmi:log_evidence:")]
    assert len(logs) == 5 and all(v.startswith("evidence form ") for v in logs)  # each top gap has Log evidence
    [mine] = store.evidence.list(workspace_id=WORKSPACE, created_by="U0HOME")
    assert [e["value"] for e in buttons if e["action_id"].startswith("cmmi:remove:")] == [f"evidence remove {mine.id}"]
    assert any(e["action_id"].startswith("cmmi:home:") and e["type"] == "static_select" for e in buttons)  # the work-group filter


def test_a_command_that_says_payload_is_still_a_command(slack: SlackSender, store: Store) -> None:
    # Bolt takes any form body containing "payload" for an interaction; the server parses such a command again.
    store.groups.add(workspace_id=WORKSPACE, name="Payload Desk", actor="U0SETUP")
    sent = slack.command('evidence add WMC.SP1.6 payload size alerts are reviewed weekly --group "Payload Desk"', user="U0PAY")
    assert sent.status == 200 and sent.message["text"].startswith("Logged evidence #")
    [item] = store.evidence.list(workspace_id=WORKSPACE, created_by="U0PAY")
    assert item.note == "payload size alerts are reviewed weekly"
