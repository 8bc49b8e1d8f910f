"""The one place the bot asks "what time is it".

Every rule that depends on time (invite expiry, failed-try windows, offers, escalation,
reminders, the rota, retention) takes a :class:`Clock`, so tests can run a whole night in
milliseconds by moving a :class:`FakeClock` instead of waiting.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real wall clock, always in UTC (local time is a presentation concern)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class WarpedClock:
    """Wall-clock time running ``factor`` times faster from ``origin`` on.

    For crash tests and demos that run the real program as a process: a night's
    escalations pass in minutes. The bot's time at the real moment ``origin`` is
    ``start`` (default: ``origin`` itself), so a demo can begin at 23:30 whatever the
    hour. Every start with the same origin, start and factor agrees on the time, so a
    restarted process carries on where the killed one was.
    """

    def __init__(self, origin: datetime, factor: float, *, start: datetime | None = None) -> None:
        start = origin if start is None else start
        if origin.tzinfo is None or start.tzinfo is None or factor < 1:
            raise ValueError("an aware origin and a factor of at least 1")
        self._origin, self._start, self.factor = origin, start.astimezone(UTC), factor

    def now(self) -> datetime:
        real = datetime.now(UTC)
        return self._start + (real - self._origin) * self.factor


def real_wait(clock: Clock, wait: timedelta) -> timedelta:
    """How long a wait of ``wait`` in the bot's time lasts on the wall clock.

    APScheduler and asyncio wait in real time. Under a :class:`WarpedClock` a wait
    planned in bot time would otherwise last ``factor`` times too long: a step fires
    late and people are told the bot was offline when it was not."""
    return wait / clock.factor if isinstance(clock, WarpedClock) else wait


class FakeClock:
    """A clock that only moves when told to; for tests, benchmarks and the demo."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move time forward (never backwards: real clocks used by the bot do not)."""
        if delta < timedelta(0):
            raise ValueError("time does not run backwards")
        self._now += delta
        return self._now

    async def sleep(self, seconds: float) -> None:
        """A wait that passes at once on this clock (the bot's pauses between retries)."""
        self.advance(timedelta(seconds=seconds))
