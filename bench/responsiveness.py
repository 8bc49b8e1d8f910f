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
fake keeping limits (:func:`bench.common.limits_on`), the bot's sender in the
background as in production.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.common import at_review, enrol, limits_on, percentile
from bot.clock import FakeClock
from bot.sandbox import FakeTelegram, Phone
from bot.sandbox.fake_telegram.calls import ApiCall
from bot.sandbox.world import world

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
        officers = await at_review(w, WORKERS, OFFICERS)
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


def _offer_card(call: ApiCall) -> bool:
    text = str(call.params.get("text", ""))
    return call.method == "sendMessage" and call.status == 200 and text.startswith("New referral")


async def once() -> Result:
    waits: list[float] = []
    expected = OFFICERS * WORKERS
    async with limits_on(_set_up, background=True) as (w, officers):
        telegram = w.telegram
        person = w.phone(PERSON, f"officer {PERSON}")
        first_call = len(telegram.calls)
        stop = asyncio.Event()
        using = asyncio.create_task(_keep_using(person, stop, waits))
        started = time.perf_counter()
        await asyncio.gather(*(officer.tap("📨 Submit") for officer in officers))
        all_sent = telegram.until(
            lambda: sum(map(_offer_card, telegram.calls[first_call:])) >= expected
        )
        await asyncio.wait_for(all_sent, 600)
        stop.set()
        await using
        await w.settle()
        calls = telegram.calls[first_call:]
    cards = [c for c in calls if _offer_card(c)]
    per_chat = Counter(
        int(str(c.params["chat_id"])) for c in calls if c.status == 200 and "chat_id" in c.params
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
