"""Pure text parsing and checks on what people type: words and quotes, --options, links, dates, notes and names."""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import urlsplit

from handlers.core import Request, UserError
from store import name_key
from store.schema import GROUP_KEY_LENGTH, GROUP_NAME_LENGTH, ID_LENGTH

MAX_NOTE = 2000
MAX_LINK = 2000
# Limits are the app's, checked here, so both databases give the same answer: longer IDs and names never reach the store.
MAX_ID = ID_LENGTH
MAX_GROUP_NAME = GROUP_NAME_LENGTH
MAX_GROUP_KEY = GROUP_KEY_LENGTH
GROUP_NAME = re.compile(rf"^[\w][\w .&/()+-]{{0,{MAX_GROUP_NAME - 1}}}$")
# NUL, which PostgreSQL cannot store in text, and UTF-16 surrogate code points: a Python string holds one only when it is
# unpaired (a JSON escape such as \ud800), and no database can encode it.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_QUOTES = {"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"}
# Anything shaped like a link is validated as one, so "htp://x" is an error rather than a note.
_URL_START = re.compile(r"^(?:[a-z][a-z0-9+.\-]{1,15}:/|https?:|https?//|www\.)", re.I)
_SLACK_LINK = re.compile(r"^<((?:https?|mailto):[^|>]+)(?:\|[^>]*)?>$")


def unstorable(text: str) -> str | None:
    """What is wrong with the first character of text that no database can store (NUL, an unpaired surrogate), or None."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    code = ord(found.group())
    if code == 0:
        return "a NUL character (U+0000)"
    return f"half of a character (U+{code:04X}, an unpaired UTF-16 surrogate)"


def check_text(text: str, what: str) -> str:
    """text unchanged, or a UserError naming the character that cannot be stored. Refused rather than stripped: the
    person sees exactly what is stored, and a character dropped silently could change what a link points to."""
    problem = unstorable(text)
    if problem:
        raise UserError(f"The {what} contains {problem}, which cmmi-bot cannot store. Remove it (or type the character again) and resend.")
    return text


def check_request(request: Request) -> None:
    """The checks every request passes before any handler runs: its workspace, channel and user IDs are present, fit
    the store, and hold only storable characters; its text holds only storable characters. Raises UserError."""
    for label, value in (("workspace", request.workspace_id), ("channel", request.channel_id), ("user", request.user_id)):
        if not value:
            raise UserError(
                f"This request names no {label}, so cmmi-bot cannot tell whose data it is; nothing was done. "
                "If it keeps happening, ask your administrator to check the chat app's set-up."
            )
        if len(value) > MAX_ID or unstorable(value):
            size = f"is {len(value):,} characters long" if len(value) > MAX_ID else "contains a character that cannot be stored"
            raise UserError(
                f"The {label} ID of this request {size}; cmmi-bot accepts IDs of up to {MAX_ID} ordinary characters, so nothing was done. "
                "If it keeps happening, ask your administrator to check the chat app's set-up."
            )
    check_text(request.text, "message")
    for name in request.form or {}:
        # Field values are checked by the form's own handler, each at its field; names are ours, or not a form of ours.
        if len(str(name)) > MAX_ID or unstorable(str(name)):
            raise UserError("A form came back with a field cmmi-bot did not send, so nothing was done.")


def split_words(text: str) -> list[str]:
    """Whitespace-separated words; "double" or 'single' quotes (also typographic ones) group words."""
    for curly, straight in _QUOTES.items():
        text = text.replace(curly, straight)
    words: list[str] = []
    current: list[str] = []
    quote: str | None = None
    quoted = False
    for ch in text:
        if quote:
            if ch == quote:
                quote = None
            else:
                current.append(ch)
        elif ch in "\"'" and not current:
            quote, quoted = ch, True
        elif ch.isspace():
            if current or quoted:
                words.append("".join(current))
            current, quoted = [], False
        else:
            current.append(ch)
    if quote:
        raise UserError(f'A quote ({quote}) is not closed. Put quotes around a name with spaces, e.g. --group "Service Desk".')
    if current or quoted:
        words.append("".join(current))
    return words


def take_options(words: list[str], allowed: tuple[str, ...], usage: str) -> tuple[list[str], dict[str, str]]:
    """Split --name VALUE (or --name=VALUE) options from positional words."""
    positional: list[str] = []
    options: dict[str, str] = {}
    i = 0
    while i < len(words):
        word = words[i]
        if word.startswith(("—", "–")):  # chat clients turn "--" into a dash
            word = "--" + word[1:]
        if word.startswith("--") and len(word) > 2:
            name, _, value = word[2:].partition("=")
            name = name.lower()
            if name not in allowed:
                valid = ", ".join(f"--{a}" for a in allowed) or "none"
                raise UserError(f"Unknown option --{name}. Options here: {valid}. Usage: {usage}")
            if not value:
                if i + 1 >= len(words) or words[i + 1].startswith("--"):
                    raise UserError(f"--{name} needs a value. Usage: {usage}")
                value = words[i + 1]
                i += 1
            if name in options:
                raise UserError(f"--{name} is given twice. Usage: {usage}")
            options[name] = value
        else:
            positional.append(words[i])
        i += 1
    return positional, options


def parse_link(word: str) -> str | None:
    """A link if the word is one (Slack sends <https://x|label>); raises on a malformed one."""
    check_text(word, "link")
    slack = _SLACK_LINK.match(word)
    if slack:
        word = slack.group(1)
    if not (_URL_START.match(word) or slack):
        return None
    if word.lower().startswith("www."):
        word = "https://" + word
    parts = urlsplit(word)
    if parts.scheme.lower() not in ("http", "https", "mailto") or (
        parts.scheme.lower() != "mailto" and "." not in parts.netloc and parts.hostname != "localhost"
    ):
        raise UserError(f"'{word}' is not a valid link. Use a full address such as https://wiki.example.com/page.")
    if len(word) > MAX_LINK or any(ch.isspace() or ord(ch) < 32 for ch in word):
        raise UserError(f"That link is too long or has spaces in it. Links may have at most {MAX_LINK} characters.")
    return word


def parse_date(text: str, today: date) -> date:
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise UserError(f"'{text}' is not a date. Use YYYY-MM-DD, e.g. --date {today.isoformat()}.") from None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise UserError(f"'{text}' is not a date. Use YYYY-MM-DD, e.g. --date {today.isoformat()}.")
    if value > today + timedelta(days=1):
        raise UserError(
            f"{value.isoformat()} is in the future. Evidence is dated when it was produced; use today ({today.isoformat()}) or earlier."
        )
    return value


def check_note(note: str) -> str | None:
    note = check_text(note, "note").strip()
    if len(note) > MAX_NOTE:
        raise UserError(f"The note is {len(note):,} characters; the limit is {MAX_NOTE:,}. Shorten it or link to a document instead.")
    return note or None


def check_group_name(name: str) -> str:
    name = " ".join(check_text(name, "work group name").split())
    if not GROUP_NAME.match(name):
        raise UserError(
            f"'{name}' cannot be a work group name: use 1-{MAX_GROUP_NAME} letters, digits, spaces and . & / ( ) + - _, starting with a "
            'letter or digit, e.g. group add "Service Desk".'
        )
    if len(name_key(name)) > MAX_GROUP_KEY:
        raise UserError(
            f"'{name}' is too long once letter case is ignored ({len(name_key(name))} characters; the limit is {MAX_GROUP_KEY}). "
            "Use a shorter name."
        )
    return name
