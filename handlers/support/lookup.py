"""Resolving what people name (practices, process areas) to elements of the model, through the index."""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers.core import Choice, Context, Field, UserError
from model_data import GenericGoal, GenericPractice, Goal, Practice, ProcessArea

_PA_GP = re.compile(r"^(?P<pa>[A-Za-z]{2,4})[.\-_:]?(?P<gp>GP\d[.\-]\d{1,2})$", re.I)
_GP = re.compile(r"^GP(?P<g>\d)[.\-](?P<n>\d{1,2})$", re.I)


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
