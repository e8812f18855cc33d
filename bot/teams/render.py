"""Render a Reply for Teams: Adaptive Cards for answers, actions, status and lists, markdown text otherwise; file consent,
file info, welcome and announcement messages. With bot/teams/dialogs.py, the only place in cmmi-bot that writes Teams JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from handlers import COMMANDS, Action, Attachment, Form, Link, Person, Reply, Request, Section, Text, command_for
from handlers.support.actions import Kind, permits

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
FILE_CONSENT_TYPE = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO_TYPE = "application/vnd.microsoft.teams.card.file.info"
CARD_VERSION = "1.5"  # the newest Adaptive Card version Teams renders on every client
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
# Teams refuses cards over about 28 KB; the body is cut well before, leaving room for the actions and the envelope.
MAX_CARD_BYTES = 28_000
BODY_BUDGET = 22_000
MAX_MESSAGE_CHARS = 15_000  # markdown text: Teams counts 40 KB as UTF-16, two bytes a character
MAX_BUTTON_TITLE = 80
MAX_CARD_ACTIONS = 6  # Teams shows at most six actions in a row; the rest would be hidden in an overflow menu
MAX_CHOICES = 100

CARD_COMMANDS = {"ask", "status", "gaps", "home"}
LIST_WORDS = {"list", "show"}
# Actions whose command answers with a form: in Teams they open a dialog (task module) rather than post a message.
DIALOG_KINDS = frozenset({Kind.LOG_EVIDENCE, Kind.RATE, Kind.REPLACE})
DATA_KEY = "cmmi"  # where a pressed action's kind and command travel in Action.Submit data
CHOICE_PREFIX = "cmmi_choice_"  # the ids of menus' choice inputs

_MARKDOWN = re.compile(r"([\\`*_\[\]~|])")
_LINE_START = re.compile(r"(?m)^(\s*)([#>+-]|\d+\.)")


def escape(text: str) -> str:
    """Make text inert in Teams markdown (messages and Adaptive Card TextBlocks): &, < and > become entities, so
    '<at>' or '<b>' show as typed and never become a mention or markup; markdown punctuation is backslash-escaped,
    so '*', '_', '[x](y)' and a leading '#', '-' or '1.' show as typed too."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN.sub(r"\\\1", text)
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def person_name(user_id: str, names: dict[str, str] | None = None) -> str:
    """How Teams shows a person: the name Teams last gave for them, else a neutral 'someone (ID…)' shortened."""
    name = (names or {}).get(user_id)
    if name:
        return name
    short = user_id if len(user_id) <= 8 else user_id[:8] + "…"
    return f"someone ({short})"


def md(text: Text, names: dict[str, str] | None = None) -> str:
    """Text as Teams markdown: words escaped, a person by name where known, a link as [label](url)."""
    if isinstance(text, str):
        return escape(text)
    out = []
    for part in text:
        if isinstance(part, Person):
            out.append(escape(person_name(part.user_id, names)))
        elif isinstance(part, Link):
            url = part.url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
            out.append(f"[{escape(part.label or part.url)}]({url})")
        else:
            out.append(escape(part))
    return "".join(out)


def people_in(reply: Reply) -> set[str]:
    """The user IDs a reply names, so their names can be looked up once before rendering."""
    found: set[str] = set()

    def scan(text: Text | None) -> None:
        if text and not isinstance(text, str):
            found.update(p.user_id for p in text if isinstance(p, Person))

    for section in reply.sections:
        scan(section.body)
        for _, value in section.fields:
            scan(value)
        for item in section.items:
            scan(item)
    scan(reply.announce)
    return found


def wants_card(reply: Reply, text: str) -> bool:
    """Cards where structure helps: answers, status, gaps, lists, anything with fields or buttons. Help and plain
    confirmations stay text."""
    if reply.actions or any(section.actions for section in reply.sections) or reply.form is not None:
        return True
    command = command_for(text)
    if command is COMMANDS["help"]:
        return False
    words = text.split()
    name = command.__name__.rsplit(".", 1)[-1]
    if name in CARD_COMMANDS:
        return True
    if len(words) > 1 and words[0].lower() == name and words[1].lower() in LIST_WORDS:
        return True
    return any(section.fields for section in reply.sections)


