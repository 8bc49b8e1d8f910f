"""The daily backup, checked every minute against the database like the daily messages
(bot/engine/daily.py): a bot that was down at the hour makes it when it is back, and a
restart never makes two the same day."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.engine.daily import CATCH_UP, today_at
from bot.services import Services, backups
from bot.services import people as people_service

INTERVAL = timedelta(minutes=1)


async def tick(services: Services) -> Path | None:
    """Make today's backup if it is due and not made yet; where it went."""
    settings = services.config.backup
    if settings.keep == 0:
        return None
    due = today_at(services, settings.at)
    now = services.clock.now()
    key = f"backup:{due.date().isoformat()}"
    if not due <= now < due + CATCH_UP:
        return None
    if await people_service.remembered(services, key) is not None:
        return None
    made = await backups.make(services)
    await people_service.remember(services, key, now.isoformat())
    return made
