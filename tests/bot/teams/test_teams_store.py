"""Teams against a real database: evidence lands in the tenant and the channel's group; digests reach the channel."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.scheduler import run_due
from bot.teams.digests import teams_deliverer
from handlers import Context
from tests.bot.teams.conftest import BOT_ID, CHANNEL, SDK_WARNINGS, TENANT, teams_settings
from tests.bot.teams.fake_connector import FakeConnector

pytestmark = SDK_WARNINGS
WORKSPACE = f"teams:{TENANT}"  # stored workspace IDs carry their transport


def test_evidence_from_a_channel_thread_goes_to_the_tenant_and_the_channels_group(
    db_ctx: Context, serve_teams_with, connector: FakeConnector
) -> None:
    teams = serve_teams_with(db_ctx)
    for i, text in enumerate(['<at>cmmi</at> group add "Service Desk"', "<at>cmmi</at> group use Service Desk"], start=1):
        assert teams.post(teams.activity(text, personal=False, mention=True)).status == 200
        connector.wait_for(i)
    # A reply in another thread of the same channel: the binding is per channel, not per thread.
    add = "<at>cmmi</at> evidence add WMC.SP1.6 https://wiki.example.com/review minutes &amp; notes &lt;b&gt;"
    assert teams.post(teams.activity(add, personal=False, mention=True)).status == 200
    posts = connector.wait_for(3)
    store = db_ctx.store
    [item] = store.evidence.list(workspace_id=WORKSPACE)
    assert (item.group, item.practice_key, item.link) == ("Service Desk", "WMC.SP1.6", "https://wiki.example.com/review")
    assert item.note == "minutes & notes <b>"  # stored as typed
    assert item.created_by == "aad-alice"
    assert store.groups.for_channel(workspace_id=WORKSPACE, channel_id=CHANNEL).name == "Service Desk"
    assert store.evidence.list(workspace_id="local") == [] and store.evidence.list(workspace_id=TENANT) == []
    assert "<b>" not in json.dumps(posts[-1].body)


def test_a_subscribed_channel_gets_its_digest_through_the_connector(db_ctx: Context, serve_teams_with, connector: FakeConnector) -> None:
    teams = serve_teams_with(db_ctx)
    assert teams.post(teams.activity("<at>cmmi</at> digest on monday 09:00 UTC", personal=False, mention=True)).status == 200
    connector.wait_for(1)
    db_ctx.store.groups.add(workspace_id=WORKSPACE, name="Desk", actor="aad-alice")
    added = "<at>cmmi</at> evidence add WMC.SP1.6 https://wiki.example.com/r minutes --group Desk"
    assert teams.post(teams.activity(added, personal=False, mention=True)).status == 200  # Alice, by name in the digest
    connector.wait_for(2)
    sub = db_ctx.store.digests.subscription(workspace_id=WORKSPACE, channel_id=CHANNEL)
    assert sub is not None and sub.transport == "teams"
    assert sub.address["conversationId"] == CHANNEL  # the channel, so the digest starts a new post
    assert sub.address["serviceUrl"] == connector.service_url and sub.address["botId"] == BOT_ID
    connector.reset()
    deliverer = teams_deliverer(teams_settings(CMMI_TEAMS_NO_AUTH="1"), db_ctx.store)
    assert deliverer is not None
    try:
        report = run_due(db_ctx, db_ctx.store, {"teams": deliverer}, datetime(2026, 11, 30, 9, 5, tzinfo=UTC))
    finally:
        deliverer.close()
    assert report.outcomes["sent"] == 1
    [post] = connector.wait_for(1)
    assert post.conversation_id == CHANNEL and post.reply_to is None
    content = post.body["attachments"][0]["content"]
    assert content["type"] == "AdaptiveCard"
    assert "Weekly CMMI digest" in content["body"][0]["text"]
    facts = json.dumps(content, ensure_ascii=False)
    assert "1 contributor(s): Alice" in facts and "aad-alice" not in facts
