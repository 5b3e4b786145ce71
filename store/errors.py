"""The store's one family of exceptions: each message is written for the person using the app."""
from __future__ import annotations


class StoreError(Exception):
    """Saved work cannot be written or read; the app shows the message and goes on in memory."""


class StoreUnavailable(StoreError):
    """The database cannot be reached, read or written (down, locked, damaged or full)."""


class StoreLimitReached(StoreError):
    """A workspace holds as many runs or bytes as it may."""
    row_id: int | None = None  # a run's final row written without its network: its id


class StoreLost(StoreUnavailable):
    """The store's file was deleted or replaced while the server ran: what was written there is gone."""
