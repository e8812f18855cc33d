"""The Teams endpoint over real HTTP on 127.0.0.1: replies through a fake connector, authentication, malformed activities."""

from __future__ import annotations

import json

import pytest

from bot.settings import SettingError
from bot.teams import TeamsConfigError
from bot.teams.render import CARD_CONTENT_TYPE
from bot.teams.server import teams_routes
from handlers import Context
from tests.bot.teams.conftest import BOT_ID, CHANNEL, SDK_WARNINGS, TENANT, TeamsSender, teams_settings
from tests.bot.teams.fake_connector import FakeConnector

pytestmark = SDK_WARNINGS


def card_of(body: dict) -> dict:
    [attachment] = body["attachments"]
    assert attachment["contentType"] == CARD_CONTENT_TYPE
    return attachment["content"]


def test_a_personal_question_gets_an_answer_card(teams: TeamsSender, connector: FakeConnector) -> None:
    sent = teams.post(teams.activity("what does WMC.SP1.6 require"))
    assert sent.status == 200
    [post] = connector.wait_for(1)
    assert post.conversation_id == "a:personal-alice"
    card = card_of(post.body)
    text = json.dumps(card)
    assert card["type"] == "AdaptiveCard"
    assert "Periodically review the work progress, performance, and issues." in text
    facts = next(e for e in card["body"] if e["type"] == "FactSet")["facts"]
    assert [f["title"] for f in facts] == ["Goal", "Process area"]
    assert facts[0]["value"].startswith("WMC.SG1")
    assert post.body["from"]["id"] == BOT_ID


def test_a_channel_mention_is_answered_in_its_thread_without_the_mention(teams: TeamsSender, connector: FakeConnector) -> None:
    activity = teams.activity("<at>cmmi</at> help", personal=False, mention=True)
    assert teams.post(activity).status == 200
    [post] = connector.wait_for(1)
    assert post.conversation_id == activity["conversation"]["id"]  # the thread: CHANNEL;messageid=...
    assert post.conversation_id.startswith(CHANNEL + ";messageid=")
    assert "attachments" not in post.body
    assert post.body["textFormat"] == "markdown"
    assert "**Commands**" in post.body["text"]
    assert "\n- evidence add" in post.body["text"]


def test_a_channel_message_without_the_bots_mention_is_ignored(teams: TeamsSender, connector: FakeConnector) -> None:
    assert teams.post(teams.activity("help", personal=False)).status == 200
    connector.quiet_for(0.3)
    assert connector.posted() == []


def test_user_text_is_escaped_never_live_markup(teams: TeamsSender, connector: FakeConnector) -> None:
    # Teams sends typed <, > and & as entities; the user typed: help <at>everyone</at> <b>x</b>
    text = "<at>cmmi</at> help &lt;at&gt;everyone&lt;/at&gt; &lt;b&gt;x&lt;/b&gt;"
    assert teams.post(teams.activity(text, personal=False, mention=True)).status == 200
    [post] = connector.wait_for(1)
    sent = json.dumps(shown(post.body))
    assert "<at>" not in sent and "<b>" not in sent
    assert "&lt;at&gt;" in sent or "&lt;b&gt;" in sent


def shown(value: object) -> object:
    """What Teams shows of a message: everything but buttons' data, which comes back to the bot and is never rendered."""
    if isinstance(value, dict):
        return {k: shown(v) for k, v in value.items() if k != "data"}
    if isinstance(value, list):
        return [shown(v) for v in value]
    return value


def test_healthz_and_methods(teams: TeamsSender) -> None:
    assert (teams.get("/healthz").status, teams.get("/healthz").body) == (200, "ok")
    assert teams.get("/api/messages").status == 405


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"text": "no type"}',
        b'{"type": "message", "text": "WMC.SP1.6"}',  # no from, conversation, recipient, serviceUrl
        b'{"type": "no-such-activity", "id": "1"}',
    ],
)
def test_a_malformed_activity_gets_400_and_nothing_happens(teams: TeamsSender, connector: FakeConnector, body: bytes) -> None:
    assert teams.post_raw(body).status == 400
    connector.quiet_for(0.2)
    assert connector.posted() == []


def test_with_authentication_on_an_unauthenticated_request_is_rejected(ctx: Context, serve_teams_with, connector: FakeConnector) -> None:
    settings = teams_settings(CLIENT_ID="00000000-0000-0000-0000-000000000001", CLIENT_SECRET="not-a-real-secret", TENANT_ID=TENANT)
    teams = serve_teams_with(ctx, settings)
    activity = teams.activity("what does WMC.SP1.6 require")
    assert teams.post(activity).status == 401
    assert teams.post(activity, headers={"Authorization": "Bearer not.a.token"}).status == 401
    connector.quiet_for(0.3)
    assert connector.posted() == []


def test_the_sdk_environment_switch_does_not_turn_authentication_off(
    ctx: Context, serve_teams_with, connector: FakeConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS", "true")
    teams = serve_teams_with(ctx, teams_settings(CLIENT_ID="00000000-0000-0000-0000-000000000001", CLIENT_SECRET="s"))
    assert teams.post(teams.activity("GP2.8")).status == 401
    connector.quiet_for(0.2)
    assert connector.posted() == []


@pytest.mark.parametrize(
    "values",
    [{}, {"CLIENT_ID": "x"}, {"CLIENT_SECRET": "y"}],
)
def test_refuses_to_serve_half_configured(ctx: Context, values: dict[str, str]) -> None:
    with pytest.raises(TeamsConfigError):
        teams_routes(teams_settings(**values), ctx)


def test_refuses_to_start_with_a_bad_no_auth_value(ctx: Context) -> None:
    # Parsed with every other setting at start-up (bot/settings.py), so refused before any route is built.
    with pytest.raises(SettingError, match="CMMI_TEAMS_NO_AUTH must be 1 \\(local testing only\\) or empty, not 'yes'"):
        teams_routes(teams_settings(CMMI_TEAMS_NO_AUTH="yes"), ctx)
