"""Weekly schedules in a local time zone: the slot a digest is due for, whatever DST does."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from handlers.core import UserError

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = re.compile(r"^(?P<h>[01]?\d|2[0-3])[:.h](?P<m>[0-5]\d)$")
WEEK = timedelta(days=7)
# More than any clock change (a zone has moved its clocks by a whole day): starting this far from `now` on
# the wall clock, stepping week by week cannot miss a slot whose instant is on the other side of `now`.
_MARGIN = timedelta(days=2)


@dataclass(frozen=True)
class Weekly:
    """A weekday and a wall-clock time in an IANA zone.

    Each local week has exactly one slot: the first moment the local clock reads the time or later on
    that day. So a time the clocks pass twice (the autumn repeated hour) is its first occurrence
    (fold=0), and a time the clocks skip (the spring gap) is the moment they jump past it. Slots are
    stepped on naive wall-clock times and only then placed on the UTC time line, so a week's slot does
    not depend on which side of a clock change `now` falls. (croniter on aware datetimes picked either
    occurrence of a repeated time depending on `now`, and took nine tenths of a scheduler run.)
    """

    weekday: int  # 0 = Monday
    local_time: str  # HH:MM
    timezone: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def _time(self) -> time:
        if not (isinstance(self.weekday, int) and 0 <= self.weekday < 7):
            raise ValueError(f"not a day of the week: {self.weekday!r}")
        hour, minute = self.local_time.split(":")
        return time(int(hour), int(minute))

    def _wall_at_or_before(self, local: datetime) -> datetime:
        """The latest wall-clock slot at or before a naive local time."""
        day = local.date() - timedelta(days=(local.weekday() - self.weekday) % 7)
        wall = datetime.combine(day, self._time())
        return wall if wall <= local else wall - WEEK

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

    def latest_slot(self, now: datetime) -> datetime:
        """The most recent slot at or before now, in UTC. 09:00 Europe/Berlin stays 09:00 local across
        daylight-saving changes, and a week's slot is the same instant whenever it is asked for."""
        wall = self._wall_at_or_before(now.astimezone(self.zone).replace(tzinfo=None) + _MARGIN)
        while (slot := self.instant(wall)) > now:
            wall -= WEEK
        return slot

    def next_slot(self, now: datetime) -> datetime:
        """The first slot after now, in UTC."""
        wall = self._wall_at_or_before(now.astimezone(self.zone).replace(tzinfo=None) - _MARGIN)
        while (slot := self.instant(wall)) <= now:
            wall += WEEK
        return slot

    def clock_changes(self, now: datetime, weeks: int = 53) -> list[tuple[date, str]]:
        """The coming weeks whose slot the clocks skip ("skipped") or pass twice ("repeated")."""
        zone = self.zone
        wall = self._wall_at_or_before(now.astimezone(zone).replace(tzinfo=None))
        found = []
        for _ in range(weeks):
            wall += WEEK
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
