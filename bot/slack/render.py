"""Render a Reply as a Slack message in Block Kit: the only place in cmmi-bot that writes Block Kit JSON."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from handlers import Reply, Section

# Slack's published limits (Block Kit reference).
MAX_BLOCKS = 50  # per message
MAX_HOME_BLOCKS = 100  # per Home tab view
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_TEXT = 3000
MAX_BUTTON_VALUE = 2000
# The top-level text is what notifications and screen readers show; Slack accepts far more, people read far less.
MAX_FALLBACK_TEXT = 3000

SHARE_ACTION = "share_answer"
SHARE_LABEL = "Share in channel"

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_LONGEST_ENTITY = len("&amp;")


def escape(text: str) -> str:
    """Slack's escaping: only &, < and > are control characters. Everything from a Reply goes through this,
    so text such as <!channel>, <@U123> or <https://x|y> is shown as typed and never becomes a mention or link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _safe_cut(text: str, cut: int) -> int:
    """Move a cut point left so it never splits an entity such as &amp;."""
    amp = text.rfind("&", max(0, cut - _LONGEST_ENTITY + 1), cut)
    if amp > 0 and ";" not in text[amp:cut]:
        return amp
    return cut


def _clip(text: str, limit: int) -> tuple[str, bool]:
    """Shorten escaped text to at most limit characters, ending in an ellipsis; True when something was cut."""
    if len(text) <= limit:
        return text, False
    return text[: _safe_cut(text, limit - 1)].rstrip() + "…", True


def _split(text: str, limit: int) -> list[str]:
    """Split escaped text into pieces of at most limit characters, at a line break or a space where there is one.
    Nothing is lost: long bodies and lists continue in the next block."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = text.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = _safe_cut(text, limit)
        piece = text[:cut].rstrip()
        if piece:
            pieces.append(piece)
        text = text[cut:].lstrip("\n ")
    if text:
        pieces.append(text)
    return pieces


def _mrkdwn(text: str) -> dict[str, Any]:
    # verbatim: Slack must not turn bare URLs, #channel names or @here in model or user text into links or mentions.
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [_mrkdwn(text)]}


@dataclass
class _Blocks:
    """Blocks in order, each with how many entries (sections, list items) it shows, for the 'N more' count."""

    blocks: list[dict[str, Any]] = field(default_factory=list)
    weights: list[int] = field(default_factory=list)
    shortened: int = 0
    header_used: bool = False

    def add(self, block: dict[str, Any], weight: int = 0) -> None:
        self.blocks.append(block)
        self.weights.append(weight)

    def section(self, section: Section) -> None:
        title_line = ""
        if section.title:
            if not self.header_used:
                text, cut = _clip(escape(section.title), MAX_HEADER_TEXT)
                self.shortened += cut
                self.add({"type": "header", "text": {"type": "plain_text", "text": text}}, weight=1)
                self.header_used = True
            else:
                title_line = f"*{escape(section.title)}*"
        counted = bool(section.title and not title_line)  # a header already stands for this section
        fields = []
        for name, value in section.fields:
            text, cut = _clip(f"*{escape(name)}*\n{escape(value)}", MAX_FIELD_TEXT)
            self.shortened += cut
            fields.append(_mrkdwn(text))
        bullets = "\n".join(f"• {escape(item)}" for item in section.items)
        # Title, body and list read as one piece of text; fields sit under the body, so a list after them starts anew.
        lead = "\n".join(part for part in (title_line, escape(section.body), "" if fields else bullets) if part)
        blocks = [{"type": "section", "text": _mrkdwn(piece)} for piece in _split(lead, MAX_SECTION_TEXT)]
        groups = [fields[i : i + MAX_FIELDS] for i in range(0, len(fields), MAX_FIELDS)]
        if blocks and groups:
            blocks[-1]["fields"] = groups.pop(0)
        blocks += [{"type": "section", "fields": group} for group in groups]
        if fields:
            blocks += [{"type": "section", "text": _mrkdwn(piece)} for piece in _split(bullets, MAX_SECTION_TEXT)]
        for block in blocks:
            text = block.get("text", {}).get("text", "")
            self.add(block, weight=(0 if counted else 1) + sum(line.startswith("• ") for line in text.split("\n")))
            counted = True
        if section.note:
            text, cut = _clip(escape(section.note), MAX_CONTEXT_TEXT)
            self.shortened += cut
            self.add(_context(text))


def message(
    reply: Reply,
    *,
    asked: str | None = None,
    asked_by: str | None = None,
    share_value: str | None = None,
    max_blocks: int = MAX_BLOCKS,
) -> dict[str, Any]:
    """The chat.postMessage / response_url body for a Reply: {"text": fallback, "blocks": [...]}.

    asked: the question, echoed in a context line (an ephemeral answer has no other record of it);
    asked_by: the Slack user ID to credit when an answer is shared in a channel;
    share_value: when given, a "Share in channel" button carrying it (omitted past Slack's 2,000 characters).
    """
    out = _Blocks()
    if asked is not None:
        who = f"<@{asked_by}> asked" if asked_by and _USER_ID.match(asked_by) else "You asked"
        text, cut = _clip(f"{who}: {escape(asked)}", MAX_CONTEXT_TEXT)
        out.shortened += cut
        out.add(_context(text))
    for section in reply.sections or (Section(body=reply.text),):
        out.section(section)

    tail: list[dict[str, Any]] = []
    if share_value and len(share_value) <= MAX_BUTTON_VALUE:
        button = {"type": "button", "text": {"type": "plain_text", "text": SHARE_LABEL}, "action_id": SHARE_ACTION, "value": share_value}
        tail.append({"type": "actions", "elements": [button]})

    blocks, dropped = out.blocks, 0
    room = max_blocks - len(tail)
    if len(blocks) > room or (out.shortened and len(blocks) == room):
        keep = room - 1  # one block for the line saying what was left out
        dropped = sum(out.weights[keep:]) or len(blocks) - keep
        blocks = blocks[:keep]
    notes = []
    if dropped:
        notes.append(f"… {dropped} more not shown (Slack shows {max_blocks} blocks at most). Ask a narrower question to see the rest.")
    if out.shortened:
        notes.append("Some long text was shortened to fit Slack.")
    if notes:
        blocks.append(_context(" ".join(notes)))
    fallback, _ = _clip(escape(reply.text), MAX_FALLBACK_TEXT)
    return {"text": fallback, "blocks": [*blocks, *tail]}


def notice(text: str) -> dict[str, Any]:
    """A short message with no structure: what went wrong and what to type instead, or an apology."""
    escaped = escape(text)
    fallback, _ = _clip(escaped, MAX_FALLBACK_TEXT)
    return {
        "text": fallback,
        "blocks": [{"type": "section", "text": _mrkdwn(piece)} for piece in _split(escaped, MAX_SECTION_TEXT)][:MAX_BLOCKS],
    }
