"""The Whoosh index over the model and the search that answers questions; Whoosh stays inside."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Literal, TypedDict

import whoosh
from whoosh import query as wq
from whoosh import scoring
from whoosh.analysis import StandardAnalyzer
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.filedb.filestore import RamStorage
from whoosh.index import Index

from index.compare import Comparison, find_comparison
from index.distance import edit_distance
from index.english import is_english
from index.ids import IdGrammar, Reference
from index.outside import Mention, OutsideFinder
from index.understand import Understander, Understanding, Want, stemming_analyzer, weighted_expansions
from index.vocabulary import EXPANSIONS, FILLER
from model_data import Element, GenericGoal, GenericPractice, Goal, Model, Practice, ProcessArea

# Relative weight of each field; titles say most about an element, our hints carry ops vocabulary.
# Hint keywords count mainly as whole phrases (_PhraseScorer); their loose words (each once per element)
# and the "In practice" explanation keep a small weight. Measured on the dev, team and dev2 sets (250
# ranked questions), taking the explanation out of the ranking lost 8 at hit@1 and 3 at hit@3, and
# dropping the loose keyword words lost 9 and 1, so both stay, turned down.
FIELD_BOOSTS = {"title": 2.0, "statement": 1.2, "keywords": 0.6, "explain": 0.3, "context": 0.2}
RANKED_FIELDS = ("title", "statement", "keywords", "explain", "context")
PHRASE_WEIGHT = 1.0  # a fully matched keyword phrase against BM25F's scale
PHRASE_POWER = 1.0  # partial phrases count by their coverage: half a two-word phrase is worth half
PHRASE_BONUS = 0.5  # each further word of one phrase matched together, over matching words apart
MATCHED_COVERAGE = 0.5  # a word counts as matched for coordination only from a phrase at least half covered
EXPANSION_WEIGHT = 0.45
# Coordination: scale a score by the share of the question's (weighted) terms the element matches,
# so one strong title word cannot beat an element that matches most of what was asked.
COVERAGE_POWER = 1.0
CORRECTED_WEIGHT = 0.8  # a word we re-spelled counts a little less than one typed as meant
NAMED_PA_BOOST = 1.6
THE_PROCESS_BOOST = 1.6  # "train the people who perform the process" is about a generic practice
# Asking for what something holds, rather than what it says.
_LIST_CUE = re.compile(
    r"\b(?:list|lists|listing|enumerate|all|every|show\s+me|contents?|under|inside|within|make\s+up|makes\s+up|consists?|breakdown|"
    r"practices|goals|sps|sgs|gps)\b|\bwhat'?s\s+in\b|\bwhats\s+in\b|\bwhat\s+is\s+in\b",
    re.I,
)

_STEM = stemming_analyzer()
_Contents = Literal["all", "practice", "goal"]  # what of a container to list


class _RamOnlyStorage(RamStorage):
    """RamStorage whose writer scratch space is in RAM too. Whoosh's default puts it in a shared
    $TMPDIR/MAIN.tmp, which two processes building at once delete under each other."""

    def temp_storage(self, name: str | None = None) -> RamStorage:
        return RamStorage()


class Intent(StrEnum):
    """What kind of answer the engine gives. A StrEnum: its value is the plain word it always was, in JSON and in text."""

    LOOKUP = "lookup"  # the elements the question names (by ID, abbreviation or name), then their parents
    LIST = "list"  # what a container holds, or the process areas of a level or category
    SEARCH = "search"  # elements ranked for the question's words
    NONE = "none"  # nothing found, or the question names something CMMI-SVC V1.3 does not have
    EMPTY = "empty"  # nothing was asked


@dataclass(frozen=True)
class Hit:
    id: str
    kind: str
    title: str
    score: float
    pa: str | None = None

    def as_json(self) -> dict[str, object]:
        """The stable machine-readable form of a hit (cmmi-bot ask --json)."""
        return {"id": self.id, "kind": self.kind, "title": self.title, "score": self.score}


@dataclass(frozen=True)
class Answer:
    """The engine's result: what kind of answer (intent), and the hits.

    hits are real matches only. When the question names something CMMI-SVC V1.3 does not have,
    not_in_model says so, hits is empty, and suggestions hold what the model has instead."""

    question: str
    intent: Intent
    hits: tuple[Hit, ...]
    notes: tuple[str, ...] = ()
    heading: str | None = None  # for lists: what the list is
    not_in_model: str | None = None
    suggestions: tuple[Hit, ...] = ()
    compared: tuple[str, ...] = ()  # a comparison: the IDs compared, which lead hits
    outside: tuple[str, ...] = ()  # abbreviations of the not-in-SVC process areas named

    def as_json(self) -> dict[str, object]:
        """The ask --json contract: question and results always; not_in_model only when the question names
        something CMMI-SVC V1.3 does not have (results are then empty); suggestions, possibly empty."""
        data: dict[str, object] = {"question": self.question, "results": [h.as_json() for h in self.hits]}
        if self.not_in_model:
            data["not_in_model"] = self.not_in_model
        data["suggestions"] = [h.as_json() for h in self.suggestions]
        return data


def _schema() -> Schema:
    return Schema(
        id=ID(stored=True, unique=True),
        kind=ID(stored=True),
        pa=ID(stored=True),
        title=TEXT(analyzer=_STEM, field_boost=FIELD_BOOSTS["title"], stored=True),
        statement=TEXT(analyzer=_STEM, field_boost=FIELD_BOOSTS["statement"]),
        keywords=TEXT(analyzer=_STEM, field_boost=FIELD_BOOSTS["keywords"]),
        explain=TEXT(analyzer=_STEM, field_boost=FIELD_BOOSTS["explain"]),
        context=TEXT(analyzer=_STEM, field_boost=FIELD_BOOSTS["context"]),
        spell=TEXT(analyzer=StandardAnalyzer(stoplist=None, minsize=2)),
        order=STORED,
    )


class Document(TypedDict):
    """One model element as the Whoosh index holds it: the ranked text fields, a spelling field and the model order."""

    id: str
    kind: str
    pa: str
    title: str
    statement: str
    keywords: str
    explain: str
    context: str
    spell: str
    order: int


def _document(model: Model, element: Element, order: int) -> Document:
    hint = element.hint
    if isinstance(element, ProcessArea):
        context, pa = element.category, element.abbr
    elif isinstance(element, Goal):
        context, pa = model.pa(element.pa).name, element.pa
    elif isinstance(element, Practice):
        goal = model.elements[element.goal_id]
        context, pa = f"{goal.title} ; {model.pa(element.pa).name}", element.pa
    elif isinstance(element, GenericGoal):
        context, pa = f"generic goal capability level {element.capability_level}", ""
    else:
        goal = model.elements[element.goal_id]
        context, pa = f"generic practice {goal.title}", ""
    spell = " ".join((element.title, element.statement, *hint.keywords, hint.explain, context))
    return Document(
        id=element.id,
        kind=element.kind,
        pa=pa,
        title=element.title,
        statement=element.statement,
        # each keyword word once: ten phrases that all say "exercise" are not ten times about it
        keywords=" ".join(dict.fromkeys(w for k in hint.keywords for w in k.split())),
        explain=hint.explain,
        context=context,
        spell=spell,
        order=order,
    )


class _PhraseScorer:
    """Hint keywords scored as phrases: "annual DR test calendar" is a match for a question that says most
    of it, and worth little to one that shares only "annual" with it."""

    def __init__(self, keywords_per_doc: list[tuple[str, ...]]) -> None:
        self._phrases: list[tuple[int, frozenset[str]]] = []
        self._by_stem: dict[str, list[int]] = {}
        docs_with: dict[str, set[int]] = {}
        for doc, keywords in enumerate(keywords_per_doc):
            for keyword in keywords:
                stems = frozenset(t.text for t in _STEM(keyword))
                if not stems:
                    continue
                for stem in stems:
                    self._by_stem.setdefault(stem, []).append(len(self._phrases))
                    docs_with.setdefault(stem, set()).add(doc)
                self._phrases.append((doc, stems))
        n = len(keywords_per_doc)
        # BM25's idf over documents (elements) whose keywords use the stem.
        self._idf = {stem: math.log(1 + (n - len(d) + 0.5) / (len(d) + 0.5)) for stem, d in docs_with.items()}

    def score(self, weights: dict[str, float]) -> dict[int, tuple[float, set[str]]]:
        """Per document: the phrase score and the stems matched in phrases covered well enough to count."""
        counts: dict[int, int] = {}
        for stem in weights:
            for phrase in self._by_stem.get(stem, ()):
                counts[phrase] = counts.get(phrase, 0) + 1
        best: dict[int, dict[str, float]] = {}
        for phrase, n in counts.items():
            doc, stems = self._phrases[phrase]
            value = (n / len(stems)) ** PHRASE_POWER * (1 + PHRASE_BONUS * (n - 1))
            per_doc = best.setdefault(doc, {})
            for stem in stems:
                if stem in weights and value > per_doc.get(stem, 0.0):
                    per_doc[stem] = value
        out = {}
        for doc, per_stem in best.items():
            total = sum(weights[s] * self._idf[s] * v for s, v in per_stem.items())
            out[doc] = (total, {s for s, v in per_stem.items() if v >= MATCHED_COVERAGE**PHRASE_POWER})
        return out


def _documents(model: Model) -> list[Document]:
    ordered: list[Element] = [*model.process_areas, *model.goals, *model.practices, *model.generic_goals, *model.generic_practices]
    return [_document(model, element, order) for order, element in enumerate(ordered)]


def _build_whoosh(documents: Sequence[Document]) -> Index:
    index = _RamOnlyStorage().create_index(_schema())
    writer = index.writer()
    for document in documents:
        writer.add_document(**document)
    writer.commit()
    return index


class ModelIndex:
    """An in-RAM Whoosh index of every model element, with the query understanding around it.

    cache_dir: a folder of the user's own where the built Whoosh index is kept between starts (see index/cache.py);
    None builds it in memory every time."""

    def __init__(self, model: Model, cache_dir: Path | None = None) -> None:
        self.model = model
        self.grammar = IdGrammar(model)
        self.understander = Understander(model)
        self.outside = OutsideFinder(model)
        documents = _documents(model)
        if cache_dir is None:
            self._index = _build_whoosh(documents)
        else:
            from index.cache import cache_key, cached

            key = cache_key(documents, Path(__file__).parent, whoosh.versionstring())
            self._index = cached(cache_dir, key, lambda: _build_whoosh(documents))
        self._searcher = self._index.searcher(weighting=scoring.BM25F())
        reader = self._searcher.reader()
        self._doc_ids = [str(fields["id"]) for _, fields in sorted(reader.iter_docs(), key=lambda pair: pair[0])]
        self._term_cache: dict[str, dict[int, float]] = {}

    # Needed only to rank words (not for IDs, lists or comparisons): made on first use, so a lookup at start-up skips them.
    @functools.cached_property
    def _phrases(self) -> _PhraseScorer:
        return _PhraseScorer([element.hint.keywords for element in map(self.model.elements.__getitem__, self._doc_ids)])

    @functools.cached_property
    def _known_words(self) -> set[str]:
        reader = self._searcher.reader()
        words = {t.decode() if isinstance(t, bytes) else t for t in reader.lexicon("spell")}
        return words | set(FILLER) | {w for key in EXPANSIONS for w in re.split(r"[\s-]", key)}

    @functools.cached_property
    def _known_stems(self) -> set[str]:
        reader = self._searcher.reader()
        stems: set[str] = set()
        for fieldname in ("title", "statement", "keywords", "explain", "context"):
            stems |= {t.decode() if isinstance(t, bytes) else t for t in reader.lexicon(fieldname)}
        return stems

    # ---- public API -------------------------------------------------------------------------
    def search(self, text: str, limit: int = 5) -> Answer:
        refs = self.grammar.find(text or "")
        words = text.split() if text else []
        abbreviations = [r.canonical for r in self.grammar.find_process_areas(text or "", short_query=len(words) <= 4)]
        u = self.understander.understand(text or "", abbreviations)
        notes: list[str] = []
        if u.truncated:
            notes.append("Your question was long; I read only its first 1,000 characters.")
        if not u.text:
            return Answer("", Intent.EMPTY, ())
        mentions = self.outside.find(u.text)
        if mentions or any(not r.exists for r in refs):
            return self._not_in_model(u, refs, mentions, notes)
        comparison = find_comparison(u.text)
        if comparison:
            compared = self._compare(u, comparison, notes, limit)
            if compared:
                return compared
        listed = self._list_contents(u, refs, notes)
        if listed:
            return listed
        if refs:
            return self._lookup(u, refs, notes, limit)
        capability = self.grammar.find_capability_level(u.text)
        if capability and not u.content:
            return self._capability(u, capability, notes, limit)
        words, corrected = self._correct(u.content, notes)
        if not words:
            if u.named_pas:
                return self._pa_overview(u, notes, limit)
            listed = self._list(u, notes)
            if listed:
                return listed
        hits = self._ranked(u, words, corrected, capability)
        if not hits:
            return Answer(u.text, Intent.NONE, (), tuple(notes))
        return Answer(u.text, Intent.SEARCH, tuple(hits[:limit]), tuple(notes))

    def raw_search(self, text: str, limit: int = 5) -> list[str]:
        """Plain BM25F over the words as typed, no understanding: the floor for benchmarks."""
        terms = [wq.Term(f, t) for t in _STEM_TOKENS(text) for f in ("title", "statement", "keywords", "explain", "context")]
        return [str(h["id"]) for h in self._searcher.search(wq.Or(terms), limit=limit)] if terms else []

    # ---- lookups ----------------------------------------------------------------------------
    def _hit(self, element: Element, score: float = 1.0) -> Hit:
        pa = getattr(element, "pa", None) if not isinstance(element, ProcessArea) else element.abbr
        return Hit(element.id, element.kind, element.title, round(score, 4), pa or None)

    def _lookup(self, u: Understanding, refs: list[Reference], notes: list[str], limit: int) -> Answer:
        asked: list[Hit] = []
        for ref in refs:
            if ref.via_alias and ref.exists:
                if ref.via_alias.upper() in self.model.dev_aliases:
                    notes.append(f"{ref.via_alias.upper()} is the CMMI-DEV name; in CMMI-SVC it is {ref.canonical.split('.')[0]}.")
                else:
                    notes.append(f"I read '{ref.via_alias}' as {ref.canonical.split('.')[0]}.")
            asked.append(self._hit(self.model.elements[ref.canonical]))
        related = []  # after the elements asked for: their goal and process area
        for hit in asked:
            element = self.model.elements[hit.id]
            for parent_id in (getattr(element, "goal_id", None), getattr(element, "pa", None)):
                if parent_id and parent_id in self.model.elements:
                    related.append(self._hit(self.model.elements[parent_id], 0.5))
        hits = list({h.id: h for h in reversed([*asked, *related])}.values())[::-1]
        return Answer(u.text, Intent.LOOKUP, tuple(hits[: max(limit, len(asked))]), tuple(dict.fromkeys(notes)))

    def _missing(self, canonical: str) -> str:
        head = canonical.split(".")[0]
        if head in self.model.elements and isinstance(self.model.elements[head], ProcessArea):
            pa = self.model.pa(head)
            ids = ", ".join(g.id.split(".")[1] + f" ({len(g.practices)} practices)" for g in pa.goals)
            return f"{canonical} is not in CMMI-SVC V1.3. {head} has {ids}."
        return f"{canonical} is not in CMMI-SVC V1.3 (generic goals are GG1-GG3; generic practices GP1.1, GP2.1-GP2.10, GP3.1-GP3.2)."

    def _not_in_model(self, u: Understanding, refs: list[Reference], mentions: list[Mention], notes: list[str]) -> Answer:
        """The question names what CMMI-SVC V1.3 does not have: say so, and offer what it has instead."""
        reasons: list[str] = []
        suggested: list[Element] = []
        areas = {m.area.abbr: m.area for m in mentions}
        for ref in refs:
            if ref.outside:
                area = self.outside.abbreviation(ref.outside)
                if area:  # always: the grammar marks only the model's not-in-SVC abbreviations as outside
                    areas.setdefault(ref.outside, area)
            elif ref.exists:
                suggested.append(self.model.elements[ref.canonical])  # what was asked that does exist comes first
        for ref in refs:
            if not ref.exists and not ref.outside:
                reasons.append(self._missing(ref.canonical))
                suggested.extend(self._nearest(ref.canonical))
        for area in areas.values():
            reasons.insert(0, f"{area.abbr} ({area.name}) is a {area.model} process area; CMMI-SVC V1.3 does not have it.")
            suggested.extend(self.model.elements[i] for i in area.in_svc)
        reason = " ".join(dict.fromkeys(reasons))
        suggestions = list({e.id: self._hit(e, 0.5) for e in suggested}.values())[:12]
        return Answer(
            u.text,
            Intent.NONE,
            (),
            tuple(dict.fromkeys([*notes, reason])),  # in the notes too: other commands quote them when an ID is wrong
            not_in_model=reason,
            suggestions=tuple(suggestions),
            outside=tuple(areas),
        )

    def _nearest(self, canonical: str) -> list[Element]:
        m = re.match(r"^(?P<pa>[A-Z]+)\.S[PG](?P<g>\d+)", canonical)
        if m and m["pa"] in self.model.elements:
            pa = self.model.pa(m["pa"])
            goal = next((g for g in pa.goals if g.id == f"{pa.abbr}.SG{m['g']}"), None)
            return [goal, *goal.practices] if goal else [pa, *pa.goals]
        m = re.match(r"^G[PG](?P<g>\d)", canonical)
        gg = next((g for g in self.model.generic_goals if m and g.id == f"GG{m['g']}"), None)
        return [gg, *gg.practices] if gg else list(self.model.generic_goals)

    def _compare(self, u: Understanding, comparison: Comparison, notes: list[str], limit: int) -> Answer | None:
        """Both (or all) sides of a comparison lead the answer, in the order asked."""
        elements: list[Element] = []
        for side in comparison.sides:
            found = self._resolve_side(side, comparison.explicit, taken={e.id for e in elements})
            if not found:
                return None
            elements.extend(found)
        unique = list({e.id: e for e in elements}.values())
        if len(unique) < 2:
            return None
        hits = tuple(self._hit(e) for e in unique)
        return Answer(u.text, Intent.LOOKUP, hits, tuple(notes), compared=tuple(h.id for h in hits))

    def _resolve_side(self, side: str, explicit: bool, taken: set[str]) -> list[Element]:
        """The element(s) one side of a comparison names: an ID, a process area by abbreviation or (part of)
        its name, "A and B"; failing those, and only for an explicit comparison, the best match for its words."""
        direct = self._name_of(side)
        if direct:
            return [direct]
        parts = [p for p in re.split(r"\s*(?:,|\band\b|\bor\b|&)\s*", side) if p.strip()]
        if len(parts) > 1:
            named = [self._name_of(p) for p in parts]
            if all(named):
                return [e for e in named if e]
        if not explicit:
            return []
        answer = self.search(side, limit=3)
        if answer.intent not in (Intent.SEARCH, Intent.LOOKUP) or answer.compared:
            return []
        # two sides described alike ("verification vs validation") must not both land on one element
        fresh = [h for h in answer.hits if h.id not in taken]
        return [self.model.elements[fresh[0].id]] if fresh else []

    def _name_of(self, side: str) -> Element | None:
        """The one element a short text names outright, or None."""
        refs = self.grammar.find(side)
        if refs:
            return self.model.elements[refs[0].canonical] if len(refs) == 1 and refs[0].exists else None
        tokens = side.split()
        found = self.grammar.find_process_areas(side, short_query=True)
        if len(found) == 1 and len(tokens) <= 2:
            return self.model.pa(found[0].canonical)
        u = self.understander.understand(side, [])
        if len(u.named_pas) == 1 and not u.content:
            return self.model.pa(u.named_pas[0])
        stems = {t.text for t in _STEM(side)} - {"process", "area"}
        if stems:
            owners = [pa for pa in self.model.process_areas if stems <= {t.text for t in _STEM(pa.name)}]
            if len(owners) == 1:
                return owners[0]  # "incident resolution", "causal analysis": part of one name only
        return None

    def _capability(self, u: Understanding, gg_id: str, notes: list[str], limit: int) -> Answer:
        gg = self.model.elements[gg_id]
        assert isinstance(gg, GenericGoal)
        elements: list[Element] = [gg, *gg.practices]
        if u.want != Want.GOAL and re.search(r"\bpractices?\b", u.text, re.I):
            elements = [*gg.practices, gg]
        return Answer(u.text, Intent.LOOKUP, tuple(self._hit(e) for e in elements[:limit]), tuple(notes))

    def _pa_overview(self, u: Understanding, notes: list[str], limit: int) -> Answer:
        hits = []
        for abbr in u.named_pas:
            pa = self.model.pa(abbr)
            hits.append(self._hit(pa))
            hits.extend(self._hit(e, 0.5) for e in self._contents(pa))
        return Answer(u.text, Intent.LOOKUP, tuple(hits[: max(limit, len(u.named_pas))]), tuple(notes), heading=None)

    @staticmethod
    def _contents(container: ProcessArea | Goal | GenericGoal, want: _Contents = "all") -> list[Element]:
        """What a process area or goal holds, in model order: goals each followed by their practices."""
        if isinstance(container, (Goal, GenericGoal)):
            return list(container.practices)
        if want == "practice":
            return list(container.practices)
        if want == "goal":
            return list(container.goals)
        elements: list[Element] = []
        for goal in container.goals:
            elements += [goal, *goal.practices]
        return elements

    def _list_contents(self, u: Understanding, refs: list[Reference], notes: list[str]) -> Answer | None:
        """ "list the SPs under CAM SG2", "practices of IRP", "what's in IRP": the container, then what it holds."""
        if not _LIST_CUE.search(u.text):
            return None
        containers: list[ProcessArea | Goal | GenericGoal] = []
        if refs:
            elements = [self.model.elements[r.canonical] for r in refs]
            if len(elements) != 1 or not isinstance(elements[0], (Goal, GenericGoal)):
                return None
            containers = [elements[0]]
        elif u.named_pas and not u.content:
            containers = [self.model.pa(a) for a in u.named_pas]
        if not containers:
            return None
        asks_practices = bool(re.search(r"\b(?:practices?|sps?|gps?)\b", u.text, re.I))
        asks_goals = bool(re.search(r"\b(?:goals?|sgs?)\b", u.text, re.I))
        want: _Contents = "all" if asks_practices == asks_goals else "practice" if asks_practices else "goal"
        hits: list[Hit] = []
        headings = []
        for container in containers:
            hits.append(self._hit(container))
            hits.extend(self._hit(e, 0.5) for e in self._contents(container, want))
            what = {"practice": "Practices", "goal": "Goals"}.get(want, "Goals and practices")
            if isinstance(container, GenericGoal):
                what = "Generic practices"
            name = container.name if isinstance(container, ProcessArea) else container.title
            headings.append(f"{what} of {container.id} {name}")
        return Answer(u.text, Intent.LIST, tuple(hits), tuple(notes), "; ".join(headings))

    def _list(self, u: Understanding, notes: list[str]) -> Answer | None:
        pas = list(self.model.process_areas)
        parts = []
        if u.levels:
            if u.levels == {1}:
                notes.append("Maturity level 1 has no process areas; the staged levels with process areas are ML2-ML5.")
                return Answer(u.text, Intent.NONE, (), tuple(notes))
            pas = [pa for pa in pas if pa.maturity_level in u.levels]
            parts.append("maturity level " + " and ".join(str(n) for n in sorted(u.levels)))
        if u.category:
            pas = [pa for pa in pas if pa.category == u.category]
            parts.append(f"the {u.category} category")
        if u.optional:
            pas = [pa for pa in pas if pa.optional]
            parts.append("optional")
        if not parts:
            if u.want == Want.GENERIC:
                gps: list[GenericGoal | GenericPractice] = [*self.model.generic_goals, *self.model.generic_practices]
                gps.sort(key=lambda e: e.id.replace("GG", "G").replace("GP", "G"))
                return Answer(u.text, Intent.LIST, tuple(self._hit(e) for e in gps), tuple(notes), "Generic goals and practices")
            if u.want == Want.PROCESS_AREA:
                return Answer(u.text, Intent.LIST, tuple(self._hit(pa) for pa in pas), tuple(notes), "All process areas")
            return None
        heading = "Process areas at " + ", ".join(parts) if u.levels else "Process areas in " + ", ".join(parts)
        if u.optional and not u.levels and not u.category:
            heading = "Optional process areas"
        return Answer(u.text, Intent.LIST, tuple(self._hit(pa) for pa in pas), tuple(notes), heading)

    # ---- natural-language ranking -----------------------------------------------------------
    def _correct(self, content: tuple[str, ...], notes: list[str]) -> tuple[list[str], set[str]]:
        """Re-spell words the model's vocabulary does not know; returns the words and those changed."""
        words, changed = [], set()
        for word in content:
            fixed = self._spelling(word)
            if fixed != word:
                notes.append(f"I read '{word}' as '{fixed}'.")
                changed.add(fixed)
            words.append(fixed)
        return words, changed

    @functools.lru_cache(maxsize=4096)  # noqa: B019 - one index per process, lives as long as it
    def _spelling(self, word: str) -> str:
        if word in self._known_words or not word.isalpha() or len(word) < 4:
            return word
        stems = [t.text for t in _STEM(word)]
        if stems and all(s in self._known_stems for s in stems):
            return word
        if is_english(word):
            return word  # a real word is never re-spelled: week is not weak, timers are not tiers
        swaps = {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}
        candidates = sorted(swaps & self._known_words)
        if not candidates:
            reader = self._searcher.reader()
            for maxdist in (1, 2) if len(word) >= 9 else (1,):
                candidates = [c.decode() if isinstance(c, bytes) else c for c in reader.terms_within("spell", word, maxdist)]
                if candidates:
                    break
        if not candidates:
            return word
        reader = self._searcher.reader()
        return min(candidates, key=lambda c: (edit_distance(word, c) if c not in swaps else 1, -reader.doc_frequency("spell", c), c))

    def _weights(self, u: Understanding, words: list[str], corrected: set[str]) -> dict[str, float]:
        """Query stems and their weights: as typed 1.0, expansions less, re-spelled a little less, context less."""
        pairs = list(zip(words, u.weights or [1.0] * len(words), strict=True))
        pairs += [(w, x * EXPANSION_WEIGHT) for w, x in zip(u.expansions, u.expansion_weights or [1.0] * len(u.expansions), strict=True)]
        if corrected:
            pairs += [(w, x * EXPANSION_WEIGHT) for w, x in weighted_expansions(words, list(u.weights or [1.0] * len(words)))]
        weights: dict[str, float] = {}
        for word, weight in pairs:
            if word in corrected:
                weight *= CORRECTED_WEIGHT
            for token in _STEM(word):
                weights[token.text] = max(weights.get(token.text, 0.0), weight)
        return weights

    def _term_scores(self, stem: str) -> dict[int, float]:
        """BM25F score of one stem in every document that has it, summed over the ranked fields.

        Whoosh computes each score (its BM25F weighting over this index's statistics); the index never
        changes after it is built, so a stem's scores are kept once computed. A query then costs a few
        dictionary look-ups per word instead of a fresh Whoosh query, which is what keeps answering as
        fast as a plain Whoosh search while it does more."""
        cached = self._term_cache.get(stem)
        if cached is not None:
            return cached
        scores: dict[int, float] = {}
        reader = self._searcher.reader()
        for fieldname in RANKED_FIELDS:
            if (fieldname, stem) not in reader:
                continue
            matcher = self._searcher.postings(fieldname, stem)
            while matcher.is_active():
                doc = matcher.id()
                scores[doc] = scores.get(doc, 0.0) + matcher.score()
                matcher.next()
        if len(self._term_cache) < 50_000:  # bounded by the index's vocabulary in practice
            self._term_cache[stem] = scores
        return scores

    def _scores(self, weights: dict[str, float]) -> dict[int, float]:
        """Every matching document's score: BM25F over the ranked fields, plus keyword phrases, times coordination."""
        scores: dict[int, float] = {}
        matched: dict[int, set[str]] = {}
        for stem, weight in weights.items():
            for doc, score in self._term_scores(stem).items():
                scores[doc] = scores.get(doc, 0.0) + weight * score
                matched.setdefault(doc, set()).add(stem)
        for doc, (score, stems) in self._phrases.score(weights).items():
            scores[doc] = scores.get(doc, 0.0) + PHRASE_WEIGHT * score
            matched.setdefault(doc, set()).update(stems)
        total = sum(weights.values())
        if COVERAGE_POWER > 0 and total:
            for doc in scores:
                scores[doc] *= (sum(weights[t] for t in matched[doc]) / total) ** COVERAGE_POWER
        return scores

    def _ranked(self, u: Understanding, words: list[str], corrected: set[str], capability: str | None) -> list[Hit]:
        weights = self._weights(u, words, corrected)
        if not weights:
            return []
        scored: dict[str, float] = {}
        for doc, score in self._scores(weights).items():
            element_id = self._doc_ids[doc]
            element = self.model.elements[element_id]
            pa = element.abbr if isinstance(element, ProcessArea) else getattr(element, "pa", "")
            if pa and pa in u.named_pas:
                score *= NAMED_PA_BOOST
            if u.levels and pa and self.model.pa(pa).maturity_level not in u.levels:
                score *= 0.5
            if u.category and pa and self.model.pa(pa).category != u.category:
                score *= 0.5
            if u.about_the_process and isinstance(element, (GenericPractice, GenericGoal)):
                score *= THE_PROCESS_BOOST
            if capability and not (element_id.startswith(("GG", "GP")) and element_id[2] == capability[2]):
                continue  # a named capability level narrows the answer to its generic goal
            scored[element_id] = score
        if u.want == Want.PROCESS_AREA:
            return self._rank_process_areas(scored)
        if u.want == Want.GENERIC or capability:
            kinds = {"generic_practice", "generic_goal"}
            if re.search(r"\bpractices?\b", u.text, re.I):
                kinds = {"generic_practice"}
            elif re.search(r"\bgoals?\b", u.text, re.I):
                kinds = {"generic_goal"}
        elif u.want == Want.GOAL:
            kinds = {"specific_goal", "generic_goal"}
        else:
            kinds = {"specific_practice", "generic_practice"}
        hits = [self._hit(self.model.elements[i], s) for i, s in scored.items() if self.model.elements[i].kind in kinds]
        return sorted(hits, key=lambda h: (-h.score, h.id))

    def _rank_process_areas(self, scored: dict[str, float]) -> list[Hit]:
        children: dict[str, list[float]] = {}
        for element_id, score in scored.items():
            element = self.model.elements[element_id]
            if isinstance(element, (Practice, Goal)):
                children.setdefault(element.pa, []).append(score)
        totals = {}
        for pa in self.model.process_areas:
            top = sorted(children.get(pa.abbr, []), reverse=True)[:3]
            totals[pa.abbr] = scored.get(pa.abbr, 0.0) + sum(s * w for s, w in zip(top, (0.6, 0.3, 0.15), strict=False))
        ranked = sorted((s, a) for a, s in totals.items() if s > 0)
        return [self._hit(self.model.pa(a), s) for s, a in reversed(ranked)]


def _STEM_TOKENS(text: str) -> list[str]:
    return [t.text for t in _STEM(text or "")]


def build_plain_whoosh(model: Model) -> None:
    """The floor for benchmarking build_index: the same schema and documents written to a plain RAM Whoosh index,
    with none of the query understanding set up. The index is thrown away; its Whoosh types stay in here."""
    index = RamStorage().create_index(_schema())
    writer = index.writer()
    for document in _documents(model):
        writer.add_document(**document)
    writer.commit()


def build_index(model: Model, cache_dir: Path | None = None) -> ModelIndex:
    """The index for a model: built in RAM (about 0.1-0.4 s for CMMI-SVC), or with `cache_dir`, read from the user's cache
    when it was built before from the same model, hints and code (a few milliseconds)."""
    return ModelIndex(model, cache_dir)
