"""Care for the workers: which cases call for a debrief, and which moments a worker
took on a case were night call-outs.

The source documents on burnout (issue 16) ask for debriefing after a critical incident
and for night duty shared fairly; both rest on facts the bot already keeps (the safety
screen, the time of each acceptance), so they are decided here, purely.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
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


def night_of(at: datetime, zone: ZoneInfo, starts: time, ends: time) -> date | None:
    """The local date the night containing ``at`` began on (None: ``at`` is by day), so
    a call-out at 01:00 and one at 23:00 the evening before are the same night."""
    if not is_night(at, zone, starts, ends):
        return None
    local = at.astimezone(zone)
    after_midnight = starts > ends and local.time() < ends
    return local.date() - timedelta(days=1) if after_midnight else local.date()


def night_counts(
    takings: Iterable[tuple[int, int, datetime]], zone: ZoneInfo, starts: time, ends: time
) -> dict[int, int]:
    """Night call-outs per worker id, from (worker id, case id, when) of each moment a
    worker became responsible for a case: accepted it, confirmed an assignment, took it
    over. Each (worker, case, night) counts once: one night's case is one call-out, how
    many records say so (an accepted offer is also a status change) or however often
    it came back to the same worker that night."""
    seen: set[tuple[int, int, date]] = set()
    for worker_id, case_id, at in takings:
        night = night_of(at, zone, starts, ends)
        if night is not None:
            seen.add((worker_id, case_id, night))
    counts: dict[int, int] = {}
    for worker_id, _, _ in seen:
        counts[worker_id] = counts.get(worker_id, 0) + 1
    return counts


def rest_until(now: datetime, zone: ZoneInfo) -> datetime:
    """Noon after a night call-out: today's if the call-out was after midnight,
    otherwise tomorrow's."""
    local = now.astimezone(zone)
    day = local.date() if local.time() < REST_UNTIL else local.date() + timedelta(days=1)
    return datetime.combine(day, REST_UNTIL, tzinfo=zone)
