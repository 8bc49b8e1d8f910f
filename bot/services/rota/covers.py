"""Covers: a coordinator puts someone on or off duty, or in another's place, from chat.

A cover is an override of the weekly rota for a date-time range (:func:`cover`, for
/cover). Button data comes from the client, so every rule is checked again here, a
double tap records one override, and the people whose duty changed are told through
the outbox in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.people import Person, Role
from bot.domain.rota import Change, Override, WeeklyWindow
from bot.services import Services, outbox
from bot.services.notices import Notice, NoticeKind
from bot.services.rota.duty import ROTA_ROLES, may_cover, rota_team
from storage import audit, people, rota
from storage.db import Conn

NOTE_LIMIT = 200


class Period(StrEnum):
    """The periods /cover offers; the value is the code in the button data."""

    UNTIL_MORNING = "n"  # now until 08:00
    TONIGHT = "t"  # 18:00-08:00
    TODAY = "d"  # 09:00-18:00
    NEXT_4_HOURS = "h"


_DAILY = {
    Period.UNTIL_MORNING: WeeklyWindow.parse("daily", "08:00-09:00"),  # only its start is used
    Period.TONIGHT: WeeklyWindow.parse("daily", "18:00-08:00"),
    Period.TODAY: WeeklyWindow.parse("daily", "09:00-18:00"),
}


def period_span(period: Period, now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC range ``period`` means at ``now`` in local time. "Tonight" and "today" are
    the next such window that has not ended yet (at 03:00, "tonight" is the one still
    running), starting no earlier than now; DST-safe through :mod:`bot.domain.rota`."""
    if period is Period.NEXT_4_HOURS:
        return now, now + timedelta(hours=4)
    window = _DAILY[period]
    if period is Period.UNTIL_MORNING:
        end = window.next_start(now, zone)
        assert end is not None  # a daily window always starts again within a day
        return now, end
    start, end = next((s, e) for s, e in window.occurrences(now, zone) if e > now)
    return max(start, now), end


class Refusal(StrEnum):
    NOT_YOUR_TEAM = "not_your_team"  # the coordinator does not cover that rota
    NOT_ON_ROTA = "not_on_rota"  # not an active person of that role (and team)
    BAD_REPLACES = "bad_replaces"  # replace needs another person of the same rota
    BAD_PERIOD = "bad_period"  # the end is not after the start
    NOTE_TOO_LONG = "note_too_long"


class CoverRefused(ValueError):
    """The cover was not recorded; ``reason`` says why (the handler words it)."""

    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class Cover:
    """A recorded override, with the people it names."""

    id: int
    team_id: str | None
    role: Role
    override: Override
    person: Person
    replaces: Person | None = None
    created: bool = field(default=True, compare=False)  # False: a double tap, already there
    # What the people whose duty changed are told, already in the outbox (none on a
    # double tap, nor to the coordinator who made the change).
    notices: tuple[Notice, ...] = field(default=(), compare=False)


async def cover(
    services: Services,
    coordinator: Person,
    *,
    person_id: int,
    start: datetime,
    end: datetime,
    change: Change,
    replaces: int | None = None,
    note: str | None = None,
    role: Role = Role.SOCIAL_WORKER,
) -> Cover:
    """Record "``person_id`` is on / off / covers for ``replaces`` from ``start`` to
    ``end``" in their team's workers' rota (``role`` coordinator: the coordinators'
    rota), audited. The people whose duty changed are told through the outbox, written
    in the same transaction (``Cover.notices``, for the handler to deliver): a send
    that fails is retried, and someone who blocked the bot is marked unreachable.

    Everything is checked again here because button data comes from the client. An
    identical cover set by the same coordinator is returned rather than added twice, so
    a double tap on Confirm records one override.

    Raises:
        CoverRefused: the end is not after the start, the coordinator does not cover
            that rota, or the people do not belong to it. The refusal is audited.
    """
    now = services.clock.now()
    async with services.db.write() as tx:
        worker = await people.by_id(tx, person_id)
        replaced = await people.by_id(tx, replaces) if replaces is not None else None
        refusal = _refusal(coordinator, worker, replaced, change, role, start, end, note)
        if refusal is None and worker is not None:
            saved = await _record(
                tx, now, coordinator, worker, replaced, role, start, end, change, note
            )
            if not saved.created:
                return saved
            told = await outbox.enqueue(tx, services, _told(coordinator, saved))
            return replace(saved, notices=tuple(told))
        await audit.record(
            tx,
            now=now,
            action="rota.cover.refused",
            actor_person_id=coordinator.id,
            actor_telegram_id=coordinator.telegram_id,
            subject=f"person:{person_id}",
            detail=(refusal or Refusal.NOT_ON_ROTA).value,
        )
    raise CoverRefused(refusal or Refusal.NOT_ON_ROTA)


