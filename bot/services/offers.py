"""Offers: putting a referral in front of workers, and their one-tap answers.

First accept wins atomically (a conditional UPDATE whose row count decides), every
other open card is then edited to say who took it, and a decline re-offers at once to
the next eligible worker. Every tap is checked against the offer row: callback data
comes from the client and may be old, forwarded or forged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from bot.domain.people import Person, Role
from bot.domain.referral import DeclineReason, Referral, Skill, Status
from bot.domain.routing import Candidate, first_wave, next_candidate, required_skill
from bot.services import Services, outbox, rota
from bot.services.notices import Changed, Notice, NoticeKind
from storage import audit, offers, people, referrals
from storage.db import Conn
from storage.offers import OfferState

FOREVER = datetime(9999, 1, 1, tzinfo=UTC)  # away until they say otherwise
NO_CAP = 1_000_000  # a coordinator's assignment: they decided, the cap does not apply


class Answer(StrEnum):
    ACCEPTED = "accepted"  # you have the case now
    AT_CAP = "at_cap"  # you hold as many open cases as you may; the offer stays open
    ALREADY_YOURS = "already_yours"  # a double tap on Accept
    TAKEN = "taken"  # somebody else was first
    WITHDRAWN = "withdrawn"  # the officer withdrew it
    CLOSED = "closed"  # you declined earlier, or the offer ended otherwise
    DECLINED = "declined"
    NOT_YOURS = "not_yours"  # forged or forwarded: refused and audited


@dataclass(frozen=True)
class Outcome:
    answer: Answer
    referral: Referral | None = None
    taken_by: str | None = None
    notices: tuple[Notice, ...] = ()


async def candidates(
    tx: Conn, services: Services, referral: Referral, *, with_backup: bool = False
) -> list[Candidate]:
    """The social workers of the team covering the referral's station (and its backup
    team at the wider level), with skills and load; never the officer who filed it."""
    team = services.config.team_of(referral.station_id)
    if team is None:
        return []
    team_ids = [team.id]
    if with_backup and team.backup_team:
        team_ids.append(team.backup_team)
    now = services.clock.now()
    found: list[Candidate] = []
    for team_id in team_ids:
        shift = await rota.on_duty(services, team_id=team_id, role=Role.SOCIAL_WORKER, at=now)
        workers = [
            (person, load)
            for person, load in await people.workers_of_team(tx, team_id)
            if person.id != referral.officer_id
        ]
        skills = await people.skills_of(tx, [person.id for person, _ in workers])
        found += [
            Candidate(person, skills.get(person.id, frozenset()), load, person.on_duty(shift, now))
            for person, load in workers
        ]
    return found


def _preferred(services: Services, referral: Referral) -> Skill | None:
    """The skill the configuration names for the referral's category, offered first."""
    return services.config.category_facts(referral.category).skill


async def offer_wave(
    tx: Conn, services: Services, referral: Referral, exclude: set[int] | None = None
) -> list[Notice]:
    """Offer a new referral to every eligible worker (skilled ones first if any are free)."""
    pool = await candidates(tx, services, referral)
    cap = services.config.cases.max_open_per_worker
    need = required_skill(referral.appropriate_adult_now)
    wave = first_wave(
        pool, _preferred(services, referral), cap, exclude=exclude or set(), required=need
    )
    return [await _offer_to(tx, services, referral, c.person) for c in wave]


async def _offer_to(tx: Conn, services: Services, referral: Referral, person: Person) -> Notice:
    offer_id = await offers.insert(tx, referral.id, person.id, services.clock.now())
    return Notice(NoticeKind.OFFER, person, referral.id, offer_id=offer_id)


async def accept(services: Services, person: Person, offer_id: int) -> Outcome:
    now = services.clock.now()
    async with services.db.write() as tx:
        offer = await offers.by_id(tx, offer_id)
        if offer is None or offer.person_id != person.id:
            await _refused(tx, services, person, offer_id, "accept")
            return Outcome(Answer.NOT_YOURS)
        referral = await referrals.by_id(tx, offer.referral_id)
        assert referral is not None
        if offer.state is OfferState.ACCEPTED:
            return Outcome(Answer.ALREADY_YOURS, referral)
        if offer.state is not OfferState.OPEN:
            return await _why_not(tx, referral)
        # An assignment ("I take it"): the coordinator chose them, at the cap or not.
        assigned = offer.assigned
        cap = NO_CAP if assigned else services.config.cases.max_open_per_worker
        if referral.status is Status.OFFERED and await referrals.open_count(tx, person.id) >= cap:
            return Outcome(Answer.AT_CAP, referral)
        if not await referrals.try_accept(tx, referral.id, person.id, now, cap=cap):
            return await _why_not(tx, referral)
        await offers.settle(tx, offer.id, OfferState.ACCEPTED, now)
        by = await people.by_id(tx, offer.assigned_by) if offer.assigned_by else None
        accepted, notices = await settle_accepted(tx, referral, person, now, by=by)
        notices = await outbox.enqueue(tx, services, notices)
    return Outcome(Answer.ACCEPTED, accepted, person.display_name, tuple(notices))


