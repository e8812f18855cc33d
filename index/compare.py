"""Comparison intent: "X vs Y", "difference between X and Y", "X or Y for ..." split into the sides compared."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Explicit comparisons: a side may be described in words and found by search.
_EXPLICIT = [
    re.compile(r"\bdiff[ae]rences?\s+(?:between|of)\s+(?P<a>.+?)\s+(?:and|&|vs\.?|versus|or)\s+(?P<b>.+)", re.I),
    re.compile(r"\bcompar(?:e|ing)\s+(?P<a>.+?)\s+(?:and|&|with|to|vs\.?|versus)\s+(?P<b>.+)", re.I),
    re.compile(
        r"\bhow\s+(?:is|are|does|do)\s+(?P<a>.+?)\s+(?:differ(?:ent)?|distinct|distinguished)\s+(?:from|to|than|with)\s+(?P<b>.+)", re.I
    ),
    re.compile(r"(?P<a>.+?)\s+(?:vs\.?|versus|compared\s+(?:to|with)|as\s+opposed\s+to)\s+(?P<b>.+)", re.I),
    re.compile(r"(?P<a>.+?)\s+(?:and|&)\s+(?P<b>.+?)[\s,:;-]+(?:what'?s|what\s+is|whats)\s+the\s+diff[ae]rence", re.I),
]
# "X or Y for ...", "X or Y?": only when both sides name model elements outright.
_EITHER = re.compile(
    r"(?:^|\b(?:use|is\s+it|should\s+(?:we|i)\s+(?:use|follow|look\s+at)|belong\s+(?:in|to))\s+)(?P<a>.+?)\s+or\s+(?P<b>.+)", re.I
)
# Where a side's own words stop: the rest of the sentence says what the comparison is for.
_SIDE_END = re.compile(
    r"\s+-\s+|\s*[:;?!(]|,\s*(?:which|what|how|when|where|why|and\s+when|or\s+)|\s+(?:for|when|which|where|in\s+terms\s+of|-)\s+|"
    r"\s+(?:aren'?t|isn'?t|are|is|do|does)\s+(?:they|it|these|those|we|both)\b|\.\s",
    re.I,
)
_LEAD = re.compile(r"^(?:the|a|an|between|about|of|what|whats|what's|is|are|the\s+difference)\s+", re.I)
_TRAIL = re.compile(r"[\s,.]*(?:process\s+areas?|pas?|practices?|goals?|in\s+cmmi\S*|\?)?[\s,.?!]*$", re.I)
_LIST_SPLIT = re.compile(r"\s*,\s*(?:and\s+|or\s+)?", re.I)  # "CM, PPQA and MA": "and" inside names is left to the caller
MAX_SIDE_WORDS = 7  # a side longer than this is a sentence, not a name


@dataclass(frozen=True)
class Comparison:
    sides: tuple[str, ...]
    explicit: bool  # "vs", "difference between", "compare": sides may be resolved by search


def _trim(side: str, last: bool) -> str:
    if last:
        end = _SIDE_END.search(side)
        if end:
            side = side[: end.start()]
    for _ in range(3):
        side = _LEAD.sub("", side.strip())
    return _TRAIL.sub("", side).strip(" ,.-")


def find_comparison(text: str) -> Comparison | None:
    """The sides a question compares, in the order written, or None when it compares nothing."""
    for explicit, patterns in ((True, _EXPLICIT), (False, [_EITHER])):
        for pattern in patterns:
            m = pattern.search(text)
            if not m:
                continue
            first = m["a"]
            if pattern is _EXPLICIT[3] or not explicit:
                # "... where does X vs Y": the first side starts after the last clause break before it
                first = re.split(r"[,:;?!]\s*|\s+-\s+|\b(?:is|are|between|about|use)\s+", first)[-1]
            heads = [s for s in _LIST_SPLIT.split(first) if s.strip()] if explicit else [first]
            sides = [_trim(s, last=False) for s in heads] + [_trim(m["b"], last=True)]
            sides = [s for s in sides if s]
            if len(sides) >= 2 and all(len(s.split()) <= MAX_SIDE_WORDS for s in sides):
                return Comparison(tuple(sides), explicit)
    return None
