"""A person's own phone numbers for pages (``/phone``): add, verify, choose the channels,
remove.

A number typed by its owner is kept as one contact method per chosen channel (call,
SMS), unverified until they type back the six-digit code sent to it by SMS. The code's
SMS is an outbox row (:func:`storage.pages.insert_code`) written in the transaction that
makes the code, sent by the page sender; the code itself is stored only as a salted
HMAC (:func:`bot.domain.phones.code_hash`). A number the provider refused shows as
failing; typing it again sends a new code, and the right code clears the failure.

The limits of codes sent and of wrong codes typed count rows of their own
(:mod:`storage.code_events`), not the codes: a code goes with its number when the number
is removed, and the count must not, or Add → Remove → Add would start it again.

The audit log records "added, verified, removed a phone number" with the method's id,
never the number.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import StrEnum

from bot.domain import phones
from bot.domain.paging import ContactKind
from bot.domain.people import Person
from bot.domain.phones import Channels, PhoneNumber
from bot.services import Services
from storage import audit
from storage import code_events as events
from storage import contact_methods as methods_table
from storage import pages as pages_table
from storage import phone_codes as codes_table
from storage.db import Conn, after_commit


class BadNumber(ValueError):
    """What was typed is not a phone number."""


class Sent(StrEnum):
    SENT = "sent"  # a code is on its way
    VERIFIED = "verified"  # the number is verified already: no code needed
    WAIT = "wait"  # a code was sent less than a minute ago
    LATER = "later"  # five codes in the last hour
    TODAY = "today"  # ten codes in the last day
    NUMBER = "number"  # five codes to this number in the last hour, by anyone
    GUESSES = "guesses"  # five wrong codes in the last hour: a new one would be no use


@dataclass(frozen=True)
class Added:
    number: PhoneNumber
    sent: Sent


class Checked(StrEnum):
    RIGHT = "right"
    WRONG = "wrong"  # tries are left
    NO_TRIES = "no_tries"  # the last try was wrong: a new code is needed
    LAST_THIS_HOUR = "last_this_hour"  # wrong, and the person's last try this hour
    TOO_MANY = "too_many"  # five wrong codes in the last hour: not even looked at
    EXPIRED = "expired"
    NONE = "none"  # no code waits for this number (removed, or already used)


@dataclass(frozen=True)
class Check:
    result: Checked
    tries_left: int = 0
    number: PhoneNumber | None = None


async def numbers(services: Services, person: Person) -> list[PhoneNumber]:
    """The person's numbers; one waiting for a code whose SMS was given up (it could not
    be sent before the code expired) says so."""
    reader = services.db.reader
    found = phones.numbers(await methods_table.of_person(reader, person.id))
    return [
        replace(n, code_lost=True)
        if n.status is phones.Status.WAITING
        and await pages_table.code_given_up(reader, [m.id for m in n.methods])
        else n
        for n in found
    ]


async def number(services: Services, person: Person, number_id: int) -> PhoneNumber | None:
    """The person's own number with this id (None for anyone else's: ids come from
    buttons, which a client can forge)."""
    return next((n for n in await numbers(services, person) if n.id == number_id), None)


async def add(services: Services, person: Person, typed: str) -> Added:
    """The number typed by ``person``: kept (call and SMS), and a code sent to it. The
    same number again: a new code (which, once typed back, clears a failure)."""
    address = phones.parse_number(typed.strip(), services.config.paging.default_region)
    if address is None:
        raise BadNumber("not a phone number")  # the text itself stays out of it
    now = services.clock.now()
    async with services.db.write() as tx:
        known = phones.numbers(await methods_table.of_person(tx, person.id))
        found = next((n for n in known if n.address == address), None)
        if found is None:
            first = None
            for kind in Channels.BOTH.kinds:
                added = await methods_table.add(tx, person.id, kind, address, now)
                first = first or added
            assert first is not None
            await _audit(tx, services, person, "phone.added", first)
        elif found.status is phones.Status.VERIFIED:
            return Added(found, Sent.VERIFIED)
        found = found or await _number(tx, person, address)
        sent = await _new_code(tx, services, person, found)
    return Added(found, sent)


async def send_new_code(services: Services, person: Person, number_id: int) -> Added | None:
    """Another code for the person's number (rate-limited); None if it is not theirs."""
    async with services.db.write() as tx:
        known = phones.numbers(await methods_table.of_person(tx, person.id))
        found = next((n for n in known if n.id == number_id), None)
        if found is None:
            return None
        if found.status is phones.Status.VERIFIED:
            return Added(found, Sent.VERIFIED)
        return Added(found, await _new_code(tx, services, person, found))


