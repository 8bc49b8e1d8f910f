"""The handover job: once a minute, tell the coordinators about requests to take a case
over that nobody answered in time (see bot/services/transfers.py). The timer is the
request's row, so a restart only delays it and never sends it twice."""

from __future__ import annotations

from datetime import timedelta

from bot.services import Services, transfers
from bot.services.notices import Notice

INTERVAL = timedelta(minutes=1)


async def tick(services: Services) -> list[Notice]:
    return await transfers.unanswered(services)
