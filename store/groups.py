"""Work groups and the channels bound to them, scoped to one workspace per call; every change audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from store.audit import write_audit
from store.database import Database
from store.errors import Conflict, Forbidden, NotFound
from store.records import Group
from store.schema import ChannelBinding, WorkGroup


def name_key(name: str) -> str:
    """What makes two group names the same: case and runs of whitespace do not count."""
    return " ".join(name.split()).casefold()


def _clean(name: str) -> str:
    return " ".join(name.split())


GROUP_COLUMNS = (WorkGroup.id, WorkGroup.name, WorkGroup.created_by, WorkGroup.created_at)
# Statements on the hot path are built once; each call only binds values.
_CHANNEL_GROUP = (
    select(*GROUP_COLUMNS)
    .join(ChannelBinding, ChannelBinding.work_group_id == WorkGroup.id)
    .where(
        ChannelBinding.workspace_id == bindparam("ws"),
        ChannelBinding.channel_id == bindparam("channel"),
        WorkGroup.workspace_id == bindparam("ws"),
    )
)
_BY_KEY = select(*GROUP_COLUMNS).where(WorkGroup.workspace_id == bindparam("ws"), WorkGroup.name_key == bindparam("key"))


def _group(row: Row[int, str, str, datetime] | None) -> Group | None:
    return Group(**row._mapping) if row is not None else None


class Groups:
    """The work groups of one database."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def add(self, *, workspace_id: str, name: str, actor: str) -> Group:
        """A new work group; raises Conflict when the workspace has one of that name (case and spacing aside)."""
        name = _clean(name)
        key = name_key(name)
        try:
            with self._database.connection(write=True) as c:
                if c.execute(select(WorkGroup.id).where(WorkGroup.workspace_id == workspace_id, WorkGroup.name_key == key)).first():
                    raise Conflict(name)
                created_at = self._database.now()
                group_id = c.execute(
                    insert(WorkGroup)
                    .values(workspace_id=workspace_id, name=name, name_key=key, created_by=actor, created_at=created_at)
                    .returning(WorkGroup.id)
                ).scalar_one()
                write_audit(
                    c,
                    workspace_id=workspace_id,
                    actor=actor,
                    at=self._database.now(),
                    action="group.add",
                    entity_id=group_id,
                    after={"name": name},
                )
                return Group(id=group_id, name=name, created_by=actor, created_at=created_at)
        except IntegrityError as exc:  # a concurrent add of the same name
            raise Conflict(name) from exc

    def list(self, *, workspace_id: str) -> list[Group]:
        q = select(*GROUP_COLUMNS).where(WorkGroup.workspace_id == workspace_id).order_by(WorkGroup.name_key)
        with self._database.connection() as c:
            return [Group(**row._mapping) for row in c.execute(q)]

    def find(self, *, workspace_id: str, name: str) -> Group | None:
        with self._database.connection() as c:
            return _group(c.execute(_BY_KEY, {"ws": workspace_id, "key": name_key(name)}).first())

    def rename(self, *, workspace_id: str, name: str, new_name: str, actor: str, is_admin: bool) -> Group:
        """Rename a group; only its creator or an admin may. Raises NotFound, Forbidden, Conflict."""
        new_name = _clean(new_name)
        try:
            with self._database.connection(write=True) as c:
                found = _group(c.execute(_BY_KEY, {"ws": workspace_id, "key": name_key(name)}).first())
                if found is None:
                    raise NotFound(name)
                if not (is_admin or found.created_by == actor):
                    raise Forbidden(found.created_by)  # who may: its creator (or an admin)
                clash = c.execute(
                    select(WorkGroup.id).where(
                        WorkGroup.workspace_id == workspace_id, WorkGroup.name_key == name_key(new_name), WorkGroup.id != found.id
                    )
                ).first()
                if clash:
                    raise Conflict(new_name)
                c.execute(update(WorkGroup).where(WorkGroup.id == found.id).values(name=new_name, name_key=name_key(new_name)))
                write_audit(
                    c,
                    workspace_id=workspace_id,
                    actor=actor,
                    at=self._database.now(),
                    action="group.rename",
                    entity_id=found.id,
                    before={"name": found.name},
                    after={"name": new_name},
                )
                return Group(id=found.id, name=new_name, created_by=found.created_by, created_at=found.created_at)
        except IntegrityError as exc:
            raise Conflict(new_name) from exc

    def bind_channel(self, *, workspace_id: str, channel_id: str, group_id: int, actor: str) -> None:
        """Make group_id the channel's work group (replacing any other); audited."""
        where = (ChannelBinding.workspace_id == workspace_id, ChannelBinding.channel_id == channel_id)
        with self._database.connection(write=True) as c:
            bound = c.execute(select(ChannelBinding.work_group_id).where(*where)).scalar_one_or_none()
            values = {"work_group_id": group_id, "bound_by": actor, "bound_at": self._database.now()}
            if bound is None:
                c.execute(insert(ChannelBinding).values(workspace_id=workspace_id, channel_id=channel_id, **values))
            else:
                c.execute(update(ChannelBinding).where(*where).values(**values))
            write_audit(
                c,
                workspace_id=workspace_id,
                actor=actor,
                at=self._database.now(),
                action="channel.bind",
                entity_id=channel_id,
                before={"work_group_id": bound} if bound is not None else None,
                after={"work_group_id": group_id},
            )

    def for_channel(self, *, workspace_id: str, channel_id: str) -> Group | None:
        """The work group bound to the channel, if any."""
        with self._database.connection() as c:
            return _group(c.execute(_CHANNEL_GROUP, {"ws": workspace_id, "channel": channel_id}).first())
