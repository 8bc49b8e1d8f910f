"""The morning handover: what came in overnight, and where each referral stands.

Every coordinator gets the stations they cover (all of them for an all-stations
coordinator): accepted (by whom, how long it took), held for the morning, or still
open. Only references and redacted fields: it may be read on a shared screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.people import Person, Role
from bot.domain.referral import Referral
from bot.services import Services, outbox
from bot.services.notices import Notice, NoticeKind
from storage import people, referrals


@dataclass(frozen=True)
class Night:
    start: datetime
    end: datetime


def last_night(services: Services, now: datetime) -> Night:
    """From ``night_starts`` yesterday (local) until ``now``."""
    zone, settings = services.config.zone, services.config.coordination
    local = now.astimezone(zone)
    starts = settings.clock_time(settings.night_starts)
    evening = datetime.combine(local.date() - timedelta(days=1), starts, tzinfo=zone)
    return Night(evening, now)


def stations_of(services: Services, coordinator: Person) -> list[str]:
    scope = coordinator.scope(Role.COORDINATOR)
    if scope is None:
        return []
    if scope.all_stations:
        return [s.id for s in services.config.stations]
    team = services.config.team(scope.team_id) if scope.team_id else None
    return list(team.stations) if team else []


async def morning(services: Services) -> list[Notice]:
    """One handover notice per coordinator (rendered from :func:`overnight` at send time)."""
    now = services.clock.now()
    night = last_night(services, now)
    notices = [
        Notice(
            NoticeKind.HANDOVER,
            person,
            None,
            values={"since": night.start.isoformat(), "until": night.end.isoformat()},
        )
        for person in await all_coordinators(services)
    ]
    async with services.db.write() as tx:
        return await outbox.enqueue(tx, services, notices)


async def all_coordinators(services: Services) -> list[Person]:
    """Every coordinator: those of each team and those covering all stations."""
    everyone = {p.id: p for p in await people.coordinators_for(services.db.reader, None)}
    for team in services.config.teams:
        for person in await people.coordinators_for(services.db.reader, team.id):
            everyone[person.id] = person
    return list(everyone.values())


async def overnight(services: Services, coordinator: Person, night: Night) -> list[Referral]:
    """Filed during the night, and any filed earlier that still nobody has accepted."""
    stations = stations_of(services, coordinator)
    filed = await referrals.filed_between(services.db.reader, night.start, night.end, stations)
    seen = {r.id for r in filed}
    waiting = [
        r
        for r in await referrals.waiting_at(services.db.reader, stations)
        if r.id not in seen and r.created_at < night.start
    ]
    return [*waiting, *filed]
