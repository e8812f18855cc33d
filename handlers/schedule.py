"""Weekly schedules in a local time zone: the slot a digest is due for, whatever DST does."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from croniter import croniter

from handlers.core import UserError

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = re.compile(r"^(?P<h>[01]?\d|2[0-3])[:.h](?P<m>[0-5]\d)$")


@dataclass(frozen=True)
class Weekly:
    weekday: int  # 0 = Monday
    local_time: str  # HH:MM
    timezone: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def _cron(self) -> str:
        hour, minute = (int(x) for x in self.local_time.split(":"))
        return f"{minute} {hour} * * {(self.weekday + 1) % 7}"  # cron counts Sunday as 0

    def latest_slot(self, now: datetime) -> datetime:
        """The most recent scheduled moment at or before now, in UTC. Computed in local time, so
        09:00 Europe/Berlin stays 09:00 local across daylight-saving changes."""
        local_now = now.astimezone(self.zone)
        slot = croniter(self._cron(), local_now + timedelta(seconds=1)).get_prev(datetime)
        return slot.astimezone(UTC)

    def next_slot(self, now: datetime) -> datetime:
        return croniter(self._cron(), now.astimezone(self.zone)).get_next(datetime).astimezone(UTC)

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
