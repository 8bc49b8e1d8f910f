"""Care for the workers (issue 16): a debrief after a critical case, night call-outs
counted so night duty can be shared fairly, and rest offered after one.

What a coordinator hears goes through the outbox, in the transaction that ended the
case or recorded the worker's request. A request is followed through: one coordinator
marks it arranged (the worker hears), or after ``[care] debrief_remind_hours`` the
coordinators are reminded once (a stamp on the referral, checked by the engine).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain import care
from bot.domain.people import Person
from bot.domain.referral import Referral, Status
from bot.services import Services, offers, outbox
from bot.services.notices import Notice, NoticeKind
from bot.services.overdue import coordinators_to_tell
from bot.services.rota.duty import team_workers
from storage import audit, people, referrals
from storage.db import Conn


async def debrief_prompts(
    tx: Conn, services: Services, referral: Referral, worker: Person, now: datetime
) -> list[Notice]:
    """For a case with a critical safety answer that just ended (closed, declined at
    first contact, returned to police, handed back to the coordinators): its team's
    coordinators (on duty, else all) are prompted to offer ``worker`` a debrief, once per
    case (a reopened case closed again, or a case handed back and closed later, does not
    prompt twice; the worker who holds it at the end can still ask). Nothing otherwise."""
    if not care.critical(referral.safety):
        return []
    if not await referrals.stamp(tx, referral.id, "debrief_offered_at", now):
        return []
    team = services.config.team_of(referral.station_id)
    return [
        Notice(NoticeKind.DEBRIEF_OFFER, c, referral.id, values={"worker": worker.display_name})
        for c in await coordinators_to_tell(tx, services, team.id if team else None, now, worker)
    ]


def may_ask_debrief(referral: Referral) -> bool:
    """The worker's "Ask for a debrief": on a critical case once it has ended."""
    ended = referral.status in (Status.CLOSED, Status.RETURNED)
    return ended and bool(care.critical(referral.safety))


async def ask_debrief(services: Services, worker: Person, referral: Referral) -> bool | None:
    """The worker asks for a debrief: the coordinators hear it. True: asked now; False:
    asked before (nothing sent again); None: this case does not call for one."""
    if referral.assignee_id != worker.id or not may_ask_debrief(referral):
        return None
    now = services.clock.now()
    async with services.db.write() as tx:
        if not await referrals.stamp(tx, referral.id, "debrief_asked_at", now):
            return False
        team = services.config.team_of(referral.station_id)
        notices = [
            Notice(NoticeKind.DEBRIEF_ASKED, c, referral.id, values={"worker": worker.display_name})
            for c in await coordinators_to_tell(
                tx, services, team.id if team else None, now, worker
            )
        ]
        await outbox.enqueue(tx, services, notices)
    return True


async def night_callouts(services: Services, since: datetime | None = None) -> dict[int, int]:
    """Night call-outs per worker id since ``since`` (the start of this month, local)."""
    config = services.config
    settings = config.coordination
    start = since or care.month_start(services.clock.now(), config.zone)
    found = await referrals.takings_since(services.db.reader, start)
    return care.night_counts(
        found,
        config.zone,
        settings.clock_time(settings.night_starts),
        settings.clock_time(settings.handover_at),
    )


def is_night(services: Services, at: datetime) -> bool:
    settings = services.config.coordination
    return care.is_night(
        at,
        services.config.zone,
        settings.clock_time(settings.night_starts),
        settings.clock_time(settings.handover_at),
    )


def ranked(counts: dict[int, int], people: Iterable[Person]) -> list[tuple[str, int]]:
    """(name, night call-outs) of ``people``, most first: what coordinators read."""
    found = [(p.display_name, counts.get(p.id, 0)) for p in people]
    return sorted(found, key=lambda one: (-one[1], one[0]))


