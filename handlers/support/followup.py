"""Thread follow-ups: a reply in a thread the bot answered, without a mention, resolved against the element discussed there.

Only a few short phrasings are recognised ("what evidence would show that?", "log this as evidence https://…",
"and its goal?", "and its process area?"); anything else in the thread is people talking to each other and is left
alone. A recognised follow-up becomes an ordinary command for that element (`ask WMC.SG1`, `evidence add WMC.SP1.6
LINK note`), or, for evidence examples, an answer from the model's own hints. Transports decide where threads are and
remember what each is about (store.threads); this module knows no transport."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from handlers.core import Reply, Section, UserError
from handlers.support import actions
from model_data import Element, GenericGoal, GenericPractice, Goal, Model, Practice, ProcessArea


class Ask(StrEnum):
    EVIDENCE_EXAMPLES = "evidence_examples"
    LOG_EVIDENCE = "log_evidence"
    GOAL = "goal"
    PROCESS_AREA = "process_area"


@dataclass(frozen=True)
class Followup:
    """A recognised follow-up: what it asks for; to log evidence, the rest of what was typed (link and note), and a
    practice named instead of the thread's ("log this as evidence for WMC.SP1.2 https://…")."""

    ask: Ask
    rest: str = ""
    practice: str | None = None


@dataclass(frozen=True)
class Resolved:
    """What to do for a follow-up: dispatch `command` as the person, or show `reply` (evidence examples)."""

    command: str = ""
    reply: Reply | None = None


MAX_FOLLOWUP = 2500  # a note of 2,000 characters and a link; longer replies in a thread are conversation, not follow-ups
_THAT = r"(?:that|this|it|them|those|these)"
_OPENER = r"(?:(?:and|so|ok|okay|also|then|but)[,.]?\s+)*"
_END = r"\s*[?.!]*"
_PATTERNS: tuple[tuple[Ask, re.Pattern[str]], ...] = tuple(
    (ask, re.compile(rf"{_OPENER}{pattern}", re.IGNORECASE | re.DOTALL))
    for ask, pattern in (
        (
            Ask.EVIDENCE_EXAMPLES,
            rf"(?:what|which)\s+(?:kind\s+of\s+|sort\s+of\s+|objective\s+)?evidence\s+(?:would|could|can|will|might|should|does|do)\s+"
            rf"(?:we\s+need\s+to\s+|i\s+need\s+to\s+)?(?:show|prove|demonstrate|support|satisfy|cover|meet)\s+{_THAT}{_END}",
        ),
        (
            Ask.EVIDENCE_EXAMPLES,
            rf"(?:what|which)\s+evidence\s+(?:is\s+needed|do\s+we\s+need|would\s+we\s+need|counts)(?:\s+for\s+{_THAT})?{_END}",
        ),
        (
            Ask.EVIDENCE_EXAMPLES,
            rf"(?:what\s+would\s+an?\s+appraiser\s+(?:look\s+for|want\s+to\s+see|ask\s+for))(?:\s+(?:here|for\s+{_THAT}))?{_END}",
        ),
        (Ask.EVIDENCE_EXAMPLES, rf"(?:any\s+)?(?:examples?\s+of\s+evidence|evidence\s+examples?)(?:\s+for\s+{_THAT})?{_END}"),
        (
            Ask.LOG_EVIDENCE,
            rf"(?:please\s+)?(?:log|record|add|save|file|store)\s+{_THAT}\s+as\s+(?:cmmi\s+)?evidence"
            rf"(?:\s+for\s+(?P<practice>[A-Za-z]{{2,5}}\.(?:SP|GP|sp|gp)\d\.\d{{1,2}}))?(?:\s*[:,-]\s*|\s+|$)(?P<rest>.*)",
        ),
        (
            Ask.GOAL,
            rf"(?:what(?:'s|’s|\s+is|\s+about)\s+|show\s+(?:me\s+)?)?(?:its|the|it's|it’s|their)\s+(?:specific\s+|generic\s+)?goal{_END}",
        ),
        (Ask.GOAL, rf"(?:which|what)\s+goal(?:\s+(?:is\s+)?{_THAT}\s+(?:in|under|part\s+of|belongs?\s+to|for))?{_END}"),
        (
            Ask.PROCESS_AREA,
            rf"(?:what(?:'s|’s|\s+is|\s+about)\s+|show\s+(?:me\s+)?)?(?:its|the|it's|it’s|their)\s+(?:process\s+area|pa){_END}",
        ),
        (
            Ask.PROCESS_AREA,
            rf"(?:which|what)\s+(?:process\s+area|pa)(?:\s+(?:is\s+)?{_THAT}\s+(?:in|under|part\s+of|belongs?\s+to|from))?{_END}",
        ),
    )
)


