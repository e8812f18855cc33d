"""ask QUESTION: answer a question about the CMMI-SVC V1.3 model.

Examples:
  ask what does WMC.SP1.6 require
  ask how should we track customer requests?
  ask which PA covers disaster recovery?
  ask practices of IRP
  ask which process areas are maturity level 3
  ask OPF vs OPD
Anything that is not another command is a question, so the word "ask" is optional.
"""

from __future__ import annotations

from typing import Any

from handlers.core import Context, Reply, Request, Section, Text, UserError
from index import Answer, Hit, Intent
from model_data import Element, GenericGoal, GenericPractice, Goal, Model, Practice, ProcessArea

ALTERNATIVES = 4
NOTHING_FOUND = (
    "Try a practice ID such as WMC.SP1.6 or GP2.8, a process area such as CAM or 'service continuity', "
    "a list such as 'practices of IRP' or 'maturity level 3 process areas', "
    "or describe the activity in your own words, e.g. 'how do we track customer requests?'."
)


def answer_json(answer: Answer) -> dict[str, Any]:
    """The ask --json contract (Answer.as_json, in index/, so that `cmmi-bot ask --json` needs no handlers)."""
    return answer.as_json()


def level_label(model: Model, level: int) -> str:
    return f"maturity level {level} ({model.maturity_level_names[level]})"


def pa_line(model: Model, pa: ProcessArea) -> str:
    optional = ", optional addition" if pa.optional else ""
    return f"{pa.abbr} {pa.name} · {pa.category} · {level_label(model, pa.maturity_level)}{optional}"


def _explain(element: Element) -> tuple[Section, ...]:
    if not element.hint.explain:
        return ()
    return (Section(title="In practice", body=element.hint.explain, note="cmmi-bot's explanation, not model text"),)


def describe(model: Model, element: Element) -> tuple[Section, ...]:
    """Sections describing one element: what it says, where it sits, and what relates to it."""
    if isinstance(element, Practice):
        goal = model.goal_of(element.id)
        assert goal is not None  # every practice is under a goal: the model checks it on load
        pa = model.pa(element.pa)
        siblings = tuple(f"{p.id} {p.title}" for p in goal.practices if p.id != element.id)
        supported = tuple(f"{gp.id} {gp.title} (relies on {pa.abbr})" for gp in model.generic_practices_supported_by(pa.abbr))
        head = Section(
            title=f"{element.id} {element.title}",
            body=element.statement,
            fields=(("Goal", f"{goal.id} {goal.title}: {goal.statement}"), ("Process area", pa_line(model, pa))),
            note=f"specific practice · {element.id}",
        )
        related = Section(title="Related", items=(*(f"Same goal: {s}" for s in siblings), *supported))
        return (head, *_explain(element), related)
    if isinstance(element, Goal):
        pa = model.pa(element.pa)
        head = Section(
            title=f"{element.id} {element.title}",
            body=element.statement,
            fields=(("Process area", pa_line(model, pa)),),
            note=f"specific goal · {element.id}",
        )
        practices = Section(title="Practices", items=tuple(f"{p.id} {p.title}: {p.statement}" for p in element.practices))
        return (head, *_explain(element), practices)
    if isinstance(element, ProcessArea):
        return describe_pa(model, element)
    if isinstance(element, GenericGoal):
        head = Section(
            title=f"{element.id} {element.title}",
            body=element.statement,
            fields=(("Applies to", f"every process area; needed for capability level {element.capability_level}"),),
            note=f"generic goal · {element.id}",
        )
        practices = Section(title="Generic practices", items=tuple(f"{p.id} {p.title}: {p.statement}" for p in element.practices))
        return (head, *_explain(element), practices)
    assert isinstance(element, GenericPractice)
    goal = model.goal_of(element.id)
    assert goal is not None  # every generic practice is under a generic goal: the model checks it on load
    support = ", ".join(f"{a} {model.pa(a).name}" for a in element.supported_by) or "no single process area"
    head = Section(
        title=f"{element.id} {element.title}",
        body=element.statement,
        fields=(
            ("Generic goal", f"{goal.id} {goal.title}: {goal.statement}"),
            ("Applies to", "every process area"),
            ("Supported by", support),
        ),
        note=f"generic practice · {element.id}",
    )
    return (head, *_explain(element))


def describe_pa(model: Model, pa: ProcessArea) -> tuple[Section, ...]:
    head = Section(
        title=f"{pa.abbr} {pa.name}",
        body=pa.purpose,
        fields=(
            ("Category", pa.category),
            ("Maturity level", level_label(model, pa.maturity_level) + (", optional addition" if pa.optional else "")),
        ),
        note=f"process area · {pa.abbr}",
    )
    goals = tuple(
        Section(title=f"{g.id} {g.title}", body=g.statement, items=tuple(f"{p.id} {p.title}" for p in g.practices)) for g in pa.goals
    )
    supported = model.generic_practices_supported_by(pa.abbr)
    tail = (Section(title="Generic practices it supports", items=tuple(f"{gp.id} {gp.title}" for gp in supported)),) if supported else ()
    return (head, *_explain(pa), *goals, *tail)


def _short(model: Model, hit: Hit) -> str:
    where = f" ({model.pa(hit.pa).name})" if hit.pa and hit.kind != "process_area" else ""
    return f"{hit.id} {hit.title}{where}"


def _notes(answer: Answer) -> tuple[Section, ...]:
    notes = [n for n in answer.notes if n != answer.not_in_model]
    return (Section(note=" ".join(notes)),) if notes else ()


