"""The Whoosh index over the model and the search that answers questions; Whoosh stays inside."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from whoosh import query as wq
from whoosh import scoring
from whoosh.analysis import StandardAnalyzer, StemmingAnalyzer
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.filedb.filestore import RamStorage

from index.ids import IdGrammar
from index.understand import Understander, Understanding, expansions_for
from index.vocabulary import EXPANSIONS, FILLER
from model_data import Element, GenericGoal, Goal, Model, Practice, ProcessArea

# Relative weight of each field; titles say most about an element, our hints carry ops vocabulary.
FIELD_BOOSTS = {"title": 2.0, "statement": 1.2, "hints": 1.0, "context": 0.2}
EXPANSION_WEIGHT = 0.45
# Coordination: scale a score by the share of the question's (weighted) terms the element matches,
# so one strong title word cannot beat an element that matches most of what was asked.
COVERAGE_POWER = 1.0
CORRECTED_WEIGHT = 0.8  # a word we re-spelled counts a little less than one typed as meant
NAMED_PA_BOOST = 1.6
CANDIDATES = 120

_STEM = StemmingAnalyzer()


class _RamOnlyStorage(RamStorage):
    """RamStorage whose writer scratch space is in RAM too. Whoosh's default puts it in a shared
    $TMPDIR/MAIN.tmp, which two processes building at once delete under each other."""

    def temp_storage(self, name: str | None = None) -> RamStorage:
        return RamStorage()


@dataclass(frozen=True)
class Hit:
    id: str
    kind: str
    title: str
    score: float
    pa: str | None = None


@dataclass(frozen=True)
class Answer:
    """The engine's result: intent is lookup | list | search | none | empty."""

    question: str
    intent: str
    hits: tuple[Hit, ...]
    notes: tuple[str, ...] = ()
    heading: str | None = None  # for lists: what the list is


def _schema() -> Schema:
    return Schema(
        id=ID(stored=True, unique=True),
        kind=ID(stored=True),
        pa=ID(stored=True),
        title=TEXT(analyzer=StemmingAnalyzer(), field_boost=FIELD_BOOSTS["title"], stored=True),
        statement=TEXT(analyzer=StemmingAnalyzer(), field_boost=FIELD_BOOSTS["statement"]),
        hints=TEXT(analyzer=StemmingAnalyzer(), field_boost=FIELD_BOOSTS["hints"]),
        context=TEXT(analyzer=StemmingAnalyzer(), field_boost=FIELD_BOOSTS["context"]),
        spell=TEXT(analyzer=StandardAnalyzer(stoplist=None, minsize=2)),
        order=STORED,
    )


def _document(model: Model, element: Element, order: int) -> dict:
    hint = element.hint
    hints = " ; ".join((*hint.keywords, hint.explain))
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
    spell = " ".join((element.title, element.statement, hints, context))
    return dict(
        id=element.id,
        kind=element.kind,
        pa=pa,
        title=element.title,
        statement=element.statement,
        hints=hints,
        context=context,
        spell=spell,
        order=order,
    )


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


