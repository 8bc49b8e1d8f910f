"""Linkages are tracked, not terminal.

"Linked to a resource" on the case card records a linkage (a directory entry or a typed
name) and keeps the case open, so a worker can link the person to several services.
``[cases] linkage_follow_up_days`` later, at 09:00 on that day (a service is checked
on in the working day, not at the minute of the tap), the worker is asked "did the service happen?"
(yes, partly, no, the person declined); unanswered for ``linkage_remind_hours`` the
worker is reminded, and after as long again the coordinator on duty is told (the chase
of :mod:`bot.domain.chase`). Each step is a stamp on the ``linkages`` row written in
the reminder round's transaction, so it is sent once, also across a restart. The case
closes as "linked" only once every linkage has an answer: an unanswered follow-up is
a service nobody knows happened. No step rings in the quiet hours
(:mod:`bot.domain.quiet`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain import chase, quiet
from bot.domain.chase import Stamped, Step
from bot.domain.people import Person
from bot.domain.referral import WORKING, Referral, Resource
from bot.services import Services
from bot.services.notices import Changed, Notice, NoticeKind
from bot.services.overdue import tell_coordinators
from storage import audit, linkages, people, referrals
from storage.db import Conn
from storage.linkages import Linkage


class Answer(StrEnum):
    YES = "yes"
    PARTLY = "partly"
    NO = "no"
    DECLINED = "declined"  # the person declined the service


SERVED = frozenset({Answer.YES, Answer.PARTLY})  # the service happened, at least in part


async def record(
    services: Services,
    person: Person,
    referral_id: int,
    *,
    kind: Resource,
    name: str,
    resource_id: int | None = None,
) -> Changed:
    """A linkage for the case the person holds; unchanged if it is no longer theirs or
    no longer open, or if the same service already waits for its follow-up on it (a
    double tap would otherwise mean two follow-ups, two reminders, two notices).

    Recording it is an update of the case: the "no update" reminder counts from now."""
    now = services.clock.now()
    days = services.config.cases.linkage_follow_up_days
    async with services.db.write() as tx:
        referral = await referrals.held(tx, referral_id, person.id)
        if referral is None:
            return Changed(await referrals.by_id(tx, referral_id), False)
        if await linkages.waiting_same(
            tx, referral_id, resource_id=resource_id, kind=kind.value, name=name
        ):
            return Changed(referral, False)
        await linkages.add(
            tx,
            referral_id,
            resource_id=resource_id,
            kind=kind.value,
            name=name,
            now=now,
            follow_up_at=quiet.on_day(now, days, services.config.zone),
        )
        await referrals.touch(tx, referral_id, now)
        await audit.record(
            tx, now=now, action="case.linked", actor_person_id=person.id, subject=referral.ref
        )
        return Changed(referral, True)


async def of(services: Services, referral_id: int) -> list[Linkage]:
    return await linkages.of(services.db.reader, referral_id)


async def one(services: Services, referral_id: int, linkage_id: int) -> Linkage | None:
    """One linkage of the case; None if it is gone or another case's (an untrusted tap)."""
    link = await linkages.by_id(services.db.reader, linkage_id)
    return link if link is not None and link.referral_id == referral_id else None


