"""group add|list|rename|use NAME: work groups, the units whose practices are appraised.

Examples:
  group add "Service Desk"
  group list
  group rename Service Desk to IT Service Desk
  group use Service Desk
`group use` binds the current channel to a work group, so evidence and ratings logged here need no --group;
the channel is told who bound it.
"""

from __future__ import annotations

from handlers.core import Context, Person, Reply, Request, Section, UserError, Verbs
from handlers.support.parse import check_group_name, split_words
from handlers.support.scope import need_store
from store import Conflict, Forbidden, NotFound

USAGE = "group add NAME | group list | group rename OLD to NEW | group use NAME"
WRITES = frozenset({"add", "rename", "use"})  # verbs that change stored data (see handlers.writes)


def _list(words: list[str], request: Request, ctx: Context) -> Reply:
    store = need_store(ctx)
    ws = request.workspace_id
    groups = store.groups.list(workspace_id=ws)
    bound = store.groups.for_channel(workspace_id=ws, channel_id=request.channel_id)
    if not groups:
        return _said("No work groups yet.", 'Create one with: group add "Service Desk"')
    items = tuple(g.name + ("  (this channel)" if bound and bound.id == g.id else "") for g in groups)
    return Reply(
        text=f"{len(groups)} work group(s)",
        sections=(Section(title="Work groups", items=items),),
        data={"groups": [g.name for g in groups]},
    )


def _rename(rest: list[str], request: Request, ctx: Context) -> Reply:
    store = need_store(ctx)
    ws = request.workspace_id
    lowered = [w.lower() for w in rest]
    if "to" in lowered:
        i = lowered.index("to")
        old, new = " ".join(rest[:i]), " ".join(rest[i + 1 :])
    elif len(rest) == 2:
        old, new = rest
    else:
        raise UserError('Say which group and its new name: group rename "Service Desk" to "IT Service Desk"')
    new = check_group_name(new)
    try:
        group = store.groups.rename(workspace_id=ws, name=old, new_name=new, actor=request.user_id, is_admin=request.is_admin)
    except NotFound:
        raise UserError(f'There is no work group "{old}". See: group list') from None
    except Forbidden as exc:
        raise UserError((f'You cannot rename "{old}": only ', Person(str(exc)), " (who created it) or a workspace admin can.")) from None
    except Conflict:
        raise UserError(f'A work group called "{new}" already exists.') from None
    return _said(f'Renamed "{old}" to "{group.name}".', "Its evidence and ratings stay with it.")


def _add(rest: list[str], request: Request, ctx: Context) -> Reply:
    store = need_store(ctx)
    ws = request.workspace_id
    name = check_group_name(" ".join(rest))
    try:
        group = store.groups.add(workspace_id=ws, name=name, actor=request.user_id)
    except Conflict:
        raise UserError(f'A work group called "{name}" already exists. See: group list') from None
    return _said(f'Added work group "{group.name}".', f"Bind a channel to it with: group use {group.name}")


def _use(rest: list[str], request: Request, ctx: Context) -> Reply:
    store = need_store(ctx)
    ws = request.workspace_id
    name = check_group_name(" ".join(rest))
    group = store.groups.find(workspace_id=ws, name=name)
    if group is None:
        raise UserError(f'There is no work group "{name}". Create it first with: group add "{name}"')
    store.groups.bind_channel(workspace_id=ws, channel_id=request.channel_id, group_id=group.id, actor=request.user_id)
    return Reply(
        text=f'This channel now logs to "{group.name}".',
        sections=(Section(body=f'This channel now logs evidence and ratings to "{group.name}".'),),
        announce=(
            Person(request.user_id),
            f' bound this channel to the work group "{group.name}": evidence and ratings logged here go to it.',
        ),
    )


VERBS = Verbs({"add": _add, "list": _list, "rename": _rename, "use": _use}, unknown=f"Use: {USAGE}")


def handle(request: Request, ctx: Context) -> Reply:
    need_store(ctx)  # no storage is said before a mistyped verb
    return VERBS(split_words(request.text)[1:], request, ctx)


def _said(done: str, then: str) -> Reply:
    """A change's reply: what was done, and in the section also what follows from it."""
    return Reply(text=done, sections=(Section(body=f"{done} {then}"),))
