"""Retention: erase personal fields on schedule (the referral, its history and the
counts stay, anonymous). A legal hold (referral-bot legal-hold REF) stops it; every
erasure is in the audit log."""

from __future__ import annotations

from datetime import timedelta

from bot.services import Services
from storage import audit, referrals

INTERVAL = timedelta(hours=1)


async def tick(services: Services) -> int:
    """Erase what is due; how many referrals were erased."""
    now = services.clock.now()
    settings = services.config.retention
    async with services.db.write() as tx:
        due = await referrals.due_for_erasure(
            tx,
            short_before=now - timedelta(days=settings.withdrawn_days),
            long_before=now - timedelta(days=settings.closed_days),
        )
        for referral_id, ref in due:
            await referrals.erase(tx, referral_id, now)
            await audit.record(tx, now=now, action="referral.erased", subject=ref)
    return len(due)
