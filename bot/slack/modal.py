"""The "Log as CMMI evidence" modal's logic: the practice picker's search and reading a submitted modal.

Block Kit for the modal itself is in views.py; storing goes through handlers.evidence.add_evidence,
the same path as `evidence add`."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from handlers import Context, UserError
from handlers.args import PracticeRef, check_note, parse_date, resolve_pa, resolve_practice
from store import KINDS, Group

MAX_CHOICES = 100  # Slack shows at most 100 options in an external select
SEARCH_LIMIT = 60
MAX_QUERY = 100
USAGE = "Pick a practice from the list, e.g. WMC.SP1.6 or WMC.GP2.8."
_GP = re.compile(r"\bGP\s?(\d)\s?[.\-]\s?(\d{1,2})\b", re.I)

# block_id == action_id for every input, so errors can be keyed by block.
PRACTICE, GROUP, KIND, NOTE, DATE = "practice", "group", "kind", "note", "date"


def practice_choices(ctx: Context, query: str) -> list[tuple[str, str]]:
    """(key, title) pairs for the picker, best first, at most MAX_CHOICES.

    Specific practices come from the model search. Generic practices only make sense for a process area,
    so they are offered as PA.GPx.y when the query names a generic practice or a process area."""
    query = " ".join(query.split())[:MAX_QUERY]
    if not query:
        return []
    model = ctx.model
    pas = list(dict.fromkeys(pa for word in re.split(r"[\s,;:/]+", query) if len(word) >= 2 and (pa := resolve_pa(ctx, word))))
    gps = list(dict.fromkeys(f"GP{g}.{int(n)}" for g, n in _GP.findall(query)))
    gps = [gp for gp in gps if gp in {p.id for p in model.generic_practices}]
    choices: dict[str, str] = {}

    def add(key: str, title: str) -> None:
        if len(choices) < MAX_CHOICES:
            choices.setdefault(key, title)

    gp_titles = {p.id: p.title for p in model.generic_practices}
    for gp in gps:
        for pa in pas or [p.abbr for p in model.process_areas]:
            add(f"{pa}.{gp}", gp_titles[gp])
    for hit in ctx.index.search(query, limit=SEARCH_LIMIT).hits:
        if hit.kind == "specific_practice":
            add(hit.id, hit.title)
        elif hit.kind == "generic_practice" and pas:
            for pa in pas:
                add(f"{pa}.{hit.id}", hit.title)
    for pa in pas:
        for practice in model.pa(pa).practices:
            add(practice.id, practice.title)
        for gp in model.generic_practices:
            add(f"{pa}.{gp.id}", gp.title)
    return list(choices.items())


def pack_origin(channel_id: str, message_ts: str) -> str:
    """What the submission needs to know about the message: carried in the modal's private_metadata."""
    return json.dumps({"channel": channel_id, "ts": message_ts}, separators=(",", ":"))


def unpack_origin(private_metadata: str) -> tuple[str, str]:
    try:
        data = json.loads(private_metadata or "{}")
        return str(data["channel"]), str(data["ts"])
    except (ValueError, KeyError, TypeError):
        raise ValueError("the modal's private_metadata does not name a message") from None


@dataclass(frozen=True)
class Submission:
    practice: PracticeRef
    group: Group
    kind: str
    note: str | None
    evidence_date: date | None


def _value(values: Mapping[str, Any], block: str) -> dict[str, Any]:
    return (values.get(block) or {}).get(block) or {}


def read_submission(
    ctx: Context, state_values: Mapping[str, Any], groups: list[Group], today: date
) -> tuple[Submission | None, dict[str, str]]:
    """(the submission, {}) when every field is valid, else (None, {block_id: what to fix})."""
    errors: dict[str, str] = {}
    practice = group = None
    selected = _value(state_values, PRACTICE).get("selected_option") or {}
    key = str(selected.get("value") or "").strip()
    if not key:
        errors[PRACTICE] = USAGE
    else:
        try:
            practice = resolve_practice(ctx, [key], None, USAGE)[0]
        except UserError as exc:
            errors[PRACTICE] = str(exc)
    group_value = str((_value(state_values, GROUP).get("selected_option") or {}).get("value") or "")
    group = next((g for g in groups if str(g.id) == group_value), None)
    if group is None:
        errors[GROUP] = "Pick a work group from the list."
    kind = str((_value(state_values, KIND).get("selected_option") or {}).get("value") or "artifact")
    if kind not in KINDS:
        errors[KIND] = "Pick artifact or affirmation."
    note = None
    try:
        note = check_note(str(_value(state_values, NOTE).get("value") or ""))
    except UserError as exc:  # too long, or a character that cannot be stored: the message says which
        errors[NOTE] = str(exc)
    evidence_date = None
    picked = _value(state_values, DATE).get("selected_date")
    if picked:
        try:
            evidence_date = parse_date(str(picked), today)
        except UserError as exc:
            errors[DATE] = str(exc).replace("--date ", "")
    if errors or practice is None or group is None:
        return None, errors
    return Submission(practice, group, kind, note, evidence_date), {}