class ModelIndex:
    """An in-RAM Whoosh index of every model element, with the query understanding around it."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.grammar = IdGrammar(model)
        self.understander = Understander(model)
        self._index = _RamOnlyStorage().create_index(_schema())
        writer = self._index.writer()
        ordered = [*model.process_areas, *model.goals, *model.practices, *model.generic_goals, *model.generic_practices]
        for order, element in enumerate(ordered):
            writer.add_document(**_document(model, element, order))
        writer.commit()
        self._searcher = self._index.searcher(weighting=scoring.BM25F())
        reader = self._searcher.reader()
        self._known_words = {t.decode() if isinstance(t, bytes) else t for t in reader.lexicon("spell")}
        self._known_words |= set(FILLER) | {w for key in EXPANSIONS for w in re.split(r"[\s-]", key)}
        self._known_stems: set[str] = set()
        for fieldname in ("title", "statement", "hints", "context"):
            self._known_stems |= {t.decode() if isinstance(t, bytes) else t for t in reader.lexicon(fieldname)}

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
            return Answer("", "empty", ())
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
            return Answer(u.text, "none", (), tuple(notes))
        return Answer(u.text, "search", tuple(hits[:limit]), tuple(notes))

    def raw_search(self, text: str, limit: int = 5) -> list[str]:
        """Plain BM25F over the words as typed, no understanding: the floor for benchmarks."""
        terms = [wq.Term(f, t) for t in _STEM_TOKENS(text) for f in ("title", "statement", "hints", "context")]
        return [h["id"] for h in self._searcher.search(wq.Or(terms), limit=limit)] if terms else []

    # ---- lookups ----------------------------------------------------------------------------
    def _hit(self, element: Element, score: float = 1.0) -> Hit:
        pa = getattr(element, "pa", None) if not isinstance(element, ProcessArea) else element.abbr
        return Hit(element.id, element.kind, element.title, round(score, 4), pa or None)

    def _lookup(self, u: Understanding, refs, notes: list[str], limit: int) -> Answer:
        asked: list[Hit] = []
        suggested: list[Hit] = []
        for ref in refs:
            if ref.via_alias and ref.exists:
                if ref.via_alias.upper() in self.model.dev_aliases:
                    notes.append(f"{ref.via_alias.upper()} is the CMMI-DEV name; in CMMI-SVC it is {ref.canonical.split('.')[0]}.")
                else:
                    notes.append(f"I read '{ref.via_alias}' as {ref.canonical.split('.')[0]}.")
            if ref.exists:
                asked.append(self._hit(self.model.elements[ref.canonical]))
            else:
                notes.append(self._missing(ref.canonical))
                suggested.extend(self._hit(e, 0.5) for e in self._nearest(ref.canonical))
        related = []  # after the elements asked for: their goal and process area
        for hit in asked:
            element = self.model.elements[hit.id]
            for parent_id in (getattr(element, "goal_id", None), getattr(element, "pa", None)):
                if parent_id and parent_id in self.model.elements:
                    related.append(self._hit(self.model.elements[parent_id], 0.5))
        hits = list({h.id: h for h in reversed([*asked, *related, *suggested])}.values())[::-1]
        intent = "lookup" if asked else "none"
        return Answer(u.text, intent, tuple(hits[: max(limit, len(asked)) if asked else 12]), tuple(dict.fromkeys(notes)))

    def _missing(self, canonical: str) -> str:
        head = canonical.split(".")[0]
        if head in self.model.elements and isinstance(self.model.elements[head], ProcessArea):
            pa = self.model.pa(head)
            ids = ", ".join(g.id.split(".")[1] + f" ({len(g.practices)} practices)" for g in pa.goals)
            return f"{canonical} is not in CMMI-SVC V1.3. {head} has {ids}."
        return f"{canonical} is not in CMMI-SVC V1.3 (generic goals are GG1-GG3; generic practices GP1.1, GP2.1-GP2.10, GP3.1-GP3.2)."

    def _nearest(self, canonical: str) -> list[Element]:
        m = re.match(r"^(?P<pa>[A-Z]+)\.S[PG](?P<g>\d+)", canonical)
        if m and m["pa"] in self.model.elements:
            pa = self.model.pa(m["pa"])
            goal = next((g for g in pa.goals if g.id == f"{pa.abbr}.SG{m['g']}"), None)
            return [goal, *goal.practices] if goal else [pa, *pa.goals]
        m = re.match(r"^G[PG](?P<g>\d)", canonical)
        gg = next((g for g in self.model.generic_goals if m and g.id == f"GG{m['g']}"), None)
        return [gg, *gg.practices] if gg else list(self.model.generic_goals)

    def _capability(self, u: Understanding, gg_id: str, notes: list[str], limit: int) -> Answer:
        gg = self.model.elements[gg_id]
        assert isinstance(gg, GenericGoal)
        elements: list[Element] = [gg, *gg.practices]
        if u.want != "goal" and re.search(r"\bpractices?\b", u.text, re.I):
            elements = [*gg.practices, gg]
        return Answer(u.text, "lookup", tuple(self._hit(e) for e in elements[:limit]), tuple(notes))

    def _pa_overview(self, u: Understanding, notes: list[str], limit: int) -> Answer:
        hits = []
        for abbr in u.named_pas:
            pa = self.model.pa(abbr)
            hits.append(self._hit(pa))
            hits.extend(self._hit(e, 0.5) for e in (*pa.goals, *pa.practices))
        return Answer(u.text, "lookup", tuple(hits[: max(limit, len(u.named_pas))]), tuple(notes), heading=None)

    def _list(self, u: Understanding, notes: list[str]) -> Answer | None:
        pas = list(self.model.process_areas)
        parts = []
        if u.levels:
            if u.levels == {1}:
                notes.append("Maturity level 1 has no process areas; the staged levels with process areas are ML2-ML5.")
                return Answer(u.text, "none", (), tuple(notes))
            pas = [pa for pa in pas if pa.maturity_level in u.levels]
            parts.append("maturity level " + " and ".join(str(n) for n in sorted(u.levels)))
        if u.category:
            pas = [pa for pa in pas if pa.category == u.category]
            parts.append(f"the {u.category} category")
        if u.optional:
            pas = [pa for pa in pas if pa.optional]
            parts.append("optional")
        if not parts:
            if u.want == "generic":
                gps = [*self.model.generic_goals, *self.model.generic_practices]
                gps.sort(key=lambda e: e.id.replace("GG", "G").replace("GP", "G"))
                return Answer(u.text, "list", tuple(self._hit(e) for e in gps), tuple(notes), "Generic goals and practices")
            if u.want == "process_area":
                return Answer(u.text, "list", tuple(self._hit(pa) for pa in pas), tuple(notes), "All process areas")
            return None
        heading = "Process areas at " + ", ".join(parts) if u.levels else "Process areas in " + ", ".join(parts)
        if u.optional and not u.levels and not u.category:
            heading = "Optional process areas"
        return Answer(u.text, "list", tuple(self._hit(pa) for pa in pas), tuple(notes), heading)

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
        return min(candidates, key=lambda c: (_edit_distance(word, c) if c not in swaps else 1, -reader.doc_frequency("spell", c), c))

    def _weights(self, words: list[str], expansions: list[str], corrected: set[str]) -> dict[str, float]:
        weights: dict[str, float] = {}
        for word_list, base in ((words, 1.0), (expansions, EXPANSION_WEIGHT)):
            for word in word_list:
                weight = base * CORRECTED_WEIGHT if word in corrected else base
                for token in _STEM(word):
                    weights[token.text] = max(weights.get(token.text, 0.0), weight)
        return weights

    def _ranked(self, u: Understanding, words: list[str], corrected: set[str], capability: str | None) -> list[Hit]:
        expansions = list(u.expansions)
        if corrected:
            expansions += expansions_for(words)
        weights = self._weights(words, expansions, corrected)
        if not weights:
            return []
        q = wq.Or([wq.Term(f, stem, boost=w) for stem, w in weights.items() for f in ("title", "statement", "hints", "context")])
        results = self._searcher.search(q, limit=CANDIDATES, terms=COVERAGE_POWER > 0)
        total = sum(weights.values())
        scored: dict[str, float] = {}
        for r in results:
            score = r.score
            if COVERAGE_POWER > 0:
                matched = {t.decode() if isinstance(t, bytes) else t for _, t in r.matched_terms()}
                score *= (sum(weights[t] for t in matched if t in weights) / total) ** COVERAGE_POWER
            pa = r["pa"]
            if pa and pa in u.named_pas:
                score *= NAMED_PA_BOOST
            if u.levels and pa and self.model.pa(pa).maturity_level not in u.levels:
                score *= 0.5
            if u.category and pa and self.model.pa(pa).category != u.category:
                score *= 0.5
            if capability and not (r["id"].startswith(("GG", "GP")) and r["id"][2] == capability[2]):
                continue  # a named capability level narrows the answer to its generic goal
            scored[r["id"]] = score
        if u.want == "process_area":
            return self._rank_process_areas(scored)
        if u.want == "generic" or capability:
            kinds = {"generic_practice", "generic_goal"}
            if re.search(r"\bpractices?\b", u.text, re.I):
                kinds = {"generic_practice"}
            elif re.search(r"\bgoals?\b", u.text, re.I):
                kinds = {"generic_goal"}
        elif u.want == "goal":
            kinds = {"specific_goal", "generic_goal"}
        else:
            kinds = {"specific_practice", "generic_practice"}
        hits = [self._hit(self.model.elements[i], s) for i, s in scored.items() if self.model.elements[i].kind in kinds]
        return sorted(hits, key=lambda h: -h.score)

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


def build_index(model: Model) -> ModelIndex:
    """Build the in-RAM index for a model (about 0.1-0.3 s for CMMI-SVC)."""
    return ModelIndex(model)
