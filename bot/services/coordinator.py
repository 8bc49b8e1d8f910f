"""What a coordinator does with an escalation: see who was asked, take it, or assign it.

A coordinator may act on referrals from the stations their team covers, or from every
station when they cover all. Taking it themself makes it their case at once. Assigning
it to a worker offers it to that worker as an assignment (an offer naming who assigned it),
even a worker who is off duty or at their cap: the coordinator decides (the handler asks
once more first), and it is recorded who did. The case becomes the worker's only when
they answer "I take it": until then the referral stays on offer and its escalation
clock keeps running at the pace its plan set, as GoAlert keeps an alert escalating until
it is acknowledged, so an assignment to someone asleep at 03:00 cannot stop the night.
Not a status of its own: every reader of the status (case cards, /mine, reminders,
retention, the morning handover) keeps treating it as what it is, not yet anybody's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.escalation import held_for_morning
from bot.domain.people import Person, Role
from bot.domain.referral import Referral, Status
from bot.domain.rota import next_start
from bot.services import Services, outbox, rota
from bot.services.notices import Changed, Notice, NoticeKind
from bot.services.offers import FOREVER, NO_CAP, settle_accepted
from storage import audit, offers, people, referrals
from storage import outbox as stored_outbox
from storage.db import Conn
from storage.offers import OfferState


@dataclass(frozen=True)
class Asked:
    """One person a referral was offered to, and what became of it."""

    name: str
    state: OfferState
    reason: str | None
    note: str | None = None  # their own words, for "other reason" (coordinators only)
    assigned: bool = False  # a coordinator's assignment; ``note``: why they could not


def covers(services: Services, coordinator: Person, referral: Referral) -> bool:
    scope = coordinator.scope(Role.COORDINATOR)
    if scope is None:
        return False
    team = services.config.team_of(referral.station_id)
    return scope.all_stations or (team is not None and scope.team_id == team.id)


async def history(services: Services, referral_id: int) -> list[Asked]:
    """Who was offered the referral and how each answered (workers only)."""
    asked = []
    for offer in await offers.of_referral(services.db.reader, referral_id):
        one = await _asked(services, offer)
        if one is not None:
            asked.append(one)
    return asked


async def card_lateness(
    services: Services, coordinator: Person, referral_id: int, message_id: int | None
) -> str | None:
    """How many minutes late (as its card said) the step was that sent ``coordinator``
    the referral's card, or None if it came on time. The card is drawn again after
    "⬅ Back" from "Assign to…", and must say what it said the first time: the lateness
    is no column of its own, so it is read back from the notice that drew the card. The
    card tapped is the offer with that message; else the coordinator's latest card."""
    reader = services.db.reader
    cards = [
        o
        for o in await offers.of_referral(reader, referral_id)
        if o.kind == "coordinator" and o.person_id == coordinator.id
    ]
    tapped = [o for o in cards if message_id is not None and o.message_id == message_id]
    if not (tapped or cards):
        return None
    card = (tapped or cards)[-1]
    return (await stored_outbox.values_about_offer(reader, referral_id, card.id)).get("late")


async def declined(services: Services, offer_id: int) -> Asked | None:
    """One worker's offer and their answer (a reason typed after declining, say)."""
    offer = await offers.by_id(services.db.reader, offer_id)
    return await _asked(services, offer) if offer is not None else None


async def _asked(services: Services, offer: offers.Offer) -> Asked | None:
    if offer.kind != "worker":
        return None
    person = await people.by_id(services.db.reader, offer.person_id)
    if person is None:
        return None
    return Asked(person.display_name, offer.state, offer.reason, offer.note, offer.assigned)


@dataclass(frozen=True)
class Worker:
    """A worker as "Assign to…" lists them: on duty or not, away until when, their load."""

    person: Person
    load: int  # open cases
    on_duty: bool
    away_until: datetime | None  # a timed /away still running (None: not away, or no end)
    cap: int

    @property
    def at_cap(self) -> bool:
        return self.load >= self.cap

    @property
    def asks_twice(self) -> bool:
        """Off duty, away or at the cap: the coordinator is asked once more first."""
        return not self.on_duty or self.at_cap


async def team_workers(services: Services, referral: Referral) -> list[Worker]:
    """Every worker of the covering team (and its backup), on duty or not."""
    team = services.config.team_of(referral.station_id)
    if team is None:
        return []
    now = services.clock.now()
    cap = services.config.cases.max_open_per_worker
    found: list[Worker] = []
    for team_id in [team.id, *([team.backup_team] if team.backup_team else [])]:
        shift = await rota.on_duty(services, team_id=team_id, role=Role.SOCIAL_WORKER, at=now)
        for person, load in await people.workers_of_team(services.db.reader, team_id):
            if person.id == referral.officer_id:
                continue
            away = person.away_until
            timed = away if away is not None and now < away < FOREVER else None
            found.append(Worker(person, load, person.on_duty(shift, now), timed, cap))
    return found


async def worker(services: Services, referral: Referral, worker_id: int) -> Worker | None:
    """One worker of :func:`team_workers` (None if not of the covering teams)."""
    return next(
        (w for w in await team_workers(services, referral) if w.person.id == worker_id), None
    )


