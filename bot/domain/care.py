"""Care for the workers: which cases call for a debrief, and which acceptances were
night call-outs.

The source documents on burnout (issue 16) ask for debriefing after a critical incident
and for night duty shared fairly; both rest on facts the bot already keeps (the safety
screen, the time of each acceptance), so they are decided here, purely.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.referral import Safety

# Safety answers after which a coordinator offers the worker a debrief.
CRITICAL = frozenset({Safety.WEAPON_OR_INJURY, Safety.SELF_HARM, Safety.CHILD_AT_RISK})
REST_UNTIL = time(12, 0)  # "away until 12:00 tomorrow" after a night call-out


def critical(safety: Iterable[Safety]) -> frozenset[Safety]:
    """The critical answers among ``safety`` (empty: no debrief is called for)."""
    return CRITICAL & frozenset(safety)


def is_night(at: datetime, zone: ZoneInfo, starts: time, ends: time) -> bool:
    """Whether ``at`` falls between ``starts`` and ``ends`` local time (the night
    crosses midnight when ``starts`` is later than ``ends``)."""
    local = at.astimezone(zone).time()
    if starts <= ends:
        return starts <= local < ends
    return local >= starts or local < ends


def month_start(now: datetime, zone: ZoneInfo) -> datetime:
    """The first moment of ``now``'s month, local time."""
    local = now.astimezone(zone)
    return datetime(local.year, local.month, 1, tzinfo=zone)


def night_counts(
    acceptances: Iterable[tuple[int, datetime]], zone: ZoneInfo, starts: time, ends: time
) -> dict[int, int]:
    """Night call-outs per worker id, from (worker id, accepted at) pairs."""
    counts: dict[int, int] = {}
    for worker_id, at in acceptances:
        if is_night(at, zone, starts, ends):
            counts[worker_id] = counts.get(worker_id, 0) + 1
    return counts


def rest_until(now: datetime, zone: ZoneInfo) -> datetime:
    """Noon after a night call-out: today's if the call-out was after midnight,
    otherwise tomorrow's."""
    local = now.astimezone(zone)
    day = local.date() if local.time() < REST_UNTIL else local.date() + timedelta(days=1)
    return datetime.combine(day, REST_UNTIL, tzinfo=zone)
