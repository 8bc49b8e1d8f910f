"""7. Responsiveness under Telegram's limits: 50 officers file at once to a team of five
workers on duty, with the fake Bot API keeping Telegram's limits (a burst of three then
one message a second in a private chat, 30 a second overall), while a sixth person keeps
using the bot at a person's pace: a tap on a button of the card being filled (every
other action) and a command (``/whoami``), one every :data:`PACE` seconds.

Each worker's chat has 50 offer cards to take at one a second: the drain lasts most of
a minute, and no tap may wait for it. Measured: how long each of the sixth person's
actions took until the bot had answered it (the tap's card redrawn, the command's
reply sent); every offer delivered; 429s; and the drain's length against what the
per-chat limit allows (the busiest chat's messages after its burst of three, one a
second).

The deployment is set up without limits (not measured), then started again with the
fake keeping limits and the bot's real :class:`ChatRateLimiter`, its sender in the
background as in production. The fake starts counting at that moment, so the limiter
need not start cautious as after a real restart (as in benchmark 4).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.common import CONFIG, WEEKDAY_10AM, enrol, percentile, up_to_review
from bot.clock import FakeClock
from bot.sandbox import FakeTelegram, Phone
from bot.sandbox.world import world
from bot.telegram_link import ChatRateLimiter

OFFICERS = 50
WORKERS = 5
PACE = 1.2  # seconds between the sixth person's actions: a person tapping and typing
TOGGLE = "Weapon or injury"  # a button on the filing card that redraws it when tapped
PERSON = 900


@dataclass
class Result:
    waits: list[float]  # seconds each of the sixth person's actions took
    offers: int  # offer cards delivered
    expected: int
    too_many: int  # 429s
    drain: float  # seconds from the taps on Submit to the last offer card
    allowed: float  # what the per-chat limit allows for the busiest chat


async def _set_up(config_path: Path, clock: FakeClock, telegram: FakeTelegram) -> list[Phone]:
    """Workers on duty, officers at their review cards, the sixth person at the safety
    step of a referral of their own (not measured)."""
    async with world(config_path, clock=clock, telegram=telegram) as w:
        for number in range(WORKERS):
            await enrol(w, 200 + number, "social_worker")
        officers = [await enrol(w, 1000 + number, "officer") for number in range(OFFICERS)]
        for number, officer in enumerate(officers):
            await up_to_review(officer, f"Bench-{number}")
        person = await enrol(w, PERSON, "officer")
        await person.send("/new")
        await person.tap("Family dispute")
        return officers


def _toggle_label(person: Phone) -> str:
    return next(
        b.text for m in person.bot_messages for row in m.buttons for b in row if TOGGLE in b.text
    )


async def _keep_using(person: Phone, stop: asyncio.Event, waits: list[float]) -> None:
    """Tap and type at a person's pace until ``stop``; how long each answer took."""
    action = 0
    while not stop.is_set():
        started = time.perf_counter()
        if action % 2 == 0:
            await person.tap(_toggle_label(person))
        else:
            await person.send("/whoami")
        waits.append(time.perf_counter() - started)
        action += 1
        await asyncio.sleep(max(0.0, PACE - (time.perf_counter() - started)))


async def once() -> Result:
    with tempfile.TemporaryDirectory(prefix="referral-bench-") as folder:
        config_path = Path(folder) / "config.toml"
        config_path.write_text(CONFIG, encoding="utf-8")
        clock = FakeClock(WEEKDAY_10AM)
        telegram = FakeTelegram(clock=clock.now)
        officers = await _set_up(config_path, clock, telegram)
        telegram.enforce_limits()
        limiter = ChatRateLimiter(after_previous_run=False)  # see the module docstring
        waits: list[float] = []
        async with world(
            config_path, clock=clock, telegram=telegram, rate_limiter=limiter, background=True
        ) as w:
            person = w.phone(PERSON, f"officer {PERSON}")
            first_call = len(telegram.calls)
            stop = asyncio.Event()
            using = asyncio.create_task(_keep_using(person, stop, waits))
            started = time.perf_counter()
            await asyncio.gather(*(officer.tap("📨 Submit") for officer in officers))
            expected = OFFICERS * WORKERS

            def delivered() -> int:
                return sum(
                    1
                    for c in telegram.calls[first_call:]
                    if c.method == "sendMessage"
                    and c.status == 200
                    and str(c.params.get("text", "")).startswith("New referral")
                )

            await asyncio.wait_for(telegram.until(lambda: delivered() >= expected), 600)
            stop.set()
            await using
            await w.settle()
        calls = telegram.calls[first_call:]
        cards = [
            c
            for c in calls
            if c.method == "sendMessage"
            and c.status == 200
            and str(c.params.get("text", "")).startswith("New referral")
        ]
        per_chat = Counter(
            int(str(c.params["chat_id"]))
            for c in calls
            if c.status == 200 and "chat_id" in c.params
        )
        busiest = max(n for chat, n in per_chat.items() if chat != PERSON)
        return Result(
            waits=waits,
            offers=len(cards),
            expected=expected,
            too_many=sum(1 for c in calls if c.status == 429),
            drain=max(c.at for c in cards) - started,
            allowed=max(0, busiest - 3) * 1.0,
        )


async def measure() -> tuple[float, float, Result]:
    """(p50, p99 of the sixth person's waits in ms, the run's result)."""
    result = await once()
    return (
        percentile(result.waits, 0.5) * 1000,
        percentile(result.waits, 0.99) * 1000,
        result,
    )
