"""Render a Reply as plain text for the terminal and other text-only uses."""

from __future__ import annotations

import textwrap
import unicodedata

from handlers import Action, Reply, Text, plain

WIDTH = 100


def _printable(text: str) -> str:
    """User-typed text can carry terminal escape sequences; show them inert."""
    return "".join(ch if ch in "\n\t" or unicodedata.category(ch)[0] != "C" else "\N{REPLACEMENT CHARACTER}" for ch in text)


def _wrap(text: str, indent: str = "") -> list[str]:
    text = _printable(text)
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ") or [indent]


def words(text: Text) -> str:
    """Text for the terminal: people by ID, links as 'label <url>'."""
    return plain(text)


def numbered(actions: list[Action]) -> str:
    """Actions as numbered hints: typing the number runs the action."""
    return " · ".join(f"{n} {a.label.lower()}" for n, a in enumerate(actions, 1))


def offered(reply: Reply) -> list[Action]:
    """The actions a reply offers, in the order the numbers count them: each section's, then the reply's own.
    Menus (actions with choices) are left out: the terminal offers what a button would run."""
    found = [a for section in reply.sections for a in section.actions] + list(reply.actions)
    return [a for a in found if not a.choices]


def render(reply: Reply) -> str:
    lines: list[str] = []
    n = 0
    for section in reply.sections:
        if lines:
            lines.append("")
        if section.title:
            lines.append(_printable(section.title))
        if section.body:
            lines.extend(_wrap(words(section.body), "  " if section.title else ""))
        for name, value in section.fields:
            lines.extend(_wrap(f"{name}: {words(value)}", "  "))
        for item in section.items:
            lines.extend(_wrap(f"- {words(item)}", "  "))
        if section.note:
            lines.extend(_wrap(f"({section.note})" if section.title else section.note, "  " if section.title else ""))
        own = [a for a in section.actions if not a.choices]
        if own:
            lines.extend(_wrap("→ " + " · ".join(f"{n + i} {a.label.lower()}" for i, a in enumerate(own, 1)), "  "))
            n += len(own)
    text = "\n".join(lines) if lines else reply.text
    rest = [a for a in reply.actions if not a.choices]
    if rest:
        text += "\n\n→ " + " · ".join(f"{n + i} {a.label.lower()}" for i, a in enumerate(rest, 1))
    return text
