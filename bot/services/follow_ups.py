"""Crisis follow-up: domestic violence, mental health and self-harm cases.

Some hours after first contact (``follow_up_hours`` per category; a self-harm safety
answer adds ``[reminders] self_harm_follow_up_hours`` whatever the category) the holder
is prompted to follow up with the person, with a one-tap "Followed up". Unanswered for
``follow_up_remind_hours`` the holder is reminded, and after as long again the
coordinator on duty is told (the chain of :mod:`bot.services.reminders`). Each step is
a stamp on a ``follow_ups`` row written in the reminder round's transaction, so it is
sent once, also across a restart. The prompts go to whoever holds the case when they
fall due (a colleague who took it over inherits them: the person's crisis does not
restart with a new worker), and stop once the case is closed or returned to police.
When several fall due at once (the bot was down, or a deployment turns this on for
cases already open) only the latest is asked; the earlier ones are recorded as
superseded (``done_by`` empty), so nobody gets a burst of stale prompts; and one whose
time passed more than ``[reminders] follow_up_grace_hours`` ago unasked (a long outage,
or the day this was switched on for cases open for weeks) is recorded the same way and
never asked, so nobody is asked about, or told of, a day long gone. Prompts, reminders
and the coordinators' notices wait out the quiet hours (:mod:`bot.domain.quiet`).
The hours are read from the configuration when they fall due, not frozen at filing.
After the tap the worker may add one typed line on how it went (:func:`note`): case
text, sealed with the stages' content, shown on the holder's card only and erased with
the case; the tap itself is recorded first, so a line never typed loses nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain import chase
from bot.domain.chase import Stamped, Step
from bot.domain.people import Person
from bot.domain.referral import Referral, Safety
from bot.services import Services
from bot.services.notices import Changed, Notice, NoticeKind
from bot.services.overdue import tell_coordinators
from storage import audit, case_work, follow_ups, people, referrals
from storage.db import Conn
from storage.follow_ups import FollowUp


def hours_for(services: Services, referral: Referral) -> list[int]:
    """After how many hours of first contact ``referral`` asks for a follow-up."""
    category = services.config.category(referral.category)
    hours = set(category.follow_up_hours if category is not None else [])
    if Safety.SELF_HARM in referral.safety:
        hours |= set(services.config.reminders.self_harm_follow_up_hours)
    return sorted(hours)


async def due(tx: Conn, services: Services, referral: Referral, now: datetime) -> list[Notice]:
    """The follow-up steps of one working case that fall due by ``now``, stamped."""
    hours = hours_for(services, referral)
    if not hours or referral.contacted_at is None or referral.assignee_id is None:
        return []
    worker = await people.by_id(tx, referral.assignee_id)
    if worker is None:
        return []
    notices: list[Notice] = []
    sent = await follow_ups.of(tx, referral.id)
    settings = services.config.reminders
    wait = timedelta(hours=settings.follow_up_remind_hours)
    quiet = settings.quiet(services.config.zone)
    contacted = referral.contacted_at
    at = {h: quiet.after(contacted + timedelta(hours=h)) for h in hours}
    fallen_due = [h for h in hours if quiet.due(at[h], now)]
    missed = [
        h for h in fallen_due if now - at[h] > timedelta(hours=settings.follow_up_grace_hours)
    ]
    for h in hours:
        values = {"hours": str(h)}
        remind = Notice(NoticeKind.REMIND_FOLLOW_UP, worker, referral.id, values=values)
        row = sent.get(h)
        if row is None:
            if h not in fallen_due:
                continue
            if h in missed or h != fallen_due[-1]:  # long past, or a later one asks
                await follow_ups.superseded(tx, referral.id, h, now)
            elif await follow_ups.prompt(tx, referral.id, h, now):
                notices.append(Notice(NoticeKind.FOLLOW_UP, worker, referral.id, values=values))
            continue
        if row.done_at is not None:
            continue
        stamped = Stamped(
            reminded=row.reminded_at is not None, escalated=row.escalated_at is not None
        )
        for step in chase.due(row.prompted_at, wait, 2 * wait, now, stamped, quiet):
            if step is Step.REMIND and await follow_ups.stamp(
                tx, referral.id, h, "reminded_at", now
            ):
                notices.append(remind)
            elif step is Step.ESCALATE and await follow_ups.stamp(
                tx, referral.id, h, "escalated_at", now
            ):
                notices += await tell_coordinators(
                    tx, services, referral, worker, now, NoticeKind.FOLLOW_UP_OVERDUE, values
                )
    return notices


async def followed_up(services: Services, person: Person, referral_id: int, hours: int) -> Changed:
    """The holder followed up (the prompt for ``hours``); unchanged for a stale or
    repeated tap, a case no longer theirs or no longer open."""
    now = services.clock.now()
    async with services.db.write() as tx:
        referral = await referrals.held(tx, referral_id, person.id)
        if referral is None or not await follow_ups.done(tx, referral_id, hours, person.id, now):
            return Changed(referral or await referrals.by_id(tx, referral_id), False)
        await audit.record(
            tx, now=now, action="case.followed_up", actor_person_id=person.id, subject=referral.ref
        )
        await referrals.touch(tx, referral_id, now)  # an update: the weekly nudge waits
        return Changed(referral, True)


async def of(services: Services, referral_id: int) -> dict[int, FollowUp]:
    """The referral's follow-up prompts so far, by their hours."""
    return await follow_ups.of(services.db.reader, referral_id)


async def note(
    services: Services, person: Person, referral_id: int, hours: int, line: str
) -> Referral | None:
    """The line on how the follow-up for ``hours`` went, from the worker who followed up
    and still holds the case; None (nothing saved) otherwise. The audit trail records
    that a line was added, never the line."""
    now = services.clock.now()
    async with services.db.write() as tx:
        referral = await referrals.by_id(tx, referral_id)
        row = (await follow_ups.of(tx, referral_id)).get(hours)
        if (
            referral is None
            or referral.assignee_id != person.id
            or row is None
            or row.done_by != person.id
        ):
            return None
        await case_work.note_follow_up(tx, referral_id, hours, line, person.id, now)
        await referrals.touch(tx, referral_id, now)
        await audit.record(
            tx,
            now=now,
            action="case.follow_up_noted",
            actor_person_id=person.id,
            subject=referral.ref,
        )
        return referral
