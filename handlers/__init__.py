"""Command handlers: one module per command word, one table, one dispatch."""

from __future__ import annotations

from types import ModuleType

from handlers import ask, help
from handlers.core import Context, Reply, Request, Section, UserError

COMMANDS: dict[str, ModuleType] = {"ask": ask, "help": help}


def command_for(text: str) -> ModuleType:
    """The handler for a message: its first word if that is a command, else ask.
    'help' counts alone or with one word after it, so 'help me find ...' stays a question."""
    words = text.split()
    if not words:
        return ask
    first = words[0].lower()
    if first == "help":
        return help if len(words) <= 2 else ask
    return COMMANDS.get(first, ask)


def dispatch(request: Request, ctx: Context) -> Reply:
    """Handle one request. Raises UserError on bad input; adapters catch it (and anything else) at the edge."""
    return command_for(request.text).handle(request, ctx)


__all__ = ["COMMANDS", "Context", "Reply", "Request", "Section", "UserError", "dispatch"]
