"""What a worker means by the words after /away, in English or in Chinese. Pure.

Understood (spaces optional, full-width digits and colons too; case ignored; Chinese
numerals 一 to 九十九 and 两/兩 wherever a number goes):

- a clock time: ``08:00``, ``8:30`` (a colon means the 24-hour clock); ``8点``,
  ``8点30``, ``8点半``, ``8点钟`` (and ``8點半``, ``八點``); ``8pm``, ``8:30 am``: the next
  time the clock shows it;
- a part of the day before it: ``上午``/``早上``/``早``/``朝早``, ``凌晨``, ``中午``,
  ``下午``/``晏晝``, ``傍晚``/``黄昏``, ``晚上``/``夜晚``/``夜里``: ``下午6点`` is 18:00,
  ``晚上12点`` midnight (see :data:`_PERIODS`);
- a bare ``N点`` (no part of the day, N from 1 to 12) is whichever of N:00 and
  (N+12):00 comes first: "6点" at 14:00 is 18:00, as a Chinese speaker means it in the
  afternoon; ``18点`` and ``08:00`` are what they say;
- a span from now: ``2h``, ``1.5 hours``, ``2小时``, ``两个小时``, ``半小时``,
  ``一个半小时``; ``90m``, ``30分钟``; ``2d``, ``3 days``, ``2天``; the Traditional and
  Cantonese forms too (``兩小時``, ``2個鐘``, ``半個鐘``, ``個半鐘``, ``30分鐘``, ``2日``);
- ``tomorrow``, ``明天``, ``明早``, ``明天早上`` (Cantonese ``聽日``, ``聽朝``), and
  ``今晚``/``tonight`` or ``今天``/``today`` on its own: until the person's next shift
  that starts tomorrow or later, or, with no rota putting them on, tomorrow morning
  (see :class:`NextShift`).
  "Away tonight" (or "today") said at any hour means "I am not taking cases until the
  morning", so it is read as "tomorrow" rather than refused or guessed as a time;
- ``tomorrow 08:00``, ``明天 8点``, ``明早8点半``, ``明天下午3点``, ``明晚8点``,
  ``今晚11点``, ``今天下午6点``, ``8am tomorrow``: that time on that day (the small hours
  after an evening, ``明晚12点``, on the date after).

"Tomorrow" is the next day for someone still up after midnight: before
:data:`DAY_TURNS` (04:00) a worker at the end of a night who writes "明天" means the
coming morning, not the one after it. A named time on that day that has already gone
("明天 01:00" typed at 03:00) is the next one, tomorrow's 01:00: the bot never confirms
an absence that ended before it began. "Morning" is the coordinators' handover time
(``coordination.handover_at``, 08:00 unless configured): the moment the day's work
starts over in this deployment, rather than midnight, which put a worker with no rota
back on duty at 00:00; the next handover, if today's has gone.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

T = TypeVar("T")

DAY_TURNS = timedelta(hours=4)  # before 04:00, "tomorrow" is the coming morning
MAX_DAYS = 60  # longer absences are /away without a time, ended by /available

# The hours (24-hour clock) a part of the day can mean, in the order the day runs, so
# an hour smaller than the first ("晚上1点") belongs to the following date.
_MORNING = tuple(range(0, 12))
_SMALL_HOURS = tuple(range(0, 6))
_NOON = (11, 12, 13)
_AFTERNOON = tuple(range(12, 20))
_PM = tuple(range(12, 24))
_DUSK = tuple(range(16, 20))
_EVENING = (*range(17, 24), 0, 1, 2)

_PERIODS: dict[str, tuple[int, ...]] = {
    **dict.fromkeys(("上午", "早上", "早晨", "早", "朝早", "morning"), _MORNING),
    **dict.fromkeys(("凌晨",), _SMALL_HOURS),
    **dict.fromkeys(("中午",), _NOON),
    **dict.fromkeys(("下午", "晏晝", "晏昼", "afternoon"), _AFTERNOON),
    **dict.fromkeys(("傍晚", "黄昏", "黃昏"), _DUSK),
    **dict.fromkeys(("晚上", "夜晚", "夜里", "夜裡", "evening"), _EVENING),
}
_SUFFIXES = {"am": _MORNING, "a.m.": _MORNING, "pm": _PM, "p.m.": _PM}


@dataclass(frozen=True)
class _Day:
    """A word naming a day: how many days after the worker's today (which runs to
    :data:`DAY_TURNS`), and the part of the day it names, if any."""

    after: int
    period: tuple[int, ...] | None = None


_TOMORROW = _Day(1)
_DAYS_NAMED: dict[str, _Day] = {
    **dict.fromkeys(("tomorrow", "明天", "明日", "聽日", "听日"), _TOMORROW),
    **dict.fromkeys(("明早", "聽朝", "听朝"), _Day(1, _MORNING)),
    **dict.fromkeys(("明晚", "聽晚", "听晚"), _Day(1, _EVENING)),
    **dict.fromkeys(("今晚", "tonight"), _Day(0, _EVENING)),
    **dict.fromkeys(("今天", "今日", "today"), _Day(0)),
}

_HOUR = timedelta(hours=1)
_UNITS: dict[str, timedelta] = {
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), _HOUR),
    **dict.fromkeys(("小时", "小時", "钟头", "鐘頭", "钟", "鐘"), _HOUR),  # 2个钟, 2個鐘
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes", "分钟", "分鐘", "分"), _HOUR / 60),
    **dict.fromkeys(("d", "day", "days", "天", "日"), timedelta(days=1)),
}

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4}
_DIGITS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUMBER = r"[0-9]{1,3}|[零〇一二两兩三四五六七八九十]{1,3}"
_PARTS = {"半": 30, "一刻": 15, "三刻": 45}  # of an hour, after 点: 8点半, 8点一刻

_DIAN = re.compile(
    rf"(?P<hour>{_NUMBER})\s*[点點](?:钟|鐘)?"
    rf"(?:\s*(?P<minute>{_NUMBER})\s*分?|\s*(?P<part>半|一刻|三刻))?"
)
_COLON = re.compile(r"(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})")
_HOUR_ONLY = re.compile(r"(?P<hour>[0-9]{1,2})")  # only with am/pm: 8pm
_SPAN = re.compile(
    rf"(?P<amount>[0-9]{{1,3}}(?:\.[0-9]+)?|{_NUMBER}|半)?\s*(?P<measure>[个個])?"
    r"\s*(?P<half>半)?\s*(?P<unit>[a-z]+|[\u4e00-\u9fff]+)"
)


@dataclass(frozen=True)
class NextShift:
    """ "Tomorrow" without a time: back when the person's next shift starts, at or after
    ``day_start`` (the local midnight beginning tomorrow), or at ``morning`` when no
    rota puts them on; the service looks the shift up."""

    day_start: datetime  # UTC
    morning: datetime  # UTC, always after the moment it was asked


def parse_away(text: str, now: datetime, zone: ZoneInfo, morning: time) -> datetime | NextShift:
    """The moment (UTC) the words after /away end the absence, or :class:`NextShift`.

    Raises:
        ValueError: words this does not understand (the handler answers with examples).
    """
    words = " ".join(unicodedata.normalize("NFKC", text).lower().split())
    local = now.astimezone(zone)
    day, rest = _take_day(words)
    period, rest = _take(rest, _PERIODS)
    rest = rest.removeprefix("at ").strip()
    if period is None and day is not None:
        period = day.period  # 明早, 明晚, 今晚: unless a time says otherwise ("tonight 1am")
    if not rest:  # a day alone: 明天, 明早, 今晚, today; not 明晚 or 下午, which need a time
        if day is None or (day.after and period not in (None, _MORNING)):
            raise ValueError(text)
        tomorrow = (local - DAY_TURNS).date() + timedelta(days=1)
        return NextShift(_at(tomorrow, time(0), zone), _next(tomorrow, morning, now, zone))
    clock = _clock(rest, period)
    if clock is None:
        if day is not None or period is not None or rest != words:
            raise ValueError(text)  # "明天 2h", "at 2h": a span has no day or hour
        return _span(rest, now, text)
    hours, minute, period = clock
    if day is None:
        return min(_next(local.date(), time(h, minute), now, zone) for h in hours)
    base = (local - DAY_TURNS).date() + timedelta(days=day.after)
    late = period[0] if period else 0  # an hour before this is the next date's
    return min(
        _next(base + timedelta(days=int(h < late)), time(h, minute), now, zone) for h in hours
    )


def _take_day(words: str) -> tuple[_Day | None, str]:
    """The day named at the start ("明天 8点") or, in English, at the end ("8am
    tomorrow"), and the words left."""
    day, rest = _take(words, _DAYS_NAMED)
    if day is None:
        for word, named in _DAYS_NAMED.items():
            if word.isascii() and words.endswith(" " + word):
                return named, words.removesuffix(word).strip()
    return day, rest


def _take(words: str, table: Mapping[str, T]) -> tuple[T | None, str]:
    """The longest word of ``table`` that ``words`` start with, and what follows it."""
    for word in sorted(table, key=len, reverse=True):
        if words.startswith(word):
            return table[word], words.removeprefix(word).strip()
    return None, words


def _clock(
    words: str, period: tuple[int, ...] | None
) -> tuple[list[int], int, tuple[int, ...] | None] | None:
    """The hours ``words`` may mean (24-hour, one or two), the minute and the part of
    the day that chose them; None if the words are not a clock time."""
    suffix, words = _suffix(words)
    period = suffix or period  # "tonight 11pm"
    if found := _DIAN.fullmatch(words):
        hour, minute = _number(found["hour"]), _PARTS.get(found["part"] or "", 0)
        if found["minute"] is not None:
            minute = _number(found["minute"])
        twelve = period is None and 1 <= hour <= 12  # a bare 6点: 06:00 or 18:00
    elif (found := _COLON.fullmatch(words)) or (
        suffix is not None and (found := _HOUR_ONLY.fullmatch(words))
    ):
        hour, minute = int(found["hour"]), int(found.groupdict().get("minute") or 0)
        twelve = False  # 08:00 is the 24-hour clock
    else:
        return None
    if hour > 23 or minute > 59:
        raise ValueError(words)
    if period is not None:
        hours = [h for h in _meanings(hour) if h in period]
        if not hours:
            raise ValueError(words)  # "上午15点", "傍晚2点"
        return hours, minute, period
    return (_meanings(hour) if twelve else [hour]), minute, None


def _suffix(words: str) -> tuple[tuple[int, ...] | None, str]:
    """am or pm at the end ("8pm", "8:30 a.m."), and the words before it."""
    for word, period in _SUFFIXES.items():
        if words.endswith(word):
            return period, words.removesuffix(word).strip()
    return None, words


def _meanings(hour: int) -> list[int]:
    """The hours of a day an hour on a twelve-hour dial may be: 6 is 06:00 or 18:00, 12
    is midnight or noon; 18 is only 18:00."""
    return [hour % 12, hour % 12 + 12] if 1 <= hour <= 12 else [hour]


def _span(words: str, now: datetime, text: str) -> datetime:
    """``now`` plus a span: 2h, 两个小时, 半小时, 一个半小时, 個半鐘."""
    found = _SPAN.fullmatch(words)
    if not found or found["unit"] not in _UNITS:
        raise ValueError(text)
    amount, measure, half = found["amount"], found["measure"], found["half"]
    if amount is None and measure is None:
        raise ValueError(text)  # "小时" alone
    if half is not None and (measure is None or amount == "半"):
        raise ValueError(text)  # "2半小时", "半个半小时"
    count = 0.5 if amount == "半" else 1.0 if amount is None else _amount(amount)
    span = _UNITS[found["unit"]] * (count + (0.5 if half else 0))
    if not timedelta(0) < span <= timedelta(days=MAX_DAYS):
        raise ValueError(text)
    return now + span


def _amount(text: str) -> float:
    return float(text) if text[0].isascii() else _number(text)


def _number(text: str) -> int:
    """``8``, ``八``, ``十二``, ``二十五``, ``两``, ``零五`` as a number."""
    if text.isascii():
        return int(text)
    if len(text) > 1:
        text = text.lstrip("零〇")
    tens, ten, ones = text.partition("十")
    try:
        if not ten:
            return _DIGITS[text]
        return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[ones] if ones else 0)
    except KeyError:
        raise ValueError(text) from None


def _next(day: date, at: time, now: datetime, zone: ZoneInfo) -> datetime:
    """``at`` on ``day``, or on the first day after it when that moment is after
    ``now``: a time already gone is the next one, never an absence over before it began."""
    moment = _at(day, at, zone)
    while moment <= now:
        day += timedelta(days=1)
        moment = _at(day, at, zone)
    return moment


def _at(day: date, at: time, zone: ZoneInfo) -> datetime:
    """A local wall-clock time on ``day`` as UTC."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
