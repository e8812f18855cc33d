"""Teams on a par with Slack, over real HTTP on 127.0.0.1 with a fake connector: buttons, dialogs, the message extension,
the welcome, files through consent, people by name, announcements, the dashboard. Every card sent is checked (conftest)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

import handlers.group
from bot.teams.render import CARD_CONTENT_TYPE, FILE_CONSENT_TYPE, FILE_INFO_TYPE
from handlers import Context, Reply, Request
from store import EvidenceItem
from tests.bot.teams.conftest import BOT_ID, CHANNEL, SDK_WARNINGS, TENANT, TeamsSender
from tests.bot.teams.fake_connector import FakeConnector
from tests.helpers import log_evidence

pytestmark = [*SDK_WARNINGS, pytest.mark.calendar]  # evidence dates come from the store's injected clock
WORKSPACE = f"teams:{TENANT}"


def log_on_desk(db_ctx: Context, practice_key: str = "WMC.SP1.6", **details: Any) -> tuple[EvidenceItem, bool]:
    """Evidence logged on the desk fixture's group, the workspace's only one."""
    store = db_ctx.store
    return log_evidence(store, WORKSPACE, store.groups.list(workspace_id=WORKSPACE)[0], practice_key, **details)


def card_of(body: dict[str, Any]) -> dict[str, Any]:
    [attachment] = body["attachments"]
    assert attachment["contentType"] == CARD_CONTENT_TYPE
    return attachment["content"]


def walk(value: Any) -> list[dict[str, Any]]:
    """Every object inside a card, depth first."""
    found, stack = [], [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.append(item)
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return found


def buttons(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["title"]: a for a in walk(card) if a.get("type") in ("Action.Submit", "Action.OpenUrl")}


def inputs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in walk(card) if str(e.get("type", "")).startswith("Input.")}


def texts(card: dict[str, Any]) -> str:
    return (
        "\n".join(e["text"] for e in walk(card) if e.get("type") == "TextBlock")
        + "\n"
        + json.dumps([f for e in walk(card) if e.get("type") == "FactSet" for f in e["facts"]], ensure_ascii=False)
    )


def dialog_card(answer: dict[str, Any]) -> dict[str, Any]:
    task = answer["task"]
    assert task["type"] == "continue", task
    assert task["value"]["card"]["contentType"] == CARD_CONTENT_TYPE
    return task["value"]["card"]["content"]


def said(connector: FakeConnector, n: int) -> dict[str, Any]:
    return connector.wait_for(n)[n - 1].body


@pytest.fixture
def desk(db_ctx: Context) -> int:
    return db_ctx.store.groups.add(workspace_id=WORKSPACE, name="Service Desk", actor="aad-alice").id


# ---- action → dialog → submit ----------------------------------------------------------------


def test_log_evidence_opens_a_dialog_whose_errors_keep_it_open_and_whose_success_stores_once(
    db_ctx: Context, serve_teams_with, connector: FakeConnector, desk: int
) -> None:
    teams: TeamsSender = serve_teams_with(db_ctx)
    assert teams.post(teams.activity("what does WMC.SP1.6 require")).status == 200
    answer = card_of(said(connector, 1))
    log_button = buttons(answer)["Log evidence"]
    assert log_button["type"] == "Action.Submit" and log_button["data"]["msteams"] == {"type": "task/fetch"}
    assert {"Rate", "Goal WMC.SG1", "Process area WMC"} <= set(buttons(answer))

    opened = teams.invoke("task/fetch", {"type": "task/fetch", "data": log_button["data"]})
    assert opened.status == 200
    form = dialog_card(json.loads(opened.body))
    fields = inputs(form)
    assert fields["practice"]["value"] == "WMC.SP1.6" and fields["practice"]["style"] == "filtered"
    assert {c["value"] for c in fields["group"]["choices"]} == {str(desk)}
    submit = buttons(form)["Log"]["data"]

    bad = {**submit, "practice": "WMC.SP1.6", "group": str(desk), "kind": "artifact", "link": "htp:/nowhere", "note": "weekly minutes"}
    kept = teams.invoke("task/submit", {"data": bad})
    again = dialog_card(json.loads(kept.body))
    assert inputs(again)["link"]["value"] == "htp:/nowhere" and inputs(again)["note"]["value"] == "weekly minutes"
    errors = [e["text"] for e in walk(again) if e.get("color") == "Attention"]
    assert any("is not a valid link" in e for e in errors)
    assert db_ctx.store.evidence.list(workspace_id=WORKSPACE) == []

    good = teams.activity("")
    good.update(type="invoke", name="task/submit", value={"data": {**bad, "link": "https://wiki.example.com/review"}})
    done = teams.post(good)
    assert done.status == 200 and done.body in ("", "null")  # the dialog closes
    [item] = db_ctx.store.evidence.list(workspace_id=WORKSPACE)
    assert (item.practice_key, item.link, item.note, item.created_by) == (
        "WMC.SP1.6",
        "https://wiki.example.com/review",
        "weekly minutes",
        "aad-alice",
    )
    assert "Logged evidence #" in texts(card_of(said(connector, 2)))  # the confirmation, where the button was

    retry = teams.post(good)  # the connector sends the same activity again
    assert "already received" in json.loads(retry.body)["task"]["value"]
    assert len(db_ctx.store.evidence.list(workspace_id=WORKSPACE)) == 1


def test_answers_in_peoples_own_words_carry_feedback_buttons(teams: TeamsSender, connector: FakeConnector) -> None:
    teams.post(teams.activity("how do we review progress with the team every week"))
    answer = buttons(card_of(said(connector, 1)))
    assert answer["👍 Helpful"]["data"]["cmmi"] == {
        "kind": "feedback",
        "command": "feedback good how do we review progress with the team every week",
    }
    assert "👎 Not helpful" in answer and "Log evidence" in answer


@pytest.mark.parametrize(
    ("typed", "practice"), [("evidence form wmc.sp1.6", "WMC.SP1.6"), ("evidence form 1", "WMC.SP1.7"), ("evidence form", None)]
)
def test_a_typed_form_offers_a_button_that_opens_it(
    db_ctx: Context, serve_teams_with, connector: FakeConnector, desk: int, typed: str, practice: str | None
) -> None:
    teams = serve_teams_with(db_ctx)
    log_on_desk(db_ctx, "WMC.SP1.7", actor="aad-alice", link="https://x.example", note="old note")
    teams.post(teams.activity(typed))
    button = buttons(card_of(said(connector, 1)))["Open the form"]
    assert button["data"]["msteams"] == {"type": "task/fetch"}
    form = inputs(dialog_card(json.loads(teams.invoke("task/fetch", {"data": button["data"]}).body)))
    assert form["practice"].get("value") == practice
    if typed.endswith(" 1"):
        assert form["note"]["value"] == "old note"  # replacing evidence #1: its values come back


def test_rate_opens_its_dialog_and_stores_the_rating(db_ctx: Context, serve_teams_with, connector: FakeConnector, desk: int) -> None:
    teams = serve_teams_with(db_ctx)
    teams.post(teams.activity("WMC.SP1.6"))
    rate = buttons(card_of(said(connector, 1)))["Rate"]
    form = dialog_card(json.loads(teams.invoke("task/fetch", {"data": rate["data"]}).body))
    assert {c["value"] for c in inputs(form)["rating"]["choices"]} == {"FI", "LI", "PI", "NI", "NY"}
    data = {**buttons(form)["Rate"]["data"], "practice": "WMC.SP1.6", "group": str(desk), "rating": "LI", "note": "mostly"}
    assert teams.invoke("task/submit", {"data": data}).status == 200
    assert db_ctx.store.ratings.current(workspace_id=WORKSPACE)[(desk, "WMC.SP1.6")].value == "LI"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("task/fetch", {"data": {"msteams": {"type": "task/fetch"}, "cmmi": {"kind": "log_evidence", "command": "evidence remove 1"}}}),
        ("task/fetch", {"data": {"cmmi": {"kind": "no-such-kind", "command": "evidence form WMC.SP1.6"}}}),
        ("task/submit", {"data": {"cmmi_form": {"command": "evidence remove 1", "hidden": {}}}}),
        ("task/submit", {"data": {"practice": "WMC.SP1.6"}}),
    ],
)
def test_a_crafted_dialog_runs_nothing(
    db_ctx: Context, serve_teams_with, connector: FakeConnector, desk: int, name: str, value: dict[str, Any]
) -> None:
    teams = serve_teams_with(db_ctx)
    item, _ = log_on_desk(db_ctx, actor="aad-alice", link="https://x.example")
    answer = json.loads(teams.invoke(name, value).body)
    assert answer["task"]["type"] == "message" and "not one cmmi-bot offered" in answer["task"]["value"]
    assert db_ctx.store.evidence.get(workspace_id=WORKSPACE, evidence_id=item.id)[0].removed_at is None


def test_a_crafted_button_runs_nothing(db_ctx: Context, serve_teams_with, connector: FakeConnector, desk: int) -> None:
    teams = serve_teams_with(db_ctx)
    item, _ = log_on_desk(db_ctx, actor="aad-alice", link="https://x.example")
    pressed = teams.activity("", personal=False)
    pressed["value"] = {"cmmi": {"kind": "show", "command": "evidence remove 1"}}
    assert teams.post(pressed).status == 200
    assert "not one cmmi-bot offered" in said(connector, 1)["text"]
    assert db_ctx.store.evidence.get(workspace_id=WORKSPACE, evidence_id=item.id)[0].removed_at is None


def test_a_button_pressed_in_a_channel_runs_its_command_without_a_mention(
    db_ctx: Context, serve_teams_with, connector: FakeConnector
) -> None:
    teams = serve_teams_with(db_ctx)
    teams.post(teams.activity("<at>cmmi</at> WMC.SP1.6", personal=False, mention=True))
    goal = buttons(card_of(said(connector, 1)))["Goal WMC.SG1"]
    pressed = teams.activity("", personal=False)
    pressed["value"] = goal["data"]
    assert teams.post(pressed).status == 200
    shown = card_of(said(connector, 2))
    assert "WMC.SG1" in texts(shown) and "You asked" not in texts(shown)


# ---- the message extension ---------------------------------------------------------------------


def message_payload() -> dict[str, Any]:
    return {
        "id": "1700000000123",
        "body": {"contentType": "html", "content": "<p>Weekly progress review minutes &amp; <b>actions</b></p><p>see the board</p>"},
        "linkToMessage": "https://teams.microsoft.com/l/message/19:abc@thread.tacv2/1700000000123?tenantId=t",
        "from": {"user": {"id": "aad-bob", "displayName": "Bob"}},
    }


def test_log_as_evidence_from_a_message_prefills_the_form_and_stores_it(
    db_ctx: Context, serve_teams_with, connector: FakeConnector, desk: int
) -> None:
    teams = serve_teams_with(db_ctx)
    value = {"commandId": "logAsEvidence", "commandContext": "message", "messagePayload": message_payload()}
    opened = teams.invoke("composeExtension/fetchTask", value, personal=False)
    form = dialog_card(json.loads(opened.body))
    fields = inputs(form)
    assert fields["link"]["value"] == message_payload()["linkToMessage"]
    assert fields["note"]["value"] == "Weekly progress review minutes & actions\nsee the board"
    suggested = [c["value"] for c in fields["practice"]["choices"][:5]]
    assert "WMC.SP1.6" in suggested  # "progress review" finds Conduct Progress Reviews first
    data = {**buttons(form)["Log"]["data"], "practice": "WMC.SP1.6", "group": str(desk), "kind": "artifact"}
    data.update(link=fields["link"]["value"], note=fields["note"]["value"])
    stored = json.loads(teams.invoke("composeExtension/submitAction", {**value, "data": data}, personal=False).body)
    assert stored["task"]["type"] == "message" and stored["task"]["value"].startswith("Logged evidence #")
    [item] = db_ctx.store.evidence.list(workspace_id=WORKSPACE)
    assert item.link == message_payload()["linkToMessage"] and item.note.startswith("Weekly progress review minutes & actions")


def test_the_message_extension_keeps_the_dialog_open_on_errors(
    db_ctx: Context, serve_teams_with, connector: FakeConnector, desk: int
) -> None:
    teams = serve_teams_with(db_ctx)
    value = {"commandId": "logAsEvidence", "commandContext": "message", "messagePayload": message_payload()}
    form = dialog_card(json.loads(teams.invoke("composeExtension/fetchTask", value).body))
    data = {**buttons(form)["Log"]["data"], "practice": "", "group": str(desk), "note": "typed by me"}
    again = dialog_card(json.loads(teams.invoke("composeExtension/submitAction", {**value, "data": data}).body))
    assert inputs(again)["note"]["value"] == "typed by me"
    assert any("Pick a practice" in e["text"] for e in walk(again) if e.get("color") == "Attention")
    assert db_ctx.store.evidence.list(workspace_id=WORKSPACE) == []


def test_the_message_extension_without_work_groups_says_what_to_do(db_ctx: Context, serve_teams_with, connector: FakeConnector) -> None:
    teams = serve_teams_with(db_ctx)
    value = {"commandId": "logAsEvidence", "commandContext": "message", "messagePayload": message_payload()}
    answer = json.loads(teams.invoke("composeExtension/fetchTask", value).body)
    assert answer["task"]["type"] == "message" and 'group add "Service Desk"' in answer["task"]["value"]


# ---- the welcome -------------------------------------------------------------------------------


@pytest.mark.parametrize("scope", ["personal", "groupChat", "channel"])
def test_the_bot_says_welcome_once_when_it_is_added(db_ctx: Context, serve_teams_with, connector: FakeConnector, scope: str) -> None:
    teams = serve_teams_with(db_ctx)
    update = teams.activity("", personal=scope == "personal")
    update.pop("text")
    update["conversation"]["conversationType"] = scope
    update.update(type="conversationUpdate", membersAdded=[{"id": BOT_ID}])
    assert teams.post(update).status == 200
    card = card_of(said(connector, 1))
    shown = texts(card)
    assert "Hello! I'm cmmi-bot" in shown and "what does WMC.SP1.6 require" in shown and "evidence add" in shown
    assert teams.post(update).status == 200  # a retry
    person = teams.activity("", personal=scope == "personal")
    person.pop("text")
    person.update(type="conversationUpdate", membersAdded=[{"id": "29:carol"}])
    assert teams.post(person).status == 200
    connector.quiet_for(0.3)
    assert len(connector.posted()) == 1


# ---- files -------------------------------------------------------------------------------------


def consent_of(body: dict[str, Any]) -> dict[str, Any]:
    [attachment] = body["attachments"]
    assert attachment["contentType"] == FILE_CONSENT_TYPE
    return attachment


def test_export_in_personal_chat_uploads_the_file_on_accept(db_ctx: Context, serve_teams_with, connector: FakeConnector, desk: int) -> None:
    teams = serve_teams_with(db_ctx)
    teams.post(teams.activity('evidence add WMC.SP1.6 https://wiki.example.com/r minutes --group "Service Desk"'))
    said(connector, 1)
    teams.post(teams.activity("export ML2 --format csv"))  # the workbook goes the same way (see the decline test)
    consent = consent_of(said(connector, 3))
    assert consent["name"].endswith(".csv") and consent["content"]["sizeInBytes"] > 100
    context = consent["content"]["acceptContext"]
    upload = {
        "name": consent["name"],
        "uploadUrl": connector.upload_url(consent["name"]),
        "contentUrl": "https://contoso.sharepoint.com/x.csv",
        "uniqueId": "u-1",
        "fileType": "csv",
    }
    accepted = teams.invoke("fileConsent/invoke", {"type": "fileUpload", "action": "accept", "context": context, "uploadInfo": upload})
    assert accepted.status == 200
    [put] = connector.uploads()
    rows = list(csv.reader(io.StringIO(put.content.decode("utf-8"))))
    assert (
        rows[0][:4] == ["process_area", "process_area_name", "goal", "practice"] and len(put.content) == consent["content"]["sizeInBytes"]
    )
    assert put.headers["Content-Range"] == f"bytes 0-{len(put.content) - 1}/{len(put.content)}"
    info = said(connector, 4)["attachments"][0]
    assert info["contentType"] == FILE_INFO_TYPE and info["content"] == {"uniqueId": "u-1", "fileType": "csv"}
    assert "cmmi-bot say" not in json.dumps([p.body for p in connector.posted()])


def test_a_declined_file_is_said_and_nothing_is_uploaded(db_ctx: Context, serve_teams_with, connector: FakeConnector, desk: int) -> None:
    teams = serve_teams_with(db_ctx)
    teams.post(teams.activity("export"))
    consent = consent_of(said(connector, 2))
    assert consent["name"].endswith(".xlsx")  # the workbook is the default in chat
    declined = teams.invoke(
        "fileConsent/invoke", {"type": "fileUpload", "action": "decline", "context": consent["content"]["declineContext"]}
    )
    assert declined.status == 200
    assert "You declined" in said(connector, 3)["text"]
    assert connector.uploads() == []


def test_a_crafted_consent_uploads_nothing(db_ctx: Context, serve_teams_with, connector: FakeConnector, desk: int) -> None:
    teams = serve_teams_with(db_ctx)
    upload = {"name": "x.csv", "uploadUrl": connector.upload_url("x.csv"), "contentUrl": "https://x", "uniqueId": "u", "fileType": "csv"}
    context = {"command": "evidence remove 1", "channel": "a:personal-alice", "index": 0}
    teams.invoke("fileConsent/invoke", {"type": "fileUpload", "action": "accept", "context": context, "uploadInfo": upload})
    assert "not one cmmi-bot made" in said(connector, 1)["text"]
    elsewhere = {**upload, "uploadUrl": "http://files.example.com/upload/x.csv"}
    teams.invoke(
        "fileConsent/invoke",
        {"type": "fileUpload", "action": "accept", "context": {**context, "command": "export"}, "uploadInfo": elsewhere},
    )
    assert "not one cmmi-bot made" in said(connector, 2)["text"]
    assert connector.uploads() == []


def test_export_in_a_channel_goes_to_the_personal_chat(db_ctx: Context, serve_teams_with, connector: FakeConnector, desk: int) -> None:
    teams = serve_teams_with(db_ctx)
    asked = teams.activity("<at>cmmi</at> export", personal=False, mention=True)
    teams.post(asked)
    posts = connector.wait_for(3)
    [opened] = connector.conversations()
    assert opened["members"] == [{"id": "29:alice"}] and opened["tenantId"] == TENANT
    personal = [p for p in posts if p.conversation_id == "a:personal-29:alice"]
    assert any(p.body.get("attachments", [{}])[0].get("contentType") == FILE_CONSENT_TYPE for p in personal)
    [in_channel] = [p for p in posts if p.conversation_id == asked["conversation"]["id"]]
    card = card_of(in_channel.body)
    assert "I sent" in texts(card)
    assert buttons(card)["Open personal chat"]["url"] == f"https://teams.microsoft.com/l/chat/0/0?users={BOT_ID}"


def test_export_in_a_channel_without_a_personal_chat_offers_the_way_there(
    db_ctx: Context, serve_teams_with, connector: FakeConnector, desk: int
) -> None:
    teams = serve_teams_with(db_ctx)
    connector.refuse_conversations = True
    teams.post(teams.activity('<at>cmmi</at> export --group "Service Desk"', personal=False, mention=True))
    [post] = connector.wait_for(1)
    card = card_of(post.body)
    assert 'Open our personal chat and type **export --group "Service Desk"** there' in texts(card)
    assert "Open personal chat" in buttons(card)
    assert "cmmi-bot say" not in json.dumps(post.body)


# ---- people, announcements, the dashboard ---------------------------------------------------------


def test_people_are_shown_by_their_teams_name(db_ctx: Context, serve_teams_with, connector: FakeConnector, desk: int) -> None:
    teams = serve_teams_with(db_ctx)
    teams.post(teams.activity('evidence add WMC.SP1.6 https://wiki.example.com/r minutes --group "Service Desk"'))  # from Alice
    evidence_id = db_ctx.store.evidence.list(workspace_id=WORKSPACE)[0].id
    log_on_desk(db_ctx, "WMC.SP1.7", actor="aad-0123456789-stranger", link="https://y.example")
    bob = teams.activity(f"evidence show {evidence_id}", user="29:bob", aad="aad-bob", conversation="a:personal-bob")
    bob["from"]["name"] = "Bob"
    teams.post(bob)
    shown = texts(card_of(said(connector, 2)))
    assert "by Alice at" in shown and "aad-alice" not in shown
    assert "UTC Alice evidence.add" in shown  # the audit line names her too
    bob = teams.activity(f"evidence show {evidence_id + 1}", user="29:bob", aad="aad-bob", conversation="a:personal-bob")
    bob["from"]["name"] = "Bob"
    teams.post(bob)
    assert "by someone (aad-0123…)" in texts(card_of(said(connector, 3)))
    assert db_ctx.store.people.names(workspace_id=WORKSPACE, user_ids=["aad-alice", "aad-bob"]) == {"aad-alice": "Alice", "aad-bob": "Bob"}


@pytest.fixture
def announcing(monkeypatch: pytest.MonkeyPatch):
    """`group use` with an announcement, as the core's change for channel-wide commands will make it say."""
    real = handlers.group.handle

    def handle(request: Request, ctx: Context) -> Reply:
        from dataclasses import replace

        reply = real(request, ctx)
        return replace(reply, announce=reply.text) if request.text.split()[1:2] == ["use"] else reply

    monkeypatch.setattr(handlers.group, "handle", handle)


