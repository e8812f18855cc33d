"""Render a Reply for Teams: Adaptive Cards for answers, status and lists, markdown text otherwise.
The only place in cmmi-bot that writes Adaptive Card JSON."""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

from handlers import COMMANDS, Link, Person, Reply, Request, Section, Text, command_for

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_VERSION = "1.5"  # the newest Adaptive Card version Teams renders on every client
# Teams refuses messages over 40 KB counted as UTF-16 (two bytes a character): stay well under it.
MAX_MESSAGE_CHARS = 15_000
MAX_CSV_LINES = 10  # rows of an export shown in the chat

CARD_COMMANDS = {"ask", "status", "gaps"}
LIST_WORDS = {"list", "show"}

_MARKDOWN = re.compile(r"([\\`*_\[\]~|])")
_LINE_START = re.compile(r"(?m)^(\s*)([#>+-]|\d+\.)")


def escape(text: str) -> str:
    """Make text inert in Teams markdown (messages and Adaptive Card TextBlocks): &, < and > become entities, so
    '<at>' or '<b>' show as typed and never become a mention or markup; markdown punctuation is backslash-escaped,
    so '*', '_', '[x](y)' and a leading '#', '-' or '1.' show as typed too."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN.sub(r"\\\1", text)
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def md(text: Text, names: dict[str, str] | None = None) -> str:
    """Text as Teams markdown: words escaped, a person by name where known, a link as [label](url)."""
    if isinstance(text, str):
        return escape(text)
    out = []
    for part in text:
        if isinstance(part, Person):
            out.append(escape((names or {}).get(part.user_id) or part.user_id))
        elif isinstance(part, Link):
            url = part.url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")
            out.append(f"[{escape(part.label or part.url)}]({url})")
        else:
            out.append(escape(part))
    return "".join(out)


def wants_card(reply: Reply, text: str) -> bool:
    """Cards where structure helps: answers, status, gaps, lists, anything with fields. Help and confirmations stay text."""
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


def _text_block(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _section_elements(section: Section, first: bool) -> list[dict[str, Any]]:
    elements: list[dict[str, Any]] = []
    if section.title:
        size = "Large" if first else "Medium"
        elements.append(_text_block(escape(section.title), weight="Bolder", size=size, spacing="Medium" if not first else "None"))
    if section.body:
        elements.append(_text_block(md(section.body)))
    if section.fields:
        facts = [{"title": escape(name), "value": md(value)} for name, value in section.fields]
        elements.append({"type": "FactSet", "facts": facts})
    if section.items:
        elements.append(_text_block("\n".join(f"- {md(item)}" for item in section.items)))
    if section.note:
        elements.append(_text_block(escape(section.note), isSubtle=True, size="Small"))
    return elements


def card(reply: Reply, *, asked: str | None = None, budget: int = MAX_MESSAGE_CHARS) -> dict[str, Any]:
    """An Adaptive Card for a Reply. Sections that would push the message past Teams' size limit are left out and counted."""
    body: list[dict[str, Any]] = []
    if asked is not None:
        body.append(_text_block(f"You asked: {escape(asked)}", isSubtle=True, size="Small"))
    sections = reply.sections or (Section(body=reply.text),)
    used, dropped = 0, 0
    for i, section in enumerate(sections):
        elements = _section_elements(section, first=i == 0)
        size = len(json.dumps(elements, ensure_ascii=False))
        if dropped or used + size > budget:
            dropped += 1 + len(section.items)
            continue
        used += size
        body.extend(elements)
    if dropped:
        body.append(_text_block(f"… {dropped} more not shown (too long for one Teams message). Ask a narrower question.", isSubtle=True))
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": CARD_VERSION,
        "body": body,
        "msteams": {"width": "Full"},
    }


def card_message(reply: Reply, *, asked: str | None = None) -> dict[str, Any]:
    """A message activity carrying one Adaptive Card; its summary is what notifications show."""
    return {
        "type": "message",
        "summary": reply.text[:200],
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": card(reply, asked=asked)}],
    }


# ---- markdown text --------------------------------------------------------------------------


def _section_markdown(section: Section) -> str:
    parts: list[str] = []
    if section.title:
        parts.append(f"**{escape(section.title)}**")
    if section.body:
        parts.append(md(section.body))
    parts += [f"**{escape(name)}**: {md(value)}" for name, value in section.fields]
    if section.items:
        parts.append("\n".join(f"- {md(item)}" for item in section.items))
    if section.note:
        parts.append(f"_{escape(section.note)}_")
    return "\n\n".join(parts)


def _clip(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit)
    return text[: cut if cut > 0 else limit] + "\n\n… (shortened to fit one Teams message)"


def text_message(reply: Reply) -> dict[str, Any]:
    """A markdown text message for a Reply."""
    sections = reply.sections or (Section(body=reply.text),)
    text = "\n\n".join(part for part in (_section_markdown(s) for s in sections) if part)
    return {"type": "message", "textFormat": "markdown", "text": _clip(text)}


def notice(text: Text) -> dict[str, Any]:
    """A short message with no structure: what went wrong and what to type instead, or an apology."""
    return {"type": "message", "textFormat": "markdown", "text": _clip(md(text))}


def export_argv(request: Request) -> list[str]:
    """The arguments of the `cmmi-bot say` command that repeats this export on the host. `say` joins the words after
    `export` with spaces, as they were typed, so its parser reads them as the chat message was read. The IDs are
    given as --name=VALUE so a value starting with '-' is never taken for an option."""
    return [
        "cmmi-bot",
        "say",
        f"--workspace={request.workspace_id}",
        f"--channel={request.channel_id}",
        "export",
        *request.text.split()[1:],
    ]


def export_command(request: Request) -> str:
    """export_argv as a shell command line: every argument quoted, so nothing typed in the chat (a group called
    `b & touch PWNED`, `--group=a&touch&X`, quotes of any kind) can become shell syntax."""
    return shlex.join(export_argv(request))


def export_message(reply: Reply, request: Request) -> dict[str, Any]:
    """An export: Teams bots can send files only through the file-consent and OneDrive flow, so the chat shows the
    first rows and the exact command that writes the whole CSV file."""
    lines = reply.attachments[0].content.decode("utf-8").splitlines()
    shown = "\n".join(lines[: MAX_CSV_LINES + 1])
    rows = max(len(lines) - 1, 0)
    command = export_command(request)
    more = f" (the first {MAX_CSV_LINES} of {rows} rows)" if rows > MAX_CSV_LINES else f" ({rows} rows)"
    # Rows are escaped like any text (a code block would show entities literally, and notes are user text).
    text = "\n\n".join(
        [
            f"**{escape(reply.text)}**{more}",
            *(escape(line) for line in shown.splitlines()),
            "Teams cannot receive the file from cmmi-bot here. For the whole CSV, run on the cmmi-bot host:",
            escape(f"{command} > matrix.csv"),
        ]
    )
    return {"type": "message", "textFormat": "markdown", "text": _clip(text)}


def message(reply: Reply, request: Request) -> dict[str, Any]:
    """The message activity answering a request: export, card or text."""
    if reply.attachments:
        return export_message(reply, request)
    if wants_card(reply, request.text):
        asked = request.text if command_for(request.text) is COMMANDS["ask"] else None
        return card_message(reply, asked=asked)
    return text_message(reply)


def digest_message(reply: Reply) -> dict[str, Any]:
    """A weekly digest, posted to a channel: always a card."""
    return card_message(reply)