# ---- Adaptive Cards ----------------------------------------------------------------------


def size_of(value: Any) -> int:
    """Bytes on the wire, as Teams counts a card against its limit."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def text_block(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _title(label: str) -> str:
    return label if len(label) <= MAX_BUTTON_TITLE else label[: MAX_BUTTON_TITLE - 1] + "…"


def action_data(action: Action, *, choice: str | None = None) -> dict[str, Any]:
    """What a pressed action sends back: its kind and command (checked with `permits` before anything runs); a menu also
    names the input holding the chosen value. Actions that answer with a form ask Teams for a dialog (task/fetch)."""
    data: dict[str, Any] = {DATA_KEY: {"kind": str(action.id), "command": action.command}}
    if choice:
        data[DATA_KEY]["choice"] = choice
    if action.id in DIALOG_KINDS:
        data["msteams"] = {"type": "task/fetch"}
    return data


def submit_action(action: Action) -> dict[str, Any]:
    """A core action as an Action.Submit: a message back to the bot, or a dialog for actions that open a form."""
    out: dict[str, Any] = {"type": "Action.Submit", "title": _title(action.label), "data": action_data(action)}
    if action.style == "primary":
        out["style"] = "positive"
    elif action.style == "danger":
        out["style"] = "destructive"
    return out


def menu_elements(action: Action, n: int) -> list[dict[str, Any]]:
    """A menu (an action with choices) as a card input and a button that runs the command with the chosen value."""
    input_id = f"{CHOICE_PREFIX}{n}"
    choices = [{"title": _title(c.label), "value": c.value} for c in action.choices[:MAX_CHOICES]]
    label = action.label.rstrip("…").rstrip(".")
    return [
        {"type": "Input.ChoiceSet", "id": input_id, "label": label, "style": "compact", "choices": choices, "placeholder": action.label},
        {
            "type": "ActionSet",
            "actions": [{"type": "Action.Submit", "title": f"Show {label.lower()}", "data": action_data(action, choice=input_id)}],
        },
    ]


class _Numbering:
    """Menus need card-wide unique input ids."""

    def __init__(self) -> None:
        self.n = 0

    def next(self) -> int:
        self.n += 1
        return self.n


def _actions_elements(actions: Iterable[Action], numbering: _Numbering) -> list[dict[str, Any]]:
    buttons = [submit_action(a) for a in actions if not a.choices][:MAX_CARD_ACTIONS]
    elements: list[dict[str, Any]] = []
    for action in (a for a in actions if a.choices):
        elements += menu_elements(action, numbering.next())
    if buttons:
        elements.append({"type": "ActionSet", "actions": buttons})
    return elements


def _section_elements(section: Section, first: bool, names: dict[str, str] | None, numbering: _Numbering) -> list[dict[str, Any]]:
    elements: list[dict[str, Any]] = []
    if section.title:
        size = "Large" if first else "Medium"
        elements.append(text_block(escape(section.title), weight="Bolder", size=size, spacing="None" if first else "Medium"))
    if section.body:
        elements.append(text_block(md(section.body, names)))
    if section.fields:
        facts = [{"title": escape(name), "value": md(value, names)} for name, value in section.fields]
        elements.append({"type": "FactSet", "facts": facts})
    if section.items:
        elements.append(text_block("\n".join(f"- {md(item, names)}" for item in section.items)))
    if section.note:
        elements.append(text_block(escape(section.note), isSubtle=True, size="Small"))
    if section.actions:
        elements += _actions_elements(section.actions, numbering)
    return elements


def adaptive_card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    card: dict[str, Any] = {"type": "AdaptiveCard", "$schema": CARD_SCHEMA, "version": CARD_VERSION, "body": body}
    if actions:
        card["actions"] = actions
    card["msteams"] = {"width": "Full"}
    return card


def card(
    reply: Reply, *, asked: str | None = None, names: dict[str, str] | None = None, budget: int = BODY_BUDGET, extra: Iterable[Action] = ()
) -> dict[str, Any]:
    """An Adaptive Card for a Reply with its actions. Sections that would push the card past Teams' size limit are left
    out and counted."""
    numbering = _Numbering()
    body: list[dict[str, Any]] = []
    if asked is not None:
        body.append(text_block(f"You asked: {escape(asked)}", isSubtle=True, size="Small"))
    sections = reply.sections or (Section(body=reply.text),)
    used, dropped = size_of(body), 0
    for i, section in enumerate(sections):
        elements = _section_elements(section, i == 0, names, numbering)
        size = size_of(elements)
        if dropped or used + size > budget:
            dropped += 1 + len(section.items)
            continue
        used += size
        body.extend(elements)
    if dropped:
        body.append(text_block(f"… {dropped} more not shown (too long for one Teams message). Ask a narrower question.", isSubtle=True))
    own = [*reply.actions, *extra]
    menus = [a for a in own if a.choices]
    for action in menus:
        body += menu_elements(action, numbering.next())
    buttons = [submit_action(a) for a in own if not a.choices][:MAX_CARD_ACTIONS]
    return adaptive_card(body, buttons)


def card_message(reply: Reply, *, asked: str | None = None, names: dict[str, str] | None = None, extra: Iterable[Action] = ()) -> dict:
    """A message activity carrying one Adaptive Card; its summary is what notifications show."""
    return {
        "type": "message",
        "summary": reply.text[:200],
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": card(reply, asked=asked, names=names, extra=extra)}],
    }


# ---- markdown text --------------------------------------------------------------------------


def _section_markdown(section: Section, names: dict[str, str] | None) -> str:
    parts: list[str] = []
    if section.title:
        parts.append(f"**{escape(section.title)}**")
    if section.body:
        parts.append(md(section.body, names))
    parts += [f"**{escape(name)}**: {md(value, names)}" for name, value in section.fields]
    if section.items:
        parts.append("\n".join(f"- {md(item, names)}" for item in section.items))
    if section.note:
        parts.append(f"_{escape(section.note)}_")
    return "\n\n".join(parts)


def _clip(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit)
    return text[: cut if cut > 0 else limit] + "\n\n… (shortened to fit one Teams message)"


def text_message(reply: Reply, names: dict[str, str] | None = None) -> dict[str, Any]:
    """A markdown text message for a Reply."""
    sections = reply.sections or (Section(body=reply.text),)
    text = "\n\n".join(part for part in (_section_markdown(s, names) for s in sections) if part)
    return {"type": "message", "textFormat": "markdown", "text": _clip(text)}


def notice(text: Text, names: dict[str, str] | None = None) -> dict[str, Any]:
    """A short message with no structure: what went wrong and what to type instead, or an apology."""
    return {"type": "message", "textFormat": "markdown", "text": _clip(md(text, names))}


# ---- replies ---------------------------------------------------------------------------------

FORM_IN_DIALOG = "Open the form"


def form_button(form: Form, typed: str) -> tuple[Action, ...]:
    """The button that opens a typed-for form as a dialog: the command as typed, or as the form says it (a practice in
    its canonical spelling), whichever a dialog button may carry."""
    practice = form.named("practice")
    key = practice.value if practice is not None and practice.value else ""
    by_kind: dict[str, str] = {Kind.LOG_EVIDENCE: f"evidence form {key}".strip(), Kind.RATE: f"rate form {key}"}
    derived = by_kind.get(form.id, "")
    for command in (" ".join(typed.split()), derived):
        kind = next((k for k in (form.id, *sorted(DIALOG_KINDS)) if permits(k, command)), None)
        if kind is not None:
            return (Action(kind, FORM_IN_DIALOG, command, style="primary"),)
    return ()


def message(reply: Reply, request: Request, names: dict[str, str] | None = None) -> dict[str, Any]:
    """The message activity answering a request: a card (with its buttons) or text. A form typed for (`evidence form`)
    is offered as a button that opens it as a dialog: Teams opens dialogs only from a card's button."""
    extra = form_button(reply.form, request.text) if reply.form is not None else ()
    if wants_card(reply, request.text):
        asked = request.text if command_for(request.text) is COMMANDS["ask"] and request.via == "typed" else None
        return card_message(reply, asked=asked, names=names, extra=extra)
    return text_message(reply, names)


