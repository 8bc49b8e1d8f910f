"""Filing and withdrawing referrals: the officer's side of the story."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.draft import Draft
from bot.domain.escalation import Level, held_for_morning
from bot.domain.people import Person
from bot.domain.referral import Referral, Status, Urgency, new_reference
from bot.domain.rota import next_start
from bot.services import Services, escalation, outbox
from bot.services.notices import Changed, Notice, NoticeKind
from bot.services.offers import offer_wave
from storage import audit, drafts, offers, people, referrals
from storage.db import Conn
from storage.offers import OfferState


@dataclass(frozen=True)
class Filed:
    referral: Referral
    notices: tuple[Notice, ...]


class NotReady(ValueError):
    """The draft still has unanswered steps."""


class AlreadySubmitted(Exception):
    """The stored draft is gone: this draft was filed already (a double tap on Submit).

    :func:`filed_from_card` finds what it was filed as."""


async def _unique_reference(tx: Conn) -> str:
    for _ in range(20):
        ref = new_reference()
        if not await referrals.ref_exists(tx, ref):
            return ref
    raise RuntimeError("could not find a free reference")  # ~1M codes; not in practice


async def submit(services: Services, officer: Person, draft: Draft) -> Filed:
    """File ``officer``'s stored draft from their station and offer it to the covering team."""
    if draft.missing():
        raise NotReady(", ".join(step.value for step in draft.missing()))
    station_id = officer.station_id
    if station_id is None or draft.category is None or draft.urgency is None:
        raise NotReady("the officer has no station")
    now = services.clock.now()
    hold_until = _hold_until(services, draft, station_id)
    adult = draft.appropriate_adult_now
    services.last_drafts.pop(officer.id, None)  # it leaves the drafts now, or is gone
    async with services.db.write() as tx:
        # The draft goes in the same transaction the referral is born in: filed once.
        card = await drafts.card_of(tx, officer.id, draft.token)
        if not await drafts.delete(tx, officer.id, draft.token):
            raise AlreadySubmitted(draft.token)
        ref = await _unique_reference(tx)
        referral_id = await referrals.insert(
            tx,
            now=now,
            ref=ref,
            station_id=station_id,
            officer_id=officer.id,
            category=draft.category,
            urgency=draft.urgency.value,
            co_response=int(draft.co_response),
            status=Status.OFFERED.value,
            safety=",".join(sorted(draft.safety)),
            appropriate_adult_now=int(draft.appropriate_adult_now),
            at_scene=int(draft.at_scene and not draft.co_response and not adult),
            questioning=draft.questioning.value if adult and draft.questioning else None,
            questioning_at=draft.questioning_at if adult else None,
            guardian=draft.guardian.value if adult and draft.guardian else None,
            age_band=draft.age_band,
            consent=draft.consent.value if draft.consent else None,
            consent_note=draft.not_asked_reason.value if draft.not_asked_reason else None,
            consultation=int(draft.consultation),
            # A consultation (consent declined) carries nothing that identifies the person.
            person_name=None if draft.consultation else draft.person_name,
            person_phone=None if draft.no_phone or draft.consultation else draft.phone,
            no_phone=int(draft.no_phone),
            place=draft.place,
            latitude=draft.latitude,
            longitude=draft.longitude,
            summary=draft.summary,
            # Kept for a consultation too: it is the police's own reference, which lets
            # the officer match the advice to the record; it reaches nobody outside.
            incident_number=draft.incident_number,
            # Frozen now: a policy edit later does not change this referral's timing.
            # An appropriate adult needed now always runs on the immediate plan.
            plan=services.config.escalation.plan(
                draft.category, Urgency.IMMEDIATE if draft.appropriate_adult_now else draft.urgency
            ).to_json(),
            held=int(hold_until is not None),
            next_action_at=hold_until,
            officer_card_message_id=card,
        )
        await referrals.add_event(
            tx,
            referral_id,
            now=now,
            actor_id=officer.id,
            from_status=None,
            to_status=Status.OFFERED,
        )
        await audit.record(
            tx, now=now, action="referral.filed", actor_person_id=officer.id, subject=ref
        )
        referral = await referrals.by_id(tx, referral_id)
        assert referral is not None
        # First, so the officer's chat shows it before anything else about this referral.
        submitted = _card_submitted(officer, referral.id, card, hint=not draft.has_button)
        if hold_until is not None:
            held = Notice(NoticeKind.HELD, officer, referral.id)
            return Filed(referral, tuple(await outbox.enqueue(tx, services, [*submitted, held])))
        notices = await offer_wave(tx, services, referral)
        if not notices:  # nobody at level 0: escalate at once rather than wait it out
            notices = await escalation.step(tx, services, referral, now)
            return Filed(
                referral, tuple(await outbox.enqueue(tx, services, [*submitted, *notices]))
            )
        await referrals.set_escalation(
            tx,
            referral.id,
            seen_next_action_at=None,
            level=0,
            rounds=0,
            held=False,
            next_action_at=now + escalation.plan_of(services, referral).wait(Level.SKILLED),
            now=now,
        )
        # Last, so it can say how many offer cards were actually delivered.
        told = Notice(NoticeKind.FILED, officer, referral.id)
        return Filed(
            referral, tuple(await outbox.enqueue(tx, services, [*submitted, *notices, told]))
        )


