"""Render Slack surfaces other than messages in Block Kit: the evidence modal, the picker's options, the Home tab."""

from __future__ import annotations

from typing import Any

from bot.slack import render
from bot.slack.modal import DATE, GROUP, KIND, NOTE, PRACTICE
from handlers import Reply
from handlers.args import MAX_NOTE
from store import Group

MODAL_CALLBACK = "log_evidence_modal"
MAX_OPTION_TEXT = 75  # Slack's limit for an option's text
MAX_OPTIONS = 100
MAX_TITLE = 24  # a modal's title
MAX_EXCERPT = 300
NO_GROUPS = (
    "Evidence belongs to a work group, and this workspace has none yet.\n"
    '1. Create one: `/cmmi group add "Service Desk"`\n'
    "2. Bind the channel to it: `/cmmi group use Service Desk`\n"
    "Then try *Log as CMMI evidence* again."
)


def _plain(text: str, limit: int = 3000) -> dict[str, Any]:
    return {"type": "plain_text", "text": text if len(text) <= limit else text[: limit - 1] + "…"}


def option(value: str, text: str) -> dict[str, Any]:
    return {"text": _plain(text, MAX_OPTION_TEXT), "value": value}


def practice_options(choices: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """The picker's options: 'WMC.SP1.6 Conduct Progress Reviews', cut to Slack's 75 characters."""
    return [option(key, f"{key} {title}") for key, title in choices[:MAX_OPTIONS]]


def _input(block: str, label: str, element: dict[str, Any], *, optional: bool = False, hint: str | None = None) -> dict[str, Any]:
    out = {"type": "input", "block_id": block, "label": _plain(label), "element": {**element, "action_id": block}, "optional": optional}
    if hint:
        out["hint"] = _plain(hint)
    return out


def evidence_modal(groups: list[Group], initial_group: Group | None, private_metadata: str, excerpt: str) -> dict[str, Any]:
    """The modal the message shortcut opens. Groups beyond Slack's 100 options are left out (the bound one stays)."""
    shown = groups[:MAX_OPTIONS]
    if initial_group and initial_group not in shown:
        shown = [initial_group, *groups[: MAX_OPTIONS - 1]]
    group_select: dict[str, Any] = {"type": "static_select", "options": [option(str(g.id), g.name) for g in shown]}
    if initial_group:
        group_select["initial_option"] = option(str(initial_group.id), initial_group.name)
    kinds = [option("artifact", "Artifact (a document, ticket, record)"), option("affirmation", "Affirmation (a statement by the people)")]
    blocks: list[dict[str, Any]] = []
    if excerpt:
        blocks.append({"type": "context", "elements": [_plain(excerpt, MAX_EXCERPT)]})
    blocks += [
        _input(
            PRACTICE,
            "Practice",
            {"type": "external_select", "min_query_length": 2, "placeholder": _plain("Type a practice ID or words, e.g. progress review")},
        ),
        _input(GROUP, "Work group", group_select),
        _input(KIND, "Kind", {"type": "radio_buttons", "options": kinds, "initial_option": kinds[0]}),
        _input(
            NOTE,
            "Note",
            {"type": "plain_text_input", "multiline": True, "max_length": MAX_NOTE},
            optional=True,
            hint="What this message shows. The message's link is stored with it.",
        ),
        _input(DATE, "Evidence date", {"type": "datepicker"}, optional=True, hint="When the evidence was produced; empty means today."),
    ]
    return {
        "type": "modal",
        "callback_id": MODAL_CALLBACK,
        "title": _plain("Log CMMI evidence", MAX_TITLE),
        "submit": _plain("Log"),
        "close": _plain("Cancel"),
        "private_metadata": private_metadata,
        "blocks": blocks,
    }


def notice_modal(text: str) -> dict[str, Any]:
    """A modal with only something to read: shown instead of the form when it cannot be filled in (no work groups yet)."""
    return {
        "type": "modal",
        "title": _plain("Log CMMI evidence", MAX_TITLE),
        "close": _plain("OK"),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}],
    }


def home(reply: Reply) -> dict[str, Any]:
    """The App Home tab: the reply's sections in Block Kit, within the Home tab's 100 blocks."""
    return {"type": "home", "blocks": render.message(reply, max_blocks=render.MAX_HOME_BLOCKS)["blocks"]}
