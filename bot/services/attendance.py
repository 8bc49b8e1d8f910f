"""A worker at the scene, or an appropriate adult at the questioning: the times that count.

Police at a domestic dispute wait for the social worker; a minor may not be questioned
before the appropriate adult is there. So every referral a worker attends in person
(a co-response, a worker the officer asked for at the scene, an appropriate adult)
keeps when the worker set off (with the arrival they estimated), when they arrived, and
the officer's word once they did ("Police may leave now" / "We stay"); an appropriate
adult's attendance ends with "Questioning ended", marked by the officer or the adult.
Each time is kept once (a double tap changes nothing), audited, and told to the other
side through the outbox. The arrival clock's reminders are in bot/services/reminders.py.
"""

from __future__ import annotations

from bot.domain.people import Person
from bot.domain.referral import Eta, PoliceAnswer, Referral
from bot.services import Services, outbox
from bot.services.notices import Changed, Notice, NoticeKind
from bot.services.overdue import coordinators_to_tell
from storage import audit, people, referrals
from storage.db import Conn


async def _attended(tx: Conn, person: Person, referral_id: int) -> Referral | None:
    """The worker's own open case that they attend in person; None otherwise."""
    referral = await referrals.held(tx, referral_id, person.id)
    return referral if referral is not None and referral.attended else None


async def _officer(tx: Conn, referral: Referral) -> Person:
    officer = await people.by_id(tx, referral.officer_id)
    assert officer is not None
    return officer


async def _record(tx: Conn, services: Services, action: str, person: Person, ref: str) -> None:
    await audit.record(
        tx, now=services.clock.now(), action=action, actor_person_id=person.id, subject=ref
    )


async def on_way(services: Services, person: Person, referral_id: int, eta: Eta) -> Changed:
    """The worker sets off, expecting to be there in ``eta`` minutes; the officer hears
    when they set off and when to expect them."""
    now = services.clock.now()
    async with services.db.write() as tx:
        referral = await _attended(tx, person, referral_id)
        if referral is None or not await referrals.set_on_way(tx, referral_id, now, int(eta)):
            return Changed(referral, False)
        await _record(tx, services, "attendance.on_way", person, referral.ref)
        told = Notice(
            NoticeKind.ON_WAY,
            await _officer(tx, referral),
            referral.id,
            values={"worker": person.display_name},
        )
        sent = await outbox.enqueue(tx, services, [told])
        return Changed(await referrals.by_id(tx, referral_id), True, tuple(sent))


async def arrived(services: Services, person: Person, referral_id: int) -> Changed:
    """The worker is there: the arrival clock stops, and the officer hears it with the
    question police need answered (may they leave?) or, for an appropriate adult, that
    the questioning may start."""
    now = services.clock.now()
    async with services.db.write() as tx:
        referral = await _attended(tx, person, referral_id)
        if referral is None or not await referrals.stamp(tx, referral_id, "arrived_at", now):
            return Changed(referral, False)
        await _record(tx, services, "attendance.arrived", person, referral.ref)
        told = Notice(
            NoticeKind.ARRIVED,
            await _officer(tx, referral),
            referral.id,
            values={"worker": person.display_name},
        )
        sent = await outbox.enqueue(tx, services, [told])
        return Changed(await referrals.by_id(tx, referral_id), True, tuple(sent))


async def police_answer(
    services: Services, officer: Person, referral_id: int, answer: PoliceAnswer
) -> Changed:
    """The filing officer's word once the worker arrived; the worker hears it. "We stay"
    may become "Police may leave now" later; nothing changes after leaving."""
    now = services.clock.now()
    async with services.db.write() as tx:
        referral = await referrals.by_id(tx, referral_id)
        if (
            referral is None
            or referral.officer_id != officer.id
            or referral.appropriate_adult_now  # the questioning decides, not the scene
            or referral.assignee_id is None
            or not await referrals.set_police_answer(tx, referral_id, answer, now)
        ):
            return Changed(referral, False)
        await _record(tx, services, f"attendance.police_{answer.value}", officer, referral.ref)
        worker = await people.by_id(tx, referral.assignee_id)
        notices = []
        if worker is not None:
            notices.append(
                Notice(
                    NoticeKind.POLICE_ANSWER,
                    worker,
                    referral.id,
                    values={"officer": officer.display_name},
                )
            )
        sent = await outbox.enqueue(tx, services, notices)
        return Changed(await referrals.by_id(tx, referral_id), True, tuple(sent))


async def questioning_ended(services: Services, person: Person, referral_id: int) -> Changed:
    """The appropriate adult's attendance ends, marked by the filing officer or the adult
    once the adult was there; the other one and the coordinator on duty hear it with
    every time of the attendance."""
    now = services.clock.now()
    async with services.db.write() as tx:
        referral = await referrals.by_id(tx, referral_id)
        if (
            referral is None
            or not referral.appropriate_adult_now
            or person.id not in (referral.officer_id, referral.assignee_id)
            or referral.assignee_id is None
            or referral.arrived_at is None  # questioning may not start before the adult
            or not await referrals.stamp(tx, referral_id, "questioning_ended_at", now)
        ):
            return Changed(referral, False)
        await _record(tx, services, "attendance.questioning_ended", person, referral.ref)
        worker = await people.by_id(tx, referral.assignee_id)
        officer = await _officer(tx, referral)
        other = officer if person.id == referral.assignee_id else worker
        values = {"by": person.display_name, "worker": worker.display_name if worker else ""}
        recipients = [other] if other is not None else []
        if worker is not None:
            team = services.config.team_of(referral.station_id)
            recipients += [
                c
                for c in await coordinators_to_tell(
                    tx, services, team.id if team else None, now, worker
                )
                if c.id not in (officer.id, worker.id)
            ]
        notices = [
            Notice(NoticeKind.QUESTIONING_ENDED, r, referral.id, values=values) for r in recipients
        ]
        sent = await outbox.enqueue(tx, services, notices)
        return Changed(await referrals.by_id(tx, referral_id), True, tuple(sent))
