"""The Teams digest deliverer against the fake connector: posts to the stored reference; gone conversations stop it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from bot.scheduler import ChannelGone
from bot.teams.digests import TeamsDeliverer, teams_deliverer
from handlers import Reply, Section
from store import Subscription
from tests.bot.teams.conftest import BOT_ID, CHANNEL, SDK_WARNINGS, TENANT, teams_settings
from tests.bot.teams.fake_connector import FakeConnector

pytestmark = [*SDK_WARNINGS, pytest.mark.calendar]  # also run with the clock a year ahead

REPLY = Reply(text="Weekly CMMI digest", sections=(Section(title="Weekly CMMI digest", body="<at>x</at> added 2 items"),), in_channel=True)


def subscription(address: dict | None) -> Subscription:
    return Subscription(
        id=1, workspace_id=TENANT, channel_id=CHANNEL, transport="teams", weekday=0, local_time="09:00", timezone="UTC",
        work_group_id=None, level=3, quiet_full=False, enabled=True, disabled_reason=None, address=address,
        created_by="aad-alice", created_at=datetime(2026, 11, 1, tzinfo=UTC),
    )  # fmt: skip


@pytest.fixture
def deliverer(connector: FakeConnector) -> Iterator[TeamsDeliverer]:
    connector.reset()
    made = teams_deliverer(teams_settings(CMMI_TEAMS_NO_AUTH="1"))
    assert isinstance(made, TeamsDeliverer)
    yield made
    made.close()


def address(connector: FakeConnector) -> dict:
    return {"serviceUrl": connector.service_url, "conversationId": CHANNEL, "tenantId": TENANT, "botId": BOT_ID, "botName": "cmmi"}


def test_not_configured_means_no_deliverer() -> None:
    assert teams_deliverer(teams_settings()) is None


def test_a_digest_is_posted_to_the_stored_conversation(deliverer: TeamsDeliverer, connector: FakeConnector) -> None:
    ref = deliverer.deliver(subscription(address(connector)), REPLY, "2026-W49")
    [post] = connector.wait_for(1)
    assert ref == f"teams:{CHANNEL}:{post_id(ref)}"
    assert post.conversation_id == CHANNEL
    assert post.body["from"]["id"] == BOT_ID
    assert post.body["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert "<at>" not in str(post.body)
    assert deliverer.already_delivered(subscription(address(connector)), "2026-W49", datetime(2026, 11, 30, tzinfo=UTC)) is None


def post_id(ref: str | None) -> str:
    assert ref is not None
    return ref.rsplit(":", 1)[1]


@pytest.mark.parametrize(("status", "code"), [(404, "ConversationNotFound"), (403, "BotNotInConversationRoster")])
def test_a_gone_conversation_raises_channel_gone(deliverer: TeamsDeliverer, connector: FakeConnector, status: int, code: str) -> None:
    connector.fail_next(status, code)
    with pytest.raises(ChannelGone, match=code):
        deliverer.deliver(subscription(address(connector)), REPLY, "2026-W49")


@pytest.mark.parametrize(("status", "code"), [(500, "InternalError"), (403, "SomethingElse")])
def test_other_failures_are_temporary(deliverer: TeamsDeliverer, connector: FakeConnector, status: int, code: str) -> None:
    connector.fail_next(status, code)
    with pytest.raises(httpx.HTTPStatusError):
        deliverer.deliver(subscription(address(connector)), REPLY, "2026-W49")


def test_a_subscription_without_a_reference_is_gone(deliverer: TeamsDeliverer) -> None:
    with pytest.raises(ChannelGone):
        deliverer.deliver(subscription(None), REPLY, "2026-W49")
