"""CMMI_ADMINS: people who act as workspace admins in every transport, beside what a chat platform says itself.

Teams tells a bot nothing about who administers a team, so without this list no one there could remove someone else's
evidence. Slack's own admins and owners stay admins; the console's own user stays the local workspace's admin."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # settings parse CMMI_ADMINS into Admins at start-up, before (and without) the core is imported
    from handlers import Request

# Entra (AAD) object IDs are GUIDs, which portals show in either case; Teams sends them in lower case.
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


def _id_key(user_id: str) -> str:
    return user_id.lower() if _GUID.match(user_id) else user_id


@dataclass(frozen=True)
class Admins:
    """The parsed list: user IDs as given (GUIDs in any case), e-mail addresses in any case."""

    user_ids: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, value: str) -> Admins:
        """From CMMI_ADMINS: comma-separated Slack user IDs, Teams AAD object IDs, console user names or e-mail
        addresses; spaces around each and empty entries are ignored."""
        entries = [entry.strip() for entry in value.split(",")]
        return cls(
            user_ids=frozenset(_id_key(e) for e in entries if e and "@" not in e),
            emails=frozenset(e.casefold() for e in entries if "@" in e),
        )

    def __bool__(self) -> bool:
        return bool(self.user_ids or self.emails)

    def includes(self, user_id: str, email: str | None = None) -> bool:
        """Whether the user with this ID (and, when the transport knows it, this e-mail address) is listed."""
        if user_id and _id_key(user_id) in self.user_ids:
            return True
        return email is not None and bool(email) and email.strip().casefold() in self.emails

    def apply(self, request: Request, email: str | None = None) -> Request:
        """The request, made an admin's when its user is listed; a transport's own admin flag is never taken away."""
        if request.is_admin or not self.includes(request.user_id, email):
            return request
        return replace(request, is_admin=True)


NO_ADMINS = Admins()
