"""The accepted case, worked along the case-work steps to closure.

accepted → contacted → assessment → plan → intervention → closed, with "return to
police" from any open step and reopening within 30 days. Each change is conditional
on the status the worker saw when tapping, so a double tap advances once.
"""

from __future__ import annotations

from bot.domain.people import Person
from bot.domain.referral import (
    NEXT_STEP,
    WORKING,
    Consent,
    Outcome,
    Referral,
    Resource,
    ReturnReason,
    Status,
    can_reopen,
)
from bot.services import Services, care, outbox
from bot.services import linkages as linkage_service
from bot.services.notices import Changed, Notice, NoticeKind
from storage import audit, linkages, people, referrals
from storage import outbox as storage_outbox
from storage.db import Conn


async def _mine(tx: Conn, person: Person, referral_id: int) -> Referral | None:
    referral = await referrals.by_id(tx, referral_id)
    if referral is None or referral.assignee_id != person.id:
        return None
    return referral


async def _tell_officer(tx: Conn, referral: Referral, kind: NoticeKind, **values: str) -> Notice:
    officer = await people.by_id(tx, referral.officer_id)
    assert officer is not None
    return Notice(kind, officer, referral.id, values=values)


async def advance(services: Services, person: Person, referral_id: int, seen: Status) -> Changed:
    """Mark the next case-work step after ``seen`` (the status on the tapped card)."""
    target = NEXT_STEP.get(seen)
    now = services.clock.now()
    async with services.db.write() as tx:
        referral = await _mine(tx, person, referral_id)
        if referral is None or target is None:
            return Changed(referral, False)
        extra: dict[str, object] = {"contacted_at": now} if target is Status.CONTACTED else {}
        if not await referrals.transition(
            tx,
            referral_id,
            from_status=seen,
            to_status=target,
            now=now,
            actor_id=person.id,
            assignee_id=person.id,
            columns=extra,
        ):
            return Changed(referral, False)
        notices = []
        if target is Status.CONTACTED:
            notices.append(
                await _tell_officer(tx, referral, NoticeKind.CONTACTED, worker=person.display_name)
            )
        notices = await outbox.enqueue(tx, services, notices)
        return Changed(await referrals.by_id(tx, referral_id), True, tuple(notices))


async def first_contact_consent(
    services: Services, person: Person, referral_id: int, *, agrees: bool, guardian: bool
) -> Changed:
    """First contact on a referral filed with consent "not asked": the worker records
    the answer the person (for a child, the guardian) gave her. Agrees: first contact is
    marked and case work goes on. Declines: self-determination, so the case ends there,
    closed as "client declined" (reopenable within the window if they change their
    mind), and the officer is told in one line.

    Only from "accepted" with consent still "not asked", so a double tap, or a tap on
    a card drawn before the other answer, records nothing twice."""
    now = services.clock.now()
    async with services.db.write() as tx:
        referral = await _mine(tx, person, referral_id)
        if (
            referral is None
            or referral.status is not Status.ACCEPTED
            or referral.consent is not Consent.NOT_ASKED
        ):
            return Changed(referral, False)
        given = Consent.GUARDIAN_AGREES if guardian else Consent.PERSON_AGREES
        columns: dict[str, object] = {"contacted_at": now}
        if agrees:
            target = Status.CONTACTED
            columns["consent"] = given.value
        else:
            target = Status.CLOSED
            columns |= {
                "consent": Consent.DECLINED.value,
                "closed_at": now,
                "outcome": Outcome.CLIENT_DECLINED.value,
            }
        if not await referrals.transition(
            tx,
            referral_id,
            from_status=Status.ACCEPTED,
            to_status=target,
            now=now,
            actor_id=person.id,
            reason=None if agrees else Outcome.CLIENT_DECLINED.value,
            assignee_id=person.id,
            columns=columns,
        ):
            return Changed(referral, False)
        await audit.record(
            tx,
            now=now,
            action="referral.consent_at_contact",
            actor_person_id=person.id,
            subject=referral.ref,
            detail="agrees" if agrees else "declines",
        )
        kind = NoticeKind.CONTACTED if agrees else NoticeKind.CONSENT_DECLINED
        told = await _tell_officer(
            tx, referral, kind, worker=person.display_name, consent="agrees" if agrees else ""
        )
        after = await referrals.by_id(tx, referral_id)
        assert after is not None
        # Declined at first contact: the case ends here, so a critical one is debriefed.
        debrief = [] if agrees else await care.debrief_prompts(tx, services, after, person, now)
        sent = await outbox.enqueue(tx, services, [told, *debrief])
        return Changed(after, True, tuple(sent))


class NotLinked(Exception):
    """Closing as linked was refused, nothing changed: a linkage still waits for its
    follow-up answer (``waiting``), or none of the linked services happened (then the
    case closes with another outcome, so the officer is not told it was linked)."""

    def __init__(self, *, waiting: bool) -> None:
        super().__init__("waiting" if waiting else "none served")
        self.waiting = waiting


