"""CMMI_ADMINS in Slack, over real HTTP: listed people (by user ID, or by the e-mail address users.info gives with the
users:read.email scope) may remove someone else's evidence, beside Slack's own admins; others may not."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import SlackSender, serving, slack_settings
from fake_slack import TEAM_ID, FakeSlack

from bot.slack.app import build_app
from handlers import Context
from store import Store
from tests.helpers import log_evidence

WORKSPACE = f"slack:{TEAM_ID}"  # Slack workspaces are stored under their transport


@pytest.fixture
def slack(fake_slack: FakeSlack, db_ctx: Context) -> Iterator[SlackSender]:
    fake_slack.reset()
    settings = slack_settings(fake_slack.api_url, CMMI_ADMINS="U0LISTED, Boss@Example.com")
    with serving(build_app(settings, db_ctx)) as served:
        yield SlackSender(served.url, fake_slack)


def bobs_evidence(store: Store, note: str = "minutes") -> int:
    group = store.groups.find(workspace_id=WORKSPACE, name="Desk") or store.groups.add(workspace_id=WORKSPACE, name="Desk", actor="U0BOB")
    item, _ = log_evidence(store, WORKSPACE, group, actor="U0BOB", note=note)
    return item.id


def test_listed_people_may_remove_someone_elses_evidence(slack: SlackSender, fake_slack: FakeSlack, store: Store) -> None:
    first, second = bobs_evidence(store, "review minutes"), bobs_evidence(store, "review slides")
    fake_slack.set_user("U0MAIL", profile={"email": "BOSS@example.com"})
    assert "Only the person who logged" in slack.command(f"evidence remove {first}", user="U0CAROL").message["text"]
    assert slack.command(f"evidence remove {first}", user="U0LISTED").message["text"] == f"Removed evidence #{first}."
    assert slack.command(f"evidence remove {second}", user="U0MAIL").message["text"] == f"Removed evidence #{second}."
    assert {store.evidence.get(workspace_id=WORKSPACE, evidence_id=i)[0].removed_by for i in (first, second)} == {"U0LISTED", "U0MAIL"}


def test_slack_admins_stay_admins_beside_the_list(slack: SlackSender, fake_slack: FakeSlack, store: Store) -> None:
    evidence_id = bobs_evidence(store)
    fake_slack.set_user("U0OWNER", is_owner=True, profile={"email": "owner@example.com"})
    assert slack.command(f"evidence remove {evidence_id}", user="U0OWNER").message["text"] == f"Removed evidence #{evidence_id}."
