"""Render a Reply as plain text for the terminal and other text-only uses."""

from __future__ import annotations

import textwrap
import unicodedata

from handlers import Reply

WIDTH = 100


def _printable(text: str) -> str:
    """User-typed text can carry terminal escape sequences; show them inert."""
    return "".join(ch if ch in "\n\t" or unicodedata.category(ch)[0] != "C" else "\N{REPLACEMENT CHARACTER}" for ch in text)


def _wrap(text: str, indent: str = "") -> list[str]:
    text = _printable(text)
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ") or [indent]


def render(reply: Reply) -> str:
    lines: list[str] = []
    for section in reply.sections:
        if lines:
            lines.append("")
        if section.title:
            lines.append(_printable(section.title))
        if section.body:
            lines.extend(_wrap(section.body, "  " if section.title else ""))
        for name, value in section.fields:
            lines.extend(_wrap(f"{name}: {value}", "  "))
        for item in section.items:
            lines.extend(_wrap(f"- {item}", "  "))
        if section.note:
            lines.extend(_wrap(f"({section.note})" if section.title else section.note, "  " if section.title else ""))
    return "\n".join(lines) if lines else reply.text
