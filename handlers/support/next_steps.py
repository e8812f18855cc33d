"""What an answer about the model offers next: buttons for its element, 👍/👎, and what the channel's work group has for it."""

from __future__ import annotations

from dataclasses import replace

from handlers.core import Action, Context, Link, Reply, Request, Section
from handlers.support import actions
from index import Answer, Intent
from model_data import GenericPractice, Goal, Practice
from store import StoreUnavailable


def element_actions(ctx: Context, element_id: str) -> tuple[Action, ...]:
    """The buttons for one model element: a practice can be logged against and rated; every element shows its parent."""
    element = ctx.model.elements[element_id]
    if isinstance(element, Practice):
        return actions.for_practice(element.id, element.goal_id, element.pa)
    if isinstance(element, Goal):
        return actions.for_goal(element.id, element.pa)
    if isinstance(element, GenericPractice):
        return (Action(actions.Kind.SHOW, f"Goal {element.goal_id}", f"ask {element.goal_id}"),)
    return ()


def team_section(ctx: Context, request: Request, practice_key: str) -> Section | None:
    """In a channel bound to a work group: that group's evidence and rating for the practice."""
    store = ctx.store
    if store is None:
        return None
    try:
        group = store.groups.for_channel(workspace_id=request.workspace_id, channel_id=request.channel_id)
        if group is None:
            return None
        items = store.evidence.list(workspace_id=request.workspace_id, group_id=group.id, practice_keys={practice_key}, limit=1)
        count = store.evidence.count(workspace_id=request.workspace_id, group_id=group.id, practice_keys={practice_key})
        rating = store.ratings.current(workspace_id=request.workspace_id, group_id=group.id).get((group.id, practice_key))
    except StoreUnavailable:
        return None  # the answer stands without it
    rated = f"rated {rating.value}" if rating else "not rated yet"
    if not items:
        return Section(title=f"{group.name} (this channel)", body=f"No evidence for {practice_key} yet; {rated}.")
    newest = items[0]
    shown = (
        (f"newest #{newest.id} ", Link(newest.link, newest.evidence_date.isoformat()))
        if newest.link
        else (f"newest #{newest.id} {newest.evidence_date.isoformat()}",)
    )
    return Section(title=f"{group.name} (this channel)", body=(f"{count} evidence item(s), ", *shown, f"; {rated}."))


def decorate(ctx: Context, request: Request, answer: Answer, reply: Reply) -> Reply:
    """Add the next steps to an answer. Only real answers are worth sharing (not "nothing found" or "did you mean")."""
    if not answer.hits or answer.intent in (Intent.NONE, Intent.EMPTY):
        return reply
    found: list[Action] = []
    sections = list(reply.sections)
    if answer.intent != Intent.LIST:
        first = answer.hits[0].id
        found += element_actions(ctx, first)
        if isinstance(ctx.model.elements[first], Practice):
            team = team_section(ctx, request, first)
            if team is not None:
                sections.insert(1, team)
    if answer.intent == Intent.SEARCH:  # in people's own words: was it the right element?
        found += actions.feedback(answer.question)
    return replace(reply, sections=tuple(sections), actions=(*reply.actions, *found), shareable=True)
