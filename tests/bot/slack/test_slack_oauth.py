"""Installing into several workspaces over OAuth, over real HTTP on 127.0.0.1 against the fake Slack: the "Add to Slack"
page, the redirect back with its state, installations kept in the app's database (SQLite and PostgreSQL), requests
authorized with the installing workspace's bot token, and digests posted with it."""

from __future__ import annotations

import html
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from conftest import SIGNING_SECRET, SlackSender, serving, slack_settings
from fake_slack import RESPONSE_URL, FakeSlack
from sqlalchemy import MetaData, text
from test_slack_convert import manifest_list

from bot.settings import Settings, load_settings
from bot.slack import app as slack_app
from bot.slack import server
from bot.slack.app import build_app, build_client
from bot.slack.digests import NotInstalled, SlackDeliverer, slack_deliverer
from bot.slack.oauth import BOT_SCOPES, installation_store
from handlers import Context, Reply, Section
from index import ModelIndex
from model_data import Model
from store import Store, make_engine
from store.db import SLACK_OAUTH_TABLES

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "test-client-secret-not-a-real-one"
TEAM = "T0ACME"
TEAM_TOKEN = "xoxb-acme-installed-token"
STATE_COOKIE = "slack-app-oauth-state"


def oauth_settings(api_url: str, **overrides: str) -> Settings:
    return slack_settings(api_url, SLACK_BOT_TOKEN="", SLACK_CLIENT_ID=CLIENT_ID, SLACK_CLIENT_SECRET=CLIENT_SECRET, **overrides)


@dataclass
class Got:
    status: int
    body: str
    headers: dict[str, list[str]]


def get(url: str, cookie: str | None = None) -> Got:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            headers = {k.lower(): response.headers.get_all(k) for k in response.headers}
            return Got(response.status, response.read().decode("utf-8"), headers)
    except urllib.error.HTTPError as exc:
        return Got(exc.code, exc.read().decode("utf-8"), {k.lower(): exc.headers.get_all(k) for k in exc.headers})


@pytest.fixture
def db_ctx(model: Model, index: ModelIndex, db_url: str) -> Iterator[Context]:
    engine = make_engine(db_url)
    yield Context(model=model, index=index, store=Store(engine, lambda: datetime.now(UTC)))
    engine.dispose()


@pytest.fixture
def fake(fake_slack: FakeSlack) -> FakeSlack:
    fake_slack.reset()
    return fake_slack


def rows(ctx: Context, table: str) -> list[dict]:
    assert ctx.store is not None
    with ctx.store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(f"SELECT * FROM {table}")).mappings()]


