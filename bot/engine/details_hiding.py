"""Take case details off workers' phones when the configuration says so (see
:mod:`bot.services.details`). The reveals table is the to-do list: a row stays due
until the message is gone, so a restart or a Telegram hiccup only delays it."""

from __future__ import annotations

from datetime import timedelta

from bot.services import Services, details

INTERVAL = timedelta(minutes=1)


async def tick(
    services: Services,
) -> tuple[list[details.ShownDetails], list[details.ShownDetails]]:
    """(details that must come off the phone now, location pins that must go before
    Telegram's 48-hour limit); the handler removes them."""
    return await details.due_for_hiding(services), await details.pins_due(services)
