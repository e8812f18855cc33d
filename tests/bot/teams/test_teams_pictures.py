"""Charts in Teams, over real HTTP against the fake connector: `status --chart` shows the heatmap inline in a personal chat
(a data-URL image beside the card, no file consent), points to the personal chat from a channel, and a digest with
--chart carries it inline."""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.scheduler import run_due
from bot.teams.digests import TeamsDeliverer
from bot.teams.render import CARD_CONTENT_TYPE, FILE_CONSENT_TYPE, MAX_ACTIVITY_BYTES
from bot.teams.sdk import new_app
from handlers import Attachment, Context, Reply, Section
from store import Subscription
from tests.bot.teams.conftest import BOT_ID, CHANNEL, SDK_WARNINGS, TENANT, TeamsSender, teams_settings
from tests.bot.teams.fake_connector import FakeConnector
from tests.conftest import Clock

pytestmark = [*SDK_WARNINGS, pytest.mark.calendar]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DATA_URL = "data:image/png;base64,"


def png_size(attachment: dict[str, Any]) -> tuple[int, int]:
    """The width and height a PNG data-URL attachment says in its IHDR chunk (asserting it is a PNG at all)."""
    assert attachment["contentType"] == "image/png"
    url = attachment["contentUrl"]
    assert url.startswith(DATA_URL)
    png = base64.b64decode(url[len(DATA_URL) :], validate=True)
    assert png[:8] == PNG_SIGNATURE
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def with_a_group(teams: TeamsSender, connector: FakeConnector) -> None:
    """A work group, so status has something to chart; the fake starts empty again after it."""
    teams.post(teams.activity("group add Service Desk"))
    connector.wait_for(1)
    connector.reset()


def kinds(body: dict[str, Any]) -> list[str]:
    return [a["contentType"] for a in body.get("attachments") or []]


def card_text(body: dict[str, Any]) -> str:
    return json.dumps([a["content"] for a in body["attachments"] if a["contentType"] == CARD_CONTENT_TYPE])


def test_status_chart_in_personal_chat_is_an_inline_picture_beside_the_card(
    db_ctx: Context, serve_teams_with, connector: FakeConnector
) -> None:
    teams: TeamsSender = serve_teams_with(db_ctx)
    with_a_group(teams, connector)
    teams.post(teams.activity("status ML2 --chart"))
    [post] = connector.wait_for(1)
    assert post.conversation_id == "a:personal-alice"
    assert kinds(post.body) == [CARD_CONTENT_TYPE, "image/png"]
    assert "ML2" in card_text(post.body)
    picture = post.body["attachments"][1]
    width, height = png_size(picture)
    assert width >= 600 and height > 0
    assert picture["name"].startswith("cmmi-readiness-ML2-") and picture["name"].endswith(".png")
    connector.quiet_for(0.3)
    assert len(connector.posted()) == 1  # no file consent card follows
    assert FILE_CONSENT_TYPE not in json.dumps([p.body for p in connector.posted()])
    assert connector.conversations() == []


def test_status_chart_for_a_group_in_personal_chat_is_the_report_with_its_picture_not_the_dashboard(
    db_ctx: Context, serve_teams_with, connector: FakeConnector
) -> None:
    teams: TeamsSender = serve_teams_with(db_ctx)
    with_a_group(teams, connector)
    teams.post(teams.activity('status --group "Service Desk" --chart'))
    [post] = connector.wait_for(1)
    assert kinds(post.body) == [CARD_CONTENT_TYPE, "image/png"]
    assert "Service Desk" in card_text(post.body)
    assert png_size(post.body["attachments"][1])[0] >= 600


def test_status_chart_in_a_channel_answers_there_and_points_to_the_personal_chat(
    db_ctx: Context, serve_teams_with, connector: FakeConnector
) -> None:
    teams: TeamsSender = serve_teams_with(db_ctx)
    with_a_group(teams, connector)
    asked = teams.activity("<at>cmmi</at> status ML2 --chart", personal=False, mention=True)
    teams.post(asked)
    answer, pointer = connector.wait_for(2)
    assert {answer.conversation_id, pointer.conversation_id} == {asked["conversation"]["id"]}
    assert kinds(answer.body) == [CARD_CONTENT_TYPE] and "ML2" in card_text(answer.body)
    assert kinds(pointer.body) == [CARD_CONTENT_TYPE]
    card = pointer.body["attachments"][0]["content"]
    assert "type **status ML2 --chart** there" in card_text(pointer.body)
    [button] = card["actions"]
    assert button["type"] == "Action.OpenUrl" and button["url"] == f"https://teams.microsoft.com/l/chat/0/0?users={BOT_ID}"
    connector.quiet_for(0.3)
    assert "image/png" not in json.dumps([p.body for p in connector.posted()])  # the picture is not posted for everyone


@pytest.fixture
def deliverer(connector: FakeConnector) -> Iterator[TeamsDeliverer]:
    made = TeamsDeliverer(new_app(teams_settings(CMMI_TEAMS_NO_AUTH="1")))
    yield made
    made.close()


