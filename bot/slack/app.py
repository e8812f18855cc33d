"""The Slack app: build the Bolt App and its Web API client, and register cmmi-bot's listeners on it.

Every listener does the same four things: convert the payload to a Request, dispatch it, render the Reply
in Block Kit, send it. Errors are caught here, at the edge, once."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler, ServerErrorRetryHandler

from bot.settings import Settings
from bot.slack import convert, render
from bot.slack.dedupe import RecentEvents, SeenEvents
from handlers import COMMANDS, Context, Reply, Request, UserError, command_for, dispatch

log = logging.getLogger("cmmi_bot.slack")

COMMAND = "/cmmi"
LISTENER_THREADS = 32
LOG_EVIDENCE_SHORTCUT = "log_evidence"  # the manifest's message shortcut

APOLOGY = "Sorry, something went wrong on my side (error reference {ref}). Please try again."
CANNOT_POST = "I can't post in this channel. Invite me first (type `/invite @cmmi-bot` in the channel), then press Share again."
NOT_YET = "Logging a message as CMMI evidence from Slack is not available yet."
# chat.postMessage errors that mean "not allowed here", which the person who pressed Share can fix.
POST_REFUSED = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action", "cannot_reply_to_message"}


def api_base_url(url: str) -> str:
    """slack_sdk joins method names onto base_url, so it must end with '/': '…/api' would lose 'api'."""
    return url if url.endswith("/") else url + "/"


def build_client(settings: Settings) -> WebClient:
    """The Web API client: aimed at SLACK_API_URL, and retrying as Slack asks.

    A 429 waits for Retry-After and tries again (up to 3 times); a 500/503 or a dropped connection is retried once.
    A chat.postMessage retried after a 5xx can, rarely, post twice: Slack offers no idempotency key."""
    return WebClient(
        token=settings["SLACK_BOT_TOKEN"] or None,
        base_url=api_base_url(settings["SLACK_API_URL"]),
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=1),
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=1),
        ],
    )


def build_app(settings: Settings, ctx: Context, *, seen: SeenEvents | None = None) -> App:
    """A Bolt App with cmmi-bot's listeners. Calls auth.test (through SLACK_API_URL) to check the bot token."""
    app = App(
        name="cmmi-bot",
        client=build_client(settings),
        # Passed explicitly, even when empty (Socket Mode), so Bolt never falls back to reading os.environ.
        signing_secret=settings["SLACK_SIGNING_SECRET"],
        # Acknowledge first, work after: Bolt answers Slack as soon as ack() is called and the listener goes on
        # in its thread pool, so the 3-second limit holds whatever the work costs.
        process_before_response=False,
        # Listeners spend most of their time waiting on Slack (and on Retry-After when rate limited), and a
        # slash command is acknowledged only once its listener has a thread: Bolt's 5 threads are too few.
        listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="cmmi-slack"),
    )
    register(app, ctx, seen=seen if seen is not None else RecentEvents())
    return app


def _dispatch(request: Request, ctx: Context, kind: str) -> tuple[Reply | None, dict[str, Any]]:
    """(reply, {}) on success, else (None, a rendered notice): what to type instead, or an apology."""
    try:
        return dispatch(request, ctx), {}
    except UserError as exc:
        return None, render.notice(str(exc))
    except Exception:
        ref = uuid.uuid4().hex[:8]
        log.exception("unhandled error handling a Slack %s (ref %s)", kind, ref)
        return None, render.notice(APOLOGY.format(ref=ref))


def _at_edge(kind: str, work: Callable[[], None]) -> None:
    """Run a listener's sending step; a failure to reach Slack is logged once, with its traceback."""
    try:
        work()
    except Exception:
        log.exception("could not answer a Slack %s", kind)


def _respond(respond: Respond, message: dict[str, Any], **options: Any) -> None:
    response = respond(**message, **options)
    if response.status_code != 200:
        log.warning("response_url answered HTTP %s", response.status_code)


