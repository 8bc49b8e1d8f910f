"""1. Submit → the first offer card handed to the Bot API, with officers filing at once.

Beside it, the floor: the same offer cards sent by a bare python-telegram-bot app (no
storage, no rules) to the same chats in the same order, chats side by side and taking
turns as they would while waiting for the network. Every referral is offered to every
on-duty worker and a chat's messages go out in order, so with many referrals at once
the last one's first card waits behind the others in every worker's chat; the floor
shows how long the sending alone takes on this machine, measured in the same run.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict

from telegram import InlineKeyboardMarkup

from bench.common import at_review, bare_app, deployment, percentile
from bot.sandbox import FakeTelegram
from bot.sandbox.fake_telegram.calls import ApiCall

WORKERS = 5


async def once(officers: int) -> tuple[list[float], list[float]]:
    """Seconds from each Submit tap to the first sendMessage of its offer card; and the
    same for the floor (the cards replayed through a bare app)."""
    async with deployment() as w:
        phones = await at_review(w, WORKERS, officers)
        first_call = len(w.telegram.calls)
        # The officers tap at the same moment: each one's time counts from it, not from
        # when the bot came round to their tap (a bot that handled the taps one after
        # another would otherwise look as fast as one that handled a single tap).
        started = dict.fromkeys(range(officers), time.perf_counter())
        await asyncio.gather(*(phone.tap("📨 Submit") for phone in phones))
        refs = {}
        for index, phone in enumerate(phones):
            text = next(t for t in phone.texts if t.startswith("Submitted as "))
            refs[text.removeprefix("Submitted as ").rstrip(".")] = index
        cards = [
            call
            for call in w.telegram.calls[first_call:]
            if call.method == "sendMessage" and str(call.params["text"]).startswith("New referral")
        ]
        latencies = _first_card(cards, refs, started)
        assert len(latencies) == officers, "every referral must have been offered"
    floor_start = time.perf_counter()
    replayed = await _replay(cards)
    floor = _first_card(replayed, refs, dict.fromkeys(started, floor_start))
    return list(latencies.values()), list(floor.values())


def _first_card(
    cards: list[ApiCall], refs: dict[str, int], started: dict[int, float]
) -> dict[int, float]:
    latencies: dict[int, float] = {}
    for call in cards:
        for ref, index in refs.items():
            if ref in str(call.params["text"]) and index not in latencies:
                latencies[index] = call.at - started[index]
    return latencies


async def _replay(cards: list[ApiCall]) -> list[ApiCall]:
    """Send ``cards`` again through a bare PTB app: each chat's in order, chats at once."""
    telegram = FakeTelegram()
    app = bare_app(telegram)
    telegram.attach(app)
    per_chat: dict[int, list[ApiCall]] = defaultdict(list)
    for call in cards:
        per_chat[int(str(call.params["chat_id"]))].append(call)
    async with app:
        for chat_id in per_chat:
            await telegram.user(chat_id, f"Worker {chat_id}").send("/start")
        first = len(telegram.calls)

        async def chat(chat_id: int) -> None:
            for call in per_chat[chat_id]:
                markup = call.params.get("reply_markup")
                await app.bot.send_message(
                    chat_id,
                    str(call.params["text"]),
                    parse_mode=call.params.get("parse_mode"),
                    reply_markup=InlineKeyboardMarkup.de_json(markup, app.bot)
                    if isinstance(markup, dict)
                    else None,
                )
                # A real call waits for the network and lets the other chats go meanwhile;
                # the in-process fake answers at once, so without this one chat's cards
                # would all go before any other chat's (a floor no real bot could reach).
                await asyncio.sleep(0)

        await asyncio.gather(*(chat(chat_id) for chat_id in per_chat))
        return [c for c in telegram.calls[first:] if c.method == "sendMessage"]


async def measure(officers: int, runs: int = 3) -> tuple[float, float, float]:
    """(p50, p99, floor p99) in milliseconds: medians over ``runs`` of each run's figures."""
    p50s, p99s, floors = [], [], []
    for _ in range(runs):
        values, floor = await once(officers)
        p50s.append(percentile(values, 0.5) * 1000)
        p99s.append(percentile(values, 0.99) * 1000)
        floors.append(percentile(floor, 0.99) * 1000)
    return tuple(sorted(v)[runs // 2] for v in (p50s, p99s, floors))  # type: ignore[return-value]
