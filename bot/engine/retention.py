"""Retention: erase personal fields on schedule (the referral, its history and the
counts stay, anonymous). A legal hold (referral-bot legal-hold REF) stops it; every
erasure is in the audit log.

Erasure goes round every :data:`EVERY`, reckoned from the last round recorded in the
database, not from the bot's start: the job only asks every :data:`INTERVAL` whether a
round is due (and once at each start). An in-memory timer started an hour after each
start, so a bot restarted more often than hourly (a crash loop, frequent deploys)
never erased anything; now a restart changes nothing, and a bot that was down for a
while catches up at once when it is back, as the daily messages do.

A person who said no (a consultation, or consent declined at first contact) keeps their
details only for ``withdrawn_days``; a closed case of theirs at least for the reopen
window too (a worker may reopen it if they change their mind), so a deployment that
sets ``withdrawn_days`` below that window does not erase a case that can still reopen.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.referral import REOPEN_WINDOW
from bot.services import Services
from storage import audit, case_work, meta, referrals
from storage.sealing import forget_opened

INTERVAL = timedelta(minutes=1)  # how often the job asks whether a round is due
EVERY = timedelta(hours=1)  # how often erasure goes round
LAST_ROUND = "retention:last_round"  # meta key: when the last round ran (UTC, ISO)


async def tick(services: Services) -> int:
    """Erase what is due if a round is due; how many referrals were erased. The round
    and its record are one transaction: a crash repeats a round, never loses one."""
    now = services.clock.now()
    settings = services.config.retention
    async with services.db.write() as tx:
        last = await meta.get(tx, LAST_ROUND)
        if last is not None and now - datetime.fromisoformat(last) < EVERY:
            return 0
        short = timedelta(days=settings.withdrawn_days)
        due = await referrals.due_for_erasure(
            tx,
            short_before=now - short,
            long_before=now - timedelta(days=settings.closed_days),
            reopenable_before=now - max(short, REOPEN_WINDOW),
        )
        for referral_id, ref in due:
            await referrals.erase(tx, referral_id, now)
            await case_work.erase(tx, referral_id)  # the plan's review timer (not sealed)
            await audit.record(tx, now=now, action="referral.erased", subject=ref)
        await meta.put(tx, LAST_ROUND, now.isoformat())
    if due:
        forget_opened(services.db.reader)  # what was read again before the commit
    return len(due)
