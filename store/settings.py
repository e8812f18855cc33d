"""A workspace's own settings (such as review-months): one row per workspace and name, every change audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from store.audit import write_audit
from store.database import Database
from store.schema import WorkspaceSetting


@dataclass(frozen=True)
class SettingValue:
    name: str
    value: str
    updated_by: str
    updated_at: datetime


_COLUMNS = (WorkspaceSetting.name, WorkspaceSetting.value, WorkspaceSetting.updated_by, WorkspaceSetting.updated_at)


class WorkspaceSettings:
    """Settings of one database's workspaces. Every method is one short transaction; `clock` gives aware UTC times."""

    def __init__(self, database: Database) -> None:
        self._database = database  # outages become StoreUnavailable, SQLite writes begin IMMEDIATE

    def get(self, *, workspace_id: str, name: str) -> SettingValue | None:
        with self._database.connection() as c:
            row = c.execute(select(*_COLUMNS).where(WorkspaceSetting.workspace_id == workspace_id, WorkspaceSetting.name == name)).first()
            return SettingValue(**row._mapping) if row else None

    def all(self, *, workspace_id: str) -> list[SettingValue]:
        with self._database.connection() as c:
            rows = c.execute(select(*_COLUMNS).where(WorkspaceSetting.workspace_id == workspace_id).order_by(WorkspaceSetting.name))
            return [SettingValue(**r._mapping) for r in rows]

    def put(self, *, workspace_id: str, name: str, value: str | None, actor: str) -> tuple[SettingValue | None, SettingValue | None]:
        """Set (or, with value None, clear) a setting; returns (before, after). Audited when it changed."""
        now = self._database.now()
        key = (WorkspaceSetting.workspace_id == workspace_id, WorkspaceSetting.name == name)
        for attempt in (1, 2):
            try:
                with self._database.connection(write=True) as c:
                    row = c.execute(select(*_COLUMNS).where(*key)).first()
                    before = SettingValue(**row._mapping) if row else None
                    if (before.value if before else None) == value:
                        return before, before
                    if value is None:
                        c.execute(delete(WorkspaceSetting).where(*key))
                        after = None
                    else:
                        values = dict(value=value, updated_by=actor, updated_at=now)
                        if before is None:
                            c.execute(insert(WorkspaceSetting).values(workspace_id=workspace_id, name=name, **values))
                        else:
                            c.execute(update(WorkspaceSetting).where(*key).values(**values))
                        after = SettingValue(name, value, actor, now)
                    was, becomes = ({"value": before.value} if before else None), ({"value": value} if after else None)
                    write_audit(
                        c, workspace_id=workspace_id, actor=actor, at=now, action="setting.set", entity_id=name, before=was, after=becomes
                    )
                    return before, after
            except IntegrityError:
                if attempt == 2:  # a concurrent first insert of the same name won twice: give up loudly
                    raise
        raise AssertionError("unreachable")
