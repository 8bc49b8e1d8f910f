"""The reminder job: once a minute, nudge quiet cases (see bot/services/reminders.py)."""

from __future__ import annotations

from datetime import timedelta

from bot.services import Services, case_work, reminders
from bot.services.notices import Notice

INTERVAL = timedelta(minutes=1)


async def tick(services: Services) -> list[Notice]:
    return [*await reminders.due(services), *await case_work.reviews_due(services)]
