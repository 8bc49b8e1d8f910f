"""3. Escalation lateness: many referrals fall due within a few seconds of real time;
how late does each step fire (p50, p99, max), and is any missed or fired twice?"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta

from bench.common import LiveClock, deployment, enrol, percentile, urgent_draft
from bot.engine import escalation
from bot.services import people as people_service
from bot.services import referrals as referral_service
from handlers.context import BotContext
from handlers.notify import deliver
from storage import audit, drafts
from storage.timefmt import to_db

SPREAD = timedelta(seconds=3)  # the steps fall due across this much real time
ROUND = 2.0  # seconds between engine rounds, as in the running bot


async def once(referrals: int) -> tuple[list[float], int, int]:
    """(lateness in seconds of each step, missed, doubled)."""
    clock = LiveClock()
    async with deployment(clock) as w:
        officer_phone = await enrol(w, 1000, "officer")
        assert officer_phone.texts
        officer = await people_service.find(w.services, 1000)
        assert officer is not None
        refs = []
        for number in range(referrals):  # nobody is on duty: each waits for its steps
            d = urgent_draft(f"B{number}")
            async with w.services.db.write() as tx:
                await drafts.put(tx, officer.id, d, None, clock.now())
            filed = await referral_service.submit(w.services, officer, d)
            refs.append(filed.referral.ref)
        start = clock.now() + timedelta(seconds=1)
        async with w.services.db.write() as tx:  # spread their next steps over SPREAD
            for number, ref in enumerate(refs):
                due = start + SPREAD * number / referrals
                await tx.execute(
                    "UPDATE referrals SET next_action_at = ?, held = 0 WHERE ref = ?",
                    (to_db(due), ref),
                )
        for _ in range(int((SPREAD.total_seconds() + 1) / ROUND) + 3):
            await asyncio.sleep(ROUND)  # real time passes; the engine goes round
            await deliver(BotContext(w.app), await escalation.tick(w.services))
        steps = [
            e
            for e in await audit.entries(w.services.db.reader, action="referral.escalation_step")
            if e.subject in set(refs) and e.detail and e.at >= start - timedelta(seconds=1)
        ]
        lateness = [
            (e.at - datetime.fromisoformat(e.detail.removeprefix("due "))).total_seconds()
            for e in steps
            if e.detail
        ]
        fired = Counter(e.subject for e in steps)
        missed = sum(1 for ref in refs if fired[ref] == 0)
        doubled = sum(1 for n in fired.values() if n > 1)
        return lateness, missed, doubled


async def measure(referrals: int = 1000) -> tuple[float, float, float, int, int]:
    """(p50, p99, max) lateness in seconds, missed, doubled."""
    lateness, missed, doubled = await once(referrals)
    if not lateness:
        return float("inf"), float("inf"), float("inf"), missed, doubled
    return (
        percentile(lateness, 0.5),
        percentile(lateness, 0.99),
        max(lateness),
        missed,
        doubled,
    )
