"""/away in the worker's own words: "明天", "2小时", "明天 08:00" as well as "tomorrow",
"2h", "08:00"; and "tomorrow" ends with their next shift or the next morning, not at
midnight. The clock is fake; times are Shanghai's (UTC+8)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FakeClock
from bot.domain.away import NextShift, parse_away
from bot.domain.referral import Urgency
from bot.i18n import Translator, available_languages
from bot.sandbox.world import world
from handlers.mine import AWAY_EXAMPLES
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
        ("8点", local(26, 20)),  # at 14:00 a bare 8点 is this evening's
        ("8点半", local(26, 20, 30)),
        ("明天 08:00", local(27, 8)),
        ("明天8点30", local(27, 8, 30)),
        ("明早8点", local(27, 8)),
        ("Tomorrow 07:15", local(27, 7, 15)),
        # Traditional Chinese, as Hong Kong, Macau and Taiwan write it
        ("2小時", local(26, 16)),
        ("2個鐘", local(26, 16)),
        ("30分鐘", local(26, 14, 30)),
        ("2日", local(28, 14)),
        ("8點半", local(26, 20, 30)),
        ("聽日 8點", local(27, 8)),
    ],
)
def test_the_words_after_away_name_a_moment(words: str, until: datetime) -> None:
    assert parse_away(words, THURSDAY_1400, SHANGHAI, EIGHT) == until


@pytest.mark.parametrize(
    ("words", "until"),
    [
        # a bare N点 is whichever of N:00 and (N+12):00 comes first; at 14:00 that is
        # the evening for 6 to 12 and the small hours for 1 and 2
        ("6点", local(26, 18)),
        ("八点", local(26, 20)),
        ("8点钟", local(26, 20)),
        ("十点一刻", local(26, 22, 15)),
        ("12点", local(27, 0)),
        ("1点", local(27, 1)),
        ("两点", local(27, 2)),
        ("18点", local(26, 18)),  # more than 12: the 24-hour clock
        ("8:30", local(27, 8, 30)),  # a colon: the 24-hour clock, as before
        # a part of the day says which
        ("下午6点", local(26, 18)),
        ("下午三点", local(26, 15)),
        ("下午2点", local(27, 14)),  # 14:00 is now: tomorrow's
        ("傍晚6点半", local(26, 18, 30)),
        ("晚上8点", local(26, 20)),
        ("晚上十二点", local(27, 0)),
        ("晚上1点", local(27, 1)),
        ("今晚8点", local(26, 20)),
        ("今晚11点半", local(26, 23, 30)),
        ("今晚12点", local(27, 0)),
        ("上午10点", local(27, 10)),
        ("早上8点", local(27, 8)),
        ("早8点", local(27, 8)),
        ("凌晨3点", local(27, 3)),
        ("中午12点", local(27, 12)),
        ("中午1点", local(27, 13)),
        ("明天下午3点", local(27, 15)),
        ("明天 晚上 8点", local(27, 20)),
        ("明晚8点", local(27, 20)),
        ("明晚12点", local(28, 0)),  # the midnight that ends tomorrow evening
        ("明天早上八点半", local(27, 8, 30)),
        ("8pm", local(26, 20)),
        ("8 pm", local(26, 20)),
        ("8:30pm", local(26, 20, 30)),
        ("8:30 PM", local(26, 20, 30)),
        ("7am", local(27, 7)),
        ("12pm", local(27, 12)),
        ("12am", local(27, 0)),
        ("tomorrow 8pm", local(27, 20)),
        ("tomorrow at 9am", local(27, 9)),
        ("8am tomorrow", local(27, 8)),
        ("tonight 11pm", local(26, 23)),
        ("今天下午6点", local(26, 18)),
        ("today 6pm", local(26, 18)),
        # spans in words
        ("两个小时", local(26, 16)),
        ("两小时", local(26, 16)),
        ("半小时", local(26, 14, 30)),
        ("半个小时", local(26, 14, 30)),
        ("一个半小时", local(26, 15, 30)),
        ("1个半小时", local(26, 15, 30)),
        ("2 个钟", local(26, 16)),
        ("十分钟", local(26, 14, 10)),
        ("三十分钟", local(26, 14, 30)),
        ("三天", local(29, 14)),
        ("1.5h", local(26, 15, 30)),
    ],
)
def test_spoken_simplified_and_english_forms(words: str, until: datetime) -> None:
    assert parse_away(words, THURSDAY_1400, SHANGHAI, EIGHT) == until


@pytest.mark.parametrize(
    ("words", "until"),
    [
        ("兩小時", local(26, 16)),
        ("兩個鐘", local(26, 16)),
        ("半小時", local(26, 14, 30)),
        ("半個鐘", local(26, 14, 30)),
        ("個半鐘", local(26, 15, 30)),  # Cantonese: an hour and a half
        ("兩個半鐘", local(26, 16, 30)),
        ("三十分鐘", local(26, 14, 30)),
        ("6點", local(26, 18)),
        ("八點半", local(26, 20, 30)),
        ("十二點", local(27, 0)),
        ("下午6點", local(26, 18)),
        ("晚上8點", local(26, 20)),
        ("夜晚8點", local(26, 20)),
        ("晏晝3點", local(26, 15)),
        ("朝早8點", local(27, 8)),
        ("凌晨兩點", local(27, 2)),
        ("中午十二點", local(27, 12)),
        ("黃昏6點", local(26, 18)),
        ("今晚11點", local(26, 23)),
        ("聽朝8點", local(27, 8)),
        ("聽晚8點", local(27, 20)),
        ("聽日下午三點", local(27, 15)),
    ],
)
def test_spoken_traditional_and_cantonese_forms(words: str, until: datetime) -> None:
    assert parse_away(words, THURSDAY_1400, SHANGHAI, EIGHT) == until


@pytest.mark.parametrize(
    ("words", "at", "until"),
    [
        # before 04:00 "tomorrow" is the coming day, but never a time already gone
        ("明天 01:00", local(27, 3), local(28, 1)),
        ("明天 01:00", local(27, 3, 30), local(28, 1)),
        ("明天 03:00", local(27, 3), local(28, 3)),  # now is not later
        ("明天 03:00", local(27, 3, 30), local(28, 3)),
        ("tomorrow 1am", local(27, 3), local(28, 1)),
        # a bare 3点 on the coming day: its 03:00 has gone, so its 15:00
        ("明天 3点", local(27, 3), local(27, 15)),
        ("明天 3点", local(27, 3, 30), local(27, 15)),
        ("明天 8点", local(27, 3), local(27, 8)),  # the coming morning, as before
        ("聽日 8點", local(27, 3, 30), local(27, 8)),
        ("凌晨2点", local(27, 3), local(28, 2)),
        ("今晚1点", local(27, 0, 30), local(27, 1)),  # half an hour from now
        ("今晚8点", local(27, 3), local(27, 20)),
        ("今天 3点", local(27, 3, 30), local(27, 15)),
        ("今天 03:00", local(27, 3, 30), local(28, 3)),
    ],
)
def test_after_midnight_a_named_time_is_never_in_the_past(
    words: str, at: datetime, until: datetime
) -> None:
    found = parse_away(words, at, SHANGHAI, EIGHT)
    assert found == until
    assert isinstance(found, datetime) and found > at


@pytest.mark.parametrize("at", [local(27, 3), local(27, 3, 30)])
def test_after_midnight_a_morning_already_gone_is_the_next_one(at: datetime) -> None:
    """With the handover at 03:00, "明天" typed at 03:00 or 03:30 is not back at once."""
    wish = parse_away("明天", at, SHANGHAI, time(3, 0))
    assert wish == NextShift(day_start=local(27, 0), morning=local(28, 3))


@pytest.mark.parametrize(
    "words", ["今晚", "tonight", "今天", "明天早上", "tomorrow morning", "聽朝", "今晚 "]
)
def test_tonight_and_tomorrow_morning_are_the_next_shift_or_the_morning(words: str) -> None:
    """/away 今晚: not taking cases tonight, so back with the next shift or morning."""
    wish = parse_away(words, THURSDAY_1400, SHANGHAI, EIGHT)
    assert wish == NextShift(day_start=local(27, 0), morning=local(27, 8))
    assert parse_away(words, local(27, 1), SHANGHAI, EIGHT) == wish  # still that night


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


@pytest.mark.parametrize(
    "words",
    [
        *("soon", "下周", "0h", "0小时", "99天", "25:00", "明天 25点", "8", "8点70"),
        *("下午", "明晚", "明天下午", "上午15点", "傍晚2点", "小时", "2半小时", "2000h"),
        *("半个半小时", "百分钟", "at 2h"),
    ],
)
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


async def test_after_midnight_tomorrow_one_oclock_is_not_two_hours_ago(
    config_path: Path,
) -> None:
    """At 03:00, at the end of a night, she writes "明天 01:00": she is away until
    01:00 the next night, not back on duty at once under a confirmation of an hour
    already gone. Her colleague in Macau writes "兩個鐘" and "下午6點"."""
    clock = FakeClock(local(27, 3))  # Friday, 03:00; the team has no rota
    async with world(config_path, clock=clock) as w:
        s = await station(w, {"李娜": (), "陳敏": ()})
        li, chan = s.workers["李娜"], s.workers["陳敏"]
        await li.send("/language")
        await li.tap("简体中文")
        await li.send("/away 明天 01:00")
        assert li.last.plain == "你在 2026-11-28 01:00 之前暂停接案，期间不会收到新的转介。"
        await chan.send("/language")
        await chan.tap("繁體中文")
        await chan.send("/away 兩個鐘")
        assert chan.last.plain == "你在 2026-11-27 05:00 之前暫停接案，期間不會收到新轉介。"
        await chan.send("/away 下午6點")
        assert chan.last.plain == "你在 2026-11-27 18:00 之前暫停接案，期間不會收到新轉介。"
        clock.advance(timedelta(minutes=30))  # 03:30: she is away
        night = await file(w, draft("family_dispute", urgency=Urgency.URGENT))
        assert not any(night.ref in t for t in li.texts)
        clock.advance(local(28, 1, 1) - clock.now())  # the next night, 01:01: back
        later = await file(w, draft("family_dispute", urgency=Urgency.URGENT))
        assert sum(t.startswith(f"新转介\n{later.ref}") for t in li.texts) == 1


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
            "抱歉，没看懂“下周”。可以这样写：/away 2小时、/away 下午6点、/away 明天、"
            "/away 明天 08:00。只发 /away：暂停接案，直到你发送 /available。"
        )
        await li.send("/away 2 小时")
        assert li.last.plain.startswith("你在 2026-11-26 16:00 之前暂停接案")


@pytest.mark.parametrize("language", available_languages())
def test_every_example_in_the_answer_is_understood(language: str) -> None:
    """The examples a worker is shown, in her language, are words the parser takes."""
    text = Translator(language)(AWAY_EXAMPLES, words="x")
    examples = re.findall(r"/away ([^,、。]+?)(?=[,、。]|\. | or )", text)
    assert len(examples) == 4, examples
    for words in examples:
        parse_away(words, THURSDAY_1400, SHANGHAI, EIGHT)