def digest_message(reply: Reply, names: dict[str, str] | None = None) -> dict[str, Any]:
    """A weekly digest, posted to a channel: always a card."""
    return card_message(reply, names=names)


def welcome_message(reply: Reply) -> dict[str, Any]:
    """The welcome when cmmi-bot is added to a chat, channel or team."""
    return card_message(reply)


def announcement(announce: Text, user_id: str, names: dict[str, str] | None = None) -> dict[str, Any]:
    """A channel-wide change, said in the channel for everyone, naming who made it."""
    who = escape(person_name(user_id, names))
    body = [text_block(f"📣 {md(announce, names)}"), text_block(f"Changed by {who}", isSubtle=True, size="Small", spacing="None")]
    words = "".join(
        person_name(p.user_id, names) if isinstance(p, Person) else (p.label or p.url) if isinstance(p, Link) else p
        for p in ((announce,) if isinstance(announce, str) else announce)
    )
    return {
        "type": "message",
        "summary": f"{words[:150]} ({person_name(user_id, names)})",
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": adaptive_card(body)}],
    }


# ---- files -----------------------------------------------------------------------------------


def file_consent(attachment: Attachment, context: dict[str, Any]) -> dict[str, Any]:
    """A FileConsentCard: Teams asks the person whether to put the file in their OneDrive; the answer comes back as a
    fileConsent/invoke carrying `context` (what is needed to make the file again)."""
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": FILE_CONSENT_TYPE,
                "name": attachment.filename,
                "content": {
                    "description": attachment.title or attachment.filename,
                    "sizeInBytes": len(attachment.content),
                    "acceptContext": context,
                    "declineContext": context,
                },
            }
        ],
    }


