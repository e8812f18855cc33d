"""Which Slack events were already taken, so a redelivered event (X-Slack-Retry-Num) is not handled twice."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Protocol


class SeenEvents(Protocol):
    """The one question the Slack adapter asks. A database-backed version can replace the in-memory one
    when several replicas share a workspace."""

    def first_time(self, event_id: str) -> bool:
        """Record event_id; True only for the first call with it."""
        ...


class RecentEvents:
    """The most recent event IDs of this process, in memory, bounded and thread-safe.

    Slack redelivers an event up to three times within about five minutes when an acknowledgement is late,
    so a few thousand IDs cover hours of traffic for one workspace; the oldest are forgotten first."""

    def __init__(self, capacity: int = 10_000) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, event_id: str) -> bool:
        with self._lock:
            if event_id in self._ids:
                return False
            self._ids[event_id] = None
            if len(self._ids) > self._capacity:
                self._ids.popitem(last=False)
            return True

    def __len__(self) -> int:
        with self._lock:
            return len(self._ids)
