"""Questions that wait for a typed answer (a reason, a closing note).

Kept in the database, one per person, so a worker called away between the question
and the answer finds it still waiting after a restart; but only for half an hour: a
question forgotten for days must not turn "hello?" into a closing note.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import timedelta

from bot.domain.people import Person
from bot.services import Services
from storage import prompts
from storage.prompts import Prompt

__all__ = [
    "PROMPT_LIFETIME",
    "Prompt",
    "ask",
    "clear",
    "expired",
    "forget_expired",
    "pending",
]

PROMPT_LIFETIME = timedelta(minutes=30)
# What an expired question held is erased a little after it lapsed (so a handler that
# read it just in time still finds it); the lapsed question itself is kept a day, so a
# late answer is told why it was not used.
ERASE_AFTER = PROMPT_LIFETIME + timedelta(minutes=1)
DROP_AFTER = timedelta(days=1)


async def ask(
    services: Services,
    person: Person,
    purpose: str,
    *,
    referral_id: int | None,
    data: dict[str, str] | None = None,
    card_message_id: int | None = None,
) -> Prompt:
    prompt = Prompt(
        token=secrets.token_hex(3),
        purpose=purpose,
        referral_id=referral_id,
        data=data or {},
        card_message_id=card_message_id,
        created_at=services.clock.now(),
    )
    async with services.db.write() as tx:
        await prompts.put(tx, person.id, prompt)
    return prompt


async def follow_up(
    services: Services, person: Person, prompt: Prompt, purpose: str, data: dict[str, str]
) -> Prompt:
    """The next question of the same exchange (e.g. the note after the resource's name)."""
    following = replace(prompt, purpose=purpose, data=data, created_at=services.clock.now())
    async with services.db.write() as tx:
        await prompts.put(tx, person.id, following)
    return following


async def pending(services: Services, person: Person) -> Prompt | None:
    return await prompts.get(services.db.reader, person.id)


def expired(services: Services, prompt: Prompt) -> bool:
    return services.clock.now() - prompt.created_at > PROMPT_LIFETIME


async def clear(services: Services, person: Person, token: str | None = None) -> bool:
    """Drop the person's open question (only the one with ``token``, if given). One
    DELETE, atomic by itself: every /new asks it, mostly of nothing."""
    async with services.db.statement() as conn:
        return await prompts.clear(conn, person.id, token)


async def forget_expired(services: Services) -> int:
    """Erase what lapsed questions held; drop day-old ones. For a periodic clean-up."""
    now = services.clock.now()
    async with services.db.write() as tx:
        return await prompts.forget_older_than(tx, now - ERASE_AFTER, now - DROP_AFTER)
