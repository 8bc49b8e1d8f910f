"""What a worker means by the words after /away, in English or in Chinese. Pure.

Understood (spaces optional, full-width digits and colons too; case ignored):

- a clock time, ``08:00``, ``8:30``, ``8点``, ``8点30``, ``8点半`` (and ``8點半``): the
  next time the clock shows it;
- a span from now: ``2h``, ``2 hours``, ``2小时``, ``2 个小时``; ``90m``, ``30分钟``;
  ``2d``, ``3 days``, ``2天``; the Traditional forms too (``2小時``, ``30分鐘``, ``2日``,
  Cantonese ``2個鐘``);
- ``tomorrow``, ``明天``, ``明早`` (Cantonese ``聽日``, ``聽朝``): until the person's next
  shift that starts tomorrow or later, or, with no rota putting them on, tomorrow morning
  (see :class:`NextShift`);
- ``tomorrow 08:00``, ``明天 8点``, ``明早8点半``: that time tomorrow.

"Tomorrow" is the next day for someone still up after midnight: before
:data:`DAY_TURNS` (04:00) a worker at the end of a night who writes "明天" means the
coming morning, not the one after it. "Morning" is the coordinators' handover time
(``coordination.handover_at``, 08:00 unless configured): the moment the day's work
starts over in this deployment, rather than midnight, which put a worker with no rota
back on duty at 00:00.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY_TURNS = timedelta(hours=4)  # before 04:00, "tomorrow" is the coming morning
MAX_DAYS = 60  # longer absences are /away without a time, ended by /available

_TOMORROW = r"(?:tomorrow|明天|明日|明早|明天早上|聽日|听日|聽朝)"
_CLOCK = r"(?:([01]?\d|2[0-3]):([0-5]\d)|([01]?\d|2[0-3])[点點](?:([0-5]?\d)分?|(半))?)"
_HOURS = ("h", "hr", "hrs", "hour", "hours", "小时", "个小时", "钟头", "个钟头")
_HOURS_HANT = ("小時", "個小時", "鐘頭", "個鐘頭", "個鐘")  # Traditional, and Cantonese "2個鐘"
_MINUTES = ("m", "min", "mins", "minute", "minutes", "分钟", "分鐘", "分")
_DAYS = ("d", "day", "days", "天", "日")
_SPAN = re.compile(r"(\d{1,3})\s*([a-z]+|[\u4e00-\u9fff]+)")


@dataclass(frozen=True)
class NextShift:
    """ "Tomorrow" without a time: back when the person's next shift starts, at or after
    ``day_start`` (the local midnight beginning tomorrow), or at ``morning`` when no
    rota puts them on; the service looks the shift up."""

    day_start: datetime  # UTC
    morning: datetime  # UTC


def parse_away(text: str, now: datetime, zone: ZoneInfo, morning: time) -> datetime | NextShift:
    """The moment (UTC) the words after /away end the absence, or :class:`NextShift`.

    Raises:
        ValueError: words this does not understand (the handler answers with examples).
    """
    words = " ".join(unicodedata.normalize("NFKC", text).lower().split())
    local = now.astimezone(zone)
    tomorrow = (local - DAY_TURNS).date() + timedelta(days=1)
    if re.fullmatch(_TOMORROW, words):
        return NextShift(_at(tomorrow, time(0), zone), _at(tomorrow, morning, zone))
    found = re.fullmatch(_TOMORROW + r"\s*" + _CLOCK, words)
    if found:
        return _at(tomorrow, _clock(found.groups()), zone)
    found = re.fullmatch(_CLOCK, words)
    if found:
        clock = _clock(found.groups())
        at = _at(local.date(), clock, zone)
        return at if at > now else _at(local.date() + timedelta(days=1), clock, zone)
    found = _SPAN.fullmatch(words)
    if found and int(found[1]) > 0:
        amount, unit = int(found[1]), found[2]
        if unit in _HOURS or unit in _HOURS_HANT:
            return now + timedelta(hours=amount)
        if unit in _MINUTES:
            return now + timedelta(minutes=amount)
        if unit in _DAYS and amount <= MAX_DAYS:
            return now + timedelta(days=amount)
    raise ValueError(text)


def _clock(groups: tuple[str | None, ...]) -> time:
    """``08:30`` or ``8点30``/``8点半`` from :data:`_CLOCK`'s groups."""
    hour, minute, dian_hour, dian_minute, half = groups
    if hour is not None:
        return time(int(hour), int(minute or 0))
    assert dian_hour is not None
    return time(int(dian_hour), 30 if half else int(dian_minute or 0))


def _at(day: date, at: time, zone: ZoneInfo) -> datetime:
    """A local wall-clock time on ``day`` as UTC."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
