"""Weekly schedules in a local time zone: the slot a digest is due for, whatever DST does."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from croniter import croniter

from handlers.core import UserError

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = re.compile(r"^(?P<h>[01]?\d|2[0-3])[:.h](?P<m>[0-5]\d)$")
# A local time lies at most this far from the UTC moment it names (offsets run from -12 h to +14 h, and a
# zone has moved its clocks by a whole day): enough room to step over any wall-clock slot near `now`.
_MARGIN = timedelta(days=2)


@dataclass(frozen=True)
class Weekly:
    """A weekday and a wall-clock time in an IANA zone.

    Each local week has exactly one slot: the first moment the local clock reads the time or later on
    that day. So a time the clocks pass twice (the autumn repeated hour) is its first occurrence
    (fold=0), and a time the clocks skip (the spring gap) is the moment they jump past it. Slots are
    computed on naive wall-clock times (croniter) and only then placed on the UTC time line, so the
    answer does not depend on which side of a clock change `now` happens to fall.
    """

    weekday: int  # 0 = Monday
    local_time: str  # HH:MM
    timezone: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def _cron(self) -> str:
        hour, minute = (int(x) for x in self.local_time.split(":"))
        if not (0 <= hour < 24 and 0 <= minute < 60 and 0 <= self.weekday < 7):
            raise ValueError(f"not a weekly time: {self.weekday} {self.local_time}")
        return f"{minute} {hour} * * {(self.weekday + 1) % 7}"  # cron counts Sunday as 0

    def instant(self, wall: datetime) -> datetime:
        """The UTC moment of a naive local wall-clock time: the first moment the clock reads it or later."""
        zone = self.zone
        first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)  # fold=0: a repeated time's first occurrence
        if first.astimezone(zone).replace(tzinfo=None) == wall:
            return first
        # Skipped by the clocks. Read with the offset after the change the time falls before the jump,
        # read with the offset before it falls after; the jump lies between. Transitions are on whole
        # seconds, so a binary search over seconds finds it exactly.
        early = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
        offset = early.astimezone(zone).utcoffset()
        lo, hi = 0, int((first - early).total_seconds())
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if (early + timedelta(seconds=mid)).astimezone(zone).utcoffset() == offset:
                lo = mid
            else:
                hi = mid
        return early + timedelta(seconds=hi)

    def _walls_before(self, now: datetime) -> Iterator[datetime]:
        local = now.astimezone(self.zone).replace(tzinfo=None)
        return croniter(self._cron(), local + _MARGIN).all_prev(datetime)

    def latest_slot(self, now: datetime) -> datetime:
        """The most recent slot at or before now, in UTC. 09:00 Europe/Berlin stays 09:00 local across
        daylight-saving changes, and a week's slot is the same instant whenever it is asked for."""
        for wall in self._walls_before(now):
            slot = self.instant(wall)
            if slot <= now:
                return slot
        raise AssertionError("unreachable: croniter yields slots without end")

    def next_slot(self, now: datetime) -> datetime:
        """The first slot after now, in UTC."""
        local = now.astimezone(self.zone).replace(tzinfo=None)
        for wall in croniter(self._cron(), local - _MARGIN).all_next(datetime):
            slot = self.instant(wall)
            if slot > now:
                return slot
        raise AssertionError("unreachable: croniter yields slots without end")

    def clock_changes(self, now: datetime, weeks: int = 53) -> list[tuple[date, str]]:
        """The coming weeks whose slot the clocks skip ("skipped") or pass twice ("repeated")."""
        zone = self.zone
        local = now.astimezone(zone).replace(tzinfo=None)
        found = []
        walls = croniter(self._cron(), local).all_next(datetime)
        for _ in range(weeks):
            wall = next(walls)
            first, second = (wall.replace(tzinfo=zone, fold=f).astimezone(UTC) for f in (0, 1))
            if first.astimezone(zone).replace(tzinfo=None) != wall:
                found.append((wall.date(), "skipped"))
            elif first != second:
                found.append((wall.date(), "repeated"))
        return found

    def problem(self) -> str | None:
        """Why this schedule cannot be worked out, in words a channel member understands; None if it can.
        Rows are written by other replicas and other versions, whose time zone data may be newer."""
        if not (isinstance(self.weekday, int) and 0 <= self.weekday < 7):
            return "its saved day is not a day of the week"
        if parse_time(self.local_time or "") != self.local_time:
            return f"its saved time {self.local_time} is not a time of day (HH:MM)"
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            return f"the time zone {self.timezone} is not known to this server"
        return None

    def describe(self) -> str:
        return f"{DAYS[self.weekday].capitalize()}s at {self.local_time} {self.timezone}"


def period_key(slot: datetime) -> str:
    return slot.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def parse_day(word: str) -> int | None:
    word = word.lower().rstrip("s.")
    for i, day in enumerate(DAYS):
        if len(word) >= 2 and day.startswith(word):
            return i
    return None


def parse_time(word: str) -> str | None:
    m = _TIME.match(word)
    return f"{int(m['h']):02d}:{m['m']}" if m else None


def parse_zone(word: str) -> str:
    if word.upper() in ("UTC", "GMT", "Z"):
        return "UTC"
    try:
        ZoneInfo(word)
    except (ZoneInfoNotFoundError, ValueError):
        close = sorted(z for z in available_timezones() if word.lower().replace(" ", "_") in z.lower())[:3]
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise UserError(f"'{word}' is not a time zone. Use an IANA name such as Europe/Berlin, America/New_York or UTC.{hint}") from None
    return word