async def settle_accepted(
    tx: Conn, referral: Referral, assignee: Person, now: datetime, by: Person | None = None
) -> tuple[Referral, list[Notice]]:
    """After the referral became ``assignee``'s: close every other card, record it, and
    say who must hear (the assignee gets the details; the officer how to reach them)."""
    others = await offers.settle_all_open(tx, referral.id, OfferState.TAKEN, now)
    actor = by or assignee
    await referrals.add_event(
        tx,
        referral.id,
        now=now,
        actor_id=actor.id,
        from_status=Status.OFFERED,
        to_status=Status.ACCEPTED,
        reason=f"assigned to person {assignee.id}" if by else None,
    )
    await audit.record(
        tx,
        now=now,
        action="referral.assigned" if by else "referral.accepted",
        actor_person_id=actor.id,
        subject=referral.ref,
        detail=f"person:{assignee.id}",
    )
    accepted = await referrals.by_id(tx, referral.id)
    officer = await people.by_id(tx, referral.officer_id)
    assert accepted is not None and officer is not None
    name = {"worker": assignee.display_name}
    by_name = {"by": by.display_name} if by else {}
    # The closed cards say who assigned it; the assigning coordinator's own reads "You…".
    closed = {**name, "worker_id": str(assignee.id), **by_name}
    if by is not None:
        closed["by_id"] = str(by.id)
    notices = [Notice(NoticeKind.REVEAL, assignee, referral.id, values=by_name)]
    for other in others:
        other_person = await people.by_id(tx, other.person_id)
        if other_person is not None and other.message_id is not None:
            notices.append(
                Notice(
                    NoticeKind.OFFER_TAKEN,
                    other_person,
                    referral.id,
                    offer_id=other.id,
                    message_id=other.message_id,
                    values=closed,
                )
            )
    officer_kind = NoticeKind.ASSIGNED if by else NoticeKind.ACCEPTED
    notices.append(
        Notice(
            officer_kind,
            officer,
            referral.id,
            values={**name, **by_name, "worker_telegram_id": str(assignee.telegram_id)},
        )
    )
    return accepted, notices


async def decline(
    services: Services, person: Person, offer_id: int, reason: DeclineReason
) -> Outcome:
    """Record the decline and offer the referral to the next eligible worker at once."""
    now = services.clock.now()
    async with services.db.write() as tx:
        offer = await offers.by_id(tx, offer_id)
        if offer is None or offer.person_id != person.id:
            await _refused(tx, services, person, offer_id, "decline")
            return Outcome(Answer.NOT_YOURS)
        referral = await referrals.by_id(tx, offer.referral_id)
        assert referral is not None
        if not await offers.settle(tx, offer.id, OfferState.DECLINED, now, reason.value):
            if offer.state is OfferState.DECLINED:
                return Outcome(Answer.DECLINED, referral)
            if offer.state is OfferState.ACCEPTED:  # declining after accepting: keep the case
                return Outcome(Answer.ALREADY_YOURS, referral)
            return await _why_not(tx, referral)
        await audit.record(
            tx,
            now=now,
            action="offer.declined",
            actor_person_id=person.id,
            subject=referral.ref,
            detail=reason.value,
        )
        notices = await outbox.enqueue(tx, services, await _reoffer(tx, services, referral))
    return Outcome(Answer.DECLINED, referral, notices=tuple(notices))