def file_info(upload: dict[str, Any]) -> dict[str, Any]:
    """The file as Teams shows an uploaded one, after the person accepted and the bytes were uploaded."""
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": FILE_INFO_TYPE,
                "contentUrl": upload.get("contentUrl") or "",
                "name": upload.get("name") or "",
                "content": {"uniqueId": upload.get("uniqueId") or "", "fileType": upload.get("fileType") or ""},
            }
        ],
    }


def personal_chat_link(bot_id: str) -> str:
    """A deep link that opens the person's one-to-one chat with the bot (28:<app ID> in Teams' own terms)."""
    return "https://teams.microsoft.com/l/chat/0/0?users=" + quote(bot_id, safe=":")


def files_elsewhere(reply: Reply, *, sent: bool, bot_id: str, command: str) -> dict[str, Any]:
    """In a channel or group chat, where Teams offers no file consent: say where the file went, or how to get it, with a
    button that continues in the personal chat. Never a shell command: the person stays in Teams."""
    names = ", ".join(escape(a.filename) for a in reply.attachments)
    if sent:
        text = f"{escape(reply.text)}. I sent {names} to you in our personal chat: accept it there to save it to your OneDrive."
    else:
        command = escape(" ".join(command.split()))
        text = (
            f"{escape(reply.text)}. Teams can hand over files only in a personal chat. Open our personal chat and type "
            f"**{command}** there to get {names}."
        )
    button = {"type": "Action.OpenUrl", "title": "Open personal chat", "url": personal_chat_link(bot_id)}
    return {
        "type": "message",
        "summary": reply.text[:200],
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": adaptive_card([text_block(text)], [button])}],
    }
