"""Paging beyond Telegram, as use cases: contact methods, pages and acknowledgements.

Interfaces for the code built on this (``/phone``, the escalation's "when to page"):

- :func:`add_contact_method`, :func:`verify_contact_method`, :func:`contact_methods`,
  :func:`mark_failing`, :func:`clear_failing`, :func:`remove_contact_methods`: a
  person's voice, SMS and gateway addresses (sealed at rest, never shown to others).
- :func:`page`: write one page in the caller's transaction (like
  :func:`bot.services.outbox.enqueue`); the page sender (:mod:`bot.paging.sender`)
  sends it once the transaction commits.
- :func:`acknowledge`: a person said "I'm on it" for a referral (pressed 1 on a
  page's call, through :func:`acknowledged`, or tapped the escalation card's button):
  recorded per (referral, person), no more pages to them for it, the others told and
  their pages for it held for ``[paging] hold_after_ack_minutes`` (:func:`held_until`).
- :func:`page_people`: the escalation step's pages; :func:`still_wanted`: the page
  sender's check at send time; :func:`contact_refused`: a refused number told;
  :func:`provider_misconfigured`: the administrators told a provider refuses the
  deployment's own requests.
- :func:`history`: a referral's pages and acknowledgements (/status, the handover).

A page carries only the referral's reference, category and urgency (a
:class:`~bot.domain.paging.PageContent`): never a name, phone, place or summary.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.paging import (
    Acknowledgement,
    Channel,
    ContactKind,
    ContactMethod,
    Page,
    PageContent,
    PageRecord,
    valid_address,
)
from bot.domain.people import Person, Role
from bot.domain.referral import Referral, Status
from bot.services import Services, outbox, overdue
from bot.services.notices import Notice, NoticeKind
from storage import audit, offers, people
from storage import contact_methods as methods_table
from storage import pages as pages_table
from storage import referrals as referrals_table
from storage.db import Conn, after_commit


class BadAddress(ValueError):
    """Not an E.164 number (voice, SMS) or a gateway id (webhook)."""


async def add_contact_method(
    services: Services, person_id: int, kind: ContactKind, address: str
) -> ContactMethod:
    """A new unverified method (the same kind and address again: the one there is)."""
    address = address.strip()
    if not valid_address(kind, address):
        raise BadAddress(kind.value)
    async with services.db.write() as tx:
        for known in await methods_table.of_person(tx, person_id):
            if known.kind is kind and known.address == address:
                return known
        method_id = await methods_table.add(tx, person_id, kind, address, services.clock.now())
        found = await methods_table.by_id(tx, method_id)
    assert found is not None
    return found


async def verify_contact_method(services: Services, method_id: int) -> bool:
    """Mark verified (the person gave back the code sent through it)."""
    async with services.db.statement() as conn:
        return await methods_table.verify(conn, method_id, services.clock.now())


async def contact_methods(services: Services, person_id: int) -> list[ContactMethod]:
    return await methods_table.of_person(services.db.reader, person_id)


async def mark_failing(services: Services, method_id: int, error: str) -> bool:
    """The provider refused it; True the first time. ``error``: a code, no personal data."""
    async with services.db.statement() as conn:
        return await methods_table.mark_failing(conn, method_id, services.clock.now(), error)


async def clear_failing(services: Services, method_id: int) -> None:
    async with services.db.statement() as conn:
        await methods_table.clear_failing(conn, method_id)


async def remove_contact_methods(tx: Conn, person_id: int) -> None:
    """Delete every method of the person (their numbers with them), in the caller's
    transaction: for a person who leaves, or asks to be forgotten."""
    await methods_table.remove_all(tx, person_id)


async def page(
    tx: Conn,
    services: Services,
    method: ContactMethod,
    content: PageContent,
    *,
    referral_id: int | None,
    at: datetime | None = None,
) -> int:
    """Write a page to ``method``'s owner in the caller's transaction, due at ``at``
    (default now); returns its outbox id. The page sender is woken on commit."""
    now = services.clock.now()
    after_commit(tx, services.bell.ring)
    return await pages_table.insert(
        tx,
        person_id=method.person_id,
        channel=Channel(method.kind.value),
        contact_method_id=method.id,
        referral_id=referral_id,
        content=content,
        token=secrets.token_urlsafe(24),
        now=now,
        first_attempt=at or now,
    )


async def page_by_token(services: Services, token: str) -> Page | None:
    """The page whose keypress URL carries ``token`` (None for any other text)."""
    if not token or len(token) > 64:
        return None
    return await pages_table.by_token(services.db.reader, token)


async def get_page(services: Services, page_row_id: int) -> Page | None:
    return await pages_table.by_id(services.db.reader, page_row_id)


async def acknowledged(services: Services, page_row_id: int, via: str = "call") -> Acked:
    """The person paged by ``page_row_id`` is on it (pressed 1 on its call): recorded on
    the page's row and, through :func:`acknowledge`, for its referral. What
    :func:`acknowledge` did: ``first`` the first time the person acknowledged that
    referral, ``taken`` when it was already taken (so the call can say so)."""
    page_row = await pages_table.by_id(services.db.reader, page_row_id)
    if page_row is None:
        return Acked(first=False)
    person = await people.by_id(services.db.reader, page_row.person_id)
    if page_row.referral_id is None or person is None:  # a page about no referral
        async with services.db.statement() as conn:
            first = await pages_table.acknowledge(conn, page_row_id, services.clock.now(), via)
        return Acked(first=first)
    return await acknowledge(services, page_row.referral_id, person, via, page_row_id=page_row_id)


@dataclass(frozen=True)
class Acked:
    """What :func:`acknowledge` did. ``first``: this person had not said so before;
    ``taken``: the referral is no longer waiting (accepted, assigned, withdrawn), so
    nothing was recorded; ``others``: who else had already said they are on it."""

    first: bool
    taken: bool = False
    others: tuple[str, ...] = ()


async def acknowledge(
    services: Services,
    referral_id: int,
    person: Person,
    via: str,
    *,
    page_row_id: int | None = None,
) -> Acked:
    """ "I'm on it" from ``person`` for the referral, by the call's keypress or the
    escalation card's button: the one place both go through.

    In one transaction: the acknowledgement per (referral, person) (a second one by the
    same person changes nothing; another coordinator's is recorded too, both are on
    it), the page's row if it came from a call, an audit entry, and the notices to the
    other coordinators paged or told about the referral and to the officer. No page for
    the referral goes to this person after it: the escalation pages nobody who
    acknowledged, and the page sender drops a waiting page of theirs at send time."""
    now = services.clock.now()
    async with services.db.write() as tx:
        referral = await referrals_table.by_id(tx, referral_id)
        if referral is None or referral.status is not Status.OFFERED:
            return Acked(first=False, taken=True)
        if page_row_id is not None:
            await pages_table.acknowledge(tx, page_row_id, now, via)
        before = await pages_table.acknowledgements(tx, referral_id)
        others = []
        for ack in before:
            if ack.person_id != person.id:
                found = await people.by_id(tx, ack.person_id)
                others.append(found.display_name if found else "?")
        if not await pages_table.acknowledge_referral(tx, referral_id, person.id, now, via):
            return Acked(first=False, others=tuple(others))
        await audit.record(
            tx,
            now=now,
            action="referral.page_acknowledged",
            actor_telegram_id=person.telegram_id,
            actor_person_id=person.id,
            subject=referral.ref,
            detail=via,
        )
        told = {
            o.person_id
            for o in await offers.of_referral(tx, referral_id)
            if o.kind == "coordinator"
        }
        told |= await pages_table.paged_people(tx, referral_id)
        told -= {person.id, referral.officer_id}
        values = {"name": person.display_name, "at": now.isoformat(), "via": via}
        notices = [
            Notice(NoticeKind.ON_IT, found, referral_id, values=values)
            for found in [await people.by_id(tx, pid) for pid in sorted(told)]
            if found is not None and found.active and found.reachable
        ]
        officer = await people.by_id(tx, referral.officer_id)
        if officer is not None:
            notices.append(Notice(NoticeKind.ON_IT_OFFICER, officer, referral_id, values=values))
        await outbox.enqueue(tx, services, notices)
    return Acked(first=True, others=tuple(others))


async def page_people(
    tx: Conn,
    services: Services,
    referral: Referral,
    persons: Iterable[Person],
) -> int:
    """Page each of ``persons`` about ``referral`` on every usable method (verified, not
    failing), in the caller's transaction (the escalation step's, so a step's pages are
    written once, with the step); nobody who already said they are on it, and nobody at
    all while the hold after someone's "I'm on it" lasts (:func:`held_until`). Returns
    how many pages were written."""
    content = PageContent(referral.ref, referral.category, referral.urgency.value)
    now = services.clock.now()
    hold = held_until(services, await pages_table.acknowledgements(tx, referral.id))
    if hold is not None and now < hold:
        return 0
    written = 0
    for person in persons:
        if await pages_table.has_acknowledged(tx, referral.id, person.id):
            continue
        for method in await methods_table.of_person(tx, person.id):
            if method.usable:
                await page(tx, services, method, content, referral_id=referral.id)
                written += 1
    return written


def held_until(services: Services, acks: Sequence[Acknowledgement]) -> datetime | None:
    """Until when the others' pages for a referral are held: once anyone has said "I'm
    on it", the others were told so, and ringing them every repeat all night anyway
    would wake them for a case in hand. The hold is ``[paging] hold_after_ack_minutes``
    from the latest "I'm on it"; if the referral still waits when it ends, the next
    repeat pages again (the acknowledgement is a row, so this holds across a restart).
    None when nobody has said so."""
    if not acks:
        return None
    minutes = services.config.paging.hold_after_ack_minutes
    return max(ack.at for ack in acks) + timedelta(minutes=minutes)


async def still_wanted(services: Services, page_row: Page) -> bool:
    """Whether a page is still worth sending at send time: its referral still waits for
    someone (not accepted, assigned or withdrawn meanwhile) and its person has not said
    they are on it. A page about no referral always is."""
    if page_row.referral_id is None:
        return True
    reader = services.db.reader
    referral = await referrals_table.by_id(reader, page_row.referral_id)
    if referral is None or referral.status is not Status.OFFERED:
        return False
    acks = await pages_table.acknowledgements(reader, referral.id)
    if any(ack.person_id == page_row.person_id for ack in acks):
        return False
    # A page written before someone said "I'm on it" and still waiting (rate limit,
    # retry) is held with the rest; the next repeat after the hold pages again.
    hold = held_until(services, acks)
    return hold is None or services.clock.now() >= hold


async def contact_refused(services: Services, page_row: Page, method: ContactMethod) -> None:
    """The provider refused ``method`` (the page sender's ``on_refused``): the
    coordinators hear (those on duty, else all, for the referral's team), as for a
    person Telegram cannot reach, and so does the person, through the outbox."""
    now = services.clock.now()
    async with services.db.write() as tx:
        person = await people.by_id(tx, method.person_id)
        if person is None:
            return
        team_id = None
        if page_row.referral_id is not None:
            referral = await referrals_table.by_id(tx, page_row.referral_id)
            team = services.config.team_of(referral.station_id) if referral else None
            team_id = team.id if team else None
        values = {"person": person.display_name, "channel": method.kind.value}
        coordinators = await overdue.coordinators_to_tell(tx, services, team_id, now, person)
        notices = [Notice(NoticeKind.CONTACT_FAILING, c, None, values=values) for c in coordinators]
        notices.append(
            Notice(NoticeKind.PAGE_REFUSED, person, None, values={"channel": method.kind.value})
        )
        await outbox.enqueue(tx, services, notices)


async def provider_misconfigured(services: Services, provider: str, code: str) -> None:
    """A provider refuses the bot's requests for a reason of the deployment's (the
    page sender's ``on_misconfigured``, once per outage): the administrators hear,
    through the outbox. ``provider``: "twilio" or "gateway"; ``code``: the provider's
    error (an HTTP status and Twilio's code), never a number or a token."""
    async with services.db.write() as tx:
        admins = [p for p in await people.all_active(tx) if p.has(Role.ADMIN)]
        values = {"provider": provider, "code": code}
        notices = [Notice(NoticeKind.PAGING_MISCONFIGURED, a, None, values=values) for a in admins]
        await outbox.enqueue(tx, services, notices)


async def history(
    services: Services, referral_id: int
) -> tuple[list[PageRecord], list[Acknowledgement]]:
    """A referral's pages (sent at, channel, the person's acknowledgement) and who said
    they are on it: for /status and the morning handover."""
    reader = services.db.reader
    return (
        await pages_table.of_referral(reader, referral_id),
        await pages_table.acknowledgements(reader, referral_id),
    )
