"""Files (the evidence matrix, the workbook): offered through Teams' file consent in a personal chat, uploaded on accept.

A bot can hand a person a file only in a personal chat: it sends a FileConsentCard; if the person accepts, Teams makes an
upload session in their OneDrive and sends its URL back (fileConsent/invoke), the bot PUTs the bytes there and posts a
file card. The consent's context names the command that made the file, so whichever replica receives the answer makes
the file again, as the person, and uploads exactly that. In a channel or group chat the file goes to the person's
personal chat when the bot can open one, with a button that leads there."""

from __future__ import annotations

import ipaddress
import logging
import uuid
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from bot import edge
from bot.teams import convert, render
from bot.teams.listeners.base import Deps, delivery_key, dump, finish, in_thread, post, receive, run, send
from handlers import COMMANDS, Reply, Request, command_for, writes

log = logging.getLogger("cmmi_bot.teams")

UPLOAD_TIMEOUT = 60.0
DECLINED = "You declined {name}, so nothing was saved to your OneDrive. Type the command again whenever you want it."
UPLOAD_FAILED = "I could not upload {name} to your OneDrive (error reference {ref}). Please try again."
NOT_A_FILE = "That file request is not one cmmi-bot made, so nothing was uploaded."
GONE = "The file could not be made again: {why}"


def consent_context(request: Request, index: int) -> dict[str, Any]:
    """What the consent's answer needs to make the same file again: the command, where it was typed, which attachment."""
    return {"command": request.text, "channel": request.channel_id, "index": index}


async def offer(deps: Deps, activity_ctx: Any, activity: dict[str, Any], request: Request, reply: Reply) -> None:
    if convert.is_personal(activity):
        await send(activity_ctx, render.notice(reply.text))
        for index, attachment in enumerate(reply.attachments):
            await send(activity_ctx, render.file_consent(attachment, consent_context(request, index)))
        return
    address = request.address or {}
    sent = await _to_personal_chat(activity_ctx, activity, request, reply)
    await send(activity_ctx, render.files_elsewhere(reply, sent=sent, bot_id=str(address.get("botId") or ""), command=request.text))


async def _to_personal_chat(activity_ctx: Any, activity: dict[str, Any], request: Request, reply: Reply) -> bool:
    """Open (or find) the person's personal chat with the bot and offer the files there. False when Teams will not (the
    app is not installed for the person, say): the person then gets a button that opens that chat."""
    from microsoft_teams.api import Account
    from microsoft_teams.api.clients.conversation import CreateConversationParams  # hidden from mypy by a star re-export

    address = request.address or {}
    teams_user = str((activity.get("from") or {}).get("id") or "")
    tenant = str(address.get("tenantId") or "")
    if not teams_user:
        return False
    try:
        created = await activity_ctx.api.conversations.create(
            CreateConversationParams(members=[Account(id=teams_user)], tenant_id=tenant or None, channel_data={"tenant": {"id": tenant}})
        )
        await post(activity_ctx.api, address, created.id, render.notice(reply.text))
        for index, attachment in enumerate(reply.attachments):
            await post(activity_ctx.api, address, created.id, render.file_consent(attachment, consent_context(request, index)))
    except Exception as exc:
        log.warning("could not open a personal chat to offer a file (%s)", type(exc).__name__)
        return False
    return True


def remade(deps: Deps, activity: dict[str, Any], context: dict[str, Any]) -> tuple[Any, str | None]:
    """The attachment the consent was for, made again by the person who accepted it; or (None, what went wrong)."""
    command, channel, index = context.get("command"), context.get("channel"), context.get("index")
    if not isinstance(command, str) or not isinstance(channel, str) or not isinstance(index, int):
        return None, NOT_A_FILE
    if command_for(command) is not COMMANDS["export"] or writes(command):
        return None, NOT_A_FILE
    # Made as where it was asked for (the channel's work group), by whoever accepted it.
    request = replace(convert.request_for(activity, command), channel_id=channel, thread_id=None)
    outcome = run(deps, request, "file consent", None)
    if outcome.reply is None:
        return None, GONE.format(why=outcome.notice)
    if not 0 <= index < len(outcome.reply.attachments):
        return None, NOT_A_FILE
    return outcome.reply.attachments[index], None


def upload_allowed(url: str) -> bool:
    """Upload sessions are HTTPS URLs; plain HTTP only to this machine (local fakes and emulators)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    if parts.scheme != "http" or not parts.hostname:
        return False
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return parts.hostname == "localhost"


def upload(url: str, content: bytes) -> None:
    """PUT the whole file to a OneDrive upload session in one request (files here are far under its 4 MB a request)."""
    import httpx

    total = len(content)
    headers = {"Content-Length": str(total), "Content-Range": f"bytes 0-{max(total - 1, 0)}/{total}"}
    response = httpx.put(url, content=content, headers=headers, timeout=UPLOAD_TIMEOUT)
    response.raise_for_status()


def _object(value: object) -> dict[str, Any]:
    """A JSON object from an activity, or {} when it is anything else (missing, a string, a list)."""
    return value if isinstance(value, dict) else {}


async def on_file_consent(deps: Deps, activity_ctx: Any) -> None:
    """The person's answer to a FileConsentCard: decline is said; accept makes the file again, uploads it, posts its card."""
    activity = dump(activity_ctx.activity)
    value = _object(activity.get("value"))
    context = _object(value.get("context"))
    upload_info = _object(value.get("uploadInfo"))
    name = str(upload_info.get("name") or "the file")
    command = context.get("command")
    command = command if isinstance(command, str) else "export"
    request = convert.request_for(activity, command, via="action")
    key = delivery_key(activity)
    recorded = await in_thread(receive, deps, key, request, "file")
    if recorded is False:
        return
    try:
        if value.get("action") != "accept":
            await send(activity_ctx, render.notice(DECLINED.format(name=name)))
        else:
            await _accept(deps, activity_ctx, activity, context, upload_info, name)
    except Exception:
        await send(activity_ctx, render.notice(edge.apology("file consent", "teams")))
    await in_thread(finish, deps, key, recorded)


async def _accept(deps: Deps, activity_ctx: Any, activity: dict, context: dict, upload_info: dict, name: str) -> None:
    url = str(upload_info.get("uploadUrl") or "")
    if not upload_allowed(url):
        await send(activity_ctx, render.notice(NOT_A_FILE))
        return
    attachment, problem = await in_thread(remade, deps, activity, context)
    if attachment is None:
        await send(activity_ctx, render.notice(problem or NOT_A_FILE))
        return
    try:
        await in_thread(upload, url, attachment.content)
    except Exception as exc:
        ref = uuid.uuid4().hex[:8]
        # Not the exception's text: an upload session's URL carries its own access token.
        status = getattr(getattr(exc, "response", None), "status_code", None)
        log.warning("could not upload a file to a OneDrive upload session: %s %s (ref %s)", type(exc).__name__, status or "", ref)
        await send(activity_ctx, render.notice(UPLOAD_FAILED.format(name=name, ref=ref)))
        return
    await send(activity_ctx, render.file_info(upload_info))
