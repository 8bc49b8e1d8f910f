"""The coordinators' daily messages: the morning handover and the evening gap warning.

Kept as a once-a-minute check against the database rather than an in-memory daily
timer, so a bot that was down at 08:00 still sends the handover when it comes back
(within :data:`CATCH_UP`), and a restart never sends it twice the same day.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from bot.services import Services, cover, handover
from bot.services import people as people_service
from bot.services.notices import Notice

INTERVAL = timedelta(minutes=1)
CATCH_UP = timedelta(hours=6)  # later than this, the message would mislead more than help


async def tick(services: Services) -> list[Notice]:
    settings = services.config.coordination
    jobs: tuple[tuple[str, str, Callable[[Services], Awaitable[list[Notice]]]], ...] = (
        ("handover", settings.handover_at, handover.morning),
        ("gap_warning", settings.gap_warning_at, cover.evening),
    )
    notices: list[Notice] = []
    for name, at, produce in jobs:
        due = today_at(services, at)
        key = f"{name}:{due.date().isoformat()}"
        now = services.clock.now()
        if not due <= now < due + CATCH_UP:
            continue
        if await people_service.remembered(services, key) is not None:
            continue
        notices += await produce(services)
        # Remembered after the notices are in the outbox: a crash in between can repeat
        # a handover (harmless), never lose one.
        await people_service.remember(services, key, now.isoformat())
    return notices


def today_at(services: Services, hhmm: str) -> datetime:
    """Today's ``hhmm`` in the configured time zone."""
    zone = services.config.zone
    local = services.clock.now().astimezone(zone)
    clock = services.config.coordination.clock_time(hhmm)
    return datetime.combine(local.date(), clock, tzinfo=zone)
