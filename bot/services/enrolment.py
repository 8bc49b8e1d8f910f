"""Enrolment: invites are made by admins and redeemed once by the person they are for.

Every failed try is written to the audit log, which is also what limits a person to
five failed tries an hour: the count survives restarts and needs no extra table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain import invite as invite_rules
from bot.domain.people import Person, Role, Scope, ScopeError
from bot.services import Services
from storage import audit, directory, invites, people
from storage.db import Conn

NAME_LIMIT = 64
_NEW_IN_CONFIG = " (if it is new in the config, run `referral-bot init-db` or restart the bot)"


class InviteProblem(StrEnum):
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    TOO_MANY_TRIES = "too_many_tries"


@dataclass(frozen=True)
class IssuedInvite:
    code: str
    scope: Scope
    expires_at: datetime


@dataclass(frozen=True)
class Redeemed:
    person: Person
    role: Role


@dataclass(frozen=True)
class Refused:
    problem: InviteProblem


def clean_name(name: str) -> str:
    """A display name fit for every message it will appear in."""
    return " ".join(name.split())[:NAME_LIMIT] or "?"


async def create_invite(
    services: Services,
    scope: Scope,
    *,
    lifetime: timedelta = invite_rules.DEFAULT_LIFETIME,
    display_name: str | None = None,
    created_by: Person | None = None,
    request_key: str | None = None,
) -> IssuedInvite | None:
    """Make a one-time code; None if ``request_key`` (the chat card) already made one.

    Raises ScopeError for a role/scope that does not fit and ValueError for a bad name.
    """
    scope.check()
    if display_name is not None and not 1 <= len(display_name.strip()) <= NAME_LIMIT:
        raise ValueError(f"a display name must be 1 to {NAME_LIMIT} characters")
    now = services.clock.now()
    code = invite_rules.new_code()
    async with services.db.write() as tx:
        if scope.station_id and scope.station_id not in await directory.active_ids(tx, "stations"):
            raise ScopeError(f"unknown station {scope.station_id!r}{_NEW_IN_CONFIG}")
        if scope.team_id and scope.team_id not in await directory.active_ids(tx, "teams"):
            raise ScopeError(f"unknown team {scope.team_id!r}{_NEW_IN_CONFIG}")
        stored = await invites.insert(
            tx,
            code_hash=invite_rules.code_hash(code),
            scope=scope,
            display_name=display_name.strip() if display_name else None,
            created_by=created_by.id if created_by else None,
            now=now,
            expires_at=now + lifetime,
            request_key=request_key,
        )
        if stored is None:
            return None
        await audit.record(
            tx,
            now=now,
            action="invite.created",
            actor_person_id=created_by.id if created_by else None,
            actor_telegram_id=created_by.telegram_id if created_by else None,
            detail=f"role={scope.role.value} station={scope.station_id} team={scope.team_id}",
        )
    return IssuedInvite(code, scope, now + lifetime)


async def redeem(
    services: Services,
    *,
    telegram_id: int,
    telegram_name: str,
    language: str,
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
        if stored is None:
            problem = InviteProblem.UNKNOWN
        elif stored.used_at is not None:
            problem = InviteProblem.USED
        elif stored.expires_at <= now:
            problem = InviteProblem.EXPIRED
        else:
            return await _enrol(tx, stored, telegram_id, clean_name(telegram_name), language, now)
        await audit.record(
            tx, now=now, action="invite.failed", actor_telegram_id=telegram_id, detail=problem
        )
        return Refused(problem)


async def _enrol(
    tx: Conn,
    stored: invites.StoredInvite,
    telegram_id: int,
    telegram_name: str,
    language: str,
    now: datetime,
) -> Redeemed:
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
    await people.grant(tx, person_id, stored.scope, now=now)
    await invites.mark_used(tx, stored.id, person_id, now)
    await audit.record(
        tx,
        now=now,
        action="invite.redeemed",
        actor_telegram_id=telegram_id,
        actor_person_id=person_id,
        detail=f"role={stored.scope.role.value}",
    )
    person = await people.by_id(tx, person_id)
    assert person is not None
    return Redeemed(person, stored.scope.role)


async def bootstrap_admin(
    services: Services, *, telegram_id: int, telegram_name: str, language: str
) -> Person | None:
    """Enrol a configured admin on first contact, so a new deployment has someone to invite."""
    if telegram_id not in services.config.admins:
        return None
    now = services.clock.now()
    async with services.db.write() as tx:
        person = await people.by_telegram_id(tx, telegram_id)
        if person is None:
            person_id = await people.insert(
                tx,
                telegram_id=telegram_id,
                display_name=clean_name(telegram_name),
                language=language,
                now=now,
            )
        else:
            person_id = person.id
        await people.grant(tx, person_id, Scope(Role.ADMIN), now=now)
        await audit.record(
            tx,
            now=now,
            action="admin.bootstrap",
            actor_telegram_id=telegram_id,
            actor_person_id=person_id,
        )
        return await people.by_id(tx, person_id)
