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


def notice(text: Text) -> str:
    """What to type instead, a refusal or an apology, for the terminal: people by ID, and nothing that could act on it."""
    return _printable(words(text))


def _hint_label(label: str) -> str:
    """A button label in a running hint: "Goal WMC.SG1" reads "goal WMC.SG1" (identifiers keep their capitals)."""
    return " ".join(w.lower() if w[:1].isupper() and (w[1:].islower() or len(w) == 1) else w for w in label.split(" "))


def numbered(actions: list[Action], start: int = 1) -> str:
    """Actions as numbered hints, counting from `start`: typing the number runs the action."""
    return " · ".join(f"{n} {_hint_label(a.label)}" for n, a in enumerate(actions, start))


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
            lines.extend(_wrap("→ " + numbered(own, n + 1), "  "))
            n += len(own)
    text = "\n".join(lines) if lines else _printable(reply.text)
    rest = [a for a in reply.actions if not a.choices]
    if rest:
        text += "\n\n→ " + _printable(numbered(rest, n + 1))
    return text
