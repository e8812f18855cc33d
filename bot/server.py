"""The one server: Slack (HTTP mode), Teams, the probes and /metrics on one Starlette app, the maintenance loop beside it, and a drain on SIGTERM.

Slack's Socket Mode keeps its own connection; the probes and metrics then come from here too, on CMMI_HTTP_PORT when
it is set. bot/slack/server.py and bot/teams/server.py only say what their routes are."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.http import Deadline, http_server
from bot.logs import announce, request_scope
from bot.ops import HEALTH_PATH, METRICS_PATH, READY_PATH, count_digests, ops_app, ops_routes
from bot.scheduler import Deliverer, SchedulerThread, run_due
from bot.settings import Settings
from bot.wiring import Runtime
from handlers import Context

if TYPE_CHECKING:
    from slack_bolt import App
    from starlette.applications import Starlette
    from starlette.routing import BaseRoute

    from bot.slack.listeners.base import Deps

log = logging.getLogger("cmmi_bot.server")

Step = Callable[[], object]


def start_scheduler(
    settings: Settings, ctx: Context, deliverers: Mapping[str, Deliverer], also: Sequence[Step] = ()
) -> SchedulerThread | None:
    """The in-process maintenance loop: the steps in `also` (finishing deliveries a stopped process left open, one step
    per transport), the purge of finished deliveries, and due digests, every CMMI_DIGEST_CHECK_SECONDS; None when that
    is 0 or there is no database."""
    store = ctx.store
    if not settings.digest_check or store is None:
        return None

    def tick() -> None:
        with request_scope():  # one ID for every line of this round
            maintain()

    def maintain() -> None:
        for step in also:  # each on its own: one transport's failure does not hold up another's recovery
            try:
                step()
            except Exception:
                log.exception("finishing open deliveries failed; trying again next time")
        try:
            store.inbox.purge()  # keys of deliveries finished over an hour ago: no platform retries that late
        except Exception:
            log.exception("purging finished deliveries failed; trying again next time")
        if deliverers:
            count_digests(run_due(ctx, store, deliverers, datetime.now(UTC)).outcomes.items())

    thread = SchedulerThread(tick, settings.digest_check)
    thread.start()
    return thread


@contextmanager
def ops_server(settings: Settings, ctx: Context) -> Iterator[object | None]:
    """While inside: /healthz, /readyz and /metrics on CMMI_HTTP_HOST:CMMI_HTTP_PORT in a thread, when CMMI_HTTP_PORT is set
    (Slack Socket Mode has no HTTP server of its own); yields the server, or None when the port is not set."""
    if "CMMI_HTTP_PORT" not in settings.given:
        yield None
        return
    host, port = settings.http_host, settings.http_port
    server = http_server(ops_app(ctx), host, port, grace=1.0)
    thread = threading.Thread(target=server.run, name="cmmi-ops-http", daemon=True)
    thread.start()
    announce(f"probes and metrics on http://{host}:{port} ({HEALTH_PATH}, {READY_PATH}, {METRICS_PATH})")
    try:
        yield server
    finally:
        server.should_exit = True
        thread.join(timeout=5)


@dataclass(frozen=True)
class Slack:
    """The Slack transport as served: the Bolt app and what its listeners share (the pool drained at shutdown)."""

    app: App
    deps: Deps


def build_slack(runtime: Runtime) -> Slack:
    """Check the Slack settings and build its app (auth.test checks the token). Raises SlackConfigError."""
    from bot.slack.app import build_deps
    from bot.slack.server import build_checked_app

    settings, ctx = runtime.settings, runtime.context
    deps = build_deps(settings, ctx)
    return Slack(build_checked_app(settings, ctx, deps=deps), deps)


def recovery_steps(runtime: Runtime, slack: Slack | None) -> list[Step]:
    """One maintenance step per served transport: finish the deliveries a stopped process left open."""
    settings, ctx = runtime.settings, runtime.context
    stale_after = timedelta(seconds=settings.recover_after)
    steps: list[Step] = []
    if slack is not None:
        from bot.slack.digests import SlackDeliverer
        from bot.slack.oauth import installation_store
        from bot.slack.recovery import recover

        poster = runtime.deliverers.get("slack")
        if not isinstance(poster, SlackDeliverer):  # stand-ins for Slack's deliverer (tests): post through the app's client
            installations = installation_store(settings, ctx.store.engine) if settings.slack_oauth and ctx.store else None
            poster = SlackDeliverer(slack.app.client, installations)
        client_for, deps = poster.client_for_workspace, slack.deps
        steps.append(lambda: recover(deps, client_for, stale_after=stale_after))
    if settings.teams_configured:
        from bot.teams.server import teams_recovery

        steps.append(teams_recovery(settings, ctx, runtime.deliverers.get("teams")))
    return steps


def build_app(routes: Sequence[BaseRoute]) -> Starlette:
    from starlette.applications import Starlette

    return Starlette(routes=list(routes))


def serve(runtime: Runtime, extra_routes: Sequence[BaseRoute] = ()) -> int:
    """Serve Slack and Teams in one process when both are configured, else whichever is (Slack's settings error when
    neither is), until SIGTERM or SIGINT. Raises ConfigError (Slack's or Teams') before anything starts.

    Slack runs in Socket Mode when SLACK_APP_TOKEN is set (alone: other transports need the HTTP server), else every
    route is on one HTTP server. extra_routes: more routes on it (tests). The maintenance loop runs while serving: due
    digests through the runtime's deliverers, and each transport's unfinished deliveries. On a signal it stops taking
    requests, lets what is in flight finish within CMMI_SHUTDOWN_GRACE_SECONDS, stops the loop and returns 0."""
    settings, ctx = runtime.settings, runtime.context
    teams_on = settings.teams_configured
    routes: list[BaseRoute] = []
    if teams_on:
        from bot.teams.server import teams_routes

        routes += teams_routes(settings, ctx)
    slack = build_slack(runtime) if settings.slack_configured or not teams_on else None
    socket_token = settings.slack_app_token if slack is not None else ""
    if socket_token and (routes or extra_routes):
        from bot.slack.server import SlackConfigError

        raise SlackConfigError("Other transports need the HTTP server, but SLACK_APP_TOKEN selects Socket Mode. Unset it to serve both.")
    grace = settings.shutdown_grace
    scheduler = start_scheduler(settings, ctx, runtime.deliverers, also=recovery_steps(runtime, slack))
    try:
        if slack is not None and socket_token:
            from bot.slack.server import serve_socket_mode

            with ops_server(settings, ctx):  # probes and metrics on CMMI_HTTP_PORT, when it is set
                serve_socket_mode(slack.app, socket_token)
        else:
            host, port = settings.http_host, settings.http_port
            if slack is not None:
                from bot.slack.server import EVENTS_PATH, slack_routes

                routes = [*slack_routes(slack.app, signing_secret=settings.slack_signing_secret), *routes]
                flow = slack.app.oauth_flow
                install = f"; install: {flow.install_path}" if flow is not None else ""
                announce(f"Slack HTTP mode on http://{host}:{port}{EVENTS_PATH} (health: {HEALTH_PATH}{install}; Ctrl-C to stop)")
            else:
                from bot.teams.server import MESSAGES_PATH

                announce(f"Teams on http://{host}:{port}{MESSAGES_PATH} (health: {HEALTH_PATH}; Ctrl-C to stop)")
            app = build_app([*routes, *ops_routes(ctx), *extra_routes])
            http_server(app, host, port, grace=grace).run()  # on SIGTERM: stops accepting, finishes requests in flight
    finally:
        deadline = Deadline(grace)
        if slack is not None:
            slack.deps.work.drain(deadline.left())
        if scheduler is not None:
            scheduler.stop()
            scheduler.join(timeout=deadline.left())
        log.info("stopped")
    return 0
