"""Store-backed resolution for a request: the store itself, and the work group a request names or its channel is bound to."""

from __future__ import annotations

from handlers.core import Choice, Context, Field, Request, UserError
from store import Group, Store


def need_store(ctx: Context) -> Store:
    if ctx.store is None:
        raise UserError("Evidence storage is not set up in this installation. Ask your administrator to configure CMMI_DATABASE_URL.")
    return ctx.store


def resolve_group(ctx: Context, request: Request, name: str | None, usage: str) -> Group:
    """The work group named with --group, else the one bound to this channel."""
    store = need_store(ctx)
    if name:
        group = store.groups.find(workspace_id=request.workspace_id, name=name)
        if group is None:
            known = ", ".join(g.name for g in store.groups.list(workspace_id=request.workspace_id)) or "none yet"
            raise UserError(f'There is no work group "{name}". Work groups: {known}. Create one with: group add "{name}"')
        return group
    group = store.groups.for_channel(workspace_id=request.workspace_id, channel_id=request.channel_id)
    if group is None:
        known = ", ".join(g.name for g in store.groups.list(workspace_id=request.workspace_id)) or "none yet"
        raise UserError(
            f"Which work group? Add --group NAME, or bind this channel once with: group use NAME. Work groups: {known}. Usage: {usage}"
        )
    return group


def optional_group(ctx: Context, request: Request, name: str | None, usage: str) -> Group | None:
    """For reports: --group NAME if given, else none (the whole workspace)."""
    return resolve_group(ctx, request, name, usage) if name else None


def group_field(ctx: Context, request: Request, chosen: str | None, needs_one: str) -> Field:
    """A form's work-group choice, prefilled with `chosen` (a group ID) or else the channel's group. `needs_one` says
    what belongs to a group ("Ratings belong"), for the refusal when the workspace has none."""
    store = need_store(ctx)
    groups = store.groups.list(workspace_id=request.workspace_id)
    if not groups:
        raise UserError(f'{needs_one} to a work group, and this workspace has none yet. Create one first: group add "Service Desk"')
    if not chosen:
        bound = store.groups.for_channel(workspace_id=request.workspace_id, channel_id=request.channel_id)
        chosen = str(bound.id) if bound else ""
    return Field("group", "Work group", "choice", choices=tuple(Choice(str(g.id), g.name) for g in groups[:100]), value=chosen or None)
