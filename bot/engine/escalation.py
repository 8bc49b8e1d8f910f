"""The escalation engine: every few seconds, advance the referrals whose time has come.

State lives in the referral rows (``next_action_at``, ``level``), so after a restart
the first tick catches up on whatever fell due meanwhile, and each step is claimed in
the transaction that takes it; the notices it decides go to the outbox in that same
transaction, and the sender (``handlers/sender.py``) sends them; retries are the
sender's too.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.services import Services, outbox
from bot.services import escalation as escalation_service
from bot.services.notices import Notice
from storage import referrals

INTERVAL = timedelta(seconds=2)
BATCH = 100
MAX_BATCHES = 50


async def tick(services: Services) -> list[Notice]:
    """One round: the due escalation steps; returns the notices they wrote to the outbox."""
    now = services.clock.now()
    fresh: list[Notice] = []
    for _ in range(MAX_BATCHES):  # a backlog (a night's downtime) is cleared in one round
        async with services.db.write() as tx:  # a batch a transaction: others get a turn
            batch = await referrals.due(tx, now, limit=BATCH)
            lookups = escalation_service.Lookups()  # what the batch's steps read alike
            for referral in batch:
                steps = await escalation_service.step(tx, services, referral, now, lookups)
                fresh += await outbox.enqueue(tx, services, steps)
        if len(batch) < BATCH:
            break
    return fresh


async def next_due(services: Services) -> datetime | None:
    """When the earliest pending step falls due (committed state)."""
    return await referrals.next_due(services.db.reader)


def next_round_in(
    earliest: datetime | None, now: datetime, round_started: datetime
) -> timedelta | None:
    """How long until a round for the ``earliest`` pending step; None when the regular
    rounds (every ``INTERVAL``) are left to it: nothing is pending, or the step was
    already due when the round that just ended began and was left (its batch limit was
    reached, or it could not be claimed), so the engine does not spin round and round."""
    if earliest is None or earliest <= round_started:
        return None
    return max(earliest - now, timedelta(0))
