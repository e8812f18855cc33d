"""ID grammar: find model references (WMC.SP1.6, 'sp 1.6 of wmc', GP2.8, PMC SP1.7 ...) in free text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.distance import edit_distance
from model_data import Model


@dataclass(frozen=True)
class Reference:
    """One reference found in the text: the canonical ID it names, and how it was written."""

    canonical: str
    written: str
    exists: bool
    start: int
    via_alias: str | None = None  # the CMMI-DEV name or the misspelled abbreviation typed
    outside: str | None = None  # the abbreviation of a process area CMMI-SVC does not have (VER SP2.2)


_SEP = r"[\s._:\-/,]*"
_NUM = r"(?P<{name}>\d{{1,2}})"
# SP1.6 / SP 1.6 / sp1-6 / SP 1 6 ; SG1 / SG 1 ; "specific practice 1.3", "practice 1.3", "specific goal 2"
_SP_KIND = r"(?<!generic\s)(?P<kind>sp|sg|(?:specific\s+)?(?:practice|goal))"
_SP = rf"{_SP_KIND}{_SEP}{_NUM.format(name='g')}(?:\s*[.\-_,]\s*{_NUM.format(name='n')}|\s+(?P<n2>\d{{1,2}})\b)?"
_GP = re.compile(
    rf"\b(?P<kind>gp|gg|generic\s+practice|generic\s+goal){_SEP}(?P<g>\d)(?:\s*[.\-_,]\s*(?P<n>\d{{1,2}})|\s+(?P<n2>\d{{1,2}})\b)?(?!\d)",
    re.I,
)
_CAPABILITY_LEVEL = re.compile(r"\b(?:capability\s+level|cl)\s*(?P<g>[123])\b", re.I)
_WORD = re.compile(r"[A-Za-z]{2,4}")


class IdGrammar:
    """Recognises references to model elements, built once from the model's abbreviations."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.abbrs = {pa.abbr for pa in model.process_areas}
        self.aliases = dict(model.dev_aliases)
        self.outside = {a.abbr for a in model.elsewhere}
        names = sorted(self.abbrs | set(self.aliases), key=len, reverse=True)
        alt = "|".join(names)
        pa_token = rf"(?P<pa>{alt}|[a-z]{{2,4}})"
        self._pa_then_sp = re.compile(rf"\b{pa_token}{_SEP}{_SP}(?!\d)", re.I)
        self._sp_of_pa = re.compile(rf"\b{_SP}\s+(?:of|in|for|from|under)\s+(?:the\s+)?{pa_token}\b", re.I)
        # "SSD 3.2": a known abbreviation followed directly by n.m (no SP written)
        self._pa_then_num = re.compile(rf"\b(?P<pa>{alt}){_SEP}(?P<g>\d)\s*[.\-]\s*(?P<n>\d{{1,2}})\b", re.I)
        self._pa_alone = re.compile(rf"\b(?P<pa>{alt})\b", re.I)

    def resolve_abbr(self, token: str, fuzzy: bool = False) -> tuple[str, str | None] | None:
        """Map a typed abbreviation to (canonical, alias-or-typo) or None."""
        upper = token.upper()
        if upper in self.abbrs:
            return upper, None
        if upper in self.aliases:
            return self.aliases[upper], upper
        if fuzzy and len(upper) >= 3:
            close = [a for a in self.abbrs | set(self.aliases) if len(a) >= 3 and edit_distance(upper, a, transpositions=True) == 1]
            if len(close) == 1:
                return self.aliases.get(close[0], close[0]), token
        return None

    def _make(self, pa: str, alias: str | None, kind: str, g: str, n: str | None, written: str, start: int) -> Reference:
        kind = "sg" if kind.lower() == "sg" or kind.lower().endswith("goal") else "sp"
        if kind == "sg" or n is None:
            canonical = f"{pa}.SG{int(g)}" if kind == "sg" else f"{pa}.SP{int(g)}"
        else:
            canonical = f"{pa}.SP{int(g)}.{int(n)}"
        return Reference(canonical, written, canonical in self.model.elements, start, alias)

    def find(self, text: str) -> list[Reference]:
        """All references in reading order, most specific first where they overlap."""
        found: list[Reference] = []
        taken: list[tuple[int, int]] = []

        def free(span: tuple[int, int]) -> bool:
            return all(span[1] <= s or span[0] >= e for s, e in taken)

        for pattern in (self._pa_then_sp, self._sp_of_pa):
            for m in pattern.finditer(text):
                if m["pa"].upper() in self.outside and free(m.span()):
                    # checked before the typo-tolerant match, which would read SSAD as SSD and OID as OPD
                    ref = self._make(m["pa"].upper(), None, m["kind"], m["g"], m["n"] or m["n2"], m.group(0), m.start())
                    found.append(Reference(ref.canonical, ref.written, False, ref.start, outside=m["pa"].upper()))
                    taken.append(m.span())
                    continue
                resolved = self.resolve_abbr(m["pa"], fuzzy=True)
                if resolved is None or not free(m.span()):
                    continue
                n = m["n"] or m["n2"]
                found.append(self._make(resolved[0], resolved[1], m["kind"], m["g"], n, m.group(0), m.start()))
                taken.append(m.span())
        for m in _GP.finditer(text):
            if not free(m.span()):
                continue
            kind, g, n = m["kind"].upper(), int(m["g"]), m["n"] or m["n2"]
            goal = kind == "GG" or kind.endswith("GOAL")
            canonical = f"GG{g}" if goal or n is None else f"GP{g}.{int(n)}"
            found.append(Reference(canonical, m.group(0), canonical in self.model.elements, m.start()))
            taken.append(m.span())
        for m in self._pa_then_num.finditer(text):
            resolved = self.resolve_abbr(m["pa"])
            if resolved is None or not free(m.span()):
                continue
            found.append(self._make(resolved[0], resolved[1], "sp", m["g"], m["n"], m.group(0), m.start()))
            taken.append(m.span())
        return sorted(found, key=lambda r: r.start)

    def find_capability_level(self, text: str) -> str | None:
        m = _CAPABILITY_LEVEL.search(text)
        return f"GG{m['g']}" if m else None

    def find_process_areas(self, text: str, short_query: bool) -> list[Reference]:
        """Bare abbreviations. Lower-case ones count only in short queries ('what is cam'),
        because several abbreviations are also English words (car, sam, cam)."""
        refs = []
        for m in self._pa_alone.finditer(text):
            word = m["pa"]
            if not (word.isupper() or short_query):
                continue
            resolved = self.resolve_abbr(word)
            if resolved:
                refs.append(Reference(resolved[0], word, True, m.start(), resolved[1]))
        return refs
