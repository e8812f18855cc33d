"""Teams deliveries a stopped process left open are finished once, on real databases, answered through the fake connector:
carried out if their write had not happened, never twice if it had."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.edge import Deliveries
from bot.teams import convert
from bot.teams.digests import TeamsDeliverer, teams_deliverer
from bot.teams.listeners import Deps
from bot.teams.recovery import recover
from handlers import Context, Request, dispatch
from store import inbox
from tests.bot.teams.conftest import BOT_ID, CHANNEL, SDK_WARNINGS, TENANT, teams_settings
from tests.bot.teams.fake_connector import FakeConnector
from tests.conftest import Clock

pytestmark = [*SDK_WARNINGS, pytest.mark.calendar]
WORKSPACE = f"teams:{TENANT}"
STALE = timedelta(seconds=60)


@pytest.fixture
def poster(connector: FakeConnector, db_ctx: Context) -> Iterator[TeamsDeliverer]:
    connector.reset()
    made = teams_deliverer(teams_settings(CMMI_TEAMS_NO_AUTH="1"), db_ctx.store)
    assert isinstance(made, TeamsDeliverer)
    yield made
    made.close()


def taken(db_ctx: Context, connector: FakeConnector, key: str, text: str, kind: str = "message", **extra: object) -> Request:
    """A delivery recorded as a listener records it, by a process that then stopped."""
    thread = f"{CHANNEL};messageid=42"
    address = {"serviceUrl": connector.service_url, "conversationId": CHANNEL, "tenantId": TENANT, "botId": BOT_ID, "botName": "cmmi"}
    request = Request(
        text=text, user_id="aad-alice", workspace_id=WORKSPACE, channel_id=CHANNEL, thread_id=thread, transport=convert.TRANSPORT,
        address=address, **extra,
    )  # fmt: skip
    assert Deliveries(db_ctx, owner="dead:1").receive(key, request, kind=kind, reply_to=address) is True
    return request


def test_an_open_message_is_carried_out_and_answered_in_its_thread_once(
    db_ctx: Context, connector: FakeConnector, poster: TeamsDeliverer, clock: Clock
) -> None:
    taken(db_ctx, connector, "teams:activity:1", 'group add "Service Desk"')
    deps = Deps(ctx=db_ctx, deliveries=Deliveries(db_ctx, owner="alive:2"))
    assert recover(deps, poster, stale_after=STALE) == 0  # not stale yet: its process may still be answering
    clock.advance(seconds=61)
    assert recover(deps, poster, stale_after=STALE) == 1
    [post] = connector.wait_for(1)
    assert post.conversation_id == f"{CHANNEL};messageid=42" and "Added work group" in post.body["text"]
    assert [g.name for g in db_ctx.store.groups.list(workspace_id=WORKSPACE)] == ["Service Desk"]
    clock.advance(seconds=120)
    assert recover(deps, poster, stale_after=STALE) == 0
    assert db_ctx.store.inbox.get(key="teams:activity:1").status == "done"


def test_an_open_message_whose_write_happened_is_not_done_again(
    db_ctx: Context, connector: FakeConnector, poster: TeamsDeliverer, clock: Clock
) -> None:
    request = taken(db_ctx, connector, "teams:activity:2", 'group add "Change Board"')
    with inbox.scope("teams:activity:2"):
        dispatch(request, db_ctx)  # the write committed, then the process stopped before answering
    clock.advance(seconds=61)
    assert recover(Deps(ctx=db_ctx, deliveries=Deliveries(db_ctx)), poster, stale_after=STALE) == 1
    [post] = connector.wait_for(1)
    assert "had already been carried out; nothing was done twice" in post.body["text"]
    assert len(db_ctx.store.groups.list(workspace_id=WORKSPACE)) == 1


def test_an_open_form_says_to_submit_it_again_and_an_open_welcome_is_said(
    db_ctx: Context, connector: FakeConnector, poster: TeamsDeliverer, clock: Clock
) -> None:
    taken(db_ctx, connector, "teams:activity:3", "evidence add", kind="form", form={"practice": "WMC.SP1.6"}, via="form")
    taken(db_ctx, connector, "teams:activity:4", "welcome", kind="welcome")
    clock.advance(seconds=61)
    assert recover(Deps(ctx=db_ctx, deliveries=Deliveries(db_ctx)), poster, stale_after=STALE) == 2
    bodies = json.dumps([p.body for p in connector.wait_for(2)])
    assert "Please fill it in and submit it again" in bodies and "Hello! I'm cmmi-bot" in bodies
    assert db_ctx.store.evidence.list(workspace_id=WORKSPACE) == []
