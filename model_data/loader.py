"""Load the model file and our search hints into frozen dataclasses, validating both on load."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

MODEL_FILE = "cmmi_svc_v1_3.json"
HINTS_DIR = "hints"
NOT_IN_SVC_FILE = "not_in_svc.json"

EXPECTED_COUNTS = {
    "process_areas": 24,
    "specific_goals": 53,
    "specific_practices": 181,
    "generic_goals": 3,
    "generic_practices": 13,
}

_PA_ABBR = re.compile(r"^[A-Z]{2,4}$")
_SG_ID = re.compile(r"^(?P<pa>[A-Z]{2,4})\.SG(?P<g>\d)$")
_SP_ID = re.compile(r"^(?P<pa>[A-Z]{2,4})\.SP(?P<g>\d)\.(?P<n>\d{1,2})$")
_GG_ID = re.compile(r"^GG(?P<g>\d)$")
_GP_ID = re.compile(r"^GP(?P<g>\d)\.(?P<n>\d{1,2})$")


class ModelError(ValueError):
    """The model data is inconsistent; raised on load, never at query time."""


@dataclass(frozen=True)
class Hint:
    """Our own plain-words explanation and search keywords for one element (not model text)."""

    explain: str = ""
    keywords: tuple[str, ...] = ()
    use_when: str = ""  # for a process area: the situation it is the one to reach for (reads after "Use X when")


@dataclass(frozen=True)
class Practice:
    id: str
    title: str
    statement: str
    goal_id: str
    pa: str
    hint: Hint = field(default=Hint(), compare=False)
    kind: str = "specific_practice"


@dataclass(frozen=True)
class Goal:
    id: str
    title: str
    statement: str
    pa: str
    practices: tuple[Practice, ...]
    hint: Hint = field(default=Hint(), compare=False)
    kind: str = "specific_goal"


@dataclass(frozen=True)
class ProcessArea:
    abbr: str
    name: str
    category: str
    maturity_level: int
    optional: bool
    purpose: str
    goals: tuple[Goal, ...]
    hint: Hint = field(default=Hint(), compare=False)
    kind: str = "process_area"

    @property
    def id(self) -> str:
        return self.abbr

    @property
    def title(self) -> str:
        return self.name

    @property
    def statement(self) -> str:
        return self.purpose

    @property
    def practices(self) -> tuple[Practice, ...]:
        return tuple(p for g in self.goals for p in g.practices)


@dataclass(frozen=True)
class GenericPractice:
    id: str
    title: str
    statement: str
    goal_id: str
    supported_by: tuple[str, ...]
    hint: Hint = field(default=Hint(), compare=False)
    kind: str = "generic_practice"


@dataclass(frozen=True)
class GenericGoal:
    id: str
    title: str
    statement: str
    capability_level: int
    practices: tuple[GenericPractice, ...]
    hint: Hint = field(default=Hint(), compare=False)
    kind: str = "generic_goal"


Element = ProcessArea | Goal | Practice | GenericGoal | GenericPractice


@dataclass(frozen=True)
class OutsideArea:
    """A process area people name that CMMI-SVC V1.3 does not have, with where CMMI-SVC covers similar ground."""

    abbr: str
    name: str
    model: str  # where it does exist, e.g. "CMMI-DEV V1.3"
    about: str  # cmmi-bot's own words
    in_svc: tuple[str, ...]  # CMMI-SVC element IDs
    ambiguous: bool = False  # the abbreviation is also an everyday word or acronym (AM, PI, ATM)


@dataclass(frozen=True)
class Model:
    name: str
    version: str
    categories: tuple[str, ...]
    maturity_level_names: dict[int, str]
    dev_aliases: dict[str, str]
    process_areas: tuple[ProcessArea, ...]
    generic_goals: tuple[GenericGoal, ...]
    elements: dict[str, Element] = field(repr=False)
    elsewhere: tuple[OutsideArea, ...] = field(default=(), repr=False)  # named by people, not in CMMI-SVC

    def get(self, element_id: str) -> Element | None:
        return self.elements.get(element_id)

    def pa(self, abbr: str) -> ProcessArea:
        element = self.elements[abbr]
        assert isinstance(element, ProcessArea)
        return element

    @property
    def goals(self) -> tuple[Goal, ...]:
        return tuple(g for pa in self.process_areas for g in pa.goals)

    @property
    def practices(self) -> tuple[Practice, ...]:
        return tuple(p for pa in self.process_areas for p in pa.practices)

    @property
    def generic_practices(self) -> tuple[GenericPractice, ...]:
        return tuple(p for g in self.generic_goals for p in g.practices)

    def process_area_of(self, element_id: str) -> ProcessArea | None:
        element = self.elements.get(element_id)
        if element is None or isinstance(element, (GenericGoal, GenericPractice)):
            return None
        if isinstance(element, ProcessArea):
            return element
        return self.pa(element.pa)

    def goal_of(self, element_id: str) -> Goal | GenericGoal | None:
        element = self.elements.get(element_id)
        if isinstance(element, (Practice, GenericPractice)):
            goal = self.elements[element.goal_id]
            assert isinstance(goal, (Goal, GenericGoal))
            return goal
        return None

    def pas_at_level(self, level: int, cumulative: bool = False) -> tuple[ProcessArea, ...]:
        return tuple(pa for pa in self.process_areas if pa.maturity_level == level or (cumulative and pa.maturity_level <= level))

    def generic_practices_supported_by(self, abbr: str) -> tuple[GenericPractice, ...]:
        return tuple(gp for gp in self.generic_practices if abbr in gp.supported_by)

    def counts(self) -> dict[str, int]:
        return {
            "process_areas": len(self.process_areas),
            "specific_goals": len(self.goals),
            "specific_practices": len(self.practices),
            "generic_goals": len(self.generic_goals),
            "generic_practices": len(self.generic_practices),
        }


# A JSON object as parsed from the data files. Its values are checked as they are read, and only the checked, typed
# dataclasses leave this module.
RawJson = dict[str, Any]


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ModelError(message)


def _text(raw: RawJson, key: str, where: str) -> str:
    value = raw.get(key)
    if not (isinstance(value, str) and value.strip() == value and value != ""):
        raise ModelError(f"{where}: {key} must be non-empty text")
    return value


def _hint(hints: dict[str, RawJson], element_id: str) -> Hint:
    raw = hints.get(element_id)
    if raw is None:
        return Hint()
    keywords = raw.get("keywords", [])
    _require(
        isinstance(keywords, list) and all(isinstance(k, str) for k in keywords), f"hints for {element_id}: keywords must be a list of text"
    )
    return Hint(
        explain=str(raw.get("explain", "")).strip(),
        keywords=tuple(k.strip() for k in keywords if k.strip()),
        use_when=str(raw.get("use_when", "")).strip(),
    )


def parse_outside(raw: RawJson, elements: dict[str, Element], taken: set[str]) -> tuple[OutsideArea, ...]:
    """Validate the not-in-CMMI-SVC file: each area once, never a CMMI-SVC name, pointing at real CMMI-SVC elements."""
    areas = []
    seen: set[str] = set()
    svc_names = {e.name.lower() for e in elements.values() if isinstance(e, ProcessArea)}
    for entry in raw.get("areas", []):
        abbr = _text(entry, "abbr", "not-in-SVC area")
        where = f"not-in-SVC area {abbr}"
        name = _text(entry, "name", where)
        _require(bool(_PA_ABBR.match(abbr)), f"{where}: bad abbreviation")
        _require(abbr not in taken and abbr not in seen, f"{where}: the abbreviation is already a CMMI-SVC name or listed twice")
        _require(
            name.lower() not in svc_names and name.lower() not in seen, f"{where}: the name {name!r} is a CMMI-SVC name or listed twice"
        )
        in_svc = entry.get("in_svc")
        _require(isinstance(in_svc, list) and bool(in_svc), f"{where}: in_svc must list CMMI-SVC elements")
        unknown = [i for i in in_svc if i not in elements]
        _require(not unknown, f"{where}: in_svc names unknown elements {unknown}")
        areas.append(
            OutsideArea(
                abbr, name, _text(entry, "model", where), _text(entry, "about", where), tuple(in_svc), bool(entry.get("ambiguous", False))
            )
        )
        seen.update((abbr, name.lower()))
    return tuple(areas)


def parse_model(raw: RawJson, hints: dict[str, RawJson] | None = None, outside: RawJson | None = None) -> Model:
    """Build and validate a Model from the data file's JSON (optional hints keyed by ID, optional not-in-SVC areas)."""
    hints = hints or {}
    categories = tuple(c["name"] for c in raw["categories"])
    levels = {int(m["level"]): m["name"] for m in raw["maturity_levels"]}
    elements: dict[str, Element] = {}

    def add(element: Element) -> None:
        _require(element.id not in elements, f"duplicate ID {element.id}")
        elements[element.id] = element

    pas = []
    for raw_pa in raw["process_areas"]:
        abbr = _text(raw_pa, "abbr", "process area")
        _require(bool(_PA_ABBR.match(abbr)), f"bad process area abbreviation {abbr!r}")
        _require(raw_pa.get("category") in categories, f"{abbr}: unknown category {raw_pa.get('category')!r}")
        _require(raw_pa.get("maturity_level") in levels, f"{abbr}: maturity level must be one of {sorted(levels)}")
        purpose = _text(raw_pa, "purpose", abbr)
        _require(purpose.startswith("The purpose of") and f"({abbr})" in purpose, f"{abbr}: purpose must name the process area")
        goals = []
        for g_index, raw_goal in enumerate(raw_pa["goals"], start=1):
            goal_id = _text(raw_goal, "id", abbr)
            m = _SG_ID.match(goal_id)
            _require(m is not None and m["pa"] == abbr and int(m["g"]) == g_index, f"{abbr}: goal {goal_id!r} is out of place")
            practices = []
            for p_index, raw_p in enumerate(raw_goal["practices"], start=1):
                pid = _text(raw_p, "id", goal_id)
                pm = _SP_ID.match(pid)
                _require(
                    pm is not None and pm["pa"] == abbr and int(pm["g"]) == g_index and int(pm["n"]) == p_index,
                    f"{goal_id}: practice {pid!r} is out of place",
                )
                practice = Practice(pid, _text(raw_p, "title", pid), _text(raw_p, "statement", pid), goal_id, abbr, _hint(hints, pid))
                add(practice)
                practices.append(practice)
            _require(bool(practices), f"{goal_id} has no practices")
            goal = Goal(
                goal_id,
                _text(raw_goal, "title", goal_id),
                _text(raw_goal, "statement", goal_id),
                abbr,
                tuple(practices),
                _hint(hints, goal_id),
            )
            add(goal)
            goals.append(goal)
        _require(bool(goals), f"{abbr} has no goals")
        pa = ProcessArea(
            abbr,
            _text(raw_pa, "name", abbr),
            raw_pa["category"],
            raw_pa["maturity_level"],
            bool(raw_pa.get("optional", False)),
            purpose,
            tuple(goals),
            _hint(hints, abbr),
        )
        add(pa)
        pas.append(pa)

    pa_abbrs = {pa.abbr for pa in pas}
    ggs = []
    for g_index, raw_gg in enumerate(raw["generic_goals"], start=1):
        gg_id = _text(raw_gg, "id", "generic goal")
        m = _GG_ID.match(gg_id)
        _require(m is not None and int(m["g"]) == g_index, f"generic goal {gg_id!r} is out of place")
        gps = []
        for p_index, raw_gp in enumerate(raw_gg["practices"], start=1):
            gp_id = _text(raw_gp, "id", gg_id)
            pm = _GP_ID.match(gp_id)
            _require(pm is not None and int(pm["g"]) == g_index and int(pm["n"]) == p_index, f"{gg_id}: practice {gp_id!r} is out of place")
            supported = tuple(raw_gp.get("supported_by", ()))
            _require(set(supported) <= pa_abbrs, f"{gp_id}: supported_by names unknown process areas")
            gp = GenericPractice(
                gp_id, _text(raw_gp, "title", gp_id), _text(raw_gp, "statement", gp_id), gg_id, supported, _hint(hints, gp_id)
            )
            add(gp)
            gps.append(gp)
        gg = GenericGoal(
            gg_id,
            _text(raw_gg, "title", gg_id),
            _text(raw_gg, "statement", gg_id),
            int(raw_gg["capability_level"]),
            tuple(gps),
            _hint(hints, gg_id),
        )
        add(gg)
        ggs.append(gg)

    aliases = dict(raw.get("cmmi_dev_aliases", {}))
    _require(set(aliases.values()) <= pa_abbrs and not (set(aliases) & pa_abbrs), "CMMI-DEV aliases must map unused names to process areas")
    unknown_hints = set(hints) - set(elements)
    _require(not unknown_hints, f"hints for unknown elements: {sorted(unknown_hints)}")

    elsewhere = parse_outside(outside or {}, elements, pa_abbrs | set(aliases))
    model = Model(raw["model"]["abbr"], raw["model"]["version"], categories, levels, aliases, tuple(pas), tuple(ggs), elements, elsewhere)
    counts = model.counts()
    _require(counts == EXPECTED_COUNTS, f"model counts {counts} differ from CMMI-SVC V1.3 {EXPECTED_COUNTS}")
    return model


def _read_hints() -> dict[str, RawJson]:
    merged: dict[str, RawJson] = {}
    folder = resources.files(__package__).joinpath(HINTS_DIR)
    if not folder.is_dir():
        return merged
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        for key, value in json.loads(entry.read_text(encoding="utf-8")).items():
            _require(key not in merged, f"hints for {key} appear twice")
            merged[key] = value
    return merged


@cache
def load_model() -> Model:
    """The shipped CMMI-SVC V1.3 model with our hints; loaded and validated once per process."""
    folder = resources.files(__package__)
    raw = json.loads(folder.joinpath(MODEL_FILE).read_text(encoding="utf-8"))
    outside = json.loads(folder.joinpath(NOT_IN_SVC_FILE).read_text(encoding="utf-8"))
    return parse_model(raw, _read_hints(), outside)