def _is_question(text: str) -> bool:
    # Only answers are worth sharing; confirmations, status and help stay private.
    return command_for(text) is COMMANDS["ask"]


def register(app: App, ctx: Context, *, seen: SeenEvents) -> None:
    """Attach cmmi-bot's middleware and listeners to a Bolt app: /cmmi, Share, mentions, DMs."""

    @app.middleware
    def skip_redelivered_events(body: dict[str, Any], request: Any, next_: Callable[[], None]) -> BoltResponse | None:
        # Runs after Bolt's signature check, so forged requests never reach the record of seen events.
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not seen.first_time(event_id):
            retry = (request.headers.get("x-slack-retry-num") or ["-"])[0]
            log.info("skipped event %s: already taken (Slack retry %s)", event_id, retry)
            return BoltResponse(status=200, body="")
        next_()
        return None

    @app.command(COMMAND)
    def on_command(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        request = convert.from_command(body)

        def work() -> None:
            reply, failure = _dispatch(request, ctx, "slash command")
            if reply is None:
                _respond(respond, failure, response_type="ephemeral")
                return
            share = request.text if _is_question(request.text) else None
            _respond(respond, render.message(reply, asked=request.text, share_value=share), response_type="ephemeral")

        _at_edge("slash command", work)

    @app.action(render.SHARE_ACTION)
    def on_share(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        request = convert.from_share(body, action.get("value") or "")

        def work() -> None:
            reply, failure = _dispatch(request, ctx, "share")
            if reply is None:
                _respond(respond, failure, response_type="ephemeral", replace_original=False)
                return
            shared = render.message(reply, asked=request.text, asked_by=request.user_id)
            try:
                client.chat_postMessage(channel=request.channel_id, **shared)
            except SlackApiError as exc:
                if exc.response.get("error") not in POST_REFUSED:
                    raise
                _respond(respond, render.notice(CANNOT_POST), response_type="ephemeral", replace_original=False)
                return
            # The answer is in the channel now; the private copy with its button would only be a duplicate.
            _respond(respond, {}, delete_original=True)

        _at_edge("share", work)

    @app.event("app_mention")
    def on_mention(body: dict[str, Any], event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        if str(event.get("channel", "")).startswith("D"):
            return  # a mention inside a DM is answered as a direct message, once
        request = convert.from_mention(body, context.bot_user_id)

        def work() -> None:
            reply, failure = _dispatch(request, ctx, "mention")
            if reply is None:
                client.chat_postEphemeral(channel=request.channel_id, user=request.user_id, thread_ts=request.thread_id, **failure)
                return
            client.chat_postMessage(channel=request.channel_id, thread_ts=request.thread_id, **render.message(reply))

        _at_edge("mention", work)

    @app.event("message")
    def on_message(body: dict[str, Any], event: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        # Every message event is acknowledged; only a person's new DM to the bot gets an answer.
        if not convert.is_direct_message(event):
            return
        request = convert.from_direct_message(body, context.bot_user_id)

        def work() -> None:
            reply, failure = _dispatch(request, ctx, "direct message")
            message = render.message(reply) if reply is not None else failure
            client.chat_postMessage(channel=request.channel_id, thread_ts=request.thread_id, **message)

        _at_edge("direct message", work)

    @app.event("app_home_opened")
    def on_home_opened() -> None:
        # The manifest subscribes to this for the Home tab, which comes later; acknowledging keeps Slack from retrying.
        return None

    @app.shortcut(LOG_EVIDENCE_SHORTCUT)
    def on_log_evidence(ack: Ack, respond: Respond) -> None:
        # Declared in the manifest; its modal comes later. Say so rather than leave Slack showing a timeout error.
        ack()
        _at_edge("message shortcut", lambda: _respond(respond, render.notice(NOT_YET), response_type="ephemeral"))
