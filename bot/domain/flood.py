"""A per-person limit on updates: a stuck client or a script must not crowd out the officer
filing at 3 a.m. (nor fill the audit log), and nobody tapping and typing ever meets it.

A token bucket, in memory (a courtesy limit, not a security boundary): each person may
send a burst of :data:`BURST` updates at once, and the bucket refills at :data:`RATE` a
second. Filing a referral is about 15 updates over a minute or more, two back to back
about 30, and the bucket refills faster than any person taps and types; only something
sending more than one update a second for a minute and more (a script, a client stuck
resending) empties it. Then nothing is taken for :data:`COOL_DOWN`, so such a client is
not served one update a second at the edge of the limit; the bucket refills meanwhile.

The 30-updates-a-minute window this replaces caught an officer filing two referrals in a
row, because a window counts a human's burst the same as a script's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

BURST = 60
RATE = 1.0  # updates a second, sustained
COOL_DOWN = timedelta(seconds=10)
# Refused messages answered per cool-down at most: more than anyone types in that time,
# few enough that a flood is not answered message by message.
NOTICES = 5
# Updates between two looks for buckets to forget (see FloodGate._forget_full).
FORGET_EVERY = 1000


@dataclass
class _Bucket:
    tokens: float
    at: datetime
    blocked_until: datetime | None = None
    told: int = 0


class FloodGate:
    """Each person's token bucket."""

    def __init__(
        self,
        burst: int = BURST,
        rate: float = RATE,
        cool_down: timedelta = COOL_DOWN,
        notices: int = NOTICES,
    ) -> None:
        self._burst, self._rate, self._cool_down, self._notices = burst, rate, cool_down, notices
        self._buckets: dict[int, _Bucket] = {}
        self._admitted = 0  # updates since the last look for buckets to forget

    def __len__(self) -> int:
        """How many people's buckets are remembered."""
        return len(self._buckets)

    def admit(self, person: int, now: datetime) -> bool:
        """Take one update; False when it is over the limit and must not be handled."""
        self._admitted += 1
        if self._admitted >= FORGET_EVERY:
            self._admitted = 0
            self._forget_full(now)
        bucket = self._buckets.get(person)
        if bucket is None:
            bucket = self._buckets[person] = _Bucket(float(self._burst), now)
        elapsed = max(0.0, (now - bucket.at).total_seconds())
        bucket.tokens = min(float(self._burst), bucket.tokens + elapsed * self._rate)
        bucket.at = now
        if bucket.blocked_until is not None:
            if now < bucket.blocked_until:
                return False
            bucket.blocked_until, bucket.told = None, 0
        if bucket.tokens < 1:
            bucket.blocked_until = now + self._cool_down
            return False
        bucket.tokens -= 1
        return True

    def seconds_to_wait(self, person: int, now: datetime) -> int:
        """Whole seconds until this person's updates are taken again (at least 2, so that
        "wait N seconds" is never "1 seconds" and always long enough)."""
        bucket = self._buckets.get(person)
        until = bucket.blocked_until if bucket is not None else None
        left = (until - now).total_seconds() if until is not None else 0.0
        return max(2, math.ceil(left))

    def should_tell(self, person: int) -> bool:
        """Whether to answer this refused message: the first :data:`NOTICES` of a cool-down."""
        bucket = self._buckets.get(person)
        if bucket is None or bucket.told >= self._notices:
            return False
        bucket.told += 1
        return True

    def _forget_full(self, now: datetime) -> None:
        """Forget the buckets that have filled up again and block nobody: a new one starts
        the same. Without this, every id that ever wrote (thousands of strangers, say)
        would be remembered for the life of the process."""
        full_after = timedelta(seconds=self._burst / self._rate)
        for person in [
            person
            for person, bucket in self._buckets.items()
            if now - bucket.at >= full_after
            and (bucket.blocked_until is None or bucket.blocked_until <= now)
        ]:
            del self._buckets[person]
