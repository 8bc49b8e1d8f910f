"""Enrolment: invites are made by admins and redeemed once by the person they are for.

Every failed try is written to the audit log, which is also what limits a person to
five failed tries an hour: the count survives restarts and needs no extra table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain import invite as invite_rules
from bot.domain.invite import Scope
from bot.domain.people import Person, Role
from bot.services import Services
from storage import audit, directory, invites, people


class InviteProblem(StrEnum):
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    TOO_MANY_TRIES = "too_many_tries"


@dataclass(frozen=True)
class IssuedInvite:
    code: str
    role: Role
    station_id: str | None
    team_id: str | None
    expires_at: datetime


@dataclass(frozen=True)
class Redeemed:
    person: Person
    role: Role


@dataclass(frozen=True)
class Refused:
    problem: InviteProblem


async def create_invite(
    services: Services,
    scope: Scope,
    *,
    lifetime: timedelta = invite_rules.DEFAULT_LIFETIME,
    display_name: str | None = None,
    created_by: Person | None = None,
) -> IssuedInvite:
    """Make a one-time code; raises ScopeError for a role/scope that does not fit."""
    scope.check()
    now = services.clock.now()
    code = invite_rules.new_code()
    async with services.db.write() as tx:
        if scope.station_id and scope.station_id not in await directory.active_ids(tx, "stations"):
            raise invite_rules.ScopeError(f"unknown station {scope.station_id!r}")
        if scope.team_id and scope.team_id not in await directory.active_ids(tx, "teams"):
            raise invite_rules.ScopeError(f"unknown team {scope.team_id!r}")
        await invites.insert(
            tx,
            code_hash=invite_rules.code_hash(code),
            role=scope.role,
            station_id=scope.station_id,
            team_id=scope.team_id,
            display_name=display_name,
            created_by=created_by.id if created_by else None,
            now=now,
            expires_at=now + lifetime,
        )
        await audit.record(
            tx,
            now=now,
            action="invite.created",
            actor_person_id=created_by.id if created_by else None,
            actor_telegram_id=created_by.telegram_id if created_by else None,
            detail=f"role={scope.role.value} station={scope.station_id} team={scope.team_id}",
        )
    return IssuedInvite(code, scope.role, scope.station_id, scope.team_id, now + lifetime)


async def redeem(
    services: Services,
    *,
    telegram_id: int,
    telegram_name: str,
    language: str | None,
    code: str,
) -> Redeemed | Refused:
    """Enrol the person behind ``telegram_id`` with the invite's role, or say why not."""
    now = services.clock.now()
    async with services.db.write() as tx:
        failed = await audit.count_since(
            tx,
            actor_telegram_id=telegram_id,
            action="invite.failed",
            since=now - timedelta(hours=1),
        )
        if failed >= invite_rules.MAX_FAILED_TRIES_PER_HOUR:
            await audit.record(
                tx, now=now, action="invite.throttled", actor_telegram_id=telegram_id
            )
            return Refused(InviteProblem.TOO_MANY_TRIES)

        stored = await invites.by_hash(tx, invite_rules.code_hash(code))
        problem = None
        if stored is None:
            problem = InviteProblem.UNKNOWN
        elif stored.used_at is not None:
            problem = InviteProblem.USED
        elif stored.expires_at <= now:
            problem = InviteProblem.EXPIRED
        if problem is not None or stored is None:
            await audit.record(
                tx,
                now=now,
                action="invite.failed",
                actor_telegram_id=telegram_id,
                detail=(problem or InviteProblem.UNKNOWN).value,
            )
            return Refused(problem or InviteProblem.UNKNOWN)

        existing = await people.by_telegram_id(tx, telegram_id)
        if existing is None:
            person_id = await people.insert(
                tx,
                telegram_id=telegram_id,
                display_name=stored.display_name or telegram_name,
                language=language,
                now=now,
            )
        else:
            person_id = existing.id
            if stored.display_name:
                await people.set_display_name(tx, person_id, stored.display_name, now)
        await people.grant(
            tx,
            person_id,
            stored.role,
            station_id=stored.station_id,
            team_id=stored.team_id,
            now=now,
        )
        await invites.mark_used(tx, stored.id, person_id, now)
        await audit.record(
            tx,
            now=now,
            action="invite.redeemed",
            actor_telegram_id=telegram_id,
            actor_person_id=person_id,
            detail=f"role={stored.role.value}",
        )
        person = await people.by_telegram_id(tx, telegram_id)
    assert person is not None
    return Redeemed(person, stored.role)


async def bootstrap_admin(
    services: Services, *, telegram_id: int, telegram_name: str, language: str | None
) -> Person | None:
    """Enrol a configured admin on first contact, so a new deployment has someone to invite."""
    if telegram_id not in services.config.admins:
        return None
    now = services.clock.now()
    async with services.db.write() as tx:
        person = await people.by_telegram_id(tx, telegram_id)
        if person is None:
            person_id = await people.insert(
                tx, telegram_id=telegram_id, display_name=telegram_name, language=language, now=now
            )
        else:
            person_id = person.id
        await people.grant(tx, person_id, Role.ADMIN, station_id=None, team_id=None, now=now)
        await audit.record(
            tx,
            now=now,
            action="admin.bootstrap",
            actor_telegram_id=telegram_id,
            actor_person_id=person_id,
        )
        return await people.by_telegram_id(tx, telegram_id)
