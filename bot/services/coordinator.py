"""What a coordinator does with an escalation: see who was asked, take it, or assign it.

A coordinator may act on referrals from the stations their team covers, or from every
station when they cover all. Assigning makes it the worker's accepted case at once,
even a worker who is off duty or at their cap: the coordinator decides, and it is
recorded who did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.domain.escalation import held_for_morning
from bot.domain.people import Person, Role
from bot.domain.referral import Referral, Status
from bot.domain.rota import next_start
from bot.services import Services, outbox, rota
from bot.services.notices import Changed, Notice, NoticeKind
from bot.services.offers import settle_accepted
from storage import audit, offers, people, referrals
from storage import outbox as stored_outbox
from storage.offers import OfferState

NO_CAP = 1_000_000


@dataclass(frozen=True)
class Asked:
    """One person a referral was offered to, and what became of it."""

    name: str
    state: OfferState
    reason: str | None
    note: str | None = None  # their own words, for "other reason" (coordinators only)


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
    return Asked(person.display_name, offer.state, offer.reason, offer.note)


async def team_workers(services: Services, referral: Referral) -> list[tuple[Person, int, bool]]:
    """Every worker of the covering team (and its backup), on duty or not: (person, open
    cases, on duty now)."""
    team = services.config.team_of(referral.station_id)
    if team is None:
        return []
    now = services.clock.now()
    found: list[tuple[Person, int, bool]] = []
    for team_id in [team.id, *([team.backup_team] if team.backup_team else [])]:
        shift = await rota.on_duty(services, team_id=team_id, role=Role.SOCIAL_WORKER, at=now)
        found += [
            (person, load, person.on_duty(shift, now))
            for person, load in await people.workers_of_team(services.db.reader, team_id)
            if person.id != referral.officer_id
        ]
    return found


@dataclass(frozen=True)
class Assigned:
    done: bool
    referral: Referral | None
    taken_by: str | None = None
    notices: tuple[Notice, ...] = ()


async def assign(
    services: Services, coordinator: Person, referral_id: int, worker_id: int
) -> Assigned:
    """Give the referral to ``worker_id`` (the coordinator themself to take it)."""
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
                or worker.id in {p.id for p, _, _ in await team_workers(services, referral)}
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
        if referral.status is not Status.OFFERED or not await referrals.try_accept(
            tx, referral.id, worker.id, now, cap=NO_CAP
        ):
            taker = await people.by_id(tx, referral.assignee_id) if referral.assignee_id else None
            return Assigned(False, referral, taker.display_name if taker else None)
        by = None if worker.id == coordinator.id else coordinator
        accepted, notices = await settle_accepted(tx, referral, worker, now, by=by)
        notices = await outbox.enqueue(tx, services, notices)
    return Assigned(True, accepted, worker.display_name, tuple(notices))


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