def _not_in_model(model: Model, answer: Answer) -> Reply:
    areas = {a.abbr: a for a in model.elsewhere}
    sections = [Section(body=answer.not_in_model or "That is not in CMMI-SVC V1.3.")]
    sections += [
        Section(
            title=f"{areas[abbr].abbr} {areas[abbr].name} ({areas[abbr].model})",
            body=areas[abbr].about,
            note="cmmi-bot's summary, not model text",
        )
        for abbr in answer.outside
        if abbr in areas
    ]
    if answer.suggestions:
        title = "Where CMMI-SVC V1.3 covers similar ground" if answer.outside else "Did you mean"
        sections.append(Section(title=title, items=tuple(_short(model, h) for h in answer.suggestions)))
    return Reply(
        text=answer.not_in_model or "That is not in CMMI-SVC V1.3.", sections=(*_notes(answer), *sections), data=answer_json(answer)
    )


def _use_line(model: Model, element: Element) -> str:
    if isinstance(element, ProcessArea) and element.hint.use_when:
        return f"Use {element.abbr} when {element.hint.use_when}"
    explain = element.hint.explain.split(". ")[0].rstrip(".")
    return f"{element.id} {element.title}: {explain}." if explain else f"{element.id} {element.title}: {element.statement}"


def _side(model: Model, element: Element) -> tuple[Section, ...]:
    """One side of a comparison: what it says, where it sits, its goals, and our explanation."""
    fields: tuple[tuple[str, Text], ...]
    items: tuple[Text, ...]
    if isinstance(element, ProcessArea):
        fields = (("Category", element.category), ("Maturity level", level_label(model, element.maturity_level)))
        items = tuple(f"{g.id} {g.title}" for g in element.goals)
    elif isinstance(element, (Goal, GenericGoal)):
        fields, items = (), tuple(f"{p.id} {p.title}" for p in element.practices)
    elif isinstance(element, Practice):
        goal = model.elements[element.goal_id]
        fields, items = (("Goal", f"{goal.id} {goal.title}"), ("Process area", pa_line(model, model.pa(element.pa)))), ()
    else:
        goal = model.elements[element.goal_id]
        fields, items = (("Generic goal", f"{goal.id} {goal.title}"), ("Applies to", "every process area")), ()
    head = Section(
        title=f"{element.id} {element.title}", body=element.statement, fields=fields, items=items, note=element.kind.replace("_", " ")
    )
    return (head, *_explain(element))


def _comparison(model: Model, answer: Answer) -> Reply:
    elements = [model.elements[i] for i in answer.compared]
    sections: list[Section] = []
    for element in elements:
        sections.extend(_side(model, element))
    sections.append(Section(title="When to use which", items=tuple(_use_line(model, e) for e in elements), note="cmmi-bot's explanation"))
    return Reply(text=" vs ".join(f"{e.id} {e.title}" for e in elements), sections=(*_notes(answer), *sections), data=answer_json(answer))


def render_answer(model: Model, answer: Answer) -> Reply:
    data = answer_json(answer)
    if answer.intent == Intent.EMPTY:
        raise UserError("Please type a question, e.g. 'what does WMC.SP1.6 require?' or 'how do we track customer requests?'.")
    if answer.not_in_model:
        return _not_in_model(model, answer)
    if answer.compared:
        return _comparison(model, answer)
    if not answer.hits:
        return Reply(
            text="I couldn't find anything in CMMI-SVC V1.3 for that.",
            sections=(*_notes(answer), Section(title="Nothing found", body=NOTHING_FOUND)),
            data=data,
        )
    if answer.intent == Intent.LIST:
        items = []
        for hit in answer.hits:
            element = model.elements[hit.id]
            if isinstance(element, ProcessArea):
                items.append(pa_line(model, element))
            elif isinstance(element, (Practice, GenericPractice)):
                items.append(f"{hit.id} {hit.title}: {element.statement}")
            else:
                items.append(f"{hit.id} {hit.title}")
        extra: tuple[Section, ...] = ()
        levels = {e.maturity_level for e in (model.elements[h.id] for h in answer.hits) if isinstance(e, ProcessArea)}
        if len(levels) == 1 and min(levels) > 2 and answer.heading and "maturity level" in answer.heading:
            extra = (Section(note=f"Maturity level {min(levels)} also needs every process area of the levels below it."),)
        return Reply(
            text=f"{answer.heading}: {len(items)}",
            sections=(*_notes(answer), Section(title=answer.heading, items=tuple(items)), *extra),
            data=data,
        )
    first = model.elements[answer.hits[0].id]
    sections = list(describe(model, first))
    if answer.intent == Intent.LOOKUP:
        asked = [h for h in answer.hits[1:] if h.score >= 1.0]  # further IDs named in the same question
        for hit in asked:
            sections.extend(describe(model, model.elements[hit.id]))
    else:
        others = tuple(_short(model, h) for h in answer.hits[1 : 1 + ALTERNATIVES])
        if others:
            sections.append(Section(title="Also consider", items=others))
    return Reply(text=f"{first.id} {first.title}", sections=(*_notes(answer), *sections), data=data)


def handle(request: Request, ctx: Context) -> Reply:
    from handlers.support.next_steps import decorate

    text = request.text
    if text.lower().startswith("ask ") or text.lower() == "ask":
        text = text[3:]
    answer = ctx.index.search(text)
    return decorate(ctx, request, answer, render_answer(ctx.model, answer))
