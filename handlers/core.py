"""Transport-neutral request, reply and error types shared by every handler and adapter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from index import ModelIndex
from model_data import Model
from store import Store


class UserError(Exception):
    """Bad input: the message says what was wrong and what to type instead. Nothing was written."""


@dataclass(frozen=True)
class Request:
    text: str
    user_id: str = "local-user"
    workspace_id: str = "local"
    channel_id: str = "console"
    thread_id: str | None = None
    is_admin: bool = False
    transport: str = "console"
    timezone: str | None = None  # the user's IANA time zone when the transport knows it
    address: dict[str, Any] | None = None  # what the transport needs to post here later (Teams: a conversation reference)


@dataclass(frozen=True)
class Section:
    """One block of an answer. Text is plain; each renderer escapes and styles it for its transport."""

    title: str | None = None
    body: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    items: tuple[str, ...] = ()
    note: str | None = None  # small print under the section (IDs, provenance)


@dataclass(frozen=True)
class Reply:
    text: str  # one-line summary: notification text and plain fallback
    sections: tuple[Section, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)  # machine-readable result, e.g. for --json
    in_channel: bool = False  # post for everyone in the channel rather than privately to the asker


@dataclass(frozen=True)
class Context:
    """What handlers may use; built once by bot.wiring."""

    model: Model
    index: ModelIndex
    store: Store | None = None
