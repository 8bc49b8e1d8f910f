"""Paging beyond Telegram, as use cases: contact methods, pages and acknowledgements.

Interfaces for the code built on this (``/phone``, the escalation's "when to page"):

- :func:`add_contact_method`, :func:`verify_contact_method`, :func:`contact_methods`,
  :func:`mark_failing`, :func:`clear_failing`, :func:`remove_contact_methods`: a
  person's voice, SMS and gateway addresses (sealed at rest, never shown to others).
- :func:`page`: write one page in the caller's transaction (like
  :func:`bot.services.outbox.enqueue`); the page sender (:mod:`bot.paging.sender`)
  sends it once the transaction commits.
- :func:`acknowledged`: a person said "I'm on it" to a page (pressed 1 on the call,
  or later a Telegram button); recorded on the page's row, first time only.

A page carries only the referral's reference, category and urgency (a
:class:`~bot.domain.paging.PageContent`): never a name, phone, place or summary.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from bot.domain.paging import Channel, ContactKind, ContactMethod, Page, PageContent, valid_address
from bot.services import Services
from storage import contact_methods as methods_table
from storage import pages as pages_table
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


async def acknowledged(services: Services, page_row_id: int, via: str = "call") -> bool:
    """The person is on it: record it on the page's row (first acknowledgement only;
    True then). ``via``: "call" (pressed 1), "telegram" (a button), "sms"…

    For now it only records; stopping further pages for that referral and telling the
    other coordinators is built on top (see issue 17)."""
    async with services.db.statement() as conn:
        return await pages_table.acknowledge(conn, page_row_id, services.clock.now(), via)