async def night_table(services: Services, team_ids: Iterable[str]) -> list[tuple[str, int]]:
    """This month's night call-outs of every worker of ``team_ids``, most first, so
    coordinators can share night duty fairly (/oncall, the morning handover)."""
    counts = await night_callouts(services)
    workers: dict[int, Person] = {}
    for team_id in team_ids:
        for person in await team_workers(services, team_id):
            workers[person.id] = person
    return ranked(counts, workers.values())


def rest_offer(services: Services, referral: Referral) -> datetime | None:
    """Until when the worker who just took ``referral`` (accepted it, confirmed an
    assignment, took it over from a colleague) may rest, if that was a night call-out and
    the rest has not already ended (None otherwise)."""
    accepted = referral.held_since
    if accepted is None or not is_night(services, accepted):
        return None
    until = care.rest_until(accepted, services.config.zone)
    return until if until > services.clock.now() else None


async def rest(services: Services, worker: Person, referral: Referral) -> datetime | None:
    """The worker's one tap after a night call-out: away (no new offers) until noon.
    None: the card is not theirs, or not a night call-out's, or the rest is over."""
    until = rest_offer(services, referral) if referral.assignee_id == worker.id else None
    if until is not None:
        await offers.went_away(services, worker, until)
    return until


@dataclass(frozen=True)
class Arranged:
    """A coordinator's "Debrief arranged": ``done`` when this tap recorded it; else
    ``by`` names who did before (None: the case has no request waiting, e.g. forged)."""

    done: bool
    by: str | None = None
    notices: tuple[Notice, ...] = ()


async def arrange_debrief(services: Services, coordinator: Person, referral: Referral) -> Arranged:
    """One tap on the request's notice: recorded once, audited, and the worker hears
    that the coordinator will be in touch. A second coordinator's tap changes nothing."""
    now = services.clock.now()
    async with services.db.write() as tx:
        if not await referrals.arrange_debrief(tx, referral.id, coordinator.id, now):
            found = await referrals.debrief(tx, referral.id)
            if found is None or found.arranged_by is None:
                return Arranged(False)
            by = await people.by_id(tx, found.arranged_by)
            return Arranged(False, by.display_name if by else "?")
        worker = await people.by_id(tx, referral.assignee_id) if referral.assignee_id else None
        await audit.record(
            tx,
            now=now,
            action="care.debrief_arranged",
            actor_person_id=coordinator.id,
            actor_telegram_id=coordinator.telegram_id,
            subject=referral.ref,
            detail=f"person:{worker.id}" if worker else None,
        )
        told = (
            [
                Notice(
                    NoticeKind.DEBRIEF_ARRANGED,
                    worker,
                    referral.id,
                    values={"coordinator": coordinator.display_name},
                )
            ]
            if worker is not None
            else []
        )
        sent = await outbox.enqueue(tx, services, told)
    return Arranged(True, coordinator.display_name, tuple(sent))


async def debriefs_due(tx: Conn, services: Services, now: datetime) -> list[Notice]:
    """Requests nobody marked arranged within ``[care] debrief_remind_hours``: the
    coordinators (on duty, else all) are reminded, once (stamped in ``tx``, so a restart
    neither repeats nor loses it), never in the quiet hours (:mod:`bot.domain.quiet`).
    Not enqueued: the reminder round does."""
    hours = services.config.care.debrief_remind_hours
    notices: list[Notice] = []
    if services.config.reminders.quiet(services.config.zone).inside(now):
        return notices  # not urgent: waits for the end of the quiet hours
    for referral in await referrals.debriefs_waiting(tx, now - timedelta(hours=hours)):
        if not await referrals.stamp(tx, referral.id, "debrief_reminded_at", now):
            continue
        worker = await people.by_id(tx, referral.assignee_id) if referral.assignee_id else None
        if worker is None:
            continue
        team = services.config.team_of(referral.station_id)
        notices += [
            Notice(
                NoticeKind.DEBRIEF_WAITING, c, referral.id, values={"worker": worker.display_name}
            )
            for c in await coordinators_to_tell(
                tx, services, team.id if team else None, now, worker
            )
        ]
    return notices
