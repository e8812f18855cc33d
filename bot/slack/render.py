"""Render a Reply as a Slack message in Block Kit: the only place in cmmi-bot that writes Block Kit JSON."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from handlers import Action, Choice, Inline, Link, Person, Reply, Section, Text, plain

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

MAX_BUTTON_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_ACTION_ELEMENTS = 25  # per actions block
MAX_OPTIONS = 100  # per menu

SHARE_ACTION = "share_answer"
SHARE_LABEL = "Share in channel"
SHARE_BLOCK = "share:"  # block_id of the buttons under an answer offered for sharing: "share:" and the answer's fingerprint
ACTION_PREFIX = "cmmi:"  # action_id of every button the core asked for: cmmi:<kind>:<n>
_STYLES = {"primary": "primary", "danger": "danger"}

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
        if piece.strip():  # Slack refuses a text with nothing to show
            pieces.append(piece)
        text = text[cut:].lstrip("\n ")
    if text.strip():
        pieces.append(text)
    return pieces


def _mrkdwn(text: str, verbatim: bool = True) -> dict[str, Any]:
    # verbatim: Slack must not turn bare URLs, #channel names or @here in model or user text into links or mentions.
    # Text that carries our own links is sent without it (so they are clickable); its plain words are defused instead.
    return {"type": "mrkdwn", "text": text, "verbatim": verbatim}


def _defuse(text: str) -> str:
    """Escaped words for a non-verbatim text: a word joiner after each @ keeps Slack from reading @here or @channel."""
    return text.replace("@", "@\u2060")


def _link_url(url: str) -> str:
    return url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C").replace(" ", "%20")


def inline(part: Inline, *, verbatim: bool = True) -> str:
    """One piece of text in mrkdwn: words escaped, a person as a mention, a link as <url|label>."""
    if isinstance(part, Person):
        return f"<@{part.user_id}>" if _USER_ID.match(part.user_id) else escape(part.user_id)
    if isinstance(part, Link):
        label = escape(part.label or part.url).replace("|", "\u2758")
        return f"<{_link_url(part.url)}|{label}>"
    return escape(part) if verbatim else _defuse(escape(part))


def has_link(text: Text) -> bool:
    return not isinstance(text, str) and any(isinstance(p, Link) for p in text)


def mrkdwn_text(text: Text, *, verbatim: bool = True) -> str:
    """Text as mrkdwn: everything escaped, people as mentions, links as links."""
    if isinstance(text, str):
        return escape(text) if verbatim else _defuse(escape(text))
    return "".join(inline(p, verbatim=verbatim) for p in text)


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
        linked = any(has_link(t) for t in (section.body, *section.items, *(v for _, v in section.fields)))
        verbatim = not linked

        def md(text: Text) -> str:
            return mrkdwn_text(text, verbatim=verbatim)

        title_line = ""
        if section.title and section.title.strip():
            if not self.header_used:
                text, cut = _clip(escape(section.title), MAX_HEADER_TEXT)
                self.shortened += cut
                self.add({"type": "header", "text": {"type": "plain_text", "text": text}}, weight=1)
                self.header_used = True
            else:
                title_line = f"*{escape(section.title)}*"
        counted = bool(section.title and section.title.strip() and not title_line)  # a header already stands for this section
        fields = []
        for name, value in section.fields:
            text, cut = _clip(f"*{escape(name)}*\n{md(value)}", MAX_FIELD_TEXT)
            self.shortened += cut
            fields.append(_mrkdwn(text, verbatim))
        bullets = "\n".join(f"• {md(item)}" for item in section.items)
        # Title, body and list read as one piece of text; fields sit under the body, so a list after them starts anew.
        lead = "\n".join(part for part in (title_line, md(section.body), "" if fields else bullets) if part)
        blocks: list[dict[str, Any]] = [{"type": "section", "text": _mrkdwn(piece, verbatim)} for piece in _split(lead, MAX_SECTION_TEXT)]
        groups = [fields[i : i + MAX_FIELDS] for i in range(0, len(fields), MAX_FIELDS)]
        if blocks and groups:
            blocks[-1]["fields"] = groups.pop(0)
        blocks += [{"type": "section", "fields": group} for group in groups]
        if fields:
            blocks += [{"type": "section", "text": _mrkdwn(piece, verbatim)} for piece in _split(bullets, MAX_SECTION_TEXT)]
        for block in blocks:
            text = block.get("text", {}).get("text", "")
            self.add(block, weight=(0 if counted else 1) + sum(line.startswith("• ") for line in text.split("\n")))
            counted = True
        if section.note and section.note.strip():
            text, cut = _clip(escape(section.note), MAX_CONTEXT_TEXT)
            self.shortened += cut
            self.add(_context(text))
        if any(usable(a) for a in section.actions):
            self.add(actions_block(section.actions))


def button(action: Action, n: int) -> dict[str, Any]:
    """A core action as a Block Kit button (or a menu when it has choices); its value is the command it runs."""
    action_id = f"{ACTION_PREFIX}{action.id}:{n}"
    label, _ = _clip(_shown(action.label), MAX_BUTTON_TEXT)
    if action.choices:
        options = [
            {
                "text": {"type": "plain_text", "text": _clip(_shown(c.label, c.value), MAX_BUTTON_TEXT)[0]},
                "value": action.command.replace("{value}", c.value),
            }
            for c in _fitting(action)
        ][:MAX_OPTIONS]
        return {"type": "static_select", "action_id": action_id, "placeholder": {"type": "plain_text", "text": label}, "options": options}
    element: dict[str, Any] = {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": label, "emoji": True}}
    element["value"] = action.command
    if action.style in _STYLES:
        element["style"] = _STYLES[action.style]
    return element


def _shown(*labels: str) -> str:
    """The first label that shows something: Slack refuses an empty one."""
    return next((label for label in labels if label.strip()), "…")


def _fitting(action: Action) -> list[Choice]:
    """A menu's choices whose command fits in an option's value (150 characters)."""
    return [c for c in action.choices if 0 < len(action.command.replace("{value}", c.value)) <= MAX_OPTION_VALUE]


def usable(action: Action) -> bool:
    """Slack carries at most 2,000 characters in a button's value, and a menu needs an option: an action that cannot be
    sent (a longer command, a menu none of whose choices fit) is left out."""
    if action.choices:
        return "{value}" in action.command and bool(_fitting(action))
    return 0 < len(action.command) <= MAX_BUTTON_VALUE


def actions_block(actions: tuple[Action, ...]) -> dict[str, Any]:
    shown = [a for a in actions if usable(a)][:MAX_ACTION_ELEMENTS]
    return {"type": "actions", "elements": [button(a, n) for n, a in enumerate(shown)]}


def message(
    reply: Reply,
    *,
    asked: str | None = None,
    asked_by: str | None = None,
    share_value: str | None = None,
    as_of: datetime | None = None,
    max_blocks: int = MAX_BLOCKS,
) -> dict[str, Any]:
    """The chat.postMessage / response_url body for a Reply: {"text": fallback, "blocks": [...]}.

    asked: the question, echoed in a context line (an ephemeral answer has no other record of it);
    asked_by: the Slack user ID to credit when an answer is shared in a channel;
    share_value: when given, a "Share in channel" button carrying it (omitted past Slack's 2,000 characters), in a block
    whose ID carries the answer's fingerprint, so that Share can tell whether the answer changed before it was shared;
    as_of: when the answer shown was worked out, said when it differs from what the person first saw.
    """
    out = _Blocks()
    if asked is not None:
        who = f"<@{asked_by}> asked" if asked_by and _USER_ID.match(asked_by) else "You asked"
        text, cut = _clip(f"{who}: {escape(asked)}", MAX_CONTEXT_TEXT)
        out.shortened += cut
        out.add(_context(text))
    if as_of is not None:
        # Slack shows <!date^…> in each reader's own time zone; the text after | is for clients that cannot.
        when = f"<!date^{int(as_of.timestamp())}^{{date_short_pretty}} at {{time}}|{as_of.astimezone(UTC):%Y-%m-%d %H:%M} UTC>"
        out.add(_context(f"Updated since it was first shown: this is the answer as of {when}."))
    for section in reply.sections or (Section(body=reply.text),):
        out.section(section)

    tail: list[dict[str, Any]] = []
    buttons = [button(a, n) for n, a in enumerate(a for a in reply.actions if usable(a))][: MAX_ACTION_ELEMENTS - 1]
    if share_value and len(share_value) <= MAX_BUTTON_VALUE:
        share = {"type": "button", "text": {"type": "plain_text", "text": SHARE_LABEL}, "action_id": SHARE_ACTION, "value": share_value}
        buttons.append(share)
    if buttons:
        tail.append({"type": "actions", "elements": buttons})
        if share_value and len(share_value) <= MAX_BUTTON_VALUE:
            tail[-1]["block_id"] = SHARE_BLOCK + fingerprint(reply)

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
    fallback = fallback_text(reply)
    if not blocks and not tail:  # nothing but a summary: shown as it is (Slack refuses a view with no blocks)
        blocks = [{"type": "section", "text": _mrkdwn(fallback)}]
    return {"text": fallback, "blocks": [*blocks, *tail]}


def fallback_text(reply: Reply) -> str:
    """The message's top-level text (notifications, screen readers): the reply's summary, or its first words."""
    words = (
        reply.text
        if reply.text.strip()
        else next((plain(t) for s in reply.sections for t in (s.title or "", s.body) if plain(t).strip()), "")
    )
    return _clip(escape(words), MAX_FALLBACK_TEXT)[0] if words.strip() else "cmmi-bot"


def notice(text: Text) -> dict[str, Any]:
    """A short message with no structure: what went wrong and what to type instead, or an apology."""
    if not plain(text).strip():
        text = "Done."  # never an empty message: Slack refuses it
    verbatim = not has_link(text)
    escaped = mrkdwn_text(text, verbatim=verbatim)
    fallback, _ = _clip(escape(plain(text)), MAX_FALLBACK_TEXT)
    return {
        "text": fallback,
        "blocks": [{"type": "section", "text": _mrkdwn(piece, verbatim)} for piece in _split(escaped, MAX_SECTION_TEXT)][:MAX_BLOCKS],
    }


def fingerprint(reply: Reply) -> str:
    """A digest of how a reply renders: the same answer, worked out again, has the same fingerprint."""
    shown = json.dumps(message(reply), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(shown.encode("utf-8")).hexdigest()[:20]


def seen_fingerprint(block_id: object) -> str | None:
    """The fingerprint a pressed Share button's block carried, if it carried one."""
    return block_id.removeprefix(SHARE_BLOCK) if isinstance(block_id, str) and block_id.startswith(SHARE_BLOCK) else None