async def cannot_take(services: Services, person: Person, offer_id: int, reason: str) -> Changed:
    """The assignee's "I can't", with their reason: the assignment closes, and the
    referral is put back in front of the coordinators at once, each who had its card
    (and the one who assigned it) getting a fresh one that says who could not take it
    and why (sealed at rest, for coordinators only). The officer hears only that the
    worker could not take it. The escalation clock was never stopped: it runs on."""
    async with services.db.write() as tx:
        offer = await offers.by_id(tx, offer_id)
        if offer is None or offer.person_id != person.id:
            return Changed(None, False)
        refused = await refuse_assignment(tx, services, person, offer, reason)
        if refused is None:
            return Changed(None, False)
        referral, told = refused
        return Changed(referral, True, tuple(await outbox.enqueue(tx, services, told)))


async def refuse_assignment(
    tx: Conn, services: Services, person: Person, offer: offers.Offer, reason: str | None
) -> tuple[Referral, list[Notice]] | None:
    """Close ``person``'s open assignment as "I can't", in ``tx``: ``reason`` is their
    typed reason, or None when they were deactivated before answering (the cards then
    say so in each reader's language). Returns the referral and the notices (not yet
    enqueued); None if the assignment was not open (answered, or a double tap)."""
    now = services.clock.now()
    left = reason is None
    if not await offers.refuse_assignment(
        tx, offer.id, person.id, reason, now, code="left" if left else "cannot"
    ):
        return None
    referral = await referrals.by_id(tx, offer.referral_id)
    assert referral is not None
    await audit.record(
        tx,
        now=now,
        action="referral.assignment_refused",
        actor_person_id=None if left else person.id,
        subject=referral.ref,
        detail=f"person:{person.id}" if left else None,
    )
    if referral.status is not Status.OFFERED:  # withdrawn meanwhile: nobody to tell
        return referral, []
    told: list[Notice] = []
    again = {
        o.person_id for o in await offers.of_referral(tx, referral.id) if o.kind == "coordinator"
    } | ({offer.assigned_by} if offer.assigned_by else set())
    for coordinator_id in sorted(again):
        coordinator = await people.by_id(tx, coordinator_id)
        if coordinator is None or not coordinator.active or not coordinator.reachable:
            continue
        card = await offers.insert(tx, referral.id, coordinator.id, now, kind="coordinator")
        told.append(
            Notice(
                NoticeKind.ESCALATION,
                coordinator,
                referral.id,
                offer_id=card,
                values={"cannot": str(offer.id)},
            )
        )
    officer = await people.by_id(tx, referral.officer_id)
    assert officer is not None
    told.append(
        Notice(
            NoticeKind.ASSIGNMENT_REFUSED,
            officer,
            referral.id,
            values={"worker": person.display_name},
        )
    )
    return referral, told


async def explain_decline(services: Services, person: Person, offer_id: int, note: str) -> Changed:
    """The line a worker typed after declining for "other reason", kept sealed on their
    declined offer for coordinators only. The decline itself passed the offer on at
    once; this comes later, so each coordinator with a card already in front of them
    gets it as a reply to their newest card (a card still on its way is drawn with it).
    The card itself is not redrawn: it may be showing "Assign to…" or a question."""
    now = services.clock.now()
    async with services.db.write() as tx:
        offer = await offers.by_id(tx, offer_id)
        if offer is None or not await offers.add_note(
            tx, offer_id, person.id, DeclineReason.OTHER.value, note
        ):
            return Changed(None, False)
        referral = await referrals.by_id(tx, offer.referral_id)
        assert referral is not None
        await audit.record(
            tx,
            now=now,
            action="offer.decline_explained",
            actor_person_id=person.id,
            subject=referral.ref,
        )
        newest: dict[int, offers.Offer] = {}  # a coordinator's newest open card
        for card in await offers.of_referral(tx, referral.id):
            if card.kind == "coordinator" and card.state is OfferState.OPEN and card.message_id:
                newest[card.person_id] = card
        told = []
        for card in newest.values():
            coordinator = await people.by_id(tx, card.person_id)
            if coordinator is not None:
                told.append(
                    Notice(
                        NoticeKind.DECLINE_REASON,
                        coordinator,
                        referral.id,
                        offer_id=card.id,  # replied to where the card is when it is sent
                        values={"declined": str(offer_id)},
                    )
                )
        return Changed(referral, True, tuple(await outbox.enqueue(tx, services, told)))