async def check(services: Services, person: Person, number_id: int, typed: str) -> Check:
    """The code typed back for the person's number: right (the number is verified and no
    longer failing), wrong (a try used), or no longer valid."""
    now = services.clock.now()
    async with services.db.write() as tx:
        known = phones.numbers(await methods_table.of_person(tx, person.id))
        found = next((n for n in known if n.id == number_id), None)
        code = await codes_table.latest(tx, number_id) if found else None
        if found is None or code is None or code.used_at is not None:
            return Check(Checked.NONE)
        hour = now - timedelta(hours=1)
        wrong = await events.by_person(tx, person.id, events.Event.WRONG, hour)
        if wrong >= phones.WRONG_PER_HOUR:
            return Check(Checked.TOO_MANY, 0, found)
        if code.tries_left <= 0:
            return Check(Checked.NO_TRIES, 0, found)
        if now >= code.expires_at:
            return Check(Checked.EXPIRED, 0, found)
        if not phones.code_matches(code.salt, code.code_hash, typed):
            left = await codes_table.wrong(tx, code.id)
            key = await events.number_key(tx, found.address)
            await events.record(tx, person.id, events.Event.WRONG, key, now)
            hour_left = phones.WRONG_PER_HOUR - wrong - 1
            if hour_left <= 0:
                return Check(Checked.LAST_THIS_HOUR, 0, found)
            left = min(left, hour_left)
            return Check(Checked.WRONG if left else Checked.NO_TRIES, left, found)
        await codes_table.used(tx, code.id, now)
        for method in found.methods:
            await methods_table.verify(tx, method.id, now)
            await methods_table.clear_failing(tx, method.id)
        await _audit(tx, services, person, "phone.verified", found.id)
        verified = await _number(tx, person, found.address)
    return Check(Checked.RIGHT, 0, verified)


async def set_channels(
    services: Services, person: Person, number_id: int, channels: Channels
) -> PhoneNumber | None:
    """Call, SMS or both on the person's number: its methods made to match (a new one
    verified as the number is; the codes follow the one kept)."""
    now = services.clock.now()
    async with services.db.write() as tx:
        known = phones.numbers(await methods_table.of_person(tx, person.id))
        found = next((n for n in known if n.id == number_id), None)
        if found is None:
            return None
        have = {m.kind: m for m in found.methods}
        verified = found.status is not phones.Status.WAITING
        for kind in channels.kinds:
            if kind not in have:
                added = await methods_table.add(tx, person.id, kind, found.address, now)
                if verified:
                    await methods_table.verify(tx, added, now)
        kept = await _number(tx, person, found.address)
        keep = min(m.id for m in kept.methods if m.kind in channels.kinds)
        for method in kept.methods:
            if method.kind not in channels.kinds:
                await codes_table.move(tx, method.id, keep)
                await pages_table.move_codes(tx, method.id, keep)
                await methods_table.remove(tx, method.id)
        return await _number(tx, person, found.address)


async def remove(services: Services, person: Person, number_id: int) -> bool:
    """The person's number is forgotten (every channel of it); False if not theirs."""
    async with services.db.write() as tx:
        known = phones.numbers(await methods_table.of_person(tx, person.id))
        found = next((n for n in known if n.id == number_id), None)
        if found is None:
            return False
        for method in found.methods:
            await methods_table.remove(tx, method.id)
        await _audit(tx, services, person, "phone.removed", found.id)
    return True


async def _new_code(tx: Conn, services: Services, person: Person, found: PhoneNumber) -> Sent:
    """A code for ``found`` and its SMS in the outbox, within the limits
    (:mod:`bot.domain.phones`): the person's codes a minute, an hour and a day, the
    number's an hour by everyone, and the person's wrong codes an hour."""
    now = services.clock.now()
    hour, sent = now - timedelta(hours=1), events.Event.SENT
    key = await events.number_key(tx, found.address)
    if await events.by_person(tx, person.id, events.Event.WRONG, hour) >= phones.WRONG_PER_HOUR:
        return Sent.GUESSES
    if await events.by_person(tx, person.id, sent, now - phones.NEW_CODE_EVERY):
        return Sent.WAIT
    if await events.by_person(tx, person.id, sent, hour) >= phones.CODES_PER_HOUR:
        return Sent.LATER
    if await events.by_person(tx, person.id, sent, now - timedelta(days=1)) >= (
        phones.CODES_PER_DAY
    ):
        return Sent.TODAY
    if await events.by_number(tx, key, sent, hour) >= phones.CODES_PER_NUMBER_HOUR:
        return Sent.NUMBER
    await events.record(tx, person.id, sent, key, now)
    code, salt = phones.new_code(), secrets.token_hex(16)
    await codes_table.add(
        tx,
        person_id=person.id,
        method_id=found.id,
        salt=salt,
        code_hash=phones.code_hash(salt, code),
        tries=phones.CODE_TRIES,
        now=now,
        expires_at=now + phones.CODE_LIFETIME,
    )
    sms = next((m for m in found.methods if m.kind is ContactKind.SMS), found.methods[0])
    await pages_table.insert_code(
        tx, person_id=person.id, contact_method_id=sms.id, code=code, now=now
    )
    after_commit(tx, services.bell.ring)
    return Sent.SENT


async def _number(tx: Conn, person: Person, address: str) -> PhoneNumber:
    found = phones.numbers(await methods_table.of_person(tx, person.id))
    return next(n for n in found if n.address == address)


async def _audit(tx: Conn, services: Services, person: Person, action: str, method: int) -> None:
    """Who did what to which of their numbers: the method's id, never the number."""
    await audit.record(
        tx,
        now=services.clock.now(),
        action=action,
        actor_telegram_id=person.telegram_id,
        actor_person_id=person.id,
        subject=f"person:{person.id}",
        detail=f"contact_method:{method}",
    )
