"""Looking people up and changing their own settings."""

from __future__ import annotations

from bot.domain.people import Person
from bot.domain.referral import Skill
from bot.services import Services, transfers
from storage import audit, meta, people


async def find(services: Services, telegram_id: int) -> Person | None:
    """The enrolled person (remembered while nobody changes: ``storage.people.Known``)."""
    return await services.known.by_telegram_id(services.db, telegram_id)


async def set_language(services: Services, person: Person, language: str) -> Person:
    now = services.clock.now()
    async with services.db.write() as tx:
        await people.set_language(tx, person.id, language, now)
        updated = await people.by_id(tx, person.id)
    assert updated is not None
    return updated


async def set_active(services: Services, telegram_id: int, active: bool) -> Person | None:
    """Turn a person's access off or on again; None if nobody has that Telegram id.

    A person turned off who holds open cases leaves none of them with nobody: each goes
    before the coordinators at once (see :func:`bot.services.transfers.person_left`),
    in the same transaction."""
    now = services.clock.now()
    async with services.db.write() as tx:
        person = await people.by_telegram_id(tx, telegram_id)
        if person is None:
            return None
        await people.set_active(tx, person.id, active, now)
        await audit.record(
            tx,
            now=now,
            action="person.activated" if active else "person.deactivated",
            subject=f"person:{person.id}",
        )
        if not active:
            await transfers.person_left(tx, services, person)
        return await people.by_id(tx, person.id)


async def active_people(services: Services) -> list[Person]:
    return await people.all_active(services.db.reader)


async def remembered(services: Services, key: str) -> str | None:
    return await meta.get(services.db.reader, key)


async def remember(services: Services, key: str, value: str) -> None:
    async with services.db.write() as tx:
        await meta.put(tx, key, value)


async def set_skills(
    services: Services, telegram_id: int, skills: frozenset[Skill]
) -> Person | None:
    """Record what a worker is trained for (routing prefers them for those categories)."""
    now = services.clock.now()
    async with services.db.write() as tx:
        person = await people.by_telegram_id(tx, telegram_id)
        if person is None:
            return None
        await people.set_skills(tx, person.id, skills)
        await audit.record(
            tx,
            now=now,
            action="person.skills",
            subject=f"person:{person.id}",
            detail=",".join(sorted(skills)),
        )
        return person


async def refused(
    services: Services,
    person: Person,
    attempt: str,
    *,
    subject: str | None = None,
    action: str = "action.refused",
) -> None:
    """A person tried something their role (or their area) does not allow; nothing
    changed. ``subject`` is what the tap named (``offer:ID``, ``referral:ID``), so the
    referral's /audit trail shows the attempt."""
    async with services.db.write() as tx:
        await audit.record(
            tx,
            now=services.clock.now(),
            action=action,
            actor_person_id=person.id,
            actor_telegram_id=person.telegram_id,
            subject=subject,
            detail=attempt[:80],
        )


async def set_reachable(services: Services, person: Person) -> Person:
    """A person Telegram had refused wrote to us again: messages reach them now."""
    async with services.db.write() as tx:
        await people.set_reachable(tx, person.id, True, services.clock.now())
        updated = await people.by_id(tx, person.id)
    assert updated is not None
    return updated
