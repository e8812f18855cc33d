"""Import the Teams SDK and build its App quietly: the SDK warns at import (a preview API) and from App() (its own
deprecated bot client); exactly those two warnings are silenced here, so warnings-as-errors runs stay strict."""

from __future__ import annotations

import warnings
from typing import Any

from bot.settings import Settings

_PREVIEW = r".* is in preview and may change in the future"
_BOT_CLIENT = r"The bot client is deprecated"


def import_sdk() -> None:
    """Import microsoft_teams.apps (about 0.8 s) with its import-time ExperimentalWarning silenced."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_PREVIEW, category=FutureWarning)
        import microsoft_teams.apps  # noqa: F401


class CapturingAdapter:
    """The SDK's HttpServerAdapter protocol, minus the server: it hands the messaging endpoint's handler (which
    authenticates each request exactly as the SDK does) to cmmi-bot's own Starlette routes."""

    def __init__(self) -> None:
        self.routes: dict[str, Any] = {}

    def register_route(self, method: str, path: str, handler: Any) -> None:
        self.routes[path] = handler

    def serve_static(self, path: str, directory: str) -> None:
        raise NotImplementedError("cmmi-bot serves no static pages for Teams")

    async def start(self, port: int) -> None:
        raise NotImplementedError("cmmi-bot runs its own server")

    async def stop(self) -> None:
        return None


def new_app(settings: Settings, adapter: CapturingAdapter | None = None) -> Any:
    """A microsoft_teams.apps.App with the credentials from settings.

    Authentication is decided here and only here: off when CMMI_TEAMS_NO_AUTH=1, else on. It is passed explicitly,
    so the SDK's own DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS environment variable cannot turn it off."""
    import_sdk()
    from microsoft_teams.apps import App

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_BOT_CLIENT, category=DeprecationWarning)
        return App(
            client_id=settings.teams_client_id or None,
            client_secret=settings.teams_client_secret or None,
            tenant_id=settings.teams_tenant_id or None,
            dangerously_allow_unauthenticated_requests=settings.teams_no_auth,
            http_server_adapter=adapter or CapturingAdapter(),
            state=False,
        )
