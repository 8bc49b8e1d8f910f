"""The evening check: will tonight have somebody on duty for every team, and a coordinator?

Sent to coordinators at ``gap_warning_at`` (17:00 by default), while there is still
time to ask someone to cover. Hours are checked one by one through the night, in the
deployment's time zone, against the rota and its overrides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.people import Person, Role
from bot.services import Services, outbox, rota
from bot.services.handover import all_coordinators, stations_of
from bot.services.notices import Notice, NoticeKind
from storage import people

STEP = timedelta(minutes=15)


@dataclass(frozen=True)
class Gap:
    """From ``start`` to ``end`` nobody is on duty: for ``team_id``, or (None) no coordinator."""

    team_id: str | None
    start: datetime
    end: datetime


def tonight(services: Services, now: datetime) -> tuple[datetime, datetime]:
    zone, settings = services.config.zone, services.config.coordination
    local = now.astimezone(zone)
    start = datetime.combine(local.date(), settings.clock_time(settings.night_starts), tzinfo=zone)
    end = datetime.combine(
        local.date() + timedelta(days=1), settings.clock_time(settings.handover_at), tzinfo=zone
    )
    return start, end


async def gaps(services: Services, coordinator: Person) -> list[Gap]:
    """Tonight's uncovered hours for the teams this coordinator covers, and for coordinators."""
    start, end = tonight(services, services.clock.now())
    stations = set(stations_of(services, coordinator))
    teams = [t.id for t in services.config.teams if stations & set(t.stations)]
    found: list[Gap] = []
    for team_id, role in [*((t, Role.SOCIAL_WORKER) for t in teams), (None, Role.COORDINATOR)]:
        found += await _uncovered(services, team_id, role, start, end)
    return found


async def _uncovered(
    services: Services, team_id: str | None, role: Role, start: datetime, end: datetime
) -> list[Gap]:
    """Spans with nobody reachable on duty, checked every :data:`STEP` through the night,
    by the same rule routing uses (rota and covers, /available, /away, blocked, inactive)."""
    if team_id is None:
        staff = await all_coordinators(services)
    else:
        staff = [p for p, _ in await people.workers_of_team(services.db.reader, team_id)]
    staff = [p for p in staff if p.active and p.reachable]
    gaps: list[Gap] = []
    moment = start
    while moment < end:
        shift = await rota.on_duty(services, team_id=team_id, role=role, at=moment)
        nobody = not any(p.on_duty(shift, moment) for p in staff)
        step_end = min(moment + STEP, end)
        if nobody and gaps and gaps[-1].end == moment:
            gaps[-1] = Gap(team_id, gaps[-1].start, step_end)
        elif nobody:
            gaps.append(Gap(team_id, moment, step_end))
        moment = step_end
    return gaps


async def evening(services: Services) -> list[Notice]:
    """A warning to each coordinator who has a gap tonight (none when all is covered)."""
    notices = [
        Notice(NoticeKind.GAP_WARNING, person, None)
        for person in await all_coordinators(services)
        if await gaps(services, person)
    ]
    async with services.db.write() as tx:
        return await outbox.enqueue(tx, services, notices)