def test_a_channel_wide_change_is_announced_in_the_channel_naming_who(
    db_ctx: Context, serve_teams_with, connector: FakeConnector, desk: int, announcing
) -> None:
    teams = serve_teams_with(db_ctx)
    asked = teams.activity("<at>cmmi</at> group use Service Desk", personal=False, mention=True)
    teams.post(asked)
    posts = connector.wait_for(2)
    [top] = [p for p in posts if p.conversation_id == CHANNEL]  # a new post in the channel, for everyone
    shown = texts(card_of(top.body))
    assert 'This channel now logs to "Service Desk"' in shown and "Changed by Alice" in shown
    assert any(p.conversation_id == asked["conversation"]["id"] for p in posts)  # and the answer in the thread
    teams.post(teams.activity("group use Service Desk"))  # a personal chat: nobody else to tell
    connector.wait_for(3)
    connector.quiet_for(0.3)
    assert len(connector.posted()) == 3


def test_status_in_personal_chat_is_the_dashboard_with_filters(
    db_ctx: Context, serve_teams_with, connector: FakeConnector, desk: int
) -> None:
    db_ctx.store.groups.add(workspace_id=WORKSPACE, name="Change Board", actor="aad-alice")
    teams = serve_teams_with(db_ctx)
    teams.post(teams.activity("status"))
    card = card_of(said(connector, 1))
    assert "Readiness: the whole workspace" in texts(card)
    [menu] = [i for i in inputs(card).values() if i["type"] == "Input.ChoiceSet"]
    assert {c["value"] for c in menu["choices"]} == {"Service Desk", "Change Board"}
    show = next(b for b in buttons(card).values() if b["data"].get("cmmi", {}).get("choice") == menu["id"])
    assert any(b["data"].get("msteams") == {"type": "task/fetch"} for b in buttons(card).values())  # a gap's Log evidence
    pressed = teams.activity("")
    pressed["value"] = {**show["data"], menu["id"]: "Change Board"}
    teams.post(pressed)
    assert "Readiness: Change Board" in texts(card_of(said(connector, 2)))
