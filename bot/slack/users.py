"""Who is asking: a Slack user's admin status and time zone from users.info, cached per (team, user)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger("cmmi_bot.slack")

TTL_SECONDS = 600.0  # admin rights and time zones change rarely; ten minutes keeps users.info off the hot path
FAILURE_TTL_SECONDS = 60.0  # a failed look-up is retried sooner, but not on every command (429s wait Retry-After)
MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class UserFacts:
    is_admin: bool = False
    timezone: str | None = None
    email: str | None = None  # only when the app has the users:read.email scope


UNKNOWN = UserFacts()


class UserDirectory:
    """users.info answers, cached for TTL_SECONDS; thread-safe. A failed look-up means 'not an admin, no time zone'."""

    def __init__(self, client: WebClient, clock: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], tuple[float, UserFacts]] = {}

    def facts(self, team_id: str, user_id: str, client: WebClient | None = None) -> UserFacts:
        """`client`: the one to ask with (the request's, carrying its workspace's token); else the directory's own."""
        if not user_id:
            return UNKNOWN
        key = (team_id, user_id)
        now = self._clock()
        with self._lock:
            cached = self._cache.get(key)
            if cached and cached[0] > now:
                return cached[1]
        # Looked up outside the lock: one slow users.info must not hold every other user's command.
        facts, ttl = self._look_up(user_id, client or self._client)
        with self._lock:
            if len(self._cache) >= MAX_ENTRIES:
                self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
                if len(self._cache) >= MAX_ENTRIES:
                    self._cache.clear()
            self._cache[key] = (now + ttl, facts)
        return facts

    def _look_up(self, user_id: str, client: WebClient) -> tuple[UserFacts, float]:
        try:
            user = client.users_info(user=user_id).get("user") or {}
        except SlackApiError as exc:
            # Slack's error code only: never the token or what the user typed.
            log.warning("users.info failed (%s); treating the user as a non-admin with no time zone", exc.response.get("error"))
            return UNKNOWN, FAILURE_TTL_SECONDS
        except OSError as exc:
            log.warning("users.info failed (%s); treating the user as a non-admin with no time zone", type(exc).__name__)
            return UNKNOWN, FAILURE_TTL_SECONDS
        is_admin = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
        tz = user.get("tz") or None
        email = (user.get("profile") or {}).get("email") or None
        return UserFacts(is_admin, tz if isinstance(tz, str) else None, email if isinstance(email, str) else None), TTL_SECONDS
