"""Dialogs (task modules): Log evidence, Rate and Replace buttons open the core's form; its submission runs the form's command.

A dialog opens (task/fetch) with the form the pressed button's command answers, once that command was checked against
what its kind may carry. A submission (task/submit) is recorded, then handled before the invoke is answered: field errors
keep the dialog open with the person's input and an error under each field; success closes it and the confirmation is
posted where the button was. The message extension ("Log as CMMI evidence") shares the submission path."""

from __future__ import annotations

import logging
from typing import Any

from bot import edge
from bot.teams import convert, dialogs, render
from bot.teams.listeners.base import (
    ALREADY,
    NOT_OFFERED,
    Deps,
    delivery_key,
    dump,
    finish,
    in_thread,
    kind_named,
    receive,
    reply_message,
    run,
    send,
)
from handlers import UNAVAILABLE, Choice, Context, Form, FormError, Reply, Request, UserError, dispatch, plain
from handlers.support.actions import permits
from index.picker import practice_choices
from store import StoreUnavailable
from store import inbox as inbox_scope

log = logging.getLogger("cmmi_bot.teams")

SUGGESTIONS = 25  # practices suggested from what the form is about, before the model's list


def picker(ctx: Context, form: Form, about: str = "") -> tuple[Choice, ...]:
    """The practice list for a form: what the search finds for `about` (a message's text, say) first, then every specific
    practice in model order. Teams' filtered list narrows it as the person types."""
    if form.named("practice") is None:
        return ()
    found = [Choice(key, f"{key} {title}") for key, title in practice_choices(ctx.index, about, limit=SUGGESTIONS)] if about else []
    every = [Choice(p.id, f"{p.id} {p.title}") for pa in ctx.model.process_areas for p in pa.practices]
    return (*found, *every)


def dialog_for(deps: Deps, form: Form, about: str = "", excerpt: str = "") -> dict[str, Any]:
    return dialogs.open_dialog(form, dialogs.form_card(form, picker=picker(deps.ctx, form, about), excerpt=excerpt))


def opened(deps: Deps, request: Request, outcome: edge.Outcome, about: str = "", excerpt: str = "") -> dict[str, Any]:
    """The invoke response for a dialog's opening: the form, or what went wrong said in the dialog."""
    if outcome.reply is not None and outcome.reply.form is not None:
        return dialog_for(deps, outcome.reply.form, about, excerpt)
    if outcome.reply is not None:
        return dialogs.say_in_dialog(plain(outcome.reply.text))  # a dialog's message is plain text
    return dialogs.say_in_dialog(plain(outcome.notice or ""))


async def on_dialog_open(deps: Deps, activity_ctx: Any) -> dict[str, Any]:
    activity = dump(activity_ctx.activity)
    data = (activity.get("value") or {}).get("data")
    pressed = convert.pressed(data, render.DATA_KEY)
    if pressed is None or not permits(*pressed):
        log.warning("refused to open a dialog for a %s action whose command its kind cannot carry", kind_named(pressed))
        return dialogs.say_in_dialog(NOT_OFFERED)
    request = convert.request_for(activity, pressed[1], via="action")
    outcome = await in_thread(run, deps, request, "dialog", None)
    return await in_thread(opened, deps, request, outcome)


def submit(deps: Deps, request: Request, key: str | None) -> tuple[Reply | None, dict[str, Any] | None]:
    """Run a submitted form: (the reply, None) when it was handled, or (None, the invoke response to show instead)."""
    try:
        with inbox_scope.scope(key):
            return dispatch(deps.who(request), deps.ctx), None
    except FormError as exc:
        note = exc.form.named("note")
        return None, dialog_for(deps, exc.form, about=(note.value or "") if note else "")
    except UserError as exc:
        return None, dialogs.say_in_dialog(str(exc))
    except StoreUnavailable:
        return None, dialogs.say_in_dialog(UNAVAILABLE)
    except Exception:
        return None, dialogs.say_in_dialog(edge.APOLOGY.format(ref=_logged()))


def _logged() -> str:
    import uuid

    ref = uuid.uuid4().hex[:8]
    log.exception("unhandled error handling a teams form (ref %s)", ref)
    return ref


async def take_submission(deps: Deps, activity: dict[str, Any]) -> tuple[Request | None, Reply | None, dict[str, Any] | None]:
    """Record and run a submitted form. Returns the request, and the reply or the invoke response to give instead."""
    found = dialogs.submitted((activity.get("value") or {}).get("data"))
    if found is None:
        log.warning("refused a dialog submission that is not a form of ours")
        return None, None, dialogs.say_in_dialog(NOT_OFFERED)
    command, values = found
    request = convert.request_for(activity, command, form=values, via="form")
    key = delivery_key(activity)
    recorded = await in_thread(receive, deps, key, request, "form")
    if recorded is False:
        return request, None, dialogs.say_in_dialog(ALREADY)
    reply, instead = await in_thread(submit, deps, request, key if recorded else None)
    await in_thread(finish, deps, key, recorded)
    return request, reply, instead


async def on_dialog_submit(deps: Deps, activity_ctx: Any) -> dict[str, Any] | None:
    activity = dump(activity_ctx.activity)
    request, reply, instead = await take_submission(deps, activity)
    if reply is None or request is None:
        return instead
    try:
        # The dialog closes; the confirmation goes where the button was, for the record.
        await send(activity_ctx, await in_thread(reply_message, deps, request, edge.Outcome(reply), activity))
    except Exception:
        return dialogs.say_in_dialog(reply.text)
    return None
