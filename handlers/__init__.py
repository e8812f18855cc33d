"""Command handlers: one module per command word, one table, one dispatch."""

from __future__ import annotations

import logging
from dataclasses import replace

from handlers import ask, digest, evidence, export, feedback, gaps, group, help, home, rate, settings, status
from handlers.core import (
    Action,
    Attachment,
    Choice,
    Command,
    Context,
    Field,
    Form,
    FormError,
    Inline,
    Link,
    Person,
    Reply,
    Request,
    Section,
    Text,
    UserError,
    plain,
)
from handlers.support import followup
from handlers.support.parse import check_request
from store import StoreUnavailable

log = logging.getLogger("cmmi_bot.handlers")

COMMANDS: dict[str, Command] = {
    "ask": ask,
    "evidence": evidence,
    "rate": rate,
    "status": status,
    "gaps": gaps,
    "group": group,
    "export": export,
    "digest": digest,
    "settings": settings,
    "home": home,
    "feedback": feedback,
    "help": help,
}


def command_for(text: str) -> Command:
    """The handler for a message: its first word if that is a command, else ask.
    'help' counts alone or with one word after it, so 'help me find ...' stays a question; 'feedback' only before
    good or bad, so 'feedback from customers: which PA?' stays one too."""
    words = text.split()
    if not words:
        return ask
    first = words[0].lower()
    if first == "help":
        return help if len(words) <= 2 else ask
    if first == "feedback":
        return feedback if len(words) > 1 and words[1].lower() in feedback.WRITES else ask
    return COMMANDS.get(first, ask)


def writes(text: str) -> bool:
    """True when handling this message may change stored data; transports record such messages before acknowledging them.
    Each command module names its writing verbs in WRITES ("*": all of them); a module without WRITES only reads."""
    verbs: frozenset[str] = getattr(command_for(text), "WRITES", frozenset())
    if "*" in verbs:
        return True
    words = text.split()
    return len(words) > 1 and words[1].lower() in verbs


UNAVAILABLE = "Could not reach the database, so nothing was recorded. Please try again in a moment."
FORGOTTEN_TOPIC = "I no longer know what this thread was about. Mention me with your question."


def dispatch(request: Request, ctx: Context) -> Reply:
    """Handle one request. Raises UserError on bad input (including a missing or oversized workspace, channel or user
    ID, and characters no database can store) or when the database is unavailable (nothing was written either way);
    adapters catch it, and anything else, at the edge.

    A thread follow-up (`request.topic` set) is resolved against the thread's element first; an answer about one element
    names it in `reply.topic`, for the transport to remember for its thread."""
    check_request(request)
    if request.topic is not None:
        return _follow_up(request, ctx)
    try:
        reply = command_for(request.text).handle(request, ctx)
    except StoreUnavailable:
        log.warning("database unavailable handling a %s command", command_for(request.text).__name__.rsplit(".", 1)[-1], exc_info=True)
        raise UserError(UNAVAILABLE) from None
    element = followup.topic(reply, ctx.model)
    return replace(reply, topic=element) if element is not None else reply


def _follow_up(request: Request, ctx: Context) -> Reply:
    resolved = followup.resolve(request.text, request.topic or "", ctx.model)
    if resolved is None:  # the element left the model (a newer model file): nothing to resolve against
        raise UserError(FORGOTTEN_TOPIC)
    if resolved.reply is not None:
        return resolved.reply
    return dispatch(replace(request, text=resolved.command, topic=None), ctx)


__all__ = [
    "COMMANDS", "FORGOTTEN_TOPIC", "UNAVAILABLE", "Action", "Attachment", "Choice", "Command", "Context", "Field", "Form", "FormError", "Inline", "Link", "Person",
    "Reply", "Request", "Section", "Text", "UserError", "dispatch", "plain", "writes",
]  # fmt: skip
