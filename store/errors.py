"""The store's errors and limits: imported by every store module, importing none of them."""

from __future__ import annotations

# Row IDs are INTEGER: 32 bits on PostgreSQL, 64 on SQLite. Looking up a larger one is "not found" on both, never a
# database error on one of them.
MAX_ROW_ID = 2**31 - 1


class StoreUnavailable(Exception):
    """The database could not be reached or stayed locked; nothing was written."""


class NotFound(LookupError):
    pass


class Conflict(Exception):
    pass


class Forbidden(PermissionError):
    pass
