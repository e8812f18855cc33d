"""The Slack app: build the Bolt App and its Web API client, and register cmmi-bot's listeners on it.

Every listener does the same four things: convert the payload to a Request, dispatch it, render the Reply
in Block Kit, send it. Errors are caught here, at the edge, once."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler, ServerErrorRetryHandler

from bot.settings import Settings
from bot.slack import convert, modal, render, views
from bot.slack.dedupe import RecentEvents, SeenEvents
from bot.slack.home import home_reply
from bot.slack.oauth import oauth_enabled, oauth_settings
from bot.slack.users import UserDirectory
from handlers import COMMANDS, UNAVAILABLE, Context, Reply, Request, Section, UserError, command_for, dispatch
from handlers.evidence import add_evidence
from store import StoreUnavailable

log = logging.getLogger("cmmi_bot.slack")

COMMAND = "/cmmi"
LISTENER_THREADS = 32
LOG_EVIDENCE_SHORTCUT = "log_evidence"  # the manifest's message shortcut

APOLOGY = "Sorry, something went wrong on my side (error reference {ref}). Please try again."
CANNOT_POST = "I can't post in this channel. Invite me first (type `/invite @cmmi-bot` in the channel), then press Share again."
CANNOT_POST_HERE = "I can't post in this channel. Invite me first (type `/invite @cmmi-bot` in the channel), then try again."
NO_STORE = "Evidence storage is not set up in this installation. Ask your administrator to configure CMMI_DATABASE_URL."
NO_PERMALINK = (
    "I could not get a link to that message, so nothing was stored. Invite me to the channel (`/invite @cmmi-bot`) and try again."
)
EXPORT_SENT = "The evidence matrix {filename} ({rows} rows) is in your direct messages with cmmi-bot."
EXPORT_FAILED = "I could not send you the CSV file (error reference {ref}). Please try again, or ask your administrator to check the app's files:write scope."
# Bolt turns on OAuth with a file installation store of its own when both of these are in the environment, even
# empty, and it is given no OAuth settings: cmmi-bot gives it settings when both are set, and refuses otherwise.
OAUTH_ENVIRONMENT = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")
# Shareable answers: questions, and the reports a team may want to discuss together.
SHAREABLE = ("ask", "status", "gaps")
# chat.postMessage errors that mean "not allowed here", which the person who pressed Share can fix.
POST_REFUSED = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action", "cannot_reply_to_message"}


class OAuthNotSupported(Exception):
    """OAuth is asked for in a way cmmi-bot cannot serve: one credential empty, Socket Mode, or no database."""


def oauth_requested(environ: Mapping[str, str] | None = None) -> bool:
    """True when Bolt, given no OAuth settings, would switch to OAuth on its own (both variables present, even empty)."""
    env = os.environ if environ is None else environ
    return all(env.get(name) is not None for name in OAUTH_ENVIRONMENT)


def api_base_url(url: str) -> str:
    """slack_sdk joins method names onto base_url, so it must end with '/': '…/api' would lose 'api'."""
    return url if url.endswith("/") else url + "/"


def build_client(settings: Settings, token: str | None = None) -> WebClient:
    """The Web API client: aimed at SLACK_API_URL, and retrying as Slack asks. Its token: `token` if given, else
    SLACK_BOT_TOKEN; none with OAuth, where Bolt gives each request the token of the workspace it comes from.

    A 429 waits for Retry-After and tries again (up to 3 times); a 500/503 or a dropped connection is retried once.
    A chat.postMessage retried after a 5xx can, rarely, post twice: Slack offers no idempotency key."""
    return WebClient(
        token=token or (None if oauth_enabled(settings) else settings["SLACK_BOT_TOKEN"] or None),
        base_url=api_base_url(settings["SLACK_API_URL"]),
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=1),
            RateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=1),
        ],
    )


def oauth_problem(settings: Settings, ctx: Context | None, environ: Mapping[str, str] | None = None) -> str | None:
    """Why OAuth cannot run as configured, or None (also None when OAuth is simply off)."""
    if not oauth_enabled(settings):
        if oauth_requested(environ):
            return (
                "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are in the environment but one of them is empty. Set both to install "
                "cmmi-bot into several workspaces over OAuth, or unset both to run in one workspace with SLACK_BOT_TOKEN."
            )
        return None
    if settings["SLACK_APP_TOKEN"]:
        return (
            "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET turn on OAuth installation, which needs HTTP mode, but SLACK_APP_TOKEN "
            "selects Socket Mode. Unset SLACK_APP_TOKEN (and set SLACK_SIGNING_SECRET), or unset the OAuth credentials."
        )
    if ctx is not None and ctx.store is None:
        return "OAuth installation keeps installations in the database, and there is none here. Set CMMI_DATABASE_URL."
    return None


def build_app(settings: Settings, ctx: Context, *, seen: SeenEvents | None = None) -> App:
    """A Bolt App with cmmi-bot's listeners.

    One workspace (SLACK_BOT_TOKEN): calls auth.test (through SLACK_API_URL) to check the token.
    Several (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET): Bolt's OAuth flow, installations in the app's database,
    each request authorized with its workspace's bot token. Refuses (OAuthNotSupported) what it cannot serve,
    rather than let Bolt read the OAuth variables from the environment and keep installations in files."""
    problem = oauth_problem(settings, ctx)
    if problem:
        raise OAuthNotSupported(problem)
    client = build_client(settings)
    oauth: dict[str, Any] = {}
    if oauth_enabled(settings):
        assert ctx.store is not None  # oauth_problem said so
        oauth["oauth_settings"] = oauth_settings(settings, ctx.store.engine)
    app = App(
        name="cmmi-bot",
        client=client,
        # Passed explicitly, even when empty (Socket Mode), so Bolt never falls back to reading os.environ.
        signing_secret=settings["SLACK_SIGNING_SECRET"],
        # Acknowledge first, work after: Bolt answers Slack as soon as ack() is called and the listener goes on
        # in its thread pool, so the 3-second limit holds whatever the work costs.
        process_before_response=False,
        # Listeners spend most of their time waiting on Slack (and on Retry-After when rate limited), and a
        # slash command is acknowledged only once its listener has a thread: Bolt's 5 threads are too few.
        listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="cmmi-slack"),
        **oauth,
    )
    register(app, ctx, seen=seen if seen is not None else RecentEvents(), users=UserDirectory(client))
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


def _is_shareable(text: str) -> bool:
    # Answers and reports are worth sharing; confirmations and help stay private.
    return any(command_for(text) is COMMANDS[name] for name in SHAREABLE)


def _post_or_dm(client: WebClient, channel_id: str, user_id: str, message: dict[str, Any]) -> None:
    """A private note for one person in a channel; where the bot cannot post (not invited, a DM), in its own DM instead."""
    try:
        client.chat_postEphemeral(channel=channel_id, user=user_id, **message)
    except SlackApiError as exc:
        if exc.response.get("error") not in POST_REFUSED | {"user_not_in_channel"}:
            raise
        client.chat_postMessage(channel=user_id, **message)


def _send_export(client: WebClient, request: Request, reply: Reply, respond: Respond) -> None:
    """An export's CSV goes to the asker's DM as a file; the channel gets a private note saying so."""
    filename, rows = str(reply.data["filename"]), reply.data.get("rows", 0)
    try:
        dm = client.conversations_open(users=request.user_id)["channel"]["id"]
        client.files_upload_v2(
            channel=dm, content=reply.data["csv"], filename=filename, title=filename, initial_comment=render.escape(reply.text)
        )
    except SlackApiError:
        ref = uuid.uuid4().hex[:8]
        log.exception("could not upload an export (ref %s)", ref)
        _respond(respond, render.notice(EXPORT_FAILED.format(ref=ref)), response_type="ephemeral")
        return
    _respond(respond, render.notice(EXPORT_SENT.format(filename=filename, rows=rows)), response_type="ephemeral")


def register(app: App, ctx: Context, *, seen: SeenEvents, users: UserDirectory) -> None:
    """Attach cmmi-bot's middleware and listeners to a Bolt app: /cmmi, Share, mentions, DMs, the evidence shortcut, App Home."""

    def who(request: Request, client: WebClient) -> Request:
        # After the ack: users.info may take a round trip (cached for ten minutes per user), with the request's
        # client, which carries its workspace's token (with OAuth, each workspace has its own).
        facts = users.facts(request.workspace_id, request.user_id, client)
        return replace(request, is_admin=facts.is_admin, timezone=facts.timezone)

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
    def on_command(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        request = convert.from_command(body)

        def work() -> None:
            asked = who(request, client)
            reply, failure = _dispatch(asked, ctx, "slash command")
            if reply is None:
                _respond(respond, failure, response_type="ephemeral")
                return
            if "csv" in reply.data and "filename" in reply.data:
                _send_export(client, asked, reply, respond)
                return
            if reply.in_channel:
                try:
                    client.chat_postMessage(channel=asked.channel_id, **render.message(reply))
                except SlackApiError as exc:
                    if exc.response.get("error") not in POST_REFUSED:
                        raise
                    _respond(respond, render.notice(CANNOT_POST_HERE), response_type="ephemeral")
                return
            share = asked.text if _is_shareable(asked.text) else None
            _respond(respond, render.message(reply, asked=asked.text, share_value=share), response_type="ephemeral")

        _at_edge("slash command", work)

    @app.action(render.SHARE_ACTION)
    def on_share(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        request = convert.from_share(body, action.get("value") or "")

        def work() -> None:
            reply, failure = _dispatch(who(request, client), ctx, "share")
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
            reply, failure = _dispatch(who(request, client), ctx, "mention")
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
            reply, failure = _dispatch(who(request, client), ctx, "direct message")
            message = render.message(reply) if reply is not None else failure
            client.chat_postMessage(channel=request.channel_id, thread_ts=request.thread_id, **message)

        _at_edge("direct message", work)

    @app.event("app_home_opened")
    def on_home_opened(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home" or not event.get("user"):
            return  # the Messages tab: nothing to draw
        user_id, workspace_id = event["user"], convert.workspace_id(body.get("team_id"))

        def work() -> None:
            try:
                reply = home_reply(ctx, workspace_id, user_id)
            except StoreUnavailable:
                log.warning("database unavailable drawing App Home", exc_info=True)
                reply = Reply(text=UNAVAILABLE, sections=(Section(body=UNAVAILABLE),))
            client.views_publish(user_id=user_id, view=views.home(reply))

        _at_edge("App Home", work)

    @app.shortcut(LOG_EVIDENCE_SHORTCUT)
    def on_log_evidence(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        workspace_id, channel_id = convert.workspace_of(body), (body.get("channel") or {}).get("id") or ""
        message = body.get("message") or {}
        message_ts = message.get("ts") or body.get("message_ts") or ""

        def work() -> None:
            store = ctx.store
            try:
                if store is None:
                    view = views.notice_modal(NO_STORE)
                elif not (groups := store.list_groups(workspace_id)):
                    view = views.notice_modal(views.NO_GROUPS)
                else:
                    bound = store.channel_group(workspace_id, channel_id)
                    excerpt = convert.unescape(str(message.get("text") or ""))
                    view = views.evidence_modal(groups, bound, modal.pack_origin(channel_id, message_ts), excerpt)
            except StoreUnavailable:
                log.warning("database unavailable opening the evidence modal", exc_info=True)
                view = views.notice_modal(UNAVAILABLE)
            client.views_open(trigger_id=body["trigger_id"], view=view)

        _at_edge("message shortcut", work)

    @app.options(modal.PRACTICE)
    def on_practice_search(ack: Ack, body: dict[str, Any]) -> None:
        try:
            choices = modal.practice_choices(ctx, str(body.get("value") or ""))
        except Exception:
            log.exception("practice search failed")
            choices = []
        ack(options=views.practice_options(choices))

    @app.view(views.MODAL_CALLBACK)
    def on_evidence_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        user_id, workspace_id = (body.get("user") or {}).get("id") or "", convert.workspace_of(body)
        store = ctx.store
        try:
            channel_id, message_ts = modal.unpack_origin(view.get("private_metadata") or "")
            if store is None:
                raise UserError(NO_STORE)
            submission, errors = modal.read_submission(
                ctx, (view.get("state") or {}).get("values") or {}, store.list_groups(workspace_id), store.clock().date()
            )
        except (ValueError, UserError, StoreUnavailable) as exc:
            log.warning("evidence modal refused: %s", type(exc).__name__)
            ack(response_action="errors", errors={modal.PRACTICE: str(exc) if isinstance(exc, UserError) else UNAVAILABLE})
            return
        if submission is None:
            ack(response_action="errors", errors=errors)
            return
        ack()  # closes the modal; the rest happens after Slack has its answer
        request = convert.from_modal(body, channel_id)

        def work() -> None:
            try:
                permalink = client.chat_getPermalink(channel=channel_id, message_ts=message_ts)["permalink"]
            except SlackApiError as exc:
                log.warning("chat.getPermalink failed (%s)", exc.response.get("error"))
                _post_or_dm(client, channel_id, user_id, render.notice(NO_PERMALINK))
                return
            try:
                reply = add_evidence(
                    request, ctx, practice=submission.practice, group=submission.group, kind=submission.kind,
                    link=permalink, note=submission.note, evidence_date=submission.evidence_date,
                )  # fmt: skip
                message = render.message(reply)
            except UserError as exc:
                message = render.notice(str(exc))
            except StoreUnavailable:
                log.warning("database unavailable storing evidence from the modal", exc_info=True)
                message = render.notice(UNAVAILABLE)
            _post_or_dm(client, channel_id, user_id, message)

        _at_edge("evidence modal", work)
