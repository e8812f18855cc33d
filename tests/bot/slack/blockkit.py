"""Block Kit checks for everything the app sends Slack: slack_sdk.models validation, a lossless round trip, and Slack's limits.

The fake Slack runs these on chat.postMessage/postEphemeral/update, views.open/update/publish and response_url posts, and
the test sender on the bodies of acknowledgements; a problem fails the test that caused it (see conftest.py)."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block, Option
from slack_sdk.models.views import View

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_OPTIONS = 100
# Methods whose body carries a message or a view, and what the fake answers when it is not one Slack would take.
MESSAGE_METHODS = {"chat.postMessage", "chat.postEphemeral", "chat.update"}
VIEW_METHODS = {"views.open", "views.update", "views.publish", "views.push"}


def _walk(node: Any) -> list[dict[str, Any]]:
    """Every object inside node, node included."""
    found: list[dict[str, Any]] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _limits(blocks: list[Any], where: str) -> list[str]:
    problems = []
    for block in blocks:
        for text in _walk(block):
            if text.get("type") in ("mrkdwn", "plain_text") and not str(text.get("text") or "").strip():
                problems.append(
                    f"{where}: an empty {text['type']} text in a {block.get('type')} block (Slack wants at least one character)"
                )
        if isinstance(block, dict) and block.get("type") == "section":
            text = (block.get("text") or {}).get("text") or ""
            if len(text) > MAX_SECTION_TEXT:
                problems.append(f"{where}: a section's text has {len(text)} characters (Slack allows {MAX_SECTION_TEXT})")
        for element in _walk(block):
            if element.get("type") != "button":
                continue
            label = (element.get("text") or {}).get("text") or ""
            if len(label) > MAX_BUTTON_TEXT:
                problems.append(f"{where}: button text {label[:40]!r}… has {len(label)} characters (Slack allows {MAX_BUTTON_TEXT})")
            if len(element.get("value") or "") > MAX_BUTTON_VALUE:
                problems.append(f"{where}: a button value has {len(element['value'])} characters (Slack allows {MAX_BUTTON_VALUE})")
    return problems


def _parsed(block: Any, where: str) -> list[str]:
    """One block through slack_sdk.models: it must parse, validate (to_dict validates every nested object) and come
    back unchanged, so no key is misplaced or unknown to Block Kit."""
    if not isinstance(block, dict):
        return [f"{where}: a block is not an object: {block!r}"]
    parsed = Block.parse(block)
    if parsed is None or type(parsed) is Block:
        return [f"{where}: {block.get('type')!r} is not a Block Kit block type"]
    try:
        again = parsed.to_dict()
        parsed.validate_json()
    except (SlackObjectFormationError, TypeError, ValueError) as exc:
        return [f"{where}: {exc} in {json.dumps(block)[:300]}"]
    if again != block:
        return [f"{where}: slack_sdk reads this block differently: sent {json.dumps(block)[:300]}, read {json.dumps(again)[:300]}"]
    return []


def message_problems(body: dict[str, Any], where: str) -> list[str]:
    """What is wrong with a message body (text and blocks), as Slack would judge it."""
    blocks = body.get("blocks")
    if blocks is None:
        return []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if not isinstance(blocks, list):
        return [f"{where}: blocks is not a list"]
    problems = []
    if len(blocks) > MAX_MESSAGE_BLOCKS:
        problems.append(f"{where}: {len(blocks)} blocks in one message (Slack allows {MAX_MESSAGE_BLOCKS})")
    if blocks and not str(body.get("text") or "").strip():
        problems.append(f"{where}: a message with blocks and no fallback text (notifications and screen readers show it)")
    for n, block in enumerate(blocks):
        problems += _parsed(block, f"{where} block {n}")
    return problems + _limits(blocks, where)


def view_problems(view: Any, where: str) -> list[str]:
    """What is wrong with a modal or Home tab view."""
    if isinstance(view, str):
        view = json.loads(view)
    if not isinstance(view, dict):
        return [f"{where}: the view is not an object"]
    blocks = view.get("blocks") or []
    problems = []
    if len(blocks) > MAX_VIEW_BLOCKS:
        problems.append(f"{where}: {len(blocks)} blocks in one view (Slack allows {MAX_VIEW_BLOCKS})")
    try:
        View(**view).validate_json()
    except (SlackObjectFormationError, TypeError, ValueError) as exc:
        problems.append(f"{where}: {exc}")
    for n, block in enumerate(blocks):
        problems += _parsed(block, f"{where} block {n}")
    return problems + _limits(blocks, where)


def options_problems(options: Any, where: str) -> list[str]:
    """The options an external select is sent as someone types."""
    if not isinstance(options, list):
        return [f"{where}: options is not a list"]
    problems = [f"{where}: {len(options)} options (Slack allows {MAX_OPTIONS})"] if len(options) > MAX_OPTIONS else []
    for n, option in enumerate(options):
        try:
            again = Option(**option).to_dict()
        except (SlackObjectFormationError, TypeError, ValueError) as exc:
            problems.append(f"{where} option {n}: {exc}")
            continue
        if again != option:
            problems.append(f"{where} option {n}: slack_sdk reads it differently: {option} became {again}")
    return problems


def api_problems(method: str, body: dict[str, Any]) -> list[str]:
    """A Web API call's body: messages for chat.*, views for views.*."""
    if method in MESSAGE_METHODS:
        return message_problems(body, method)
    if method in VIEW_METHODS:
        return view_problems(body.get("view"), method)
    return []


def ack_problems(body: str) -> list[str]:
    """The body of an acknowledgement: a command's answer, a modal's errors or new view, or a picker's options."""
    if not body or not body.lstrip().startswith("{"):
        return []
    payload = json.loads(body)
    if "options" in payload:
        return options_problems(payload["options"], "ack options")
    if payload.get("response_action") in ("update", "push"):
        return view_problems(payload.get("view"), "ack view")
    if payload.get("response_action") == "errors":
        errors = payload.get("errors")
        return [] if isinstance(errors, dict) else ["ack: response_action errors without an errors object"]
    return message_problems(payload, "ack")