@dataclass(frozen=True)
class Assigned:
    done: bool
    referral: Referral | None
    taken_by: str | None = None
    notices: tuple[Notice, ...] = ()
    pending: bool = False  # offered to the worker: waiting for "I take it"


async def assign(
    services: Services, coordinator: Person, referral_id: int, worker_id: int
) -> Assigned:
    """Take the referral (``worker_id`` the coordinator's own), or offer it to a worker
    of the team as an assignment they confirm: the referral stays on offer, its clock
    running, and the officer hears that it waits for the worker's confirmation."""
    now = services.clock.now()
    async with services.db.write() as tx:
        referral = await referrals.by_id(tx, referral_id)
        worker = await people.by_id(tx, worker_id)
        allowed = (
            referral is not None
            and worker is not None
            and covers(services, coordinator, referral)
            and worker.active
            and worker.reachable  # the details could not reach them
            and (
                worker.id == coordinator.id  # "take it myself"
                or worker.id in {w.person.id for w in await team_workers(services, referral)}
            )
        )
        if referral is None or worker is None or not allowed or worker.id == referral.officer_id:
            await audit.record(
                tx,
                now=now,
                action="escalation.refused",
                actor_person_id=coordinator.id,
                subject=f"referral:{referral_id}",
                detail=f"person:{worker_id}",
            )
            return Assigned(False, None)
        if worker.id != coordinator.id and referral.status is Status.OFFERED:
            return await _offer_assignment(tx, services, coordinator, referral, worker)
        if referral.status is not Status.OFFERED or not await referrals.try_accept(
            tx, referral.id, worker.id, now, cap=NO_CAP
        ):
            taker = await people.by_id(tx, referral.assignee_id) if referral.assignee_id else None
            return Assigned(False, referral, taker.display_name if taker else None)
        by = None if worker.id == coordinator.id else coordinator
        accepted, notices = await settle_accepted(tx, referral, worker, now, by=by)
        notices = await outbox.enqueue(tx, services, notices)
    return Assigned(True, accepted, worker.display_name, tuple(notices))


async def _offer_assignment(
    tx: Conn, services: Services, coordinator: Person, referral: Referral, worker: Person
) -> Assigned:
    """The assignment card to ``worker`` and the officer's "waiting for confirmation";
    a second tap on the same worker while theirs is open changes nothing."""
    now = services.clock.now()
    waiting = [
        o
        for o in await offers.of_referral(tx, referral.id)
        if o.assigned and o.person_id == worker.id and o.state is OfferState.OPEN
    ]
    if waiting:
        return Assigned(True, referral, worker.display_name, pending=True)
    offer_id = await offers.insert(tx, referral.id, worker.id, now, assigned_by=coordinator.id)
    await referrals.add_event(
        tx,
        referral.id,
        now=now,
        actor_id=coordinator.id,
        from_status=Status.OFFERED,
        to_status=Status.OFFERED,
        reason=f"assigned to person {worker.id}, waiting for confirmation",
    )
    await audit.record(
        tx,
        now=now,
        action="referral.assignment_offered",
        actor_person_id=coordinator.id,
        subject=referral.ref,
        detail=f"person:{worker.id}",
    )
    officer = await people.by_id(tx, referral.officer_id)
    assert officer is not None
    by = {"by": coordinator.display_name}
    notices = [
        Notice(NoticeKind.ASSIGNMENT, worker, referral.id, offer_id=offer_id, values=by),
        Notice(
            NoticeKind.ASSIGNMENT_PENDING,
            officer,
            referral.id,
            values={"worker": worker.display_name, **by},
        ),
    ]
    notices = await outbox.enqueue(tx, services, notices)
    return Assigned(True, referral, worker.display_name, tuple(notices), pending=True)


async def hold(services: Services, coordinator: Person, referral_id: int, reason: str) -> Changed:
    """A routine referral held until the team's next shift, with the coordinator's reason."""
    now = services.clock.now()
    async with services.db.write() as tx:
        referral = await referrals.by_id(tx, referral_id)
        if (
            referral is None
            or referral.status is not Status.OFFERED
            or not held_for_morning(
                services.config.category_facts(referral.category).never_waits,
                referral.urgency,
                referral.appropriate_adult_now,
                False,
            )
            or not covers(services, coordinator, referral)
        ):
            return Changed(referral, False)
        team = services.config.team_of(referral.station_id)
        windows = team.service_windows() if team else []
        until = next_start(windows, now, services.config.zone) or now + timedelta(hours=12)
        await referrals.set_escalation(
            tx,
            referral.id,
            seen_next_action_at=referral.next_action_at,
            level=referral.level,
            rounds=referral.rounds,
            held=True,
            next_action_at=until,
            now=now,
        )
        await referrals.add_event(
            tx,
            referral.id,
            now=now,
            actor_id=coordinator.id,
            from_status=Status.OFFERED,
            to_status=Status.OFFERED,
            reason=f"held until morning: {reason}",
        )
        officer = await people.by_id(tx, referral.officer_id)
        held = await referrals.by_id(tx, referral.id)
        assert officer is not None
        told = Notice(
            NoticeKind.HELD_BY_COORDINATOR,
            officer,
            referral.id,
            values={"by": coordinator.display_name, "reason": reason},
        )
        return Changed(held, True, tuple(await outbox.enqueue(tx, services, [told])))
