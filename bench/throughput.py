"""2. Referral-flow updates handled per second, against a bare python-telegram-bot echo
bot on the same fake Bot API in the same run (the ratio is what counts: machines vary)."""

from __future__ import annotations

import asyncio
import time

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bench.common import FILING_UPDATES, deployment, enrol, up_to_review
from bot.app import PLACEHOLDER_TOKEN
from bot.sandbox import FakeTelegram

OFFICERS = 20


async def ours() -> float:
    """Updates per second while officers file referrals side by side."""
    async with deployment() as w:
        for number in range(3):
            await enrol(w, 200 + number, "social_worker")
        phones = [await enrol(w, 1000 + number, "officer") for number in range(OFFICERS)]

        async def file(index: int) -> None:
            await up_to_review(phones[index], f"Bench-{index}")
            await phones[index].tap("📨 Submit")

        started = time.perf_counter()
        await asyncio.gather(*(file(i) for i in range(OFFICERS)))
        return OFFICERS * FILING_UPDATES / (time.perf_counter() - started)


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.text is not None
    await update.message.reply_text(update.message.text)


async def echo_bot() -> float:
    """The same number of updates through a bare PTB echo bot."""
    telegram = FakeTelegram()
    app = (
        Application.builder()
        .token(PLACEHOLDER_TOKEN)
        .request(telegram.request)
        .get_updates_request(telegram.request)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, _echo))
    telegram.attach(app)
    async with app:
        phones = [telegram.user(1000 + number, f"Person {number}") for number in range(OFFICERS)]

        async def chat(index: int) -> None:
            for step in range(FILING_UPDATES):
                await phones[index].send(f"message {step}")

        started = time.perf_counter()
        await asyncio.gather(*(chat(i) for i in range(OFFICERS)))
        return OFFICERS * FILING_UPDATES / (time.perf_counter() - started)


async def measure(runs: int = 3) -> tuple[float, float, float]:
    """(ours, echo, ratio): medians over ``runs``, each pair measured back to back."""
    pairs = [(await ours(), await echo_bot()) for _ in range(runs)]
    ratios = sorted(a / b for a, b in pairs)
    mine = sorted(a for a, _ in pairs)[runs // 2]
    theirs = sorted(b for _, b in pairs)[runs // 2]
    return mine, theirs, ratios[runs // 2]
