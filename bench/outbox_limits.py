"""4. The outbox against Telegram's limits: two officers file at once and each referral
is offered to the same 300 available social workers, so 600 offer cards go to 300
chats (two each), written to the outbox by the filing service and sent by the bot's
one sender. The bot runs with its real ChatRateLimiter; the fake Bot API
keeps Telegram's limits (30 a second overall, a burst of 3 then 1 a second per private
chat, 20 a minute per group) and answers 429 beyond them.

Measured: messages per second from the two Submit taps to the last message sent (every
message the fake accepted in between counts: the cards, the officers' replies), its
share of the 30/s ceiling, and the 429s. The model allows 30 at once at the start, so
a perfect sender of 604 messages needs 20 s, not 604/30 = 20.1 s: the share can reach
just over 100%.

``measure(round_trip=0.1)`` repeats it with each call taking 100 ms there and back, as
over a real network (the limiter counts a call from its answer, so the ceiling it can
reach is then about 30/1.1 a second; see ``bot/telegram_link.py``).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bench.common import at_review, limits_on
from bot.clock import FakeClock
from bot.sandbox import FakeTelegram, Phone
from bot.sandbox.world import world

PEOPLE = 300
OFFICERS = 2  # each files one referral: every worker gets two offer cards
CEILING = 30.0  # messages a second, Telegram's overall limit


async def _set_up(config_path: Path, clock: FakeClock, telegram: FakeTelegram) -> list[Phone]:
    """Workers on duty and officers at their review cards, without limits (not measured)."""
    async with world(config_path, clock=clock, telegram=telegram) as w:
        return await at_review(w, PEOPLE, OFFICERS, first_worker=10_000)


async def once(round_trip: float = 0.0) -> tuple[float, int, int]:
    """(messages per second, offer cards sent, 429s) for one run; ``round_trip``: the
    seconds each call to the fake takes there and back (0: the in-process fake's own)."""
    async with limits_on(_set_up, round_trip=round_trip) as (w, officers):
        first_call = len(w.telegram.calls)
        started = time.perf_counter()
        await asyncio.gather(*(officer.tap("📨 Submit") for officer in officers))
        calls = w.telegram.calls[first_call:]
    sent = [c for c in calls if not c.refused and c.method == "sendMessage"]
    cards = [c for c in sent if str(c.params.get("text", "")).startswith("New referral")]
    too_many = sum(1 for c in calls if c.status == 429)
    elapsed = max(c.at for c in sent) - started
    return len(sent) / elapsed, len(cards), too_many


async def measure(round_trip: float = 0.0, runs: int = 3) -> tuple[float, float, int, int]:
    """(messages per second, share of the ceiling, fewest cards sent, most 429s): the
    median rate over ``runs``; the counts are the worst of the runs."""
    results = [await once(round_trip) for _ in range(runs)]
    rate = sorted(r for r, _, _ in results)[runs // 2]
    cards = min(c for _, c, _ in results)
    too_many = max(t for _, _, t in results)
    return rate, rate / CEILING, cards, too_many
