"""Workspaces are namespaced by transport: a Slack team and a Teams tenant with the same ID never share data, and a
request without a workspace is refused with a clear message, never stored under an empty ID."""

from __future__ import annotations

import pytest

from bot.edge import Deliveries
from bot.slack import convert as slack_convert
from bot.teams import convert as teams_convert
from handlers import Context, Request, UserError, dispatch

SHARED_ID = "T0SHARED01"  # an ID string that is both a Slack team and a Teams tenant


def slack_command(text: str, team_id: str | None = SHARED_ID) -> Request:
    body = {"command": "/cmmi", "text": text, "user_id": "U1", "channel_id": "C1"}
    if team_id is not None:
        body["team_id"] = team_id
    return slack_convert.from_command(body)


def teams_message(text: str, tenant: str | None = SHARED_ID) -> Request:
    activity = {
        "type": "message",
        "serviceUrl": "http://127.0.0.1:9/",
        "from": {"id": "29:u", "aadObjectId": "aad-u"},
        "recipient": {"id": "28:bot", "name": "cmmi"},
        "conversation": {"id": "C1", "conversationType": "personal", **({"tenantId": tenant} if tenant else {})},
        "channelData": {"tenant": {"id": tenant}} if tenant else {},
        "text": text,
    }
    request = teams_convert.from_activity(activity)
    assert request is not None
    return request


def test_stored_ids_carry_the_transport_and_slack_gets_its_own_back() -> None:
    assert slack_command("help").workspace_id == f"slack:{SHARED_ID}"
    assert teams_message("help").workspace_id == f"teams:{SHARED_ID}"
    assert teams_message("help").address["tenantId"] == SHARED_ID  # Teams is told its own tenant ID
    assert slack_convert.team_id(slack_convert.workspace_id(SHARED_ID)) == SHARED_ID
    assert slack_convert.workspace_of({"user": {"id": "U1", "team_id": "T0X"}}) == "slack:T0X"
    assert (
        slack_convert.from_share({"team": {"id": "T0X"}, "user": {"id": "U1"}, "channel": {"id": "C1"}}, "help").workspace_id == "slack:T0X"
    )


def test_a_slack_team_and_a_teams_tenant_with_the_same_id_do_not_share_data(db_ctx: Context) -> None:
    dispatch(slack_command('group add "Slack Desk"'), db_ctx)
    dispatch(slack_command('group use "Slack Desk"'), db_ctx)
    dispatch(slack_command("evidence add WMC.SP1.6 https://wiki.example.com/slack minutes"), db_ctx)
    dispatch(teams_message('group add "Teams Desk"'), db_ctx)

    assert dispatch(slack_command("group list"), db_ctx).data["groups"] == ["Slack Desk"]
    assert dispatch(teams_message("group list"), db_ctx).data["groups"] == ["Teams Desk"]
    with pytest.raises(UserError, match="Which work group"):  # channel C1 is bound in Slack, not in Teams
        dispatch(teams_message("evidence add WMC.SP1.6 https://wiki.example.com/teams minutes"), db_ctx)
    assert "No evidence yet" in dispatch(teams_message("evidence list"), db_ctx).text
    assert db_ctx.store.groups.list(workspace_id=SHARED_ID) == []  # nothing under the bare ID


@pytest.mark.parametrize(
    "request_without_workspace", [lambda: slack_command("group add Desk", None), lambda: teams_message("group add Desk", None)]
)
def test_a_request_without_a_workspace_is_refused(db_ctx: Context, request_without_workspace) -> None:
    request = request_without_workspace()
    assert request.workspace_id == ""  # not "slack:" or "teams:" with nothing after it
    with pytest.raises(UserError, match="This request names no workspace"):
        dispatch(request, db_ctx)
    assert db_ctx.store.groups.list(workspace_id="") == []
    assert db_ctx.store.groups.list(workspace_id="slack:") == [] and db_ctx.store.groups.list(workspace_id="teams:") == []


def test_a_teams_activity_without_a_tenant_gets_the_message_not_an_apology(db_ctx: Context) -> None:
    from bot.teams.listeners.base import Deps, reply_message, run

    deps = Deps(ctx=db_ctx, deliveries=Deliveries(db_ctx))
    request = teams_message("group add Desk", None)
    reply = reply_message(deps, request, run(deps, request, "message", None), {})
    assert "names no workspace" in reply["text"] and "Sorry" not in reply["text"]
