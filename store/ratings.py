"""Characterizations of practices per work group (FI, LI, PI, NI, NY): every rating kept as history, each audited."""

from __future__ import annotations

from sqlalchemy import RowMapping, func, insert, select

from store.audit import write_audit
from store.database import Database
from store.records import RATINGS, Group, RatingItem
from store.schema import Rating

# Labelled as RatingItem's fields, so a result row builds the dataclass by name.
_RATING_COLUMNS = (
    Rating.work_group_id.label("group_id"),
    Rating.practice_key,
    Rating.value,
    Rating.note,
    Rating.rated_by,
    Rating.rated_at,
)


def _rating(row: RowMapping) -> RatingItem:
    return RatingItem(**row)


class Ratings:
    """The ratings of one database, scoped to one workspace per call."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def rate(
        self, *, workspace_id: str, group: Group, practice_key: str, process_area: str, value: str, note: str | None, actor: str
    ) -> tuple[RatingItem, RatingItem | None]:
        """Record a characterization (history is kept); returns (new, previous)."""
        if value not in RATINGS:
            raise ValueError(value)
        with self._database.connection(write=True) as c:
            found = c.execute(
                select(*_RATING_COLUMNS)
                .where(Rating.workspace_id == workspace_id, Rating.work_group_id == group.id, Rating.practice_key == practice_key)
                .order_by(Rating.id.desc())
                .limit(1)
            ).first()
            previous = _rating(found._mapping) if found else None
            rated_at = self._database.now()
            c.execute(
                insert(Rating).values(
                    workspace_id=workspace_id,
                    work_group_id=group.id,
                    practice_key=practice_key,
                    process_area=process_area,
                    value=value,
                    note=note,
                    rated_by=actor,
                    rated_at=rated_at,
                )
            )
            write_audit(
                c,
                workspace_id=workspace_id,
                actor=actor,
                at=self._database.now(),
                action="rating.set",
                entity_id=f"{group.id}:{practice_key}",
                before={"value": previous.value, "note": previous.note} if previous else None,
                after={"group": group.name, "value": value, "note": note},
            )
            new = RatingItem(group_id=group.id, practice_key=practice_key, value=value, note=note, rated_by=actor, rated_at=rated_at)
            return new, previous

    def current(self, *, workspace_id: str, group_id: int | None = None) -> dict[tuple[int, str], RatingItem]:
        """The latest rating per (group, practice key)."""
        latest = select(func.max(Rating.id)).where(Rating.workspace_id == workspace_id).group_by(Rating.work_group_id, Rating.practice_key)
        if group_id is not None:
            latest = latest.where(Rating.work_group_id == group_id)
        q = select(*_RATING_COLUMNS).where(Rating.workspace_id == workspace_id, Rating.id.in_(latest))
        with self._database.connection() as c:
            return {(item.group_id, item.practice_key): item for item in (_rating(row._mapping) for row in c.execute(q))}

    def history(self, *, workspace_id: str, group_id: int, practice_key: str) -> list[RatingItem]:
        """Every rating of one practice in one group, oldest first."""
        q = (
            select(*_RATING_COLUMNS)
            .where(Rating.workspace_id == workspace_id, Rating.work_group_id == group_id, Rating.practice_key == practice_key)
            .order_by(Rating.id)
        )
        with self._database.connection() as c:
            return [_rating(row._mapping) for row in c.execute(q)]
