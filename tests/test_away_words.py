"""/away in the worker's own words: "明天", "2小时", "明天 08:00" as well as "tomorrow",
"2h", "08:00"; and "tomorrow" ends with their next shift or the next morning, not at
midnight. The clock is fake; times are Shanghai's (UTC+8)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FakeClock
from bot.domain.away import NextShift, parse_away
from bot.domain.referral import Urgency
from bot.sandbox.world import world
from tests.stories import draft, file, station
from tests.test_night_edges import rota

SHANGHAI = ZoneInfo("Asia/Shanghai")
EIGHT = time(8, 0)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A November 2026 wall-clock time in Shanghai, as UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


THURSDAY_1400 = local(26, 14)


@pytest.mark.parametrize(
    ("words", "until"),
    [
        ("2h", local(26, 16)),
        ("2 hours", local(26, 16)),
        ("2小时", local(26, 16)),
        ("2 小时", local(26, 16)),
        ("2个小时", local(26, 16)),
        ("90m", local(26, 15, 30)),
        ("30分钟", local(26, 14, 30)),
        ("2天", local(28, 14)),
        ("3 days", local(29, 14)),
        ("18:30", local(26, 18, 30)),
        ("09:00", local(27, 9)),  # gone today: tomorrow's
        ("１８：３０", local(26, 18, 30)),  # full-width, as a Chinese keyboard may type
        ("8点", local(27, 8)),
        ("8点半", local(27, 8, 30)),
        ("明天 08:00", local(27, 8)),
        ("明天8点30", local(27, 8, 30)),
        ("明早8点", local(27, 8)),
        ("Tomorrow 07:15", local(27, 7, 15)),
        # Traditional Chinese, as Hong Kong, Macau and Taiwan write it
        ("2小時", local(26, 16)),
        ("2個鐘", local(26, 16)),
        ("30分鐘", local(26, 14, 30)),
        ("2日", local(28, 14)),
        ("8點半", local(27, 8, 30)),
        ("聽日 8點", local(27, 8)),
    ],
)
def test_the_words_after_away_name_a_moment(words: str, until: datetime) -> None:
    assert parse_away(words, THURSDAY_1400, SHANGHAI, EIGHT) == until


@pytest.mark.parametrize("words", ["tomorrow", "明天", "明早", " 明天 ", "聽日"])
def test_tomorrow_without_a_time_is_the_next_shift_or_the_morning(words: str) -> None:
    wish = parse_away(words, THURSDAY_1400, SHANGHAI, EIGHT)
    assert wish == NextShift(day_start=local(27, 0), morning=local(27, 8))


def test_after_midnight_tomorrow_is_the_coming_morning() -> None:
    """At 01:00 after a night, "明天" means in a few hours, not the day after."""
    wish = parse_away("明天", local(27, 1), SHANGHAI, EIGHT)
    assert wish == NextShift(day_start=local(27, 0), morning=local(27, 8))
    assert parse_away("明天", local(27, 7, 59), SHANGHAI, EIGHT) == NextShift(
        local(28, 0), local(28, 8)
    )


@pytest.mark.parametrize("words", ["soon", "下周", "0h", "0小时", "99天", "25:00", "明天 25点"])
def test_words_it_does_not_understand_are_refused(words: str) -> None:
    with pytest.raises(ValueError):
        parse_away(words, THURSDAY_1400, SHANGHAI, EIGHT)


async def test_tomorrow_without_a_rota_ends_in_the_morning_not_at_midnight(
    config_path: Path,
) -> None:
    clock = FakeClock(local(26, 23, 40))  # Thursday night; the team has no rota
    async with world(config_path, clock=clock) as w:
        s = await station(w, {"李娜": ()})
        li = s.workers["李娜"]
        await li.send("/language")
        await li.tap("简体中文")
        await li.send("/away 明天")
        assert li.last.plain == "你在 2026-11-27 08:00 之前暂停接案，期间不会收到新的转介。"
        clock.advance(local(27, 0, 30) - clock.now())  # past midnight: still away
        night = await file(w, draft("family_dispute", urgency=Urgency.URGENT))
        assert not any(night.ref in t for t in li.texts)
        clock.advance(local(27, 8, 1) - clock.now())  # the morning: back without a word
        morning = await file(w, draft("family_dispute", urgency=Urgency.URGENT))
        assert sum(t.startswith(f"新转介\n{morning.ref}") for t in li.texts) == 1


async def test_tomorrow_under_a_rota_ends_when_her_next_shift_starts(
    config_path: Path, tmp_path: Path
) -> None:
    clock = FakeClock(local(26, 14))  # Thursday, on her 09:00–18:00 shift
    async with world(config_path, clock=clock) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        await rota(w, tmp_path, [f"xuhui-sw,social_worker,mon-fri,09:00-18:00,{li.chat_id}"])
        await li.send("/away tomorrow")
        assert li.last.plain == (
            "You are away until your next shift, 2026-11-27 09:00. No new offers until then."
        )
        clock.advance(timedelta(days=1))  # Friday 14:00
        await li.send("/away tomorrow")  # Saturday and Sunday are not hers: Monday's
        assert "your next shift, 2026-11-30 09:00." in li.last.plain


async def test_words_it_does_not_understand_get_examples_in_her_language(
    config_path: Path,
) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_1400)) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        await li.send("/away next week")
        assert li.last.plain == (
            "Sorry, I did not understand “next week”. For example: /away 2h, /away 18:30, "
            "/away tomorrow or /away tomorrow 08:00. /away on its own: until you send /available."
        )
        await li.send("/language")
        await li.tap("简体中文")
        await li.send("/away 下周")
        assert li.last.plain == (
            "抱歉，没看懂“下周”。可以这样写：/away 2小时、/away 18:30、/away 明天、"
            "/away 明天 08:00。只发 /away：暂停接案，直到你发送 /available。"
        )
        await li.send("/away 2 小时")
        assert li.last.plain.startswith("你在 2026-11-26 16:00 之前暂停接案")
