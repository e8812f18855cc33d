"""Admins in Teams, over real HTTP: Teams names no admins, so the people in CMMI_ADMINS (by AAD object ID) are the ones
who may remove someone else's evidence; everyone else may remove only their own."""

from __future__ import annotations

import json

from handlers import Context
from tests.bot.teams.conftest import SDK_WARNINGS, TENANT, teams_settings
from tests.bot.teams.fake_connector import FakeConnector
from tests.helpers import log_evidence

pytestmark = SDK_WARNINGS
WORKSPACE = f"teams:{TENANT}"  # Teams tenants are stored under their transport

BOSS = "5e0c2b7a-1d4f-4c3b-8a9e-0f1e2d3c4b5a"  # an AAD object ID, listed in upper case as portals may show it


def said(connector: FakeConnector, count: int) -> str:
    return json.dumps(connector.wait_for(count)[count - 1].body, ensure_ascii=False)


def test_a_listed_user_can_remove_someone_elses_evidence_and_others_cannot(db_ctx: Context, serve_teams_with, connector) -> None:
    teams = serve_teams_with(db_ctx, teams_settings(CMMI_TEAMS_NO_AUTH="1", CMMI_ADMINS=f"someone@example.com, {BOSS.upper()}"))
    store = db_ctx.store
    group = store.groups.add(workspace_id=WORKSPACE, name="Service Desk", actor="aad-alice")
    item, _ = log_evidence(store, WORKSPACE, group, actor="aad-alice", link="https://wiki.example.com/r")

    def remove_as(user: str, aad: str, n: int) -> str:
        activity = teams.activity(f"evidence remove {item.id}", user=user, aad=aad, conversation=f"a:personal-{user}")
        assert teams.post(activity).status == 200
        return said(connector, n)

    assert "Only the person who logged" in remove_as("29:bob", "aad-bob", 1)
    assert store.evidence.list(workspace_id=WORKSPACE)[0].removed_at is None
    assert f"Removed evidence #{item.id}" in remove_as("29:boss", BOSS, 2)
    assert store.evidence.get(workspace_id=WORKSPACE, evidence_id=item.id)[0].removed_by == BOSS


def test_without_the_list_no_one_in_teams_can_remove_someone_elses_evidence(db_ctx: Context, serve_teams_with, connector) -> None:
    teams = serve_teams_with(db_ctx)
    store = db_ctx.store
    group = store.groups.add(workspace_id=WORKSPACE, name="Service Desk", actor="aad-alice")
    item, _ = log_evidence(store, WORKSPACE, group, actor="aad-alice", link="https://wiki.example.com/r")
    assert teams.post(teams.activity(f"evidence remove {item.id}", user="29:boss", aad=BOSS)).status == 200
    assert "Only the person who logged" in said(connector, 1)
    assert store.evidence.get(workspace_id=WORKSPACE, evidence_id=item.id)[0].removed_at is None
