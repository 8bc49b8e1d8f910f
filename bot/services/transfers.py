"""Handing an open case on: to a colleague of the team, or back to the coordinators.

A worker who cannot go on with a case (leave, a conflict of interest, a load too heavy)
asks a colleague of the team to take it over, with a one-line reason. The colleague
answers **I take it** or **I can't**. Until they take it the case stays the worker's:
only one person holds a case at a time, and a request nobody answers leaves nobody
without it. If nobody answers within :data:`ANSWER_WITHIN`, the coordinators hear
(a timer kept in the request's row, checked by the engine, so a restart delays it at
most one tick and never fires it twice); the request stays open for the colleague.

On take-over the colleague gets the details (protected, audited: the ordinary reveal
notice) and the case card; the old holder's details come off her phone under the
agency's existing hiding rules (the case is not hers any more, as if it had ended for
her); her card says who has it now; the officer hears who holds it now.

"Back to the coordinator" (and deactivating a person who holds open cases) puts the
case back on offer at the coordinators' level: each coordinator on duty (every one of
the team's when nobody is) gets the escalation card, Take it myself / Assign, and the
escalation clock runs from there, so it reminds them until someone takes it. The case
starts again at intake for its new holder, who makes first contact anew.

The typed reason is sealed at rest and shown only to the colleague and the
coordinators (masked like every typed reason); it is never logged or audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.domain.escalation import Level
from bot.domain.people import Person, Role
from bot.domain.referral import WORKING, Referral, Status, arrival_target
from bot.domain.routing import required_skill
from bot.services import Services, care, outbox, rota
from bot.services.escalation import plan_of
from bot.services.notices import Changed, Notice, NoticeKind
from bot.services.offers import refuse_assignment
from bot.services.overdue import coordinators_to_tell
from storage import audit, case_handovers, offers, people, referrals
from storage.case_handovers import Handover, HandoverState
from storage.db import Conn

__all__ = [
    "ANSWER_WITHIN",
    "TO_COORDINATORS",
    "Answered",
    "Asked",
    "Colleague",
    "HandoverState",
    "Waiting",
    "answer",
    "ask",
    "colleagues",
    "confirming",
    "pending",
    "person_left",
    "put_before_coordinators",
    "record_request_card",
    "request",
    "taken_over_from",
    "to_coordinators",
    "unanswered",
    "waiting_for",
]

ANSWER_WITHIN = timedelta(hours=2)  # then the coordinators hear that nobody answered
TO_COORDINATORS = 0  # the "colleague" id that means: back to the coordinators


@dataclass(frozen=True)
class Colleague:
    person: Person
    open_cases: int
    on_duty: bool


async def colleagues(services: Services, holder: Person, referral: Referral) -> list[Colleague]:
    """The team's other active, reachable workers who may take the case over, each with
    whether they are on duty now and how many open cases they hold. A case that needs a
    trained appropriate adult goes only to one (as routing offers it only to them)."""
    team = services.config.team_of(referral.station_id)
    if team is None:
        return []
    now = services.clock.now()
    shift = await rota.on_duty(services, team_id=team.id, role=Role.SOCIAL_WORKER, at=now)
    found = [
        (person, load)
        for person, load in await people.workers_of_team(services.db.reader, team.id)
        if person.id not in (holder.id, referral.officer_id) and person.active and person.reachable
    ]
    need = required_skill(referral.appropriate_adult_now)
    if need is not None:
        skills = await people.skills_of(services.db.reader, [person.id for person, _ in found])
        found = [(p, load) for p, load in found if need in skills.get(p.id, frozenset())]
    return [Colleague(person, load, person.on_duty(shift, now)) for person, load in found]


async def pending(services: Services, referral_id: int) -> tuple[Handover, Person] | None:
    """The open request about a case, and the colleague it waits for."""
    found = await case_handovers.open_of_referral(services.db.reader, referral_id)
    if found is None:
        return None
    colleague = await people.by_id(services.db.reader, found.to_id)
    return (found, colleague) if colleague is not None else None


async def request(services: Services, handover_id: int) -> Handover | None:
    """One request (for the sender: is it still open, where is the colleague's card)."""
    return await case_handovers.by_id(services.db.reader, handover_id)


async def record_request_card(
    services: Services, handover_id: int, chat_id: int, message_id: int
) -> None:
    """Where the colleague's request card is, so a withdrawal can edit it later."""
    async with services.db.write() as tx:
        await case_handovers.record_offer_card(tx, handover_id, chat_id, message_id)


async def taken_over_from(services: Services, referral: Referral) -> Person | None:
    """Whom the current holder took the case over from (None: they accepted it from an
    offer or an assignment, not from a colleague)."""
    if referral.assignee_id is None or referral.holder_since == referral.accepted_at:
        return None
    taken = await case_handovers.last_taken(services.db.reader, referral.id)
    if taken is None or taken.to_id != referral.assignee_id:
        return None
    return await people.by_id(services.db.reader, taken.from_id)


async def confirming(services: Services, referral: Referral) -> list[Person]:
    """Whom a referral on offer waits for: the assignees who have not answered yet."""
    found = []
    for offer in await offers.of_referral(services.db.reader, referral.id):
        if offer.assigned and offer.state is offers.OfferState.OPEN:
            person = await people.by_id(services.db.reader, offer.person_id)
            if person is not None:
                found.append(person)
    return found


@dataclass(frozen=True)
class Waiting:
    """Something waiting for a worker's answer: a coordinator's assignment (``by`` the
    coordinator), or a colleague's request to take a case over (``by`` the colleague)."""

    referral: Referral
    by: str
    assignment: bool


async def waiting_for(services: Services, person: Person) -> list[Waiting]:
    """Assignments and handover requests still waiting for ``person``'s answer, for /mine."""
    reader, found = services.db.reader, []
    for offer in await offers.open_assignments_to(reader, person.id):
        referral = await referrals.by_id(reader, offer.referral_id)
        by = await people.by_id(reader, offer.assigned_by) if offer.assigned_by else None
        if referral is not None and referral.status is Status.OFFERED:
            found.append(Waiting(referral, by.display_name if by else "", assignment=True))
    for request in await case_handovers.open_to(reader, person.id):
        referral = await referrals.by_id(reader, request.referral_id)
        holder = await people.by_id(reader, request.from_id)
        if referral is not None and holder is not None and referral.assignee_id == holder.id:
            found.append(Waiting(referral, holder.display_name, assignment=False))
    return found


@dataclass(frozen=True)
class Asked:
    """The result of asking: ``colleague`` when the request went out; ``waiting`` when
    an earlier request still waits (for that colleague); neither when the case moved on
    or the colleague may not take it."""

    colleague: Person | None = None
    waiting: Person | None = None
    notices: tuple[Notice, ...] = ()


async def ask(
    services: Services,
    holder: Person,
    referral_id: int,
    colleague_id: int,
    reason: str,
    card_message_id: int | None,
) -> Asked:
    """Ask ``colleague_id`` to take the holder's open case over."""
    now = services.clock.now()
    async with services.db.write() as tx:
        referral = await referrals.by_id(tx, referral_id)
        if referral is None or referral.assignee_id != holder.id or referral.status not in WORKING:
            return Asked()
        waiting = await case_handovers.open_of_referral(tx, referral_id)
        if waiting is not None:
            return Asked(waiting=await people.by_id(tx, waiting.to_id))
        allowed = {c.person.id: c.person for c in await colleagues(services, holder, referral)}
        colleague = allowed.get(colleague_id)
        if colleague is None:
            await audit.record(
                tx,
                now=now,
                action="handover.refused",
                actor_person_id=holder.id,
                subject=referral.ref,
                detail=f"person:{colleague_id}",
            )
            return Asked()
        handover_id = await case_handovers.insert(
            tx,
            referral_id=referral.id,
            from_id=holder.id,
            to_id=colleague.id,
            reason=reason,
            now=now,
            remind_at=now + ANSWER_WITHIN,
            card_message_id=card_message_id,
        )
        await audit.record(
            tx,
            now=now,
            action="handover.asked",
            actor_person_id=holder.id,
            subject=referral.ref,
            detail=f"person:{colleague.id}",  # never the reason: it is typed text
        )
        offer = Notice(
            NoticeKind.HANDOVER_OFFER,
            colleague,
            referral.id,
            values={"from": holder.display_name, "reason": reason, "handover": str(handover_id)},
        )
        sent = await outbox.enqueue(tx, services, [offer])
    return Asked(colleague=colleague, notices=tuple(sent))


@dataclass(frozen=True)
class Answered:
    """``done``: this tap decided it; else ``state`` says how it was decided before
    (None: the case moved on, or the request is not the presser's)."""

    done: bool
    referral: Referral | None = None
    state: HandoverState | None = None
    holder: str = ""
    notices: tuple[Notice, ...] = ()


async def answer(services: Services, colleague: Person, handover_id: int, take: bool) -> Answered:
    """The colleague takes the case over, or cannot."""
    now = services.clock.now()
    async with services.db.write() as tx:
        request = await case_handovers.by_id(tx, handover_id)
        if request is None or request.to_id != colleague.id:
            # Filed under the referral when there is one, so its /audit shows the tap.
            await audit.record(
                tx,
                now=now,
                action="handover.refused",
                actor_person_id=colleague.id,
                subject=f"handover:{handover_id}"
                if request is None
                else f"referral:{request.referral_id}",
                detail=f"button:h:{handover_id}:{'y' if take else 'n'}",
            )
            return Answered(False)
        referral = await referrals.by_id(tx, request.referral_id)
        holder = await people.by_id(tx, request.from_id)
        assert referral is not None and holder is not None
        if request.state is not HandoverState.OPEN:
            return Answered(False, referral, request.state, holder.display_name)
        if referral.assignee_id != holder.id or referral.status not in WORKING:
            await case_handovers.settle(tx, request.id, HandoverState.CANCELLED, now)
            return Answered(False, referral, HandoverState.CANCELLED, holder.display_name)
        if not take:
            await case_handovers.settle(tx, request.id, HandoverState.REFUSED, now)
            await audit.record(
                tx,
                now=now,
                action="handover.declined",
                actor_person_id=colleague.id,
                subject=referral.ref,
                detail=f"person:{holder.id}",
            )
            told = Notice(
                NoticeKind.HANDOVER_REFUSED,
                holder,
                referral.id,
                values={"worker": colleague.display_name},
            )
            sent = await outbox.enqueue(tx, services, [told])
            return Answered(True, referral, HandoverState.REFUSED, holder.display_name, tuple(sent))
        await case_handovers.move_case(
            tx, referral.id, from_id=holder.id, to_id=colleague.id, now=now
        )
        await case_handovers.settle(tx, request.id, HandoverState.TAKEN, now)
        await referrals.add_event(
            tx,
            referral.id,
            now=now,
            actor_id=colleague.id,
            from_status=referral.status,
            to_status=referral.status,
            reason=f"handed over by person {holder.id}: {request.reason}",  # sealed
        )
        await audit.record(
            tx,
            now=now,
            action="referral.handed_over",
            actor_person_id=colleague.id,
            actor_telegram_id=colleague.telegram_id,
            subject=referral.ref,
            detail=f"person:{holder.id}",
        )
        officer = await people.by_id(tx, referral.officer_id)
        moved = await referrals.by_id(tx, referral.id)
        assert officer is not None and moved is not None
        taken = {"worker": colleague.display_name}
        notices = [
            Notice(NoticeKind.REVEAL, colleague, referral.id, values={"from": holder.display_name}),
            Notice(
                NoticeKind.HANDED_OVER,
                holder,
                referral.id,
                message_id=request.card_message_id,
                values=taken,
            ),
            Notice(
                NoticeKind.NOW_WITH,
                officer,
                referral.id,
                values={
                    **taken,
                    "worker_telegram_id": str(colleague.telegram_id),
                    **_clock_again(services, moved),
                },
            ),
        ]
        sent = await outbox.enqueue(tx, services, notices)
    return Answered(True, moved, HandoverState.TAKEN, holder.display_name, tuple(sent))


async def to_coordinators(
    services: Services, holder: Person, referral_id: int, reason: str
) -> Changed:
    """The holder hands the case back to the coordinators, with a reason."""
    async with services.db.write() as tx:
        referral = await referrals.by_id(tx, referral_id)
        if referral is None or referral.assignee_id != holder.id or referral.status not in WORKING:
            return Changed(referral, False)
        notices = await put_before_coordinators(
            tx, services, referral, holder, {"back_from": holder.display_name, "reason": reason}
        )
        sent = await outbox.enqueue(tx, services, notices)
        return Changed(await referrals.by_id(tx, referral_id), True, tuple(sent))


def _clock_again(services: Services, referral: Referral) -> dict[str, str]:
    """For the officer's notice of a new holder: the new holder's arrival target, where a
    worker is still expected at the scene (the clock started again with the take-over)."""
    minutes = services.config.arrival.target_minutes(
        referral.urgency, referral.appropriate_adult_now
    )
    target = arrival_target(referral, minutes)
    if target is None or referral.arrived_at is not None:
        return {}
    return {"target": target.isoformat()}


async def put_before_coordinators(
    tx: Conn, services: Services, referral: Referral, holder: Person, values: dict[str, str]
) -> list[Notice]:
    """Put ``holder``'s open case back on offer before the coordinators, in ``tx``:
    their escalation cards (which say why, from ``values``), the officer's notice, and
    the end of any open request about it. Returns the notices (not yet enqueued)."""
    now = services.clock.now()
    plan = plan_of(services, referral)
    if not await case_handovers.back_on_offer(
        tx,
        referral.id,
        from_id=holder.id,
        level=int(Level.COORDINATOR),
        next_action_at=now + plan.wait(Level.COORDINATOR),
        now=now,
    ):
        return []
    left = "left" in values
    withdrawn = [
        Notice(
            NoticeKind.HANDOVER_WITHDRAWN,
            colleague,
            referral.id,
            values={
                "handover": str(request.id),
                "from": holder.display_name,
                **({"left": "1"} if left else {}),
            },
        )
        for request in await case_handovers.cancel_open_of(tx, referral.id, now)
        if (colleague := await people.by_id(tx, request.to_id)) is not None
    ]
    await referrals.add_event(
        tx,
        referral.id,
        now=now,
        actor_id=None if left else holder.id,
        from_status=referral.status,
        to_status=Status.OFFERED,
        reason=(
            f"person {holder.id} deactivated"
            if left
            else f"handed back to the coordinators: {values.get('reason', '')}"  # sealed
        ),
    )
    await audit.record(
        tx,
        now=now,
        action="referral.holder_deactivated" if left else "referral.handed_back",
        actor_person_id=None if left else holder.id,
        subject=referral.ref,
        detail=f"person:{holder.id}",
    )
    team = services.config.team_of(referral.station_id)
    told = await coordinators_to_tell(tx, services, team.id if team else None, now, holder)
    cards = [
        Notice(
            NoticeKind.ESCALATION,
            coordinator,
            referral.id,
            offer_id=await offers.insert(tx, referral.id, coordinator.id, now, kind="coordinator"),
            values=values,
        )
        for coordinator in told
        if coordinator.id != referral.officer_id
    ]
    officer = await people.by_id(tx, referral.officer_id)
    assert officer is not None
    heard = {
        "worker": holder.display_name,
        **({"left": "1"} if left else {}),
        **({"expected": "1"} if referral.attended and not referral.attendance_finished else {}),
    }
    # Handed back, the case ends for this worker: a critical one is debriefed (not when
    # their access was turned off: they have left).
    debrief = [] if left else await care.debrief_prompts(tx, services, referral, holder, now)
    return [
        *cards,
        *withdrawn,
        Notice(NoticeKind.BACK_TO_COORDINATORS, officer, referral.id, values=heard),
        *debrief,
    ]


async def person_left(tx: Conn, services: Services, person: Person) -> list[Notice]:
    """``person`` was deactivated, in ``tx``: each of their open cases goes before the
    coordinators at once (one card each); an assignment still waiting for their answer
    is refused for them, as their "I can't" would be (fresh cards to the coordinators,
    saying they left; the officer told); and a colleague who asked them to take a case
    over hears that they cannot. Returns the notices, enqueued."""
    now = services.clock.now()
    notices: list[Notice] = []
    for assignment in await offers.open_assignments_to(tx, person.id):
        refused = await refuse_assignment(tx, services, person, assignment, None)
        if refused is not None:
            notices += refused[1]
    for referral in await referrals.open_cases_of(tx, person.id):
        notices += await put_before_coordinators(
            tx, services, referral, person, {"left": person.display_name}
        )
    for request in await case_handovers.open_to(tx, person.id):
        if not await case_handovers.settle(tx, request.id, HandoverState.CANCELLED, now):
            continue
        holder = await people.by_id(tx, request.from_id)
        if holder is not None:
            notices.append(
                Notice(
                    NoticeKind.HANDOVER_REFUSED,
                    holder,
                    request.referral_id,
                    values={"worker": person.display_name},
                )
            )
    return await outbox.enqueue(tx, services, notices)


async def unanswered(services: Services) -> list[Notice]:
    """Requests nobody answered in time: the coordinators hear, once (the engine's tick).
    A request whose case moved on meanwhile is closed instead."""
    now = services.clock.now()
    notices: list[Notice] = []
    async with services.db.write() as tx:
        for request in await case_handovers.due(tx, now):
            assert request.remind_at is not None
            if not await case_handovers.reminded(tx, request.id, request.remind_at):
                continue
            referral = await referrals.by_id(tx, request.referral_id)
            holder = await people.by_id(tx, request.from_id)
            colleague = await people.by_id(tx, request.to_id)
            if referral is None or holder is None or colleague is None:
                continue
            if referral.assignee_id != holder.id or referral.status not in WORKING:
                await case_handovers.settle(tx, request.id, HandoverState.CANCELLED, now)
                continue
            team = services.config.team_of(referral.station_id)
            values = {
                "from": holder.display_name,
                "worker": colleague.display_name,
                "since": request.created_at.isoformat(),
            }
            notices += [
                Notice(NoticeKind.HANDOVER_UNANSWERED, coordinator, referral.id, values=values)
                for coordinator in await coordinators_to_tell(
                    tx, services, team.id if team else None, now, holder
                )
            ]
        return await outbox.enqueue(tx, services, notices)
