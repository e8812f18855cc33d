"""The actions replies offer (buttons and menus), and the check that a pressed action runs only what its kind could carry.

A button's command comes back from the chat platform with the press. Slack and Teams return what the bot sent, but a
crafted payload could carry anything, so every transport asks `permits` before it dispatches a pressed command: a
Share button can only share an answer, a Log evidence button can only open the evidence form, and so on."""

from __future__ import annotations

import re
from enum import StrEnum

from handlers.core import Action, Choice

RATINGS = ("FI", "LI", "PI", "NI", "NY")


class Kind(StrEnum):
    """What an action does; each kind may carry only commands of one shape (see PATTERNS)."""

    LOG_EVIDENCE = "log_evidence"  # open the evidence form for a practice
    RATE = "rate"  # open the rating form for a practice
    SHOW = "show"  # show a model element (a practice's goal or process area)
    SHARE = "share"  # post an answer in the channel
    FEEDBACK = "feedback"  # 👍 / 👎 on an answer
    PAGE = "page"  # another page of a list
    FILTER = "filter"  # a list narrowed to one process area or work group
    REMOVE = "remove"  # remove one's own evidence
    RENEW = "renew"  # evidence still valid: renewed from today
    REPLACE = "replace"  # evidence to replace: the form again, prefilled
    HOME = "home"  # the dashboard again (another work group)


_PRACTICE = r"[A-Z]{2,5}\.(?:SP|GP)\d\.\d{1,2}"
_ELEMENT = r"(?:[A-Z]{2,5}(?:\.(?:SG|SP|GP)\d(?:\.\d{1,2})?)?|G[GP]\d(?:\.\d{1,2})?)"
_SCOPE = r"(?: (?:ML[2-5]|[A-Z]{2,5}))?"
_GROUP = r'(?: --group "[^"\n]{1,80}")?'
_PAGE = r"(?: --page \d{1,4})?"
_LIST_SCOPE = rf"(?: (?:{_PRACTICE}|[A-Z]{{2,5}}))?"  # evidence list: one practice or one process area
PATTERNS: dict[Kind, re.Pattern[str]] = {
    Kind.LOG_EVIDENCE: re.compile(rf"evidence form(?: {_PRACTICE})?"),  # without a practice: an empty form
    Kind.RATE: re.compile(rf"rate form {_PRACTICE}"),
    Kind.SHOW: re.compile(rf"ask {_ELEMENT}"),
    Kind.FEEDBACK: re.compile(r"feedback (?:good|bad) [^\n]{1,1500}"),
    Kind.PAGE: re.compile(rf"(?:gaps{_SCOPE}|evidence list{_LIST_SCOPE}){_GROUP}{_PAGE}"),
    Kind.FILTER: re.compile(rf"(?:gaps{_SCOPE}|evidence list{_LIST_SCOPE}|status{_SCOPE}){_GROUP}"),
    Kind.REMOVE: re.compile(r"evidence remove \d{1,10}"),
    Kind.RENEW: re.compile(r"evidence renew \d{1,10}"),
    Kind.REPLACE: re.compile(r"evidence form \d{1,10}"),
    Kind.HOME: re.compile(rf"home{_GROUP}"),
}
SHAREABLE = ("ask ", "status", "gaps")


def permits(kind: str, command: str) -> bool:
    """True when an action of this kind could carry this command (what a crafted press cannot get past)."""
    if kind == Kind.SHARE:
        # Share re-posts an answer: a question, or a report; never a command that changes anything.
        from handlers import writes

        return command.startswith(SHAREABLE) and not writes(command) and "\n" not in command
    try:
        pattern = PATTERNS[Kind(kind)]
    except (ValueError, KeyError):
        return False
    return pattern.fullmatch(command) is not None


def quoted(name: str) -> str:
    return '"' + name.replace('"', "") + '"'


def for_practice(key: str, goal: str, pa: str) -> tuple[Action, ...]:
    """What an answer about one practice offers: log evidence for it, rate it, see its goal and process area."""
    return (
        Action(Kind.LOG_EVIDENCE, "Log evidence", f"evidence form {key}", style="primary"),
        Action(Kind.RATE, "Rate", f"rate form {key}"),
        Action(Kind.SHOW, f"Goal {goal}", f"ask {goal}"),
        Action(Kind.SHOW, f"Process area {pa}", f"ask {pa}"),
    )


def for_goal(goal: str, pa: str) -> tuple[Action, ...]:
    return (Action(Kind.SHOW, f"Process area {pa}", f"ask {pa}"),)


def feedback(question: str) -> tuple[Action, ...]:
    """👍 and 👎 under an answer to a question in people's own words."""
    question = " ".join(question.split())[:1500]
    return (
        Action(Kind.FEEDBACK, "👍 Helpful", f"feedback good {question}"),
        Action(Kind.FEEDBACK, "👎 Not helpful", f"feedback bad {question}"),
    )


def pages(command: str, page: int, pages_total: int) -> tuple[Action, ...]:
    """Previous and Next for a list shown a page at a time; `command` is the list's command without --page."""
    out = []
    if page > 1:
        out.append(Action(Kind.PAGE, "◀ Previous", f"{command} --page {page - 1}"))
    if page < pages_total:
        out.append(Action(Kind.PAGE, "Next ▶", f"{command} --page {page + 1}"))
    return tuple(out)


def pa_filter(verb: str, pas: list[str], group: str | None) -> Action:
    """A menu narrowing a list to one process area."""
    suffix = f" --group {quoted(group)}" if group else ""
    return Action(Kind.FILTER, "Process area…", f"{verb} {{value}}{suffix}", choices=tuple(Choice(pa, pa) for pa in pas))


def rating_choices() -> tuple[Choice, ...]:
    meaning = {"FI": "fully implemented", "LI": "largely implemented", "PI": "partially implemented", "NI": "not implemented"}
    return tuple(Choice(r, f"{r} {meaning.get(r, 'not yet')}") for r in RATINGS)