def _refusal(
    coordinator: Person,
    worker: Person | None,
    replaced: Person | None,
    change: Change,
    role: Role,
    start: datetime,
    end: datetime,
    note: str | None,
) -> Refusal | None:
    if end <= start:
        return Refusal.BAD_PERIOD
    if note is not None and len(note) > NOTE_LIMIT:
        return Refusal.NOTE_TOO_LONG
    if worker is None or not _on_rota(worker, role):
        return Refusal.NOT_ON_ROTA
    team_id = rota_team(worker, role)
    if not may_cover(coordinator, team_id):
        return Refusal.NOT_YOUR_TEAM
    if (change is Change.REPLACE) != (replaced is not None):
        return Refusal.BAD_REPLACES
    if replaced is not None and (
        replaced.id == worker.id
        or not _on_rota(replaced, role)
        or rota_team(replaced, role) != team_id
    ):
        return Refusal.BAD_REPLACES
    return None


def _on_rota(person: Person, role: Role) -> bool:
    return person.active and role in ROTA_ROLES and person.scope(role) is not None


async def _record(
    tx: Conn,
    now: datetime,
    coordinator: Person,
    worker: Person,
    replaced: Person | None,
    role: Role,
    start: datetime,
    end: datetime,
    change: Change,
    note: str | None,
) -> Cover:
    team_id = rota_team(worker, role)
    override = Override(start, end, change, worker.id, replaced.id if replaced else None)
    existing = await rota.find_override(
        tx, team_id=team_id, role=role, override=override, set_by=coordinator.id
    )
    if existing is not None:
        return Cover(existing, team_id, role, override, worker, replaced, created=False)
    cover_id = await rota.insert_override(
        tx, team_id=team_id, role=role, override=override, set_by=coordinator.id, now=now, note=note
    )
    await audit.record(
        tx,
        now=now,
        action="rota.cover",
        actor_person_id=coordinator.id,
        actor_telegram_id=coordinator.telegram_id,
        subject=f"person:{worker.id}",
        detail=_detail(team_id, role, override),
    )
    return Cover(cover_id, team_id, role, override, worker, replaced)


def _told(coordinator: Person, saved: Cover) -> list[Notice]:
    """A notice to each person whose duty changed, other than the coordinator who changed
    it; rendered when sent, in the reader's language (times as UTC ISO strings)."""
    override = saved.override
    values = {
        "coordinator": coordinator.display_name,
        "start": override.start.isoformat(),
        "end": override.end.isoformat(),
        "change": override.change.value,
    }
    notices = [
        Notice(
            NoticeKind.COVER,
            saved.person,
            None,
            values=values | ({"other": saved.replaces.display_name} if saved.replaces else {}),
        )
    ]
    if saved.replaces is not None:
        notices.append(
            Notice(
                NoticeKind.COVERED_FOR,
                saved.replaces,
                None,
                values=values | {"other": saved.person.display_name},
            )
        )
    return [n for n in notices if n.recipient.id != coordinator.id]


def _detail(team_id: str | None, role: Role, override: Override) -> str:
    """For the audit log: ids and times only, never the note (it may name a client)."""
    replaces = f" replaces person:{override.replaces}" if override.replaces else ""
    return (
        f"{team_id or '*'}/{role.value} {override.change.value}{replaces}"
        f" {override.start:%Y-%m-%dT%H:%MZ}..{override.end:%Y-%m-%dT%H:%MZ}"
    )
