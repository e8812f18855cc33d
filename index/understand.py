"""Query understanding: clean the text, spot list requests, filters and the kind of answer wanted."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Container
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypedDict, Unpack

from whoosh.analysis import Analyzer, StemmingAnalyzer
from whoosh.lang.porter2 import stem as porter2

from index.vocabulary import APPRAISAL_CONTEXT, EXPANSIONS, FILLER
from model_data import Model

MAX_QUESTION_CHARS = 1000

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")
_ML = re.compile(r"\b(?:maturity\s*levels?|ml|level)\s*-?\s*(?P<n>[1-5])\b", re.I)
_PA_WORDS = re.compile(r"\b(?:process[\s-]+areas?|pas?|pa's|areas?)\b", re.I)
_PRACTICE_WORDS = re.compile(r"\b(?:practices?|sps?)\b", re.I)
_GOAL_WORDS = re.compile(r"\b(?:goals?|sgs?)\b", re.I)
_GENERIC_WORDS = re.compile(r"\b(?:generic|gps?|ggs?|institutionali[sz]\w*)\b", re.I)
_LEVEL_TOKEN = re.compile(r"^(?:ml|cl|level)\d$")
_OPTIONAL = re.compile(r"\b(?:optional|addition|add-on)\b", re.I)
# "the process", "our change process", "each process": the generic practices speak of "the process" itself.
_THE_PROCESS = re.compile(
    r"\b(?:the|a|this|that|each|every|our|any|its|their)\s+(?:[a-z-]+\s+)?process(?:es)?\b(?!\s+(?:area|asset))", re.I
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])|\n+")
_ASK_START = re.compile(
    r"^(?:so\s+|and\s+|but\s+|ok\s+|also\s+)?(?:how|what|what's|whats|which|where|who|whom|when|why|is|are|does|do|did|can|could|"
    r"should|would|will|explain|tell|show|list|give|describe|help|any\s+idea|is\s+there)\b",
    re.I,
)
CONTEXT_WEIGHT = 0.35  # a word from the situation around the question, beside one from the question itself

# Words that ask for a listing or an overview rather than naming a topic.
LIST_WORDS = frozenset(
    """
    list listing lists every all contents content overview summary summarise summarize purpose describe
    description structure consist consists include includes including inside within sit sits under
    belong belongs made up make makes comprise comprises whats entire full complete table breakdown
    maturity level levels ml category categories optional addition there many number count counts specific
    """.split()
)

# CMMI-DEV names for the renamed process areas, as people still type them.
DEV_NAMES = {
    "project planning": "WP",
    "project monitoring and control": "WMC",
    "integrated project management": "IWM",
    "quantitative project management": "QWM",
}
CATEGORY_ALIASES = {"project management": "Project and Work Management", "work management": "Project and Work Management"}


class Want(StrEnum):
    """The kind of element a question asks for."""

    PRACTICE = "practice"
    PROCESS_AREA = "process_area"
    GOAL = "goal"
    GENERIC = "generic"


@dataclass(frozen=True)
class Understanding:
    """What the question asks, in terms the engine can act on."""

    text: str
    truncated: bool
    tokens: tuple[str, ...]
    content: tuple[str, ...]  # topical words left after fillers, list words and names are removed
    weights: tuple[float, ...] = ()  # one per content word: 1.0 in the question asked, less in its context
    levels: frozenset[int] = frozenset()
    category: str | None = None
    optional: bool = False
    named_pas: tuple[str, ...] = ()
    want: Want = Want.PRACTICE
    expansions: tuple[str, ...] = field(default=())
    expansion_weights: tuple[float, ...] = ()
    about_the_process: bool = False  # speaks of "the process" as such, as generic practices do


def clean(text: str) -> tuple[str, bool]:
    """Normalise Unicode, drop control characters, collapse spaces; cap the length."""
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in text)
    text = " ".join(text.split())
    truncated = len(text) > MAX_QUESTION_CHARS
    return text[:MAX_QUESTION_CHARS], truncated


def tokenize(text: str) -> list[str]:
    words = []
    for token in _TOKEN.findall(text.lower()):
        token = re.sub(r"'s$", "", token).replace("'", "")
        if token:
            words.append(token)
    return words


# functools' cache is safe across threads (questions are answered on several); Whoosh's own is not.
# A named module-level function: Whoosh pickles the schema, analyzer and stemmer included.
@functools.lru_cache(maxsize=50_000)
def stem_word(word: str) -> str:
    return porter2(word)


class AnalyzerOptions(TypedDict, total=False):
    """What a caller may change of the stemming analyzer; Whoosh's defaults otherwise."""

    stoplist: Container[str] | None
    minsize: int


def stemming_analyzer(**options: Unpack[AnalyzerOptions]) -> Analyzer:
    """Whoosh's stemming analyzer with the Porter2 (Snowball English) stemmer. The default Porter stemmer
    splits one word's forms apart (logging/log, validating/validate, evaluating/evaluate), so a
    question that says "validating" missed the practice titled "Validate"."""
    return StemmingAnalyzer(stemfn=stem_word, cachesize=None, **options)


_STEMMER = stemming_analyzer(stoplist=None, minsize=1)


def _stems(words: list[str]) -> str:
    return " ".join(t.text for w in words for t in _STEMMER(w))


# Keys as the tokenizer sees them ("on-call" arrives as "on call"), stemmed so plurals match too.
_EXPANSIONS = {_stems(key.replace("-", " ").split()): value for key, value in EXPANSIONS.items()}