async def close(
    services: Services,
    person: Person,
    referral_id: int,
    *,
    outcome: Outcome,
    note: str,
    resource: Resource | None = None,
    resource_name: str | None = None,
) -> Changed:
    """Close with an outcome and a one-line note for the officer (never the case notes).

    "Linked" is decided here, in the transaction, from the linkages as they are now (a
    linkage may have been added since the worker tapped): every one answered and at
    least one service happened, else :class:`NotLinked` and nothing changes. The officer
    hears the kinds of the services that happened.

    Raises:
        NotLinked: closing as linked while that is not (or no longer) true."""
    now = services.clock.now()
    async with services.db.write() as tx:
        referral = await _mine(tx, person, referral_id)
        if referral is None or referral.status not in WORKING:
            return Changed(referral, False)
        served: list[linkages.Linkage] = []
        if outcome is Outcome.LINKED:
            links = await linkages.of(tx, referral_id)
            if not links or linkage_service.unanswered(links):
                raise NotLinked(waiting=True)
            served = linkage_service.served(links)
            if not served:
                raise NotLinked(waiting=False)
            resource = Resource(served[0].kind)
            resource_name = ", ".join(link.name for link in served)
        await referrals.transition(
            tx,
            referral_id,
            from_status=referral.status,
            to_status=Status.CLOSED,
            now=now,
            actor_id=person.id,
            reason=outcome.value,
            assignee_id=person.id,
            columns={
                "closed_at": now,
                "outcome": outcome.value,
                "resource_type": resource.value if resource else None,
                "resource_name": resource_name,
                "closing_note": note,
            },
        )
        closed = await referrals.by_id(tx, referral_id)
        assert closed is not None
        # Closing as linked names the kinds of the services that happened (never the
        # services themselves).
        resources = ",".join(dict.fromkeys(link.kind for link in served))
        told = await _tell_officer(
            tx, closed, NoticeKind.CLOSED, worker=person.display_name, resources=resources
        )
        debrief = await care.debrief_prompts(tx, services, closed, person, now)
        sent = await outbox.enqueue(tx, services, [told, *debrief])
        return Changed(closed, True, tuple(sent))


async def return_to_police(
    services: Services,
    person: Person,
    referral_id: int,
    reason: str,
    *,
    why: ReturnReason | None,
) -> Changed:
    """Hand the case back to the police at once: ``why`` is the reason's button, kept
    on the referral for the reports (None only for a question asked before the buttons
    existed); ``reason`` the worker's typed line for the officer, kept sealed in the
    history as before. The officer reads both."""
    now = services.clock.now()
    async with services.db.write() as tx:
        referral = await _mine(tx, person, referral_id)
        if referral is None or referral.status not in WORKING:
            return Changed(referral, False)
        await referrals.transition(
            tx,
            referral_id,
            from_status=referral.status,
            to_status=Status.RETURNED,
            now=now,
            actor_id=person.id,
            reason=reason,
            assignee_id=person.id,
            columns={"return_reason": why.value if why else None},
        )
        told = await _tell_officer(
            tx,
            referral,
            NoticeKind.RETURNED,
            worker=person.display_name,
            reason=reason,
            **({"why": why.value} if why else {}),
        )
        debrief = await care.debrief_prompts(tx, services, referral, person, now)
        sent = await outbox.enqueue(tx, services, [told, *debrief])
        return Changed(await referrals.by_id(tx, referral_id), True, tuple(sent))


async def reopen(services: Services, person: Person, referral_id: int) -> Changed:
    """Reopen a closed case within 30 days; case work resumes at assessment."""
    now = services.clock.now()
    async with services.db.write() as tx:
        referral = await _mine(tx, person, referral_id)
        if referral is None or not can_reopen(referral.status, referral.closed_at, now):
            return Changed(referral, False)
        await referrals.transition(
            tx,
            referral_id,
            from_status=Status.CLOSED,
            to_status=Status.ASSESSMENT,
            now=now,
            actor_id=person.id,
            reason="reopened",
            assignee_id=person.id,
        )
        told = await _tell_officer(tx, referral, NoticeKind.REOPENED, worker=person.display_name)
        sent = await outbox.enqueue(tx, services, [told])
        return Changed(await referrals.by_id(tx, referral_id), True, tuple(sent))


async def details_for(services: Services, person: Person, referral_id: int) -> Referral | None:
    """The full record, only for the worker who holds the open case."""
    referral = await _mine(services.db.reader, person, referral_id)
    return referral if referral is not None and referral.status in WORKING else None


async def open_cases(services: Services, person: Person) -> list[Referral]:
    return await referrals.open_cases_of(services.db.reader, person.id)


async def show_cards(services: Services, person: Person, shown: list[Referral]) -> int:
    """Queue a card for each of ``shown`` (the worker's open cases) to the worker, for
    the sender: one person's long list goes at their chat's pace without holding up
    anyone else's answer. A case whose card is still waiting from an earlier /mine is
    not queued twice. Returns how many were queued."""
    if not shown:
        return 0
    async with services.db.write() as tx:
        waiting = await storage_outbox.waiting_about(tx, person.id, NoticeKind.CASE_CARD.value)
        notices = [
            Notice(NoticeKind.CASE_CARD, person, referral.id)
            for referral in shown
            if referral.id not in waiting
        ]
        await outbox.enqueue(tx, services, notices)
    return len(notices)


async def refused(services: Services, person: Person, referral_id: int, action: str) -> None:
    """A tap on a case that is not the presser's: nothing changes, the attempt is audited."""
    async with services.db.write() as tx:
        await audit.record(
            tx,
            now=services.clock.now(),
            action="case.refused",
            actor_person_id=person.id,
            actor_telegram_id=person.telegram_id,
            subject=f"referral:{referral_id}",
            detail=action,
        )
