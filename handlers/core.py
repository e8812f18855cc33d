"""Transport-neutral request, reply and error types shared by every handler and adapter.

A reply says more than text: it can offer actions (buttons that run a command), ask for a form, carry a file, and
name people and links inside its text. Handlers produce these neutral values; each transport's renderer maps them
(Block Kit, Adaptive Cards, the terminal). A button press or a form submission comes back as an ordinary Request."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol

from index import ModelIndex
from model_data import Model
from store import Store


class UserError(Exception):
    """Bad input: the message says what was wrong and what to type instead. Nothing was written.

    The message may name people and links (Text); `str(exc)` is its plain words, `.text` what renderers show."""

    def __init__(self, text: Text = "") -> None:
        super().__init__(plain(text))
        self.text: Text = text


class FormError(UserError):
    """A form was submitted with fields to fix: the form again, with the person's input and an error per field."""

    def __init__(self, form: Form) -> None:
        super().__init__("; ".join(f"{name}: {error}" for name, error in form.errors.items()) or "Please check the form.")
        self.form = form


@dataclass(frozen=True)
class Person:
    """Someone, by their transport's user ID: Slack shows a mention, Teams and the console a name where one is known."""

    user_id: str


@dataclass(frozen=True)
class Link:
    """A link a person can click: the URL, and the words to show (the URL itself when there are none)."""

    url: str
    label: str | None = None


Inline = str | Person | Link
# Text in a reply: plain words, or a run of words, people and links. Plain words are always shown as typed: every
# renderer escapes them, so user text can never become a mention, a link or markup.
Text = str | tuple[Inline, ...]


def plain(text: Text) -> str:
    """Text as plain words: people by ID, links by label and URL (for logs, fallbacks and the JSON form)."""
    if isinstance(text, str):
        return text
    parts = []
    for part in text:
        if isinstance(part, Person):
            parts.append(part.user_id)
        elif isinstance(part, Link):
            parts.append(f"{part.label} <{part.url}>" if part.label and part.label != part.url else part.url)
        else:
            parts.append(part)
    return "".join(parts)


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Action:
    """A button, or a menu when it has choices. Pressing it runs `command` as if its presser had typed it; for a menu
    the chosen value replaces {value} in the command. `id` names what kind of action it is: the transports check that
    a pressed action's command is one an action of that kind could carry (handlers.actions.permits)."""

    id: str
    label: str
    command: str
    style: str = "default"  # default | primary | danger
    choices: tuple[Choice, ...] = ()


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text | long_text | choice | date | practice (search as you type) | url
    required: bool = True
    choices: tuple[Choice, ...] = ()
    value: str | None = None  # prefilled, or what the person typed when the form comes back with errors
    hint: str | None = None
    max_length: int | None = None


@dataclass(frozen=True)
class Form:
    """A form to fill in. Submitting it runs `command` with the fields' values in Request.form. `hidden` carries values
    the bot itself put there (the message a form was opened from, say) through the dialog and back."""

    id: str  # log_evidence | rate
    title: str
    submit: str
    command: str
    fields: tuple[Field, ...]
    errors: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    hidden: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def named(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class Attachment:
    """A file: the transports upload it (Slack), offer it through file consent (Teams), or write it out (console)."""

    filename: str
    media_type: str
    content: bytes
    title: str | None = None


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
    form: dict[str, str] | None = None  # a submitted form's values, by field name (and its hidden values)
    via: str = "typed"  # typed | action | form: how the request came (a button's command was checked before dispatch)
    topic: str | None = None  # a thread follow-up: the element the thread is about (the transport remembers it per thread)


@dataclass(frozen=True)
class Section:
    """One block of an answer. Each renderer escapes and styles its text for its transport; people and links in it
    become mentions or names, and clickable links."""

    title: str | None = None
    body: Text = ""
    fields: tuple[tuple[str, Text], ...] = ()
    items: tuple[Text, ...] = ()
    note: str | None = None  # small print under the section (IDs, provenance)
    actions: tuple[Action, ...] = ()  # buttons that belong to this section (Log evidence on one gap, say)


@dataclass(frozen=True)
class Reply:
    text: str  # one-line summary: notification text and plain fallback
    sections: tuple[Section, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)  # machine-readable result, e.g. for --json
    in_channel: bool = False  # post for everyone in the channel rather than privately to the asker
    actions: tuple[Action, ...] = ()  # the next steps offered under the answer
    form: Form | None = None  # a form to open (the transports show it as a dialog)
    attachments: tuple[Attachment, ...] = ()
    announce: Text | None = None  # a channel-wide change: said in the channel too, for everyone, naming who made it
    shareable: bool = False  # a real answer or report, worth offering to share with the channel
    topic: str | None = None  # the one element this answer is about: what follow-ups in its thread will refer to


@dataclass(frozen=True)
class Context:
    """What handlers may use; built once by bot.wiring."""

    model: Model
    index: ModelIndex
    store: Store | None = None
    review_months: int = 12  # evidence is due for review this many months after its date, unless the workspace says otherwise


Verb = Callable[[list[str], Request, Context], Reply]
# A verb's function: the words after the verb, the request, the context.


@dataclass(frozen=True)
class Verbs:
    """How every command with verbs dispatches them: the first word after the command picks a function from `table`
    (letter case ignored), which gets the words after it. With no words `empty` runs when there is one. A first word
    that is no verb goes to `default` with all the words (rate PRACTICE ..., whose verb is optional), or, without a
    default, is refused with `unknown`: the text to show, or a function of the word typed ('' when none) giving it."""

    table: Mapping[str, Verb]
    unknown: str | Callable[[str], str] = ""
    empty: Verb | None = None
    default: Verb | None = None

    def __call__(self, words: list[str], request: Request, ctx: Context) -> Reply:
        if not words and self.empty is not None:
            return self.empty([], request, ctx)
        verb = self.table.get(words[0].lower()) if words else None
        if verb is not None:
            return verb(words[1:], request, ctx)
        if self.default is not None:
            return self.default(words, request, ctx)
        unknown = self.unknown if isinstance(self.unknown, str) else self.unknown(words[0] if words else "")
        raise UserError(unknown)


class Command(Protocol):
    """A command module, as the command table holds it: `handle` answers a request, the module's docstring is its help
    (first line: what to type), and WRITES, where present, names the verbs that change stored data ("*": all)."""

    __name__: str

    def handle(self, request: Request, ctx: Context, /) -> Reply: ...
