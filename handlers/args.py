"""Parsing the words after a command: options, practice IDs, links, dates, work groups."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

from handlers.core import Choice, Context, Field, Request, UserError
from model_data import GenericGoal, GenericPractice, Goal, Practice, ProcessArea
from store import Group, Store, name_key
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
_PA_GP = re.compile(r"^(?P<pa>[A-Za-z]{2,4})[.\-_:]?(?P<gp>GP\d[.\-]\d{1,2})$", re.I)
_GP = re.compile(r"^GP(?P<g>\d)[.\-](?P<n>\d{1,2})$", re.I)


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
    words, current, quote, quoted = [], [], None, False
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


@dataclass(frozen=True)
class PracticeRef:
    key: str  # WMC.SP1.6, or WMC.GP2.8 for a generic practice applied to a process area
    process_area: str
    practice_id: str
    title: str


def _did_you_mean(ctx: Context, text: str) -> str:
    hits = [h for h in ctx.index.search(text, limit=8).hits if h.kind in ("specific_practice", "generic_practice")][:3]
    return f" Did you mean {', '.join(f'{h.id} ({h.title})' for h in hits)}?" if hits else ""


def resolve_pa(ctx: Context, text: str) -> str | None:
    resolved = ctx.index.grammar.resolve_abbr(text)
    return resolved[0] if resolved else None


def resolve_practice(ctx: Context, words: list[str], pa_option: str | None, usage: str) -> tuple[PracticeRef, int]:
    """The practice named by the first words; returns it and how many words it took."""
    if not words:
        raise UserError(f"Name a practice, e.g. WMC.SP1.6 or WMC.GP2.8. Usage: {usage}")
    model = ctx.model
    m = _PA_GP.match(words[0])
    if m:
        return _generic(ctx, m["gp"], m["pa"], usage), 1
    exact = model.elements.get(words[0].upper())
    if isinstance(exact, Practice):  # the usual case, WMC.SP1.6 as written: what the loop below would find, without its regexes
        return PracticeRef(exact.id, exact.pa, exact.id, exact.title), 1
    for size in (3, 2, 1):
        if size > len(words):
            continue
        candidate = " ".join(words[:size])
        refs = ctx.index.grammar.find(candidate)
        if len(refs) != 1 or refs[0].start != 0 or len(refs[0].written.strip()) < len(candidate.strip()) - 1:
            continue
        ref = refs[0]
        if not ref.exists:
            notes = " ".join(ctx.index.search(candidate).notes) or f"{ref.canonical} is not in CMMI-SVC V1.3."
            raise UserError(notes)
        element = model.elements[ref.canonical]
        if isinstance(element, Practice):
            return PracticeRef(element.id, element.pa, element.id, element.title), size
        if isinstance(element, GenericPractice):
            pa_word = None
            rest = words[size:]
            if rest and rest[0].lower() in ("of", "in", "for") and len(rest) > 1:
                pa_word, extra = rest[1], 2
            elif rest and resolve_pa(ctx, rest[0]):
                pa_word, extra = rest[0], 1
            else:
                extra = 0
            if pa_word and pa_option:
                raise UserError(f"Name the process area once: either after {element.id} or with --pa. Usage: {usage}")
            return _generic(ctx, element.id, pa_word or pa_option, usage), size + extra
        if isinstance(element, (Goal, GenericGoal)):
            listed = ", ".join(p.id for p in element.practices)
            raise UserError(f"{element.id} is a goal; evidence and ratings are per practice. Its practices: {listed}.")
        if isinstance(element, ProcessArea):
            raise UserError(f"{element.abbr} is a process area; name one of its practices, e.g. {element.practices[0].id}.")
    raise UserError(f"'{words[0]}' is not a practice ID. Use a form like WMC.SP1.6 or WMC.GP2.8.{_did_you_mean(ctx, ' '.join(words[:3]))}")


def _generic(ctx: Context, gp_text: str, pa_text: str | None, usage: str) -> PracticeRef:
    m = _GP.match(gp_text)
    gp_id = f"GP{m['g']}.{int(m['n'])}" if m else gp_text.upper()
    element = ctx.model.get(gp_id)
    if not isinstance(element, GenericPractice):
        raise UserError(f"{gp_id} is not a generic practice of CMMI-SVC V1.3 (GP1.1, GP2.1-GP2.10, GP3.1-GP3.2).")
    if not pa_text:
        raise UserError(f"{gp_id} is a generic practice, so say which process area it is for, e.g. WMC.{gp_id} or {gp_id} --pa WMC.")
    pa = resolve_pa(ctx, pa_text)
    if pa is None:
        raise UserError(f"'{pa_text}' is not a process area. Process areas: {', '.join(p.abbr for p in ctx.model.process_areas)}.")
    return PracticeRef(f"{pa}.{gp_id}", pa, gp_id, element.title)


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


def need_store(ctx: Context) -> Store:
    if ctx.store is None:
        raise UserError("Evidence storage is not set up in this installation. Ask your administrator to configure CMMI_DATABASE_URL.")
    return ctx.store


def resolve_group(ctx: Context, request: Request, name: str | None, usage: str) -> Group:
    """The work group named with --group, else the one bound to this channel."""
    store = need_store(ctx)
    if name:
        group = store.groups.find(workspace_id=request.workspace_id, name=name)
        if group is None:
            known = ", ".join(g.name for g in store.groups.list(workspace_id=request.workspace_id)) or "none yet"
            raise UserError(f'There is no work group "{name}". Work groups: {known}. Create one with: group add "{name}"')
        return group
    group = store.groups.for_channel(workspace_id=request.workspace_id, channel_id=request.channel_id)
    if group is None:
        known = ", ".join(g.name for g in store.groups.list(workspace_id=request.workspace_id)) or "none yet"
        raise UserError(
            f"Which work group? Add --group NAME, or bind this channel once with: group use NAME. Work groups: {known}. Usage: {usage}"
        )
    return group


def optional_group(ctx: Context, request: Request, name: str | None, usage: str) -> Group | None:
    """For reports: --group NAME if given, else none (the whole workspace)."""
    return resolve_group(ctx, request, name, usage) if name else None


def practice_field(ctx: Context, key: str | None) -> Field:
    """A form's practice picker, prefilled with `key` (its one choice then carries the title to show)."""
    title = None
    if key:
        try:
            title = resolve_practice(ctx, [key], None, "")[0].title
        except UserError:
            key = None  # not a practice: the person picks one
    choices = (Choice(key, f"{key} {title}"),) if key and title else ()
    return Field("practice", "Practice", "practice", choices=choices, value=key, hint="Type a practice ID or words, e.g. progress review")
