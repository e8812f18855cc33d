"""The practice picker's choices as people type: search-as-you-type for forms in every transport."""

from __future__ import annotations

import re

from index.engine import ModelIndex

MAX_CHOICES = 100  # Slack shows at most 100 options in an external select; Teams' typeahead fewer
SEARCH_LIMIT = 60
MAX_QUERY = 100
_GP = re.compile(r"\bGP\s?(\d)\s?[.\-]\s?(\d{1,2})\b", re.I)


def practice_choices(index: ModelIndex, query: str, limit: int = MAX_CHOICES) -> list[tuple[str, str]]:
    """(key, title) pairs for a practice picker, best first, at most `limit`.

    Specific practices come from the model search. Generic practices only make sense for a process area,
    so they are offered as PA.GPx.y when the query names a generic practice or a process area."""
    query = " ".join(query.split())[:MAX_QUERY]
    if not query:
        return []
    model = index.model
    pas = list(
        dict.fromkeys(found[0] for word in re.split(r"[\s,;:/]+", query) if len(word) >= 2 and (found := index.grammar.resolve_abbr(word)))
    )
    gp_titles = {p.id: p.title for p in model.generic_practices}
    gps = [gp for gp in dict.fromkeys(f"GP{g}.{int(n)}" for g, n in _GP.findall(query)) if gp in gp_titles]
    choices: dict[str, str] = {}

    def add(key: str, title: str) -> None:
        if len(choices) < limit:
            choices.setdefault(key, title)

    for gp in gps:
        for pa in pas or [p.abbr for p in model.process_areas]:
            add(f"{pa}.{gp}", gp_titles[gp])
    for hit in index.search(query, limit=SEARCH_LIMIT).hits:
        if hit.kind == "specific_practice":
            add(hit.id, hit.title)
        elif hit.kind == "generic_practice" and pas:
            for pa in pas:
                add(f"{pa}.{hit.id}", hit.title)
    for pa in pas:
        for practice in model.pa(pa).practices:
            add(practice.id, practice.title)
        for generic in model.generic_practices:
            add(f"{pa}.{generic.id}", generic.title)
    return list(choices.items())