def expansions_for(tokens: list[str]) -> list[str]:
    """Model-language words for the ops phrases found (longest phrase first)."""
    return [word for word, _ in weighted_expansions(tokens, [1.0] * len(tokens))]


def weighted_expansions(tokens: list[str], weights: list[float]) -> list[tuple[str, float]]:
    """Like expansions_for, each word carrying the weight of the phrase it came from."""
    extra: list[tuple[str, float]] = []
    i = 0
    while i < len(tokens):
        for size in (3, 2, 1):
            if i + size > len(tokens):
                continue
            phrase = _stems(tokens[i : i + size])
            hit = _EXPANSIONS.get(phrase)
            if hit is None and size == 2:
                hit = _EXPANSIONS.get(_stems(["".join(tokens[i : i + size])]))
            if hit:
                weight = max(weights[i : i + size])
                extra.extend((word, weight) for word in hit.split())
                i += size
                break
        else:
            i += 1
    return extra


def _name_pattern(name: str) -> str:
    words = [re.escape(w) for w in name.lower().split()]
    return r"\b" + r"\s+".join(w if w != "and" else r"(?:and|&)" for w in words) + r"\b"


class Understander:
    """Built once per model: the names and categories it can recognise."""

    def __init__(self, model: Model) -> None:
        self.model = model
        names = {pa.name.lower(): pa.abbr for pa in model.process_areas} | DEV_NAMES
        self._names = [(re.compile(_name_pattern(n)), abbr, n) for n, abbr in sorted(names.items(), key=lambda kv: -len(kv[0]))]
        categories = {c.lower(): c for c in model.categories} | CATEGORY_ALIASES
        self._categories = [(re.compile(_name_pattern(n)), c, n) for n, c in sorted(categories.items(), key=lambda kv: -len(kv[0]))]

    def understand(self, raw: str, abbreviations: list[str]) -> Understanding:
        text, truncated = clean(raw)
        lowered = text.lower()
        tokens, token_weights = weigh_the_ask(text)
        removed: set[str] = set()

        named: list[str] = list(dict.fromkeys(abbreviations))
        removed.update(a.lower() for a in abbreviations)
        for pattern, abbr, name in self._names:
            if pattern.search(lowered):
                if abbr not in named:
                    named.append(abbr)
                removed.update(name.split())
                lowered = pattern.sub(" ", lowered)

        category = None
        pa_words = bool(_PA_WORDS.search(text))
        for pattern, cat, name in self._categories:
            if pattern.search(lowered) and (pa_words or "categor" in lowered or len(tokens) <= len(name.split()) + 1):
                category = cat
                removed.update(name.split())
                break

        levels = frozenset(int(m["n"]) for m in _ML.finditer(text)) if (pa_words or len(tokens) <= 3) else frozenset()
        optional = bool(_OPTIONAL.search(text)) and pa_words

        if _GENERIC_WORDS.search(text):
            want = Want.GENERIC
        elif pa_words and not _PRACTICE_WORDS.search(text):
            want = Want.PROCESS_AREA
        elif _GOAL_WORDS.search(text) and not _PRACTICE_WORDS.search(text):
            want = Want.GOAL
        else:
            want = Want.PRACTICE

        kept = [
            (t, w)
            for t, w in zip(tokens, token_weights, strict=True)
            if t not in FILLER
            and t not in LIST_WORDS
            and t not in APPRAISAL_CONTEXT
            and t not in removed
            and not t.isdigit()
            and len(t) > 1
            and not _LEVEL_TOKEN.match(t)
        ]
        expansions = weighted_expansions(tokens, token_weights)
        return Understanding(
            text=text,
            truncated=truncated,
            tokens=tuple(tokens),
            content=tuple(t for t, _ in kept),
            weights=tuple(w for _, w in kept),
            levels=levels,
            category=category,
            optional=optional,
            named_pas=tuple(named),
            want=want,
            expansions=tuple(w for w, _ in expansions),
            expansion_weights=tuple(x for _, x in expansions),
            about_the_process=bool(_THE_PROCESS.search(text)) and not named,
        )


def sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(text) if part and part.strip()]


def weigh_the_ask(text: str) -> tuple[list[str], list[float]]:
    """Tokens of the text, each weighted: the question asked counts fully, the situation around it less.

    A chat message often tells a story before it asks ("we missed the SLA ... which practice covers X?").
    The asking sentence is the one that ends in a question mark or opens like a question or request;
    when it only points back ("which practice is that?"), the sentence before it is the real ask.
    """
    text = re.sub(r"\bobjective\s+evidence\b", "evidence", text, flags=re.I)
    parts = sentences(text)
    if len(parts) < 2:
        single = tokenize(text)
        return single, [1.0] * len(single)
    asks = [i for i, part in enumerate(parts) if part.rstrip().endswith("?") or _ASK_START.match(part)]
    if not asks:
        asks = [len(parts) - 1] if parts[-1].rstrip().endswith("?") else []
    if not asks:
        whole = tokenize(text)
        return whole, [1.0] * len(whole)
    full = set(asks)
    for i in asks:
        topical = [t for t in tokenize(parts[i]) if t not in FILLER and t not in LIST_WORDS and t not in APPRAISAL_CONTEXT and len(t) > 1]
        if len(topical) < 2 and i > 0:
            full.add(i - 1)  # "which practice is that?": the sentence before says what "that" is
    tokens: list[str] = []
    weights: list[float] = []
    for i, part in enumerate(parts):
        words = tokenize(part)
        tokens.extend(words)
        weights.extend([1.0 if i in full else CONTEXT_WEIGHT] * len(words))
    return tokens, weights
