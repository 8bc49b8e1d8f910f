"""Quiet hours (bot/domain/quiet.py) and the chase with them, on their own; and the
config that sets them."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import ConfigError, load_config
from bot.domain.chase import Stamped, Step, due
from bot.domain.quiet import QuietHours, on_day

SHANGHAI = ZoneInfo("Asia/Shanghai")
NIGHT = QuietHours(time(22, 0), time(8, 0), SHANGHAI)
HOURS_4 = timedelta(hours=4)
NOT_YET = Stamped()


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in Shanghai in November 2026, as the bot holds it (UTC)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def test_a_time_in_the_quiet_hours_moves_to_their_end() -> None:
    assert NIGHT.after(local(27, 22, 30)) == local(28, 8)  # before midnight: tomorrow
    assert NIGHT.after(local(28, 2, 30)) == local(28, 8)  # after midnight: today
    assert NIGHT.after(local(27, 21, 59)) == local(27, 21, 59)
    assert NIGHT.after(local(28, 8)) == local(28, 8)


def test_quiet_hours_within_one_day_and_none_at_all() -> None:
    lunch = QuietHours(time(12, 0), time(14, 0), SHANGHAI)
    assert lunch.after(local(27, 13)) == local(27, 14)
    assert lunch.after(local(27, 23)) == local(27, 23)
    never = QuietHours(time(8, 0), time(8, 0), SHANGHAI)
    assert never.after(local(27, 3)) == local(27, 3)


def test_nothing_is_sent_at_night_even_if_it_fell_due_in_the_evening() -> None:
    assert NIGHT.due(local(27, 21), local(27, 21, 30))
    assert not NIGHT.due(local(27, 21), local(28, 3))  # the bot came back at 03:00
    assert NIGHT.due(local(27, 21), local(28, 8))


def test_a_day_counted_follow_up_falls_due_at_nine_on_its_day() -> None:
    tapped = local(26, 23, 10)  # 15:10 UTC: the local day is what counts
    assert on_day(tapped, 14, SHANGHAI) == datetime(2026, 12, 10, 9, tzinfo=SHANGHAI)
    assert on_day(local(26, 0, 30), 1, SHANGHAI) == local(27, 9)


def test_the_chase_waits_out_the_night_and_the_worker_still_has_a_day_wait() -> None:
    asked = local(27, 20)  # reminder due at midnight: moved to 08:00

    def chase(now: datetime, stamped: Stamped = NOT_YET) -> tuple[Step, ...]:
        return due(asked, HOURS_4, 2 * HOURS_4, now, stamped, NIGHT)

    assert chase(local(28, 0)) == ()
    assert chase(local(28, 7, 59)) == ()
    assert chase(local(28, 8)) == (Step.REMIND,)
    reminded = Stamped(reminded=True)
    assert chase(local(28, 11, 59), reminded) == ()  # not at 04:00 → 08:00 with the worker
    assert chase(local(28, 12), reminded) == (Step.ESCALATE,)


def test_an_unasked_question_waits_out_the_night() -> None:
    unasked = Stamped(asked=False)
    assert due(local(27, 22, 30), HOURS_4, 2 * HOURS_4, local(27, 22, 30), unasked, NIGHT) == ()
    assert due(local(27, 22, 30), HOURS_4, 2 * HOURS_4, local(28, 8), unasked, NIGHT) == (Step.ASK,)


@pytest.mark.parametrize("line", ['quiet_from = "24:00"', 'quiet_until = "8am"'])
def test_quiet_hours_in_the_config_are_checked(tmp_path: Path, line: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f"[reminders]\n{line}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "quiet_" in str(caught.value)


def test_the_example_config_sets_the_default_quiet_hours() -> None:
    config = load_config(Path(__file__).parent.parent / "config.example.toml")
    assert config.reminders.quiet(config.zone) == NIGHT
    assert config.reminders.follow_up_grace_hours == 12