async def _reoffer(tx: Conn, services: Services, referral: Referral) -> list[Notice]:
    if referral.status is not Status.OFFERED:
        return []
    history = await offers.of_referral(tx, referral.id)
    pool = await candidates(tx, services, referral)
    cap = services.config.cases.max_open_per_worker
    already = {o.person_id for o in history}
    need = required_skill(referral.appropriate_adult_now)
    chosen = next_candidate(
        pool, _preferred(services, referral), cap, exclude=already, required=need
    )
    if chosen is not None:
        return [await _offer_to(tx, services, referral, chosen.person)]
    # Open offers include cards still on their way; one that cannot be delivered is
    # closed as expired (see undeliverable), so it no longer counts.
    if any(o.state is OfferState.OPEN for o in history):
        return []  # others who have (or are getting) the card may still accept
    if referral.held:
        return []  # it waits for the morning shift anyway
    # Nobody left at this level: the next escalation step is due now, not at its time.
    await referrals.set_escalation(
        tx,
        referral.id,
        seen_next_action_at=referral.next_action_at,
        level=referral.level,
        rounds=referral.rounds,
        held=referral.held,
        next_action_at=services.clock.now(),
        now=services.clock.now(),
    )
    if not any(o.state is OfferState.DECLINED for o in history):
        return []  # nobody declined: the cards could not reach anyone (the officer was told)
    officer = await people.by_id(tx, referral.officer_id)
    assert officer is not None
    return [Notice(NoticeKind.ALL_DECLINED, officer, referral.id)]


async def became_available(services: Services, person: Person) -> list[Notice]:
    """A worker says they are available: offer them what their team still has waiting."""
    now = services.clock.now()
    async with services.db.write() as tx:
        await people.set_available(tx, person.id, True, now)
        await people.set_away_until(tx, person.id, None, now)
        await people.set_reachable(tx, person.id, True, now)  # they just wrote to us
        await audit.record(tx, now=now, action="worker.available", actor_person_id=person.id)
        team_id = person.team_id
        if team_id is None:
            return []
        notices: list[Notice] = []
        for referral in await referrals.on_offer_for_team(tx, team_id):
            offered = {
                o.person_id
                for o in await offers.of_referral(tx, referral.id)
                if o.state is not OfferState.EXPIRED  # an undelivered card may go again
            }
            pool = await candidates(tx, services, referral)
            me = [c for c in pool if c.person.id == person.id]
            cap = services.config.cases.max_open_per_worker
            need = required_skill(referral.appropriate_adult_now)
            if (
                me
                and person.id not in offered
                and first_wave(me, _preferred(services, referral), cap, set(), need)
            ):
                notices.append(await _offer_to(tx, services, referral, me[0].person))
        return await outbox.enqueue(tx, services, notices)


async def went_away(
    services: Services, person: Person, until: datetime | None = None, *, extend_only: bool = False
) -> datetime:
    """No new offers, until ``until`` or until they send /available (the rota included).
    ``extend_only`` (the rest after a night call-out): an away already running later (or
    with no end) is kept, not shortened. Returns until when they are away now (FOREVER:
    until /available)."""
    now = services.clock.now()
    wanted = until or FOREVER
    async with services.db.write() as tx:
        if extend_only:
            current = await people.by_id(tx, person.id)
            running = current.away_until if current is not None else None
            if running is not None and running >= wanted:
                return running
        await people.set_available(tx, person.id, False, now)
        await people.set_away_until(tx, person.id, wanted, now)
        await audit.record(tx, now=now, action="worker.away", actor_person_id=person.id)
    return wanted


async def undeliverable(services: Services, offer_id: int) -> list[Notice]:
    """The offer card could not reach its worker (they blocked the bot): close the offer,
    mark them unreachable, and offer the referral to the next eligible worker."""
    now = services.clock.now()
    async with services.db.write() as tx:
        offer = await offers.by_id(tx, offer_id)
        if offer is None or not await offers.settle(
            tx, offer_id, OfferState.EXPIRED, now, "unreachable"
        ):
            return []
        told = await mark_unreachable(tx, services, offer.person_id)
        referral = await referrals.by_id(tx, offer.referral_id)
        assert referral is not None
        if offer.kind == "coordinator":  # nobody was alerted at this level: go on at once
            others = await offers.of_referral(tx, referral.id)
            if referral.status is Status.OFFERED and not any(
                o.state is OfferState.OPEN for o in others
            ):
                await referrals.set_escalation(
                    tx,
                    referral.id,
                    seen_next_action_at=referral.next_action_at,
                    level=referral.level,
                    rounds=referral.rounds,
                    held=referral.held,
                    next_action_at=now,
                    now=now,
                )
            return await outbox.enqueue(tx, services, told)
        return await outbox.enqueue(tx, services, [*told, *await _reoffer(tx, services, referral)])


