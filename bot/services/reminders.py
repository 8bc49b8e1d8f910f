"""Nudges for accepted cases that have gone quiet.

First contact not made within the urgency's target: the worker is reminded; if it is
still not made after as long again, the coordinator on duty is told (every coordinator
of the station when nobody is on duty). An open
case with no update for a week: the worker is reminded (again each week). A worker
who attends in person and has not marked "Arrived" by the arrival target (``[arrival]``)
is reminded, and ``coordinator_after`` minutes later the coordinator on duty is told.
A crisis case's follow-ups after first contact run the same chain
(``bot/services/follow_ups.py``), and so do linkages' follow-ups
(``bot/services/linkages.py``).
Each reminder is stamped on the referral in the same transaction, so it is sent once,
also across a restart (the next round after it catches up).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.referral import Referral, Status, arrival_target
from bot.services import Services, care, follow_ups, linkages, outbox
from bot.services.notices import Notice, NoticeKind
from bot.services.overdue import coordinators_to_tell
from storage import people, referrals
from storage.db import Conn


async def due(services: Services) -> list[Notice]:
    now = services.clock.now()
    notices: list[Notice] = []
    async with services.db.write() as tx:
        for referral in await referrals.working(tx):
            notices += await _arrival(tx, services, referral, now)
            notices += await _contact(tx, services, referral, now)
            notices += await _stale(tx, services, referral, now)
            notices += await follow_ups.due(tx, services, referral, now)
            notices += await linkages.due(tx, services, referral, now)
        notices += await care.debriefs_due(tx, services, now)  # ended cases: not "working"
        return await outbox.enqueue(tx, services, notices)


async def _contact(tx: Conn, services: Services, referral: Referral, now: datetime) -> list[Notice]:
    since = referral.held_since  # a new holder's clock starts when they got the case
    if referral.status is not Status.ACCEPTED or since is None:
        return []
    target = services.config.reminders.contact_target(referral.urgency)
    late = now - since
    worker = await people.by_id(tx, referral.assignee_id) if referral.assignee_id else None
    if worker is None:
        return []
    if late >= 2 * target and referral.contact_escalated_at is None:
        await referrals.stamp(tx, referral.id, "contact_escalated_at", now)
        team = services.config.team_of(referral.station_id)
        first = []  # after downtime the worker still hears before the coordinator
        if await referrals.stamp(tx, referral.id, "contact_reminded_at", now):
            first = [Notice(NoticeKind.REMIND_CONTACT, worker, referral.id)]
        return [
            *first,
            *(
                Notice(
                    NoticeKind.CONTACT_OVERDUE,
                    c,
                    referral.id,
                    values={"worker": worker.display_name},
                )
                for c in await coordinators_to_tell(
                    tx, services, team.id if team else None, now, worker
                )
            ),
        ]
    if late >= target and referral.contact_reminded_at is None:
        await referrals.stamp(tx, referral.id, "contact_reminded_at", now)
        return [Notice(NoticeKind.REMIND_CONTACT, worker, referral.id)]
    return []


async def _arrival(tx: Conn, services: Services, referral: Referral, now: datetime) -> list[Notice]:
    """The arrival target passed and the worker has not marked "Arrived": the worker
    first, then (``coordinator_after`` later) the coordinator on duty."""
    settings = services.config.arrival
    minutes = settings.target_minutes(referral.urgency, referral.appropriate_adult_now)
    target = arrival_target(referral, minutes)
    if target is None or referral.arrived_at is not None or now < target:
        return []
    worker = await people.by_id(tx, referral.assignee_id) if referral.assignee_id else None
    if worker is None:
        return []
    notices = []
    if await referrals.stamp(tx, referral.id, "arrival_reminded_at", now):
        notices.append(
            Notice(
                NoticeKind.REMIND_ARRIVAL,
                worker,
                referral.id,
                values={"target": target.isoformat()},
            )
        )
    late = timedelta(minutes=settings.coordinator_after)
    if now >= target + late and await referrals.stamp(tx, referral.id, "arrival_escalated_at", now):
        team = services.config.team_of(referral.station_id)
        notices += [
            Notice(
                NoticeKind.ARRIVAL_OVERDUE,
                c,
                referral.id,
                values={"worker": worker.display_name, "target": target.isoformat()},
            )
            for c in await coordinators_to_tell(
                tx, services, team.id if team else None, now, worker
            )
        ]
    return notices


async def _stale(tx: Conn, services: Services, referral: Referral, now: datetime) -> list[Notice]:
    quiet_for = services.config.reminders.stale_days
    last = max(t for t in (referral.updated_at, referral.stale_reminded_at) if t is not None)
    if referral.assignee_id is None or (now - last).days < quiet_for:
        return []
    worker = await people.by_id(tx, referral.assignee_id)
    if worker is None:
        return []
    await referrals.clear_stamp(tx, referral.id, "stale_reminded_at")
    await referrals.stamp(tx, referral.id, "stale_reminded_at", now)
    return [Notice(NoticeKind.REMIND_STALE, worker, referral.id, values={"days": str(quiet_for)})]
