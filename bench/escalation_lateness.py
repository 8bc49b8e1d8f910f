"""3. Escalation lateness: many referrals fall due within a few seconds of real time;
how late does each step fire (p50, p99, max), and is any missed or fired twice?

The bot's own scheduling does the work: the application's JobQueue runs (the regular
engine round every ``escalation.INTERVAL`` and the extra rounds it plans for the
earliest pending step, see handlers/jobs.py), as in ``referral-bot run``; the
benchmark only files the referrals, sets their timers and waits in real time.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import datetime, timedelta

from bench.common import LiveClock, deployment, enrol, median, percentile, urgent_draft
from bot.services import people as people_service
from bot.services import referrals as referral_service
from handlers import jobs
from handlers.context import BotContext
from storage import audit, drafts
from storage import referrals as referral_storage
from storage.timefmt import to_db

SPREAD = timedelta(seconds=3)  # the steps fall due across this much real time
LEAD = timedelta(seconds=1)  # the first falls due this long after the timers are set
PATIENCE = 10.0  # seconds after the last due time before a step still unfired is missed


async def once(referrals: int, spread: timedelta = SPREAD) -> tuple[list[float], int, int]:
    """(lateness in seconds of each step, missed, doubled), the steps due across ``spread``."""
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
        await w.app.start()  # the JobQueue: the engine's rounds run as in the running bot
        try:
            start = clock.now() + LEAD
            async with w.services.db.write() as tx:  # spread their next steps
                await tx.executemany(
                    "UPDATE referrals SET next_action_at = ?, held = 0 WHERE ref = ?",
                    [
                        (to_db(start + spread * number / referrals), ref)
                        for number, ref in enumerate(refs)
                    ],
                )
            # A step due before its timer was even written would count as late.
            assert clock.now() < start, "setting the timers took longer than the lead"
            # Timers changed outside a round: the engine is woken, as after any state
            # change in the bot (it then plans its next round at the earliest step).
            jobs.wake(BotContext(w.app))
            last_due = start + spread
            deadline = time.monotonic() + (last_due - clock.now()).total_seconds() + PATIENCE
            while time.monotonic() < deadline:  # real time passes; the bot goes round
                await asyncio.sleep(0.5)
                pending = await referral_storage.next_due(w.services.db.reader)
                if clock.now() > last_due and (pending is None or pending > last_due):
                    break
        finally:
            await w.app.stop()
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


async def measure(referrals: int = 1000, runs: int = 3) -> tuple[float, float, float, int, int]:
    """(p50, p99, max) lateness in seconds, each the median over ``runs``; missed and
    doubled added up over all runs (one in any run is one too many)."""
    p50s, p99s, worsts, missed, doubled = [], [], [], 0, 0
    for _ in range(runs):
        lateness, run_missed, run_doubled = await once(referrals)
        missed, doubled = missed + run_missed, doubled + run_doubled
        if not lateness:
            return float("inf"), float("inf"), float("inf"), missed, doubled
        p50s.append(percentile(lateness, 0.5))
        p99s.append(percentile(lateness, 0.99))
        worsts.append(max(lateness))
    return median(p50s), median(p99s), median(worsts), missed, doubled
