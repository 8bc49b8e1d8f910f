"""A case's details on the worker's phone: every showing audited, and (if the agency
wants it) taken off the phone again after some hours or when the case ends.

Telegram keeps a message on the worker's phone until someone deletes it. A phone that is
lost, shared or looked over holds whatever was shown on it, so an agency can choose to
have the bot hide the details again (``privacy.hide_details_after_hours``,
``privacy.hide_details_at_closure``). The worker can always have them shown once more
while the case is theirs; that showing is audited like the first.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.people import Person
from bot.domain.referral import Referral
from bot.services import Services
from storage import audit, reveals
from storage.reveals import ShownDetails

__all__ = [
    "ShownDetails",
    "due_for_hiding",
    "hidden",
    "pin_hidden",
    "pin_shown",
    "pins_due",
    "shown",
    "shown_since",
]


async def shown(services: Services, person: Person, referral: Referral, message_id: int) -> int:
    """Details have just been delivered to ``person``: audit it, remember the message
    (recorded before a location pin is sent, so a failed pin does not repeat the text).

    The caller names the person it showed them to (the worker who accepted, was
    assigned, or tapped Show details), so the audit row always names who saw them; it
    is not looked up again from a chat id, which names nobody if the lookup misses."""
    now = services.clock.now()
    async with services.db.write() as tx:
        await audit.record(
            tx,
            now=now,
            action="referral.revealed",
            actor_person_id=person.id,
            actor_telegram_id=person.telegram_id,
            subject=referral.ref,
        )
        return await reveals.insert(
            tx,
            referral_id=referral.id,
            chat_id=person.telegram_id,
            message_id=message_id,
            location_message_id=None,
            now=now,
        )


async def pin_shown(services: Services, reveal_id: int, message_id: int) -> None:
    async with services.db.write() as tx:
        await reveals.set_location(tx, reveal_id, message_id)


async def shown_since(
    services: Services, referral: Referral, telegram_id: int, since: datetime
) -> bool:
    """Whether the details reached this chat since ``since`` (a retried notice whose first
    try delivered them and failed later must not show them twice)."""
    return await reveals.shown_since(services.db.reader, referral.id, telegram_id, since)


async def due_for_hiding(services: Services) -> list[ShownDetails]:
    """Details on show that the configuration says must come off the phone now."""
    privacy = services.config.privacy
    hours = privacy.hide_details_after_hours
    if hours is None and not privacy.hide_details_at_closure:
        return []
    before = services.clock.now() - timedelta(hours=hours) if hours is not None else None
    return await reveals.due(
        services.db.reader, shown_before=before, at_case_end=privacy.hide_details_at_closure
    )


PIN_LIMIT = timedelta(hours=47)  # Telegram deletes a bot's message only in its first 48 h


async def pins_due(services: Services) -> list[ShownDetails]:
    """Location pins to delete now, before Telegram's 48-hour limit makes it impossible,
    when the agency hides details at all (a pin cannot be edited into words later)."""
    privacy = services.config.privacy
    if privacy.hide_details_after_hours is None and not privacy.hide_details_at_closure:
        return []
    before = services.clock.now() - PIN_LIMIT
    return await reveals.pins_due(services.db.reader, shown_before=before)


async def pin_hidden(services: Services, details: ShownDetails) -> None:
    async with services.db.write() as tx:
        await reveals.mark_pin_hidden(tx, details.id, services.clock.now())


async def hidden(services: Services, details: ShownDetails) -> None:
    """The details are off the phone (or were already gone): never try again; audited."""
    now = services.clock.now()
    async with services.db.write() as tx:
        await reveals.mark_hidden(tx, details.id, now)
        await audit.record(
            tx,
            now=now,
            action="referral.details_hidden",
            subject=details.ref,
            detail="case ended" if details.case_ended else "time limit",
        )
