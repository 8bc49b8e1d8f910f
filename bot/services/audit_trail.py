"""/audit R-XXXX: who did what to a referral, when, for coordinators and admins.

Accountability (責信) covers procedure and outcome: every state change and reveal is
already recorded; this puts them in one list. Reading the trail is itself recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.people import Person, Role
from bot.domain.referral import Referral
from bot.services import Services
from bot.services.coordinator import covers
from storage import audit, people, referrals


@dataclass(frozen=True)
class Line:
    at: datetime
    actor: str | None  # a display name; None for the bot itself
    action: str


async def trail(services: Services, viewer: Person, ref: str) -> tuple[Referral, list[Line]] | None:
    """The referral's audit lines, oldest first; None if it is unknown or out of scope."""
    referral = await referrals.by_ref(services.db.reader, ref.strip().upper())
    if referral is None or not (viewer.has(Role.ADMIN) or covers(services, viewer, referral)):
        return None
    names: dict[int, str] = {}

    async def name(person_id: int | None) -> str | None:
        if person_id is None:
            return None
        if person_id not in names:
            person = await people.by_id(services.db.reader, person_id)
            names[person_id] = person.display_name if person else f"#{person_id}"
        return names[person_id]

    lines = [
        Line(e.at, await name(e.actor_person_id), e.action)
        for e in await audit.entries(services.db.reader, subject=referral.ref)
    ]
    lines += [
        Line(at, await name(actor), f"status {change}")
        for at, actor, change in await referrals.history(services.db.reader, referral.id)
    ]
    lines.sort(key=lambda line: line.at)
    async with services.db.write() as tx:
        await audit.record(
            tx,
            now=services.clock.now(),
            action="audit.viewed",
            actor_person_id=viewer.id,
            subject=referral.ref,
        )
    return referral, lines
