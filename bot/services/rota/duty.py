"""Who is on duty: now, on the next shift, and what /oncall shows for a team.

The weekly rules live in the database (``referral-bot rota import``) and are evaluated
with the pure :mod:`bot.domain.rota` in the deployment's zone, so a night shift crosses
midnight and a shift across a daylight-saving change keeps its wall-clock times; the
overrides (covers) active at that instant are applied on top.

A team or role with no weekly rule at all has *no rota yet*: :func:`on_duty` then says
``None`` rather than "nobody", so callers fall back to the people's /available flags
instead of leaving every referral unanswered in a deployment that has not imported one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain import rota as rules
from bot.domain.away import NextShift
from bot.domain.people import Person, Role
from bot.domain.rota import Reach
from bot.services import Services
from storage import people, rota
from storage.db import Conn

ROTA_ROLES = (Role.SOCIAL_WORKER, Role.COORDINATOR)
_INSTANT = timedelta(microseconds=1)


async def on_duty(
    services: Services,
    *,
    team_id: str | None,
    role: Role,
    at: datetime,
    conn: Conn | None = None,
) -> frozenset[int] | None:
    """Person ids on duty at ``at`` in the rota of ``team_id`` (None: the coordinators'
    overnight rota) and ``role``, overrides applied; None when that rota has no weekly
    rule at all. ``conn`` lets a caller read inside its own write transaction."""
    conn = conn or services.db.reader
    found = await rota.rules_for(conn, team_id=team_id, role=role)
    if not found:
        return None
    return await _evaluate(conn, services.config.zone, found, at, team_id, role)


async def next_shift(
    services: Services,
    *,
    team_id: str | None,
    role: Role,
    after: datetime,
    conn: Conn | None = None,
) -> tuple[datetime, frozenset[int]] | None:
    """When the next shift of that rota starts after ``after`` and who is on duty then
    (overrides included); None when the rota has no weekly rule."""
    conn = conn or services.db.reader
    found = await rota.rules_for(conn, team_id=team_id, role=role)
    zone = services.config.zone
    start = rules.next_start([rule.shift().window for rule in found], after, zone)
    if start is None:
        return None
    return start, await _evaluate(conn, zone, found, start, team_id, role)


async def _evaluate(
    conn: Conn,
    zone: ZoneInfo,
    found: list[rota.Rule],
    at: datetime,
    team_id: str | None,
    role: Role,
) -> frozenset[int]:
    """The weekly rules at ``at``, then the overrides active at that instant."""
    overrides = await rota.overrides_between(
        conn, team_id=team_id, role=role, start=at, end=at + _INSTANT
    )
    return rules.on_duty(
        [rule.shift() for rule in found], [o.override for o in overrides], at, zone
    )


async def coordinators_on_duty(
    services: Services, team_id: str | None, at: datetime
) -> list[Person]:
    """Coordinators of ``team_id`` (and of all stations) on duty at ``at``: on the
    coordinators' rota or marked /available, as escalation chooses them."""
    shift = await on_duty(services, team_id=None, role=Role.COORDINATOR, at=at)
    found = await people.coordinators_for(services.db.reader, team_id)
    return [person for person in found if person.on_duty(shift, at)]


@dataclass(frozen=True)
class Duty:
    """One team's workers now and next. ``rota`` False: the team has no rota yet, so
    ``now`` are those marked /available and there is no next shift."""

    rota: bool
    now: Reach
    next_at: datetime | None = None
    next_people: Reach = field(default_factory=Reach)


@dataclass(frozen=True)
class Board:
    """What /oncall shows for one team."""

    team_id: str
    workers: Duty
    coordinators: Reach
    # Every coordinator of the team (and of all stations), on duty or not: whom a
    # referral's last escalation reaches when none is on duty (an officer's /oncall).
    all_coordinators: Reach = field(default_factory=Reach)


def teams_of(services: Services, person: Person) -> list[str]:
    """The teams a person sees in /oncall: their own as a worker and those they
    coordinate (every team for a coordinator of all stations), in the config's order."""
    own = {person.team_id} | set(covered_teams(services, person))
    return [team.id for team in services.config.teams if team.id in own]


def covered_teams(services: Services, coordinator: Person) -> list[str]:
    """The teams whose workers' rota ``coordinator`` may change with /cover."""
    return [team.id for team in services.config.teams if may_cover(coordinator, team.id)]


