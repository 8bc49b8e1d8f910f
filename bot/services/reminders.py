"""Nudges for accepted cases that have gone quiet.

First contact not made within the urgency's target: the worker is reminded; if it is
still not made after as long again, the coordinator on duty is told (every coordinator
of the station when nobody is on duty). An open
case with no update for a week: the worker is reminded (again each week). A worker
who attends in person and has not marked "Arrived" by the arrival target (``[arrival]``)
is reminded, and ``coordinator_after`` minutes later the coordinator on duty is told.
A crisis case's follow-ups after first contact run the same chain
(``bot/services/follow_ups.py``), and so do linkages' follow-ups
(``bot/services/linkages.py``): one chase, :mod:`bot.domain.chase`, decides the steps.
Each reminder is stamped on the referral in the same transaction, so it is sent once,
also across a restart (the next round after it catches up).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain import chase
from bot.domain.chase import Stamped, Step
from bot.domain.referral import Referral, Status, arrival_target
from bot.services import Services, care, follow_ups, linkages, outbox
from bot.services.notices import Notice, NoticeKind
from bot.services.overdue import tell_coordinators
from storage import linkages as linkage_rows
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
    stamped = Stamped(
        reminded=referral.contact_reminded_at is not None,
        escalated=referral.contact_escalated_at is not None,
    )
    steps = chase.due(since, target, 2 * target, now, stamped)
    worker = await people.by_id(tx, referral.assignee_id) if referral.assignee_id else None
    if not steps or worker is None:
        return []
    notices: list[Notice] = []
    for step in steps:
        if step is Step.REMIND and await referrals.stamp(
            tx, referral.id, "contact_reminded_at", now
        ):
            notices.append(Notice(NoticeKind.REMIND_CONTACT, worker, referral.id))
        elif step is Step.ESCALATE and await referrals.stamp(
            tx, referral.id, "contact_escalated_at", now
        ):
            notices += await tell_coordinators(
                tx, services, referral, worker, now, NoticeKind.CONTACT_OVERDUE, {}
            )
    return notices


async def _arrival(tx: Conn, services: Services, referral: Referral, now: datetime) -> list[Notice]:
    """The arrival target passed and the worker has not marked "Arrived": the worker
    first, then (``coordinator_after`` later) the coordinator on duty."""
    settings = services.config.arrival
    minutes = settings.target_minutes(referral.urgency, referral.appropriate_adult_now)
    target = arrival_target(referral, minutes)
    if target is None or referral.arrived_at is not None:
        return []
    stamped = Stamped(
        reminded=referral.arrival_reminded_at is not None,
        escalated=referral.arrival_escalated_at is not None,
    )
    late = timedelta(minutes=settings.coordinator_after)
    steps = chase.due(target, timedelta(0), late, now, stamped)
    worker = await people.by_id(tx, referral.assignee_id) if referral.assignee_id else None
    if not steps or worker is None:
        return []
    values = {"target": target.isoformat()}
    notices: list[Notice] = []
    for step in steps:
        if step is Step.REMIND and await referrals.stamp(
            tx, referral.id, "arrival_reminded_at", now
        ):
            notices.append(Notice(NoticeKind.REMIND_ARRIVAL, worker, referral.id, values=values))
        elif step is Step.ESCALATE and await referrals.stamp(
            tx, referral.id, "arrival_escalated_at", now
        ):
            notices += await tell_coordinators(
                tx, services, referral, worker, now, NoticeKind.ARRIVAL_OVERDUE, values
            )
    return notices


async def _stale(tx: Conn, services: Services, referral: Referral, now: datetime) -> list[Notice]:
    quiet_for = services.config.reminders.stale_days
    last = max(t for t in (referral.updated_at, referral.stale_reminded_at) if t is not None)
    if referral.assignee_id is None or (now - last).days < quiet_for:
        return []
    if services.config.reminders.quiet(services.config.zone).inside(now):
        return []  # a weekly nudge is not worth waking anyone: it waits for the morning
    if await linkage_rows.any_waiting(tx, referral.id):
        # The case waits on a linked service, whose own follow-up asks "did it happen?",
        # reminds and tells the coordinator: "no update, mark the next step or close it"
        # would be a second, wrong nag meanwhile. Its answer counts as an update.
        return []
    worker = await people.by_id(tx, referral.assignee_id)
    if worker is None:
        return []
    await referrals.clear_stamp(tx, referral.id, "stale_reminded_at")
    await referrals.stamp(tx, referral.id, "stale_reminded_at", now)
    return [Notice(NoticeKind.REMIND_STALE, worker, referral.id, values={"days": str(quiet_for)})]
