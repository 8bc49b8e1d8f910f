"""The agency's gateway as a person's contact method, set by an administrator.

A person adds their own phone numbers in ``/phone`` and proves each with a code; the
gateway id is the agency's own (its dispatch system's name for the person), which the
person cannot prove by a code, so an administrator sets it from the command line and
vouches for it: it is verified at once. Setting it again replaces the address and clears
a refusal. The address is personal data like a number: sealed, audited without it,
shown to nobody (the person sees only "on", "off" or "not working").
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.paging import ContactKind, ContactMethod, GatewayState, valid_address
from bot.domain.people import Person
from bot.services import Services
from bot.services.paging import BadAddress
from storage import audit, people
from storage import contact_methods as methods_table


@dataclass(frozen=True)
class Holder:
    """A person and their contact methods (addresses inside: print none of them)."""

    person: Person
    methods: tuple[ContactMethod, ...]


async def set_gateway(services: Services, telegram_id: int, address: str) -> Person | None:
    """Give the person ``address`` as their gateway id, verified; None if nobody with
    that Telegram id is enrolled. Raises :class:`BadAddress` for an id the gateway
    could not take."""
    address = address.strip()
    if not valid_address(ContactKind.WEBHOOK, address):
        raise BadAddress(ContactKind.WEBHOOK.value)
    now = services.clock.now()
    async with services.db.write() as tx:
        person = await people.by_telegram_id(tx, telegram_id)
        if person is None:
            return None
        known = [
            m for m in await methods_table.of_person(tx, person.id) if m.kind is ContactKind.WEBHOOK
        ]
        if known:
            await methods_table.readdress(tx, known[0].id, address, now)
            for extra in known[1:]:  # one gateway id a person
                await methods_table.remove(tx, extra.id)
        else:
            method_id = await methods_table.add(tx, person.id, ContactKind.WEBHOOK, address, now)
            await methods_table.verify(tx, method_id, now)
        await audit.record(
            tx,
            now=now,
            action="paging.gateway_set",
            subject=f"person:{person.id}",
            detail="replaced" if known else "added",
        )
    return person


async def remove_gateway(services: Services, telegram_id: int) -> tuple[Person | None, bool]:
    """Take the person's gateway id away: (the person or None, whether they had one)."""
    async with services.db.write() as tx:
        person = await people.by_telegram_id(tx, telegram_id)
        if person is None:
            return None, False
        known = [
            m for m in await methods_table.of_person(tx, person.id) if m.kind is ContactKind.WEBHOOK
        ]
        for method in known:
            await methods_table.remove(tx, method.id)
        if known:
            await audit.record(
                tx,
                now=services.clock.now(),
                action="paging.gateway_removed",
                subject=f"person:{person.id}",
            )
    return person, bool(known)


async def gateway_state(services: Services, person: Person) -> GatewayState:
    """What the person may know of their gateway id: off, on, or not working."""
    methods = await methods_table.of_person(services.db.reader, person.id)
    hooks = [m for m in methods if m.kind is ContactKind.WEBHOOK]
    if not hooks:
        return GatewayState.OFF
    return GatewayState.ON if any(m.usable for m in hooks) else GatewayState.FAILING


async def holders(services: Services) -> list[Holder]:
    """Everybody with a contact method, by person: for the administrator's list."""
    reader = services.db.reader
    by_person: dict[int, list[ContactMethod]] = {}
    for method in await methods_table.everyone(reader):
        by_person.setdefault(method.person_id, []).append(method)
    found = await people.by_ids(reader, by_person)
    return [
        Holder(found[pid], tuple(methods)) for pid, methods in by_person.items() if pid in found
    ]