def _card_submitted(
    officer: Person, referral_id: int, card: int | None, *, hint: bool
) -> list[Notice]:
    """The edit of the review card the officer tapped Submit on into "Submitted as R-…".

    An outbox notice like every other, not an edit the handler makes on its own: a crash
    right after the commit, or Telegram failing the edit, would otherwise leave a live
    Submit button on a filed referral, and the officer would think it lost and file it
    again. No card (filed by other means than the chat): nothing to edit. ``hint``: the
    officer filed with /new, and is shown the button for next time after the edit."""
    if card is None:
        return []
    values = {"hint": "1"} if hint else {}
    return [Notice(NoticeKind.SUBMITTED, officer, referral_id, message_id=card, values=values)]


async def filed_from_card(services: Services, officer: Person, message_id: int) -> Referral | None:
    """The referral ``officer`` filed from the draft card ``message_id``, if any: a tap on
    that card after the filing (a double tap, or a tap handed over again after a restart)
    is answered with its reference rather than as a card out of date."""
    return await referrals.by_officer_card(services.db.reader, officer.id, message_id)


def _hold_until(services: Services, draft: Draft, station_id: str) -> datetime | None:
    """Outside the team's service hours a routine referral waits for its next shift."""
    team = services.config.team_of(station_id)
    assert draft.category is not None and draft.urgency is not None
    if team is None or not team.service_windows():
        return None
    now, zone = services.clock.now(), services.config.zone
    in_hours = any(window.contains(now, zone) for window in team.service_windows())
    never_waits = services.config.category_facts(draft.category).never_waits
    if not held_for_morning(never_waits, draft.urgency, draft.appropriate_adult_now, in_hours):
        return None
    return next_start(team.service_windows(), now, zone)


async def withdraw(services: Services, officer: Person, referral_id: int, reason: str) -> Changed:
    """Withdraw a referral nobody has accepted yet; open offer cards say so."""
    now = services.clock.now()
    async with services.db.write() as tx:
        moved = await referrals.transition(
            tx,
            referral_id,
            from_status=Status.OFFERED,
            to_status=Status.WITHDRAWN,
            now=now,
            actor_id=officer.id,
            reason=reason,
            officer_id=officer.id,
        )
        referral = await referrals.by_id(tx, referral_id)
        if not moved or referral is None:
            return Changed(referral, False)
        await audit.record(
            tx,
            now=now,
            action="referral.withdrawn",
            actor_person_id=officer.id,
            subject=referral.ref,
        )
        notices = []
        for offer in await offers.settle_all_open(tx, referral_id, OfferState.WITHDRAWN, now):
            worker = await people.by_id(tx, offer.person_id)
            if worker is not None and offer.message_id is not None:
                notices.append(
                    Notice(
                        NoticeKind.OFFER_WITHDRAWN,
                        worker,
                        referral_id,
                        offer_id=offer.id,
                        message_id=offer.message_id,
                    )
                )
        return Changed(referral, True, tuple(await outbox.enqueue(tx, services, notices)))


async def of_officer(services: Services, officer: Person) -> list[Referral]:
    return await referrals.of_officer(services.db.reader, officer.id)


async def get(services: Services, referral_id: int) -> Referral | None:
    return await referrals.by_id(services.db.reader, referral_id)


async def person(services: Services, person_id: int) -> Person | None:
    return await people.by_id(services.db.reader, person_id)
