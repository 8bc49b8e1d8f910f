"""Forget drafts nobody came back to: they hold personal data that was never filed."""

from __future__ import annotations

from datetime import timedelta

from bot.services import Services, drafts

INTERVAL = timedelta(minutes=10)


async def tick(services: Services) -> int:
    """Delete drafts untouched for longer than the draft lifetime; how many went."""
    return await drafts.discard_expired(services)