def recognise(text: str) -> Followup | None:
    """The follow-up a thread reply is, or None for anything else (most replies: people talking to each other)."""
    text = " ".join(text.split()) if len(text) <= MAX_FOLLOWUP else ""
    for ask, pattern in _PATTERNS:
        found = pattern.fullmatch(text)
        if found:
            groups = found.groupdict()
            practice = groups.get("practice")
            return Followup(ask, rest=(groups.get("rest") or "").strip(), practice=practice.upper() if practice else None)
    return None


def topic(reply: Reply, model: Model) -> str | None:
    """The element an answer is about, when it is about one (a lookup or a question in people's words; not a list, a
    comparison, or "nothing found"): what later follow-ups in its thread refer to."""
    if not reply.shareable:
        return None
    results = reply.data.get("results") or ()
    first = results[0].get("id") if results and isinstance(results[0], dict) else None
    element = model.elements.get(first) if isinstance(first, str) else None
    return first if element is not None and reply.text == f"{element.id} {element.title}" else None


def _kind(element: Element) -> str:
    return {
        Practice: "a specific practice",
        GenericPractice: "a generic practice",
        Goal: "a specific goal",
        GenericGoal: "a generic goal",
    }.get(type(element), "a process area")


def _goal(element: Element, model: Model) -> str:
    if isinstance(element, (Practice, GenericPractice)):
        return f"ask {element.goal_id}"
    if isinstance(element, ProcessArea):
        goals = ", ".join(g.id for g in element.goals)
        raise UserError(f"{element.id} is a process area; its goals are {goals}. Ask about one, e.g. `ask {element.goals[0].id}`.")
    raise UserError(f"{element.id} is itself {_kind(element)}. Ask `and its process area?`, or about one of its practices.")


def _process_area(element: Element, model: Model) -> str:
    if isinstance(element, (Practice, Goal)):
        return f"ask {element.pa}"
    if isinstance(element, (GenericPractice, GenericGoal)):
        raise UserError(f"{element.id} is {_kind(element)}: it applies to every process area. Name one, e.g. `ask WMC {element.id}`.")
    raise UserError(f"{element.id} is itself a process area.")


def _log(followup: Followup, element: Element) -> str:
    practice = followup.practice or (element.id if isinstance(element, Practice) else None)
    if practice is None and isinstance(element, GenericPractice):
        raise UserError(
            f"{element.id} applies to every process area, and evidence is logged for one. "
            f"Name it: log this as evidence for WMC.{element.id} https://wiki.example.com/page what it shows"
        )
    if practice is None:
        example = next((p.id for g in getattr(element, "goals", (element,)) for p in getattr(g, "practices", ())), "WMC.SP1.6")
        example = example if "." in example else f"WMC.{example}"  # a generic practice, for one process area
        raise UserError(
            f"This thread is about {element.id}, {_kind(element)}; evidence is logged for one practice. "
            f"Name it: log this as evidence for {example} https://wiki.example.com/page what it shows"
        )
    return " ".join(("evidence add", practice, followup.rest)).strip()


def _evidence_line(element: Practice | GenericPractice) -> str:
    explain = element.hint.explain
    at = explain.find("Evidence ")
    return explain[at:].strip() if at >= 0 else f"Records showing that {element.id} {element.title} is done."


def evidence_examples(element: Element, model: Model) -> Reply:
    """What would show an element is done: cmmi-bot's evidence hints (not model text), per practice for a goal or area."""
    how = Section(
        note="cmmi-bot's suggestions, not model text. Artifacts are documents, tickets and records; affirmations are what the people "
        "who do the work say about it. An appraisal looks for both."
    )
    if isinstance(element, (Practice, GenericPractice)):
        steps = actions.for_practice(element.id, element.goal_id, element.pa) if isinstance(element, Practice) else ()
        return Reply(
            text=f"Evidence for {element.id} {element.title}",
            sections=(Section(title=f"Evidence for {element.id} {element.title}", body=_evidence_line(element)), how),
            actions=steps[:1],
        )
    goals = element.goals if isinstance(element, ProcessArea) else (element,)
    items = tuple(f"{p.id} {p.title}: {_evidence_line(p)}" for goal in goals for p in goal.practices)
    return Reply(
        text=f"Evidence for {element.id} {element.title}",
        sections=(Section(title=f"Evidence for {element.id} {element.title}", items=items), how),
    )


def resolve(text: str, element_id: str, model: Model) -> Resolved | None:
    """A thread reply against the element its thread is about: the command to dispatch or the answer to show; None when
    the reply is not a follow-up. Raises UserError when it asks for something the element does not have."""
    followup = recognise(text)
    element = model.elements.get(element_id)
    if followup is None or element is None:
        return None
    if followup.ask is Ask.EVIDENCE_EXAMPLES:
        return Resolved(reply=evidence_examples(element, model))
    if followup.ask is Ask.LOG_EVIDENCE:
        return Resolved(command=_log(followup, element))
    if followup.ask is Ask.GOAL:
        return Resolved(command=_goal(element, model))
    return Resolved(command=_process_area(element, model))
