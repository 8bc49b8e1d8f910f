"""A per-person limit on updates a minute: a stuck client or a script must not crowd out
the officer filing at 3 a.m. (nor fill the audit log)."""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta

WINDOW = timedelta(minutes=1)
LIMIT = 30


class FloodGate:
    """Counts each person's updates in the last minute; in memory, as a courtesy limit."""

    def __init__(self, limit: int = LIMIT, window: timedelta = WINDOW) -> None:
        self._limit, self._window = limit, window
        self._seen: dict[int, deque[datetime]] = {}
        self._told: dict[int, datetime] = {}

    def admit(self, person: int, now: datetime) -> bool:
        """Record an update; False when it is over the limit and should be dropped."""
        seen = self._seen.setdefault(person, deque())
        while seen and now - seen[0] >= self._window:
            seen.popleft()
        if len(seen) >= self._limit:
            return False
        seen.append(now)
        return True

    def should_tell(self, person: int, now: datetime) -> bool:
        """Say "slow down" once a minute at most, not once per dropped update."""
        last = self._told.get(person)
        if last is not None and now - last < self._window:
            return False
        self._told[person] = now
        return True
