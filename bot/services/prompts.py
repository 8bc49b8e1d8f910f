"""Questions that wait for a typed answer (a reason, a closing note).

Kept in the database, one per person, so a worker called away between the question
and the answer finds it still waiting after a restart.
"""

from __future__ import annotations

from bot.domain.people import Person
from bot.services import Services
from storage import prompts
from storage.prompts import Prompt

__all__ = ["Prompt", "ask", "clear", "pending"]


async def ask(
    services: Services,
    person: Person,
    purpose: str,
    *,
    referral_id: int | None,
    data: dict[str, str] | None = None,
) -> None:
    async with services.db.write() as tx:
        await prompts.put(
            tx,
            person.id,
            purpose,
            referral_id=referral_id,
            data=data or {},
            now=services.clock.now(),
        )


async def pending(services: Services, person: Person) -> Prompt | None:
    return await prompts.get(services.db.reader, person.id)


async def clear(services: Services, person: Person) -> None:
    async with services.db.write() as tx:
        await prompts.clear(tx, person.id)
