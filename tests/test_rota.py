"""Rota rules as a team's notice board writes them, evaluated in local time."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.rota import (
    Change,
    Override,
    Shift,
    WeeklyWindow,
    next_start,
    on_duty,
    parse_days,
    parse_hours,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")  # has daylight saving time


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone).astimezone(UTC)  # type: ignore[misc]


def test_days_and_hours_are_read_like_a_notice_board() -> None:
    assert parse_days("mon-fri") == frozenset({0, 1, 2, 3, 4})
    assert parse_days("sat,sun") == frozenset({5, 6})
    assert parse_days("fri-mon") == frozenset({4, 5, 6, 0})
    assert parse_days("daily") == frozenset(range(7))
    assert parse_hours("22:00-08:00") == (time(22), time(8))
    assert parse_hours("09:00-24:00") == (time(9), time(0))
    for bad in ("someday", "mon-xyz"):
        with pytest.raises(ValueError):
            parse_days(bad)
    for bad in ("9-18", "25:00-08:00", "08:00-08:00"):
        with pytest.raises(ValueError):
            parse_hours(bad)


def test_a_night_shift_crosses_midnight() -> None:
    night = Shift(WeeklyWindow.parse("mon-fri", "22:00-08:00"), frozenset({1}))
    # Friday 23:30 and Saturday 07:59 are the Friday night shift; Saturday 22:30 is not.
    assert on_duty([night], [], local(SHANGHAI, 2026, 11, 27, 23, 30), SHANGHAI) == {1}
    assert on_duty([night], [], local(SHANGHAI, 2026, 11, 28, 7, 59), SHANGHAI) == {1}
    assert on_duty([night], [], local(SHANGHAI, 2026, 11, 28, 8, 0), SHANGHAI) == set()
    assert on_duty([night], [], local(SHANGHAI, 2026, 11, 28, 22, 30), SHANGHAI) == set()
    # Monday 03:00 belongs to no shift: Sunday night is not in mon-fri.
    assert on_duty([night], [], local(SHANGHAI, 2026, 11, 30, 3, 0), SHANGHAI) == set()


def test_a_night_shift_across_the_autumn_change_lasts_nine_hours() -> None:
    """Berlin, 25 Oct 2026: clocks go back at 03:00; 22:00-06:00 is 9 real hours."""
    window = WeeklyWindow.parse("sat", "22:00-06:00")
    start = local(BERLIN, 2026, 10, 24, 22, 0)
    spans = [s for s in window.occurrences(start, BERLIN) if s[0] == start]
    assert len(spans) == 1
    begin, end = spans[0]
    assert end - begin == timedelta(hours=9)
    shift = Shift(window, frozenset({7}))
    assert on_duty([shift], [], end - timedelta(minutes=1), BERLIN) == {7}
    assert on_duty([shift], [], end, BERLIN) == set()


def test_a_shift_across_the_spring_change_lasts_seven_hours_and_keeps_local_times() -> None:
    """Berlin, 29 Mar 2026: clocks go forward at 02:00."""
    window = WeeklyWindow.parse("sat", "22:00-06:00")
    begin = local(BERLIN, 2026, 3, 28, 22, 0)
    span = next(s for s in window.occurrences(begin, BERLIN) if s[0] == begin)
    assert span[1] - span[0] == timedelta(hours=7)
    assert span[1].astimezone(BERLIN).hour == 6  # still ends at 06:00 on the wall clock
    # A day shift the week after starts at 09:00 local, i.e. 07:00 UTC in summer time.
    day = WeeklyWindow.parse("mon", "09:00-17:00")
    assert day.next_start(span[1], BERLIN) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)


def test_overrides_add_remove_and_replace_for_a_time() -> None:
    shift = Shift(WeeklyWindow.parse("daily", "09:00-18:00"), frozenset({1, 2}))
    noon = local(SHANGHAI, 2026, 11, 26, 12, 0)
    hour = timedelta(hours=1)
    overrides = [
        Override(noon - hour, noon + hour, Change.REMOVE, 1),
        Override(noon - hour, noon + hour, Change.REPLACE, 3, replaces=2),
        Override(noon + hour, noon + 2 * hour, Change.ADD, 4),
    ]
    assert on_duty([shift], overrides, noon, SHANGHAI) == {3}
    assert on_duty([shift], overrides, noon + hour, SHANGHAI) == {1, 2, 4}
    assert on_duty([shift], overrides, noon + 3 * hour, SHANGHAI) == {1, 2}


def test_the_next_shift_start_after_a_late_evening() -> None:
    day = WeeklyWindow.parse("mon-fri", "09:00-18:00")
    friday_night = local(SHANGHAI, 2026, 11, 27, 22, 0)
    assert next_start([day], friday_night, SHANGHAI) == local(SHANGHAI, 2026, 11, 30, 9, 0)
