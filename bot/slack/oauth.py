"""Installing cmmi-bot into several Slack workspaces over OAuth, with installations in cmmi-bot's own database.

On when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are both set (HTTP mode only). slack_sdk's SQLAlchemy stores keep
installations (slack_installations, slack_bots) and OAuth states (slack_oauth_states) on the app's engine; their
tables come from migration 0003. Bolt's OAuthFlow serves /slack/install and /slack/oauth_redirect, and authorizes
each request with the installing workspace's bot token, found in the installation store."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.settings import Settings

if TYPE_CHECKING:
    from slack_bolt.oauth.oauth_settings import OAuthSettings
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from sqlalchemy import Engine

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_SECONDS = 600  # an "Add to Slack" link is good for ten minutes
# The manifest's bot scopes (bot/slack/manifest.yaml; a test keeps the two equal).
BOT_SCOPES = (
    "app_mentions:read",
    "channels:history",
    "chat:write",
    "chat:write.public",
    "commands",
    "files:write",
    "groups:history",
    "im:history",
    "im:write",
    "mpim:history",
    "users:read",
)


def installation_store(settings: Settings, engine: Engine) -> SQLAlchemyInstallationStore:
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

    return SQLAlchemyInstallationStore(client_id=settings.slack_client_id, engine=engine)


def oauth_settings(settings: Settings, engine: Engine) -> OAuthSettings:
    """Bolt's OAuth settings, every value given so Bolt reads nothing from os.environ."""
    from slack_bolt.oauth.oauth_settings import OAuthSettings
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

    return OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        redirect_uri=settings.slack_redirect_uri or None,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=installation_store(settings, engine),
        installation_store_bot_only=True,  # cmmi-bot asks for no user scopes: the bot token is all it uses
        state_store=SQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=engine),
        state_expiration_seconds=STATE_SECONDS,
    )
