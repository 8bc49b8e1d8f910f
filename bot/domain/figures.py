"""The arithmetic of the report figures that SQL does badly: local time and quantiles.

Times are stored in UTC; a report speaks of local hours, weekdays and nights, whose
UTC bounds move with daylight saving. Rather than load each referral to convert its
time, the period is cut into UTC buckets of ``step`` minutes (an hour, unless the zone's
offset or a night boundary is off the hour: see step_minutes), and each
bucket is labelled once here: its local hour, weekday, whether it is night and when
that night ends. The database groups referrals by bucket (storage/report_figures.py).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.care import is_night, night_of

FIRST_YEAR = 2000  # before the bot, and before anything a report could count
MAX_YEARS = 10  # the longest period one report covers


class BadPeriod(ValueError):
    """A period a report will not count; ``str()`` is the reason, readable as it is."""


def check_period(start: date, end: date, today: date) -> None:
    """Refuse a period a report cannot sensibly count, before it is cut into buckets
    (one an hour: a century would take minutes, and a year 9999 overflows): days from
    the year 2000 to the end of next year, ``start`` not after ``end``, at most ten
    years long. Raises :class:`BadPeriod` with the reason."""
    if start > end:
        raise BadPeriod(f"the period starts ({start}) after it ends ({end})")
    last_year = today.year + 1
    for day in (start, end):
        if not FIRST_YEAR <= day.year <= last_year:
            raise BadPeriod(f"{day} is outside the years {FIRST_YEAR} to {last_year}")
    if end.year - start.year > MAX_YEARS or (
        end.year - start.year == MAX_YEARS and (end.month, end.day) >= (start.month, start.day)
    ):
        raise BadPeriod(f"the period is longer than {MAX_YEARS} years ({start} to {end})")


@dataclass(frozen=True)
class Slot:
    """One UTC bucket of the period, as the report sees it."""

    bucket: str  # "YYYY-MM-DDTHH:MM", UTC, the bucket's first minute
    hour: str  # local hour "00".."23"
    weekday: str  # local weekday "0" (Monday) .. "6"
    night: bool
    night_end: datetime | None  # UTC end of the night this bucket is in


def step_minutes(start: date, end: date, zone: ZoneInfo, starts: time, ends: time) -> int:
    """The bucket size: the largest divisor of an hour that the night's bounds and the
    zone's offsets in the period (sampled on each month's first day) fall on; an hour
    in most zones, a quarter of it in the few with a quarter-hour offset. Fewer buckets
    make the report faster."""
    minutes = [starts.minute, ends.minute]
    day = start
    while day <= end + timedelta(days=31):
        offset = datetime.combine(day, time(12), tzinfo=zone).utcoffset()
        assert offset is not None
        minutes.append(int(offset.total_seconds() // 60) % 60)
        day = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return math.gcd(60, *minutes)


def bounds(start: date, end: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC bounds of the local days ``start`` to ``end`` inclusive: [first, last)."""
    first = datetime.combine(start, time(0), tzinfo=zone).astimezone(UTC)
    last = datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return first, last


def bucket_key(at: datetime, step: int) -> str:
    """The bucket of a UTC moment, as storage/report_figures.py spells it in SQL."""
    at = at.astimezone(UTC)
    return f"{at:%Y-%m-%dT%H}:{at.minute // step * step:02d}"


def slots(
    start: date, end: date, zone: ZoneInfo, starts: time, ends: time, step: int
) -> list[Slot]:
    """Every bucket of the local days ``start``..``end`` with its local labels."""
    first, last = bounds(start, end, zone)
    found: list[Slot] = []
    night_ends: dict[date, datetime] = {}
    at = first
    while at < last:
        local = at.astimezone(zone)
        night = is_night(at, zone, starts, ends)
        night_end = None
        if night:
            began = night_of(at, zone, starts, ends)
            assert began is not None
            if began not in night_ends:
                day = began + timedelta(days=1) if starts > ends else began
                night_ends[began] = datetime.combine(day, ends, tzinfo=zone).astimezone(UTC)
            night_end = night_ends[began]
        found.append(
            Slot(bucket_key(at, step), f"{local.hour:02d}", str(local.weekday()), night, night_end)
        )
        at += timedelta(minutes=step)
    return found


def median(counts: Iterable[tuple[float, int]]) -> float | None:
    """The median of values given as (value, how many): the middle value, or the mean
    of the two middle values for an even count."""
    ordered = sorted((v, n) for v, n in counts if n > 0)
    total = sum(n for _, n in ordered)
    if total == 0:
        return None
    low, high = _at_rank(ordered, (total + 1) // 2), _at_rank(ordered, total // 2 + 1)
    return (low + high) / 2


def percentile(counts: Iterable[tuple[float, int]], share: float) -> float | None:
    """The nearest-rank percentile: the smallest value at least ``share`` of all values
    are at or below (the 90th percentile of 1..10 is 9)."""
    ordered = sorted((v, n) for v, n in counts if n > 0)
    total = sum(n for _, n in ordered)
    if total == 0:
        return None
    return _at_rank(ordered, max(1, math.ceil(share * total)))


def _at_rank(ordered: list[tuple[float, int]], rank: int) -> float:
    seen = 0
    for value, n in ordered:
        seen += n
        if seen >= rank:
            return value
    return ordered[-1][0]