async def due(tx: Conn, services: Services, referral: Referral, now: datetime) -> list[Notice]:
    """The follow-up steps of one working case's linkages that fall due by ``now``.

    They go to whoever holds the case. A follow-up asked of an earlier holder (the case
    was handed over since) starts again for the new one: they are asked themselves,
    then reminded, so nobody is left answering for a prompt on someone else's phone."""
    if referral.assignee_id is None:
        return []
    worker = await people.by_id(tx, referral.assignee_id)
    if worker is None:
        return []
    wait = timedelta(hours=services.config.cases.linkage_remind_hours)
    night = services.config.reminders.quiet(services.config.zone)
    held_since = referral.held_since
    notices: list[Notice] = []
    for link in await linkages.of(tx, referral.id):
        if link.answer is not None:
            continue
        if link.asked_at is not None and held_since is not None and link.asked_at < held_since:
            await linkages.restart(tx, link.id)
            link = replace(link, asked_at=None, reminded_at=None, escalated_at=None)
        values = {"linkage": str(link.id), "name": link.name, "kind": link.kind}
        if held_since is not None and link.created_at < held_since:
            values["inherited"] = "1"  # linked by an earlier holder: not "you linked"
        stamped = Stamped(
            asked=link.asked_at is not None,
            reminded=link.reminded_at is not None,
            escalated=link.escalated_at is not None,
        )
        started = link.asked_at or link.follow_up_at
        for step in chase.due(started, wait, 2 * wait, now, stamped, night):
            if step is Step.ASK and await linkages.stamp(tx, link.id, "asked_at", now):
                notices.append(
                    Notice(NoticeKind.LINKAGE_FOLLOW_UP, worker, referral.id, values=values)
                )
            elif step is Step.REMIND and await linkages.stamp(tx, link.id, "reminded_at", now):
                notices.append(
                    Notice(NoticeKind.REMIND_LINKAGE, worker, referral.id, values=values)
                )
            elif step is Step.ESCALATE and await linkages.stamp(tx, link.id, "escalated_at", now):
                notices += await tell_coordinators(
                    tx, services, referral, worker, now, NoticeKind.LINKAGE_OVERDUE, values
                )
    return notices


async def answered(
    services: Services, person: Person, referral_id: int, linkage_id: int, answer: Answer
) -> Changed:
    """The holder answered a linkage's follow-up (asked already, or early: the worker
    may know the same night that the shelter took the person); its follow-up chain
    stops. Unchanged for a stale or repeated tap, a linkage of another case, a case no
    longer theirs or no longer open. An answer is an update of the case."""
    now = services.clock.now()
    async with services.db.write() as tx:
        referral = await referrals.held(tx, referral_id, person.id)
        link = await linkages.by_id(tx, linkage_id)
        if (
            referral is None
            or link is None
            or link.referral_id != referral_id
            or not await linkages.answer(tx, linkage_id, answer.value, now)
        ):
            return Changed(referral or await referrals.by_id(tx, referral_id), False)
        await referrals.touch(tx, referral_id, now)
        await audit.record(
            tx,
            now=now,
            action="case.linkage_answered",
            actor_person_id=person.id,
            subject=referral.ref,
            detail=answer.value,
        )
        return Changed(referral, True)


async def remove(services: Services, person: Person, referral_id: int, linkage_id: int) -> Changed:
    """The holder removes a linkage recorded by mistake while the case is open; its
    follow-up stops with it. Unchanged for an answered one (that is a record), one of
    another case, a case no longer theirs or no longer open. The audit entry names the
    case, never the service."""
    now = services.clock.now()
    async with services.db.write() as tx:
        referral = await referrals.held(tx, referral_id, person.id)
        if referral is None or not await linkages.remove(tx, referral_id, linkage_id):
            return Changed(referral or await referrals.by_id(tx, referral_id), False)
        await audit.record(
            tx,
            now=now,
            action="case.linkage_removed",
            actor_person_id=person.id,
            subject=referral.ref,
        )
        return Changed(referral, True)


async def held_before(services: Services, person: Person, referral_id: int) -> bool:
    """Whether ``person`` held this case once but holds it no longer (handed over): their
    old follow-up prompts are now someone else's to answer."""
    referral = await referrals.by_id(services.db.reader, referral_id)
    if referral is None or referral.assignee_id == person.id:
        return False
    events = await referrals.events(services.db.reader, referral_id)
    return any(actor == person.id and to in WORKING for _, to, actor in events)


def unanswered(links: list[Linkage]) -> list[Linkage]:
    return [link for link in links if link.answer is None]


def served(links: list[Linkage]) -> list[Linkage]:
    """The linkages whose service happened (yes or partly)."""
    return [link for link in links if link.answer in SERVED]