def may_cover(coordinator: Person, team_id: str | None) -> bool:
    """Whether ``coordinator`` may change a rota with /cover: the workers' rota of their
    own team (a coordinator of all stations: of every team), and the coordinators'
    shared rota (``team_id`` None), which every coordinator may change: they are all
    on it and swap nights among themselves."""
    scope = coordinator.scope(Role.COORDINATOR)
    if scope is None:
        return False
    return team_id is None or scope.all_stations or scope.team_id == team_id


async def boards(services: Services, person: Person, at: datetime) -> list[Board]:
    """For /oncall: each of the person's teams with its workers on duty now and on the
    next shift, and the coordinators on duty now."""
    found = []
    for team_id in teams_of(services, person):
        coordinators = Reach.of(await coordinators_on_duty(services, team_id, at))
        found.append(Board(team_id, await _duty(services, team_id, at), coordinators))
    return found


async def station_board(services: Services, station_id: str, at: datetime) -> Board | None:
    """For an officer's /oncall: the team covering ``station_id`` with its workers on
    duty now (and next), the coordinators on duty for it now and all its coordinators;
    None when no team covers the station."""
    team = services.config.team_of(station_id)
    if team is None:
        return None
    coordinators = Reach.of(await coordinators_on_duty(services, team.id, at))
    everyone = Reach.of(await people.coordinators_for(services.db.reader, team.id))
    return Board(team.id, await _duty(services, team.id, at), coordinators, everyone)


async def _duty(services: Services, team_id: str, at: datetime) -> Duty:
    shift = await on_duty(services, team_id=team_id, role=Role.SOCIAL_WORKER, at=at)
    workers = await team_workers(services, team_id)
    now = Reach.of(w for w in workers if w.on_duty(shift, at))
    if shift is None:
        return Duty(False, now)
    upcoming = await next_shift(services, team_id=team_id, role=Role.SOCIAL_WORKER, after=at)
    if upcoming is None:
        return Duty(True, now)
    start, ids = upcoming
    return Duty(True, now, start, Reach.of(w for w in workers if w.id in ids))


async def team_workers(services: Services, team_id: str) -> list[Person]:
    """The team's active social workers by name (those /cover offers to choose from)."""
    workers = await people.workers_of_team(services.db.reader, team_id)
    return sorted((p for p, _ in workers if p.active), key=lambda p: (p.display_name, p.id))


async def rota_members(services: Services, team_id: str | None) -> list[Person]:
    """The active people of one rota by name: a team's social workers, or (``team_id``
    None) every coordinator, of a team or of all stations, who share one rota."""
    if team_id is not None:
        return await team_workers(services, team_id)
    everyone = await people.all_active(services.db.reader)
    found = (p for p in everyone if p.scope(Role.COORDINATOR) is not None)
    return sorted(found, key=lambda p: (p.display_name, p.id))


async def roster(
    services: Services, team_id: str | None, at: datetime
) -> list[tuple[Person, bool]]:
    """:func:`rota_members` of that rota, each with whether they are on duty at ``at``
    (the rota, /available and /away together, as routing sees it)."""
    role = Role.SOCIAL_WORKER if team_id is not None else Role.COORDINATOR
    shift = await on_duty(services, team_id=team_id, role=role, at=at)
    return [(p, p.on_duty(shift, at)) for p in await rota_members(services, team_id)]


async def find_person(services: Services, person_id: int) -> Person | None:
    return await people.by_id(services.db.reader, person_id)


def rota_team(person: Person, role: Role) -> str | None:
    """Whose rota a person is on in ``role``: their team's as a worker; coordinators
    share one rota (None)."""
    return person.team_id if role is Role.SOCIAL_WORKER else None


async def back_from_away(services: Services, person: Person, wish: NextShift) -> datetime | None:
    """When "/away tomorrow" ends: the start of the person's own next shift at or after
    ``wish.day_start`` (their team's workers' rota, or the coordinators' rota, whichever
    comes first). None if no rota puts them on within a fortnight: the handler then
    takes ``wish.morning``."""
    now = services.clock.now()
    found: list[datetime] = []
    for role in ROTA_ROLES:
        if not person.has(role):
            continue
        team_id = rota_team(person, role)
        if role is Role.SOCIAL_WORKER and team_id is None:
            continue
        after = max(now, wish.day_start - _INSTANT)
        for _ in range(_STARTS_LOOKED_AT):
            upcoming = await next_shift(services, team_id=team_id, role=role, after=after)
            if upcoming is None or upcoming[0] - wish.day_start > _FORTNIGHT:
                break
            if person.id in upcoming[1]:
                found.append(upcoming[0])
                break
            after = upcoming[0]
    return min(found, default=None)


_STARTS_LOOKED_AT = 60  # shift starts read before giving up (a rota that never has them)
_FORTNIGHT = timedelta(days=14)