def test_a_digest_with_chart_carries_the_picture_inline(
    db_ctx: Context, serve_teams_with, connector: FakeConnector, clock: Clock, deliverer: TeamsDeliverer
) -> None:
    teams: TeamsSender = serve_teams_with(db_ctx)
    with_a_group(teams, connector)
    asked = teams.activity("<at>cmmi</at> digest on monday 09:00 UTC --level ML2 --chart", personal=False, mention=True)
    teams.post(asked)
    connector.wait_for(1)
    connector.reset()
    now = datetime(2026, 11, 30, 9, 3, tzinfo=UTC)  # the Monday slot after the clock's Tuesday
    clock.now = now
    report = run_due(db_ctx, db_ctx.store, {"teams": deliverer}, now)
    assert report.outcomes["sent"] == 1, report
    [post] = connector.wait_for(1)
    assert kinds(post.body) == [CARD_CONTENT_TYPE, "image/png"]
    assert "Weekly CMMI digest" in card_text(post.body)
    width, _ = png_size(post.body["attachments"][1])
    assert width >= 600
    assert run_due(db_ctx, db_ctx.store, {"teams": deliverer}, now + timedelta(hours=1)).outcomes["sent"] == 0


def big_png(size: int) -> bytes:
    """A PNG header of a 800-pixel-wide picture padded to `size` bytes: as large as a busy heatmap could get."""
    return PNG_SIGNATURE + b"\x00\x00\x00\x0dIHDR" + struct.pack(">II", 800, 600) + b"\x08\x02\x00\x00\x00" + b"\x00" * size


def test_a_digest_whose_chart_would_pass_teams_size_limit_posts_the_chart_after_it(
    connector: FakeConnector, deliverer: TeamsDeliverer
) -> None:
    connector.reset()
    chart = Attachment("cmmi-readiness-ML3-2026-11-30.png", "image/png", big_png(72_000), "ML3 readiness")
    changes = Section(title="What changed", items=tuple(f"WMC.SP1.{n % 7 + 1} evidence added by someone" for n in range(150)))
    reply = Reply(
        text="Weekly CMMI digest", sections=(Section(title="Weekly CMMI digest", body="2 items added"), changes), attachments=(chart,)
    )
    address = {"serviceUrl": connector.service_url, "conversationId": CHANNEL, "tenantId": TENANT, "botId": BOT_ID, "botName": "cmmi"}
    sub = Subscription(
        id=1, workspace_id=f"teams:{TENANT}", channel_id=CHANNEL, transport="teams", weekday=0, local_time="09:00", timezone="UTC",
        work_group_id=None, level=3, quiet_full=False, enabled=True, disabled_reason=None, address=address,
        created_by="aad-alice", created_at=datetime(2026, 11, 1, tzinfo=UTC),
    )  # fmt: skip
    ref = deliverer.deliver(sub, reply, "2026-W49")
    digest, picture = connector.wait_for(2)
    assert kinds(digest.body) == [CARD_CONTENT_TYPE] and kinds(picture.body) == ["image/png"]
    assert ref is not None and ref.startswith(f"teams:{CHANNEL}:")  # the digest's own message, not the chart's
    assert png_size(picture.body["attachments"][0]) == (800, 600)
    assert len(json.dumps(digest.body)) + len(json.dumps(picture.body)) > MAX_ACTIVITY_BYTES  # together they would not fit
    assert all(len(json.dumps(p.body)) <= MAX_ACTIVITY_BYTES for p in (digest, picture))


def test_a_chart_too_large_for_any_teams_message_is_said_instead(connector: FakeConnector, deliverer: TeamsDeliverer) -> None:
    connector.reset()
    chart = Attachment("cmmi-readiness-ML3-2026-11-30.png", "image/png", big_png(MAX_ACTIVITY_BYTES), "ML3 readiness, the workspace")
    reply = Reply(text="Weekly CMMI digest", sections=(Section(title="Weekly CMMI digest", body="2 items added"),), attachments=(chart,))
    address = {"serviceUrl": connector.service_url, "conversationId": CHANNEL, "tenantId": TENANT, "botId": BOT_ID, "botName": "cmmi"}
    sub = Subscription(
        id=1, workspace_id=f"teams:{TENANT}", channel_id=CHANNEL, transport="teams", weekday=0, local_time="09:00", timezone="UTC",
        work_group_id=None, level=3, quiet_full=False, enabled=True, disabled_reason=None, address=address,
        created_by="aad-alice", created_at=datetime(2026, 11, 1, tzinfo=UTC),
    )  # fmt: skip
    deliverer.deliver(sub, reply, "2026-W49")
    digest, said = connector.wait_for(2)
    assert kinds(digest.body) == [CARD_CONTENT_TYPE]
    assert "image/png" not in json.dumps(said.body)
    assert "The chart (ML3 readiness, the workspace) is too large" in said.body["text"]
    assert "(--group NAME)" in said.body["text"]
