"""Who is on duty when: weekly shifts, service hours and one-off overrides.

All rules are written in the deployment's local time (a shift "Mon–Fri 22:00–08:00"
means what the team's notice board says) and evaluated by turning each occurrence
into UTC with :mod:`zoneinfo`. A shift whose end is not after its start crosses
midnight. Across a daylight-saving change the wall-clock times stay put and the
shift simply lasts an hour more or less, which is what the people on it live.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.people import Person

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAYS = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)(?:-(mon|tue|wed|thu|fri|sat|sun))?$")
_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


@dataclass(frozen=True)
class WeeklyWindow:
    """A window that repeats each week: the days it starts on, and local start and end."""

    weekdays: frozenset[int]  # 0 = Monday, the day the window starts
    start: time
    end: time  # not after start: the window ends the next day

    @classmethod
    def parse(cls, days: str, hours: str) -> WeeklyWindow:
        """``"mon-fri"``, ``"sat,sun"`` or ``"daily"``; ``"09:00-18:00"``, ``"22:00-08:00"``."""
        return cls(parse_days(days), *parse_hours(hours))

    def occurrences(self, around: datetime, zone: ZoneInfo) -> Iterator[tuple[datetime, datetime]]:
        """(start, end) in UTC of the occurrences that could contain ``around`` or follow it
        within a week (from the day before to seven days after)."""
        local_day = around.astimezone(zone).date()
        for offset in range(-1, 8):
            day = local_day + timedelta(days=offset)
            if day.weekday() in self.weekdays:
                yield self._span(day, zone)

    def _span(self, day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
        end_day = day if self.end > self.start else day + timedelta(days=1)
        return _utc(day, self.start, zone), _utc(end_day, self.end, zone)

    def contains(self, moment: datetime, zone: ZoneInfo) -> bool:
        return any(start <= moment < end for start, end in self.occurrences(moment, zone))

    def next_start(self, after: datetime, zone: ZoneInfo) -> datetime | None:
        starts = [start for start, _ in self.occurrences(after, zone) if start > after]
        return min(starts, default=None)


def _utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """A local wall-clock time as UTC. In the hour skipped in spring the time is read
    as if the clocks had not yet changed (fold 0), so the shift is never lost."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def parse_days(text: str) -> frozenset[int]:
    text = text.strip().lower()
    if text == "daily":
        return frozenset(range(7))
    days: set[int] = set()
    for part in text.split(","):
        match = _DAYS.match(part.strip())
        if not match:
            raise ValueError(f"{part.strip()!r} is not a day or range like mon-fri")
        first = WEEKDAYS.index(match.group(1))
        last = WEEKDAYS.index(match.group(2) or match.group(1))
        span = (last - first) % 7
        days.update((first + i) % 7 for i in range(span + 1))
    return frozenset(days)


def parse_hours(text: str) -> tuple[time, time]:
    match = _HOURS.match(text.strip())
    if not match:
        raise ValueError(f"{text.strip()!r} is not hours like 09:00-18:00 or 22:00-08:00")
    start = time(int(match.group(1)), int(match.group(2)))
    end_hour, end_minute = int(match.group(3)), int(match.group(4))
    if end_hour == 24 and end_minute != 0:
        raise ValueError(f"{text.strip()!r}: 24:xx is not a time")
    end = time(0) if end_hour == 24 else time(end_hour, end_minute)
    if start == end and end_hour != 24:
        raise ValueError(f"{text.strip()!r}: a shift must not start and end at the same time")
    return start, end


@dataclass(frozen=True)
class Shift:
    """People on duty in a weekly window, for a team (or the coordinators' rota)."""

    window: WeeklyWindow
    people: frozenset[int]  # person ids


class Change(StrEnum):
    ADD = "add"  # this person is on duty too
    REMOVE = "remove"  # this person is off (ill, on leave)
    REPLACE = "replace"  # this person covers for ``replaces``


@dataclass(frozen=True)
class Override:
    """A one-off change for a date-time range (UTC), e.g. "Li covers Zhou tonight"."""

    start: datetime
    end: datetime
    change: Change
    person_id: int
    replaces: int | None = None

    def active(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True)
class Reach:
    """People on duty, told apart by whether the bot can reach them. Only ``cover``
    counts as cover: a person who blocked the bot gets no offer and no escalation card
    (routing and the evening gap warning skip them), so a board that listed them as on
    duty would promise a night that nobody is watching."""

    cover: tuple[Person, ...] = ()
    unreachable: tuple[Person, ...] = ()

    @classmethod
    def of(cls, people: Iterable[Person]) -> Reach:
        found = list(people)
        return cls(
            tuple(p for p in found if p.reachable), tuple(p for p in found if not p.reachable)
        )


def on_duty(
    shifts: Iterable[Shift], overrides: Iterable[Override], moment: datetime, zone: ZoneInfo
) -> frozenset[int]:
    """The people on duty at ``moment``: the weekly shifts, then the overrides in order."""
    people: set[int] = set()
    for shift in shifts:
        if shift.window.contains(moment, zone):
            people |= shift.people
    for override in overrides:
        if not override.active(moment):
            continue
        if override.change is Change.REMOVE:
            people.discard(override.person_id)
        elif override.change is Change.ADD:
            people.add(override.person_id)
        elif override.replaces in people:
            people.discard(override.replaces)
            people.add(override.person_id)
    return frozenset(people)


def next_start(windows: Iterable[WeeklyWindow], after: datetime, zone: ZoneInfo) -> datetime | None:
    """The next moment after ``after`` at which any of ``windows`` begins."""
    starts = [s for w in windows if (s := w.next_start(after, zone)) is not None]
    return min(starts, default=None)
