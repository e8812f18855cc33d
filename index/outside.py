"""Spot process areas a question names that CMMI-SVC V1.3 does not have (RD, Technical Solution, SSAD ...)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from model_data import Model, OutsideArea

# Words that make a name or abbreviation read as a process area rather than as ordinary English.
_AREA_CONTEXT = re.compile(r"\b(?:process[\s-]+areas?|practice[\s-]+areas?|pas?)\b", re.I)
_MODEL_CONTEXT = re.compile(r"\b(?:process[\s-]+areas?|practice[\s-]+areas?|pas?|cmmi\S*|goals?|practices?|sps?|sgs?|purpose)\b", re.I)
_ID_AFTER = r"\s*[.\-_:/]?\s*(?:sp|sg|specific\s+(?:practice|goal))\s*\d"
SHORT_QUESTION = 5  # words: "what is RD", "technical solution goals"


@dataclass(frozen=True)
class Mention:
    area: OutsideArea
    written: str
    start: int


def _title_case(written: str) -> bool:
    words = [w for w in written.split() if w.lower() not in {"and", "of", "the", "for"}]
    return bool(words) and all(w[:1].isupper() for w in words)


class OutsideFinder:
    """Built once per model from its not-in-SVC list."""

    def __init__(self, model: Model) -> None:
        self._areas = model.elsewhere
        self._abbr = {a.abbr: a for a in self._areas}
        self._name_patterns = [
            (re.compile(r"\b" + r"\s+".join(re.escape(w) for w in a.name.split()) + r"\b", re.I), a)
            for a in sorted(self._areas, key=lambda a: -len(a.name))
        ]
        alternatives = "|".join(sorted(self._abbr, key=len, reverse=True))
        self._abbr_pattern = re.compile(rf"(?<![\w.-])(?P<abbr>{alternatives})(?![\w-])", re.I)

    def abbreviation(self, token: str) -> OutsideArea | None:
        return self._abbr.get(token.upper())

    def find(self, text: str) -> list[Mention]:
        """Outside areas the text names, in reading order, each once."""
        found: dict[str, Mention] = {}
        words = len(text.split())
        letters = [c for c in text if c.isalpha()]
        # a message typed in capitals says nothing by its capitals
        shouting = words >= 4 and sum(c.islower() for c in letters) < 0.1 * len(letters)
        for pattern, area in self._name_patterns:
            for m in pattern.finditer(text):
                written = m.group(0)
                single = len(area.name.split()) == 1
                after = text[m.end() : m.end() + 24]
                strong = bool(_AREA_CONTEXT.match(after.strip())) or after.strip().upper().startswith(f"({area.abbr})")
                if single:
                    ok = strong
                else:
                    ok = strong or (_title_case(written) and not shouting) or bool(_MODEL_CONTEXT.search(text)) or words <= SHORT_QUESTION
                if ok and area.abbr not in found:
                    found[area.abbr] = Mention(area, written, m.start())
        for m in self._abbr_pattern.finditer(text):
            area = self._abbr[m["abbr"].upper()]
            if area.abbr in found:
                continue
            written = m["abbr"]
            after = text[m.end() : m.end() + 30]
            before = text[max(0, m.start() - 30) : m.start()]
            id_form = bool(re.match(_ID_AFTER, after, re.I))
            named = bool(re.search(r"\(\s*$", before)) or bool(_AREA_CONTEXT.match(after.strip()))
            if id_form or named:
                ok = True
            elif area.ambiguous:
                ok = False
            elif written.isupper() and not shouting:
                ok = True
            else:
                ok = words <= SHORT_QUESTION - 1 and written.lower() == area.abbr.lower()
            if ok:
                found[area.abbr] = Mention(area, written, m.start())
        return sorted(found.values(), key=lambda mention: mention.start)