async def unreachable(services: Services, person: Person) -> list[Notice]:
    """Telegram refused a message to ``person`` (they blocked the bot)."""
    async with services.db.write() as tx:
        return await outbox.enqueue(tx, services, await mark_unreachable(tx, services, person.id))


async def mark_unreachable(tx: Conn, services: Services, person_id: int) -> list[Notice]:
    """Mark the person unreachable and, the first time, tell their coordinators at once,
    so the gap is fixed before the night it would matter."""
    person = await people.by_id(tx, person_id)
    if person is None or not person.reachable:
        return []
    now = services.clock.now()
    await people.set_reachable(tx, person.id, False, now)
    await audit.record(tx, now=now, action="person.unreachable", subject=f"person:{person.id}")
    team_id = person.team_id
    if team_id is None and person.station_id is not None:
        team = services.config.team_of(person.station_id)
        team_id = team.id if team else None
    return [
        Notice(NoticeKind.UNREACHABLE, coordinator, None, values={"person": person.display_name})
        for coordinator in await people.coordinators_for(tx, team_id)
        if coordinator.id != person.id and coordinator.reachable
    ]


async def delivered_count(services: Services, referral_id: int) -> int:
    """How many workers have this referral's offer card, or will once a send that failed
    for a moment is retried (an offer Telegram refused for good is closed, not counted)."""
    return sum(
        1
        for o in await offers.of_referral(services.db.reader, referral_id)
        if o.kind == "worker" and (o.message_id is not None or o.state is OfferState.OPEN)
    )


async def is_open(services: Services, offer_id: int) -> bool:
    offer = await offers.by_id(services.db.reader, offer_id)
    return offer is not None and offer.state is OfferState.OPEN


async def card_of(services: Services, offer_id: int) -> int | None:
    offer = await offers.by_id(services.db.reader, offer_id)
    return offer.message_id if offer else None


async def is_theirs(services: Services, person: Person, offer_id: int) -> bool:
    """Whether the offer was made to ``person``; a refusal is audited."""
    offer = await offers.by_id(services.db.reader, offer_id)
    if offer is not None and offer.person_id == person.id:
        return True
    async with services.db.write() as tx:
        await _refused(tx, services, person, offer_id, "open")
    return False


async def open_assignment(
    services: Services, person: Person, offer_id: int
) -> tuple[Referral, str] | None:
    """``person``'s assignment still waiting for their answer, with the name of the
    coordinator who made it (to draw its card again); None otherwise (a tap on someone
    else's card is audited)."""
    reader = services.db.reader
    offer = await offers.by_id(reader, offer_id)
    if offer is None or offer.person_id != person.id:
        async with services.db.write() as tx:
            await _refused(tx, services, person, offer_id, "cannot")
        return None
    referral = await referrals.by_id(reader, offer.referral_id)
    if (
        not offer.assigned
        or offer.state is not OfferState.OPEN
        or referral is None
        or referral.status is not Status.OFFERED
    ):
        return None
    by = await people.by_id(reader, offer.assigned_by) if offer.assigned_by else None
    return referral, by.display_name if by else ""


async def record_card(services: Services, offer_id: int, chat_id: int, message_id: int) -> bool:
    """Remember where an offer card is, so it can be edited when the referral is taken;
    True while the referral is still on offer."""
    async with services.db.statement() as conn:
        return await offers.record_card(conn, offer_id, chat_id, message_id)


async def _why_not(tx: Conn, referral: Referral) -> Outcome:
    if referral.status is Status.WITHDRAWN:
        return Outcome(Answer.WITHDRAWN, referral)
    if referral.assignee_id is not None:
        taker = await people.by_id(tx, referral.assignee_id)
        return Outcome(Answer.TAKEN, referral, taker.display_name if taker else None)
    return Outcome(Answer.CLOSED, referral)


async def _refused(tx: Conn, services: Services, person: Person, offer_id: int, what: str) -> None:
    await audit.record(
        tx,
        now=services.clock.now(),
        action="offer.refused",
        actor_person_id=person.id,
        actor_telegram_id=person.telegram_id,
        subject=f"offer:{offer_id}",
        detail=what,
    )


async def referral_ref_of_offer(services: Services, offer_id: int) -> str | None:
    offer = await offers.by_id(services.db.reader, offer_id)
    referral = await referrals.by_id(services.db.reader, offer.referral_id) if offer else None
    return referral.ref if referral else None