def start_install(base_url: str) -> tuple[str, str]:
    """GET /slack/install as a browser would: (the state in the Add to Slack link, the state cookie to send back)."""
    page = get(base_url + "/slack/install")
    assert page.status == 200 and "Add to Slack" in page.body
    link = html.unescape(re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page.body).group(1))
    query = parse_qs(urlsplit(link).query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"] == [",".join(BOT_SCOPES)]
    state = query["state"][0]
    cookie = next(c for c in page.headers["set-cookie"] if c.startswith(STATE_COOKIE + "=")).split(";")[0]
    assert cookie == f"{STATE_COOKIE}={state}"
    return state, cookie


def test_install_then_commands_use_the_installed_token_and_other_teams_are_refused(db_ctx: Context, fake: FakeSlack) -> None:
    app = build_app(oauth_settings(fake.api_url), db_ctx)
    assert app.oauth_flow is not None and app.client.token is None
    fake.grant("code-acme", TEAM, TEAM_TOKEN)
    with serving(app) as served:
        state, cookie = start_install(served.url)
        assert [r["state"] for r in rows(db_ctx, "slack_oauth_states")] == [state]  # issued into the app's database

        # A state that was never issued (with a cookie to match it), or no cookie at all: refused, nothing stored.
        forged = get(served.url + "/slack/oauth_redirect?" + urlencode({"code": "code-acme", "state": "forged"}), f"{STATE_COOKIE}=forged")
        assert forged.status == 401
        no_cookie = get(served.url + "/slack/oauth_redirect?" + urlencode({"code": "code-acme", "state": state}))
        assert no_cookie.status == 400
        assert not fake.calls("oauth.v2.access", ok_only=False)
        assert rows(db_ctx, "slack_installations") == [] and rows(db_ctx, "slack_bots") == []

        done = get(served.url + "/slack/oauth_redirect?" + urlencode({"code": "code-acme", "state": state}), cookie)
        assert done.status == 200, done.body
        (exchange,) = fake.calls("oauth.v2.access")
        assert exchange.body["code"] == "code-acme"
        (installed,) = rows(db_ctx, "slack_installations")
        assert (installed["client_id"], installed["team_id"], installed["bot_token"]) == (CLIENT_ID, TEAM, TEAM_TOKEN)
        assert installed["user_id"] == "U0INSTALLER"
        (bot,) = rows(db_ctx, "slack_bots")
        assert (bot["team_id"], bot["bot_token"]) == (TEAM, TEAM_TOKEN)
        assert rows(db_ctx, "slack_oauth_states") == []  # consumed: the same link cannot be used twice
        replay = get(served.url + "/slack/oauth_redirect?" + urlencode({"code": "code-acme", "state": state}), cookie)
        assert replay.status == 401 and len(rows(db_ctx, "slack_installations")) == 1

        slack = SlackSender(served.url, fake)
        fake.reset()
        sent = slack.command("what does WMC.SP1.6 require", team=TEAM, response="acme")
        assert sent.status == 200 and "WMC" in sent.message["text"]
        assert {c.token for c in fake.calls("users.info")} == {TEAM_TOKEN}  # the request's client had the team's token

        fake.reset()
        refused = slack.command("what does WMC.SP1.6 require", team="T0NOBODY", response="nobody")
        assert refused.status == 200
        fake.quiet_for(0.5)
        assert not fake.calls("users.info") and not fake.calls("chat.postMessage")
        assert all("WMC" not in str(c.body) for c in fake.calls(RESPONSE_URL))  # at most Slack SDK's "please reinstall"
        assert "WMC" not in refused.body


def test_the_digest_deliverer_posts_with_each_workspace_s_token(db_ctx: Context, fake: FakeSlack) -> None:
    settings = oauth_settings(fake.api_url)
    store = installation_store(settings, db_ctx.store.engine)
    from slack_sdk.oauth.installation_store import Installation

    store.save(Installation(app_id="A0FAKE", team_id=TEAM, user_id="U0INSTALLER", bot_token=TEAM_TOKEN, bot_id="B1", bot_user_id="U1"))
    deliverer = slack_deliverer(settings, db_ctx)
    assert isinstance(deliverer, SlackDeliverer) and deliverer.client.token is None
    reply = Reply(text="Weekly digest", sections=(Section(body="All good."),))

    @dataclass
    class Sub:
        id: int
        workspace_id: str
        channel_id: str

    ts = deliverer.deliver(Sub(1, f"slack:{TEAM}", "C0ACME"), reply, "2026-W49")  # the store's ID; Slack's has no prefix
    (post,) = fake.calls("chat.postMessage")
    assert ts and post.token == TEAM_TOKEN and post.body["channel"] == "C0ACME"
    assert deliverer.already_delivered(Sub(1, f"slack:{TEAM}", "C0ACME"), "2026-W49", datetime(2023, 1, 1, tzinfo=UTC)) == ts
    assert {c.token for c in fake.calls("conversations.history")} == {TEAM_TOKEN}
    with pytest.raises(NotInstalled, match=r"workspace T0NOBODY$"):
        deliverer.deliver(Sub(2, "slack:T0NOBODY", "C0X"), reply, "2026-W49")
    assert len(fake.calls("chat.postMessage", ok_only=False)) == 1
    assert slack_deliverer(settings, None) is None  # OAuth without a database has no tokens to post with


def test_serve_checks_say_what_oauth_needs(ctx: Context, model: Model, index: ModelIndex, fake: FakeSlack, tmp_path) -> None:
    from store import sqlite_url, upgrade

    engine = make_engine(sqlite_url(tmp_path / "c.db"))
    upgrade(engine)
    with_db = Context(model=model, index=index, store=Store(engine))
    settings = oauth_settings(fake.api_url)
    assert settings.slack_configured and oauth_settings(fake.api_url, SLACK_SIGNING_SECRET="").slack_configured
    server.check_settings(settings, {}, with_db)  # no SLACK_BOT_TOKEN needed
    assert server.build_checked_app(settings, with_db).oauth_flow is not None
    assert not fake.calls("auth.test")  # no single token to check at start-up
    with pytest.raises(server.SlackConfigError, match="SLACK_APP_TOKEN selects Socket Mode"):
        server.check_settings(oauth_settings(fake.api_url, SLACK_APP_TOKEN="xapp-1"), {}, with_db)
    with pytest.raises(slack_app.OAuthNotSupported, match="SLACK_APP_TOKEN"):
        build_app(oauth_settings(fake.api_url, SLACK_APP_TOKEN="xapp-1"), with_db)
    with pytest.raises(server.SlackConfigError, match="needs SLACK_SIGNING_SECRET"):
        server.check_settings(oauth_settings(fake.api_url, SLACK_SIGNING_SECRET=""), {}, with_db)
    with pytest.raises(server.SlackConfigError, match="CMMI_DATABASE_URL"):
        server.build_checked_app(settings, ctx)  # ctx: no database
    engine.dispose()


def test_oauth_variables_half_set_in_the_environment_are_refused_not_silently_used(ctx: Context, fake: FakeSlack, monkeypatch) -> None:
    # Bolt, given no OAuth settings, switches to OAuth with files of its own when both variables exist, even empty.
    monkeypatch.setenv("SLACK_CLIENT_ID", "123.456")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "")
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-x", "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": fake.api_url})
    with pytest.raises(server.SlackConfigError, match="one of them is empty"):
        server.build_checked_app(settings, ctx)
    with pytest.raises(slack_app.OAuthNotSupported, match="one of them is empty"):
        build_app(settings, ctx)
    monkeypatch.delenv("SLACK_CLIENT_SECRET")
    app = build_app(settings, ctx)  # one of the two alone does not switch Bolt to OAuth
    assert app.oauth_flow is None and app.client.token == "xoxb-x"
    assert build_client(slack_settings(fake.api_url, SLACK_CLIENT_ID=CLIENT_ID, SLACK_CLIENT_SECRET="s")).token is None


def test_the_requested_scopes_are_the_manifest_s() -> None:
    assert list(BOT_SCOPES) == manifest_list("bot")


def slack_sdk_metadata() -> MetaData:
    """The tables slack_sdk's SQLAlchemy stores define for themselves (default names)."""
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

    metadata = MetaData()
    SQLAlchemyInstallationStore.build_bots_table(metadata, SQLAlchemyInstallationStore.default_bots_table_name)
    SQLAlchemyInstallationStore.build_installations_table(metadata, SQLAlchemyInstallationStore.default_installations_table_name)
    SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, SQLAlchemyOAuthStateStore.default_table_name)
    return metadata


def test_migration_0003_makes_exactly_the_tables_slack_sdk_defines(db_url: str) -> None:
    # `alembic check` leaves these tables out (store/migrations/env.py); this is their check.
    metadata = slack_sdk_metadata()
    assert set(metadata.tables) == set(SLACK_OAUTH_TABLES)

    def only_oauth_tables(obj, name, type_, reflected, compare_to) -> bool:
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table in SLACK_OAUTH_TABLES

    engine = make_engine(db_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": only_oauth_tables})
        assert compare_metadata(context, metadata) == []
    engine.dispose()
