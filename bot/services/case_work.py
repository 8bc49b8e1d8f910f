"""The worker records what each case-work stage holds: needs at assessment, goals and a
review date in the plan, contacts during intervention; and takes a case back to
assessment. Only the holder of an open case, at a stage that holds it; nothing here is
ever told to the officer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.domain.case_work import (
    CONTACT_REPEAT_WINDOW,
    GOAL_LIMIT,
    CaseWork,
    ContactMode,
    Need,
    review_date,
)
from bot.domain.people import Person
from bot.domain.referral import Status
from bot.services import Services, outbox
from bot.services.notices import Changed, Notice, NoticeKind
from bot.services.overdue import tell_coordinators
from storage import audit, case_work, people, referrals

# Every record at a stage (a need, a goal, a review, a contact) is an update of the
# case (``referrals.touch``): the weekly "no update" reminder must not nag a worker who
# logs visits and goals without moving the case to another stage.
NEEDS_AT = frozenset({Status.ASSESSMENT, Status.PLAN, Status.INTERVENTION})
PLAN_AT = frozenset({Status.PLAN, Status.INTERVENTION})
CONTACTS_AT = frozenset({Status.INTERVENTION})


async def of(services: Services, referral_id: int) -> CaseWork:
    return await case_work.load(services.db.reader, referral_id)


async def set_need(
    services: Services, person: Person, referral_id: int, need: Need, *, ticked: bool
) -> bool:
    """The need ticked or unticked as the button said (not flipped: a double tap, or a
    tap retried on a slow network, leaves it as the worker wanted). False for a case
    this person does not hold at a stage with needs."""
    async with services.db.write() as tx:
        if await referrals.held(tx, referral_id, person.id, NEEDS_AT) is None:
            return False
        held = (await case_work.load(tx, referral_id)).needs
        needs = held | {need} if ticked else held - {need}
        if needs != held:
            now = services.clock.now()
            await case_work.set_needs(tx, referral_id, needs, person.id, now)
            await referrals.touch(tx, referral_id, now)
        return True


async def add_goal(services: Services, person: Person, referral_id: int, goal: str) -> bool:
    """A one-line goal, while the plan holds fewer than three."""
    async with services.db.write() as tx:
        if await referrals.held(tx, referral_id, person.id, PLAN_AT) is None:
            return False
        if len((await case_work.load(tx, referral_id)).goals) >= GOAL_LIMIT:
            return False
        now = services.clock.now()
        await case_work.add_goal(tx, referral_id, goal, person.id, now)
        await referrals.touch(tx, referral_id, now)
        return True


async def replace_goal(
    services: Services, person: Person, referral_id: int, goal_id: int, goal: str
) -> bool:
    """A goal reworded by the holder (the goal named by its row: a stale list edits
    nothing). The audit says that a goal changed, never what it says."""
    now = services.clock.now()
    async with services.db.write() as tx:
        referral = await referrals.held(tx, referral_id, person.id, PLAN_AT)
        if referral is None or not await case_work.replace_goal(tx, referral_id, goal_id, goal):
            return False
        await referrals.touch(tx, referral_id, now)
        await audit.record(
            tx, now=now, action="case.goal_changed", actor_person_id=person.id, subject=referral.ref
        )
        return True


async def remove_goal(services: Services, person: Person, referral_id: int, goal_id: int) -> bool:
    """A goal taken out of the plan by the holder; audited without its text."""
    now = services.clock.now()
    async with services.db.write() as tx:
        referral = await referrals.held(tx, referral_id, person.id, PLAN_AT)
        if referral is None or not await case_work.remove_goal(tx, referral_id, goal_id):
            return False
        await referrals.touch(tx, referral_id, now)
        await audit.record(
            tx, now=now, action="case.goal_removed", actor_person_id=person.id, subject=referral.ref
        )
        return True


async def reviewed(services: Services, person: Person, referral_id: int) -> bool:
    """The holder went over the plan after its review reminder: the chain stops (the
    coordinators are not told). False for a stale or repeated tap."""
    now = services.clock.now()
    async with services.db.write() as tx:
        referral = await referrals.held(tx, referral_id, person.id, NEEDS_AT)
        if referral is None or not await case_work.mark_reviewed(tx, referral_id, now):
            return False
        await referrals.touch(tx, referral_id, now)
        await audit.record(
            tx,
            now=now,
            action="case.plan_reviewed",
            actor_person_id=person.id,
            subject=referral.ref,
        )
        return True


async def set_review(services: Services, person: Person, referral_id: int, days: int) -> bool:
    now = services.clock.now()
    when = review_date(now, days, services.config.zone)
    async with services.db.write() as tx:
        if when is None or await referrals.held(tx, referral_id, person.id, PLAN_AT) is None:
            return False
        await case_work.set_review(tx, referral_id, when)
        await referrals.touch(tx, referral_id, now)
        return True


@dataclass(frozen=True)
class Logged:
    """A contact tap's result: the contact's id (to add "with whom"), and whether this
    tap logged it (False: the same contact was logged moments ago, see
    :data:`bot.domain.case_work.CONTACT_REPEAT_WINDOW`)."""

    contact_id: int
    new: bool


async def log_contact(
    services: Services, person: Person, referral_id: int, mode: ContactMode
) -> Logged | None:
    """One tap: the contact is logged now, unless this worker logged one made this way
    on this case within the repeat window (a double tap). None for a stale tap."""
    now = services.clock.now()
    async with services.db.write() as tx:
        if await referrals.held(tx, referral_id, person.id, CONTACTS_AT) is None:
            return None
        since = now - CONTACT_REPEAT_WINDOW
        repeat = await case_work.recent_contact(tx, referral_id, mode, person.id, since)
        if repeat is not None:
            return Logged(repeat, new=False)
        logged = await case_work.add_contact(tx, referral_id, mode, person.id, now)
        await referrals.touch(tx, referral_id, now)
        return Logged(logged, new=True)


async def contact_with(
    services: Services, person: Person, referral_id: int, contact_id: int, line: str
) -> bool:
    async with services.db.write() as tx:
        if await referrals.held(tx, referral_id, person.id, CONTACTS_AT) is None:
            return False
        return await case_work.contact_with(tx, referral_id, contact_id, line)


async def back_to_assessment(
    services: Services, person: Person, referral_id: int, seen: Status
) -> Changed:
    """Case work cycles back: from the plan or intervention (the status on the tapped
    card) to assessment. Needs, goals and contacts are kept; the plan's review date
    goes (no reminder asks to review a plan being remade, no coordinator is told)."""
    now = services.clock.now()
    async with services.db.write() as tx:
        referral = await referrals.held(tx, referral_id, person.id, PLAN_AT)
        if referral is None or referral.status is not seen:
            return Changed(referral, False)
        moved = await referrals.transition(
            tx,
            referral_id,
            from_status=seen,
            to_status=Status.ASSESSMENT,
            now=now,
            actor_id=person.id,
            reason="back_to_assessment",
            assignee_id=person.id,
        )
        if moved:  # going back to assessment is what a review can decide
            await case_work.clear_review(tx, referral_id)
        return Changed(await referrals.by_id(tx, referral_id), moved)


async def reviews_due(services: Services) -> list[Notice]:
    """The plan's review date passed: the holder is reminded, once; a reminder nothing
    marked done within ``review_overdue_days`` goes to the holder's coordinators, once
    (each stamped in the same transaction as its notice, so also once across a restart;
    after a long downtime the worker's reminder is written first). Neither is sent in
    the quiet hours (:mod:`bot.domain.quiet`): what fell due then waits for morning.

    A review reminded to an earlier holder (the case was handed over since) starts
    again for the new one, as a linkage's follow-up does: they are reminded
    themselves, and only then, after the wait, are the coordinators told that *they*
    have not marked it done."""
    now = services.clock.now()
    wait = timedelta(days=services.config.reminders.review_overdue_days)
    notices: list[Notice] = []
    if services.config.reminders.quiet(services.config.zone).inside(now):
        return notices  # night: what fell due waits for the end of the quiet hours
    async with services.db.write() as tx:
        for referral_id, reminded_at in await case_work.reviews_reminded(tx):
            referral = await referrals.by_id(tx, referral_id)
            held_since = referral.held_since if referral is not None else None
            if held_since is not None and reminded_at < held_since:
                await case_work.restart_review(tx, referral_id)
        for referral_id, holder_id in await case_work.reviews_due(tx, now):
            holder = await people.by_id(tx, holder_id)
            if holder is None or not await case_work.stamp_review(tx, referral_id, now):
                continue
            notices.append(Notice(NoticeKind.REMIND_REVIEW, holder, referral_id))
        for referral_id, holder_id in await case_work.reviews_overdue(tx, now - wait):
            holder = await people.by_id(tx, holder_id)
            referral = await referrals.by_id(tx, referral_id)
            if holder is None or referral is None:
                continue
            if not await case_work.stamp_overdue(tx, referral_id, now):
                continue
            notices += await tell_coordinators(
                tx, services, referral, holder, now, NoticeKind.REVIEW_OVERDUE, {}
            )
        return await outbox.enqueue(tx, services, notices)
