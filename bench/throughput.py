"""2. Referral-flow updates handled per second, against a bare python-telegram-bot echo
bot on the same fake Bot API in the same run (the ratio is what counts: machines vary).

A third bot shows what the ratio can be at best: a bare menu bot with no storage that
makes the Telegram calls a filing makes (a tap is answered and its card edited, a typed
answer gets a new card and the old card loses its buttons, a submit sends the offers
and the officer's notice). The echo bot makes one call an update; a filing makes about
2.4, so no bot that files referrals through Telegram can reach the echo bot's rate.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bench.common import FILING_UPDATES, bare_app, deployment, enrol, up_to_review
from bot.sandbox import FakeTelegram, Phone

OFFICERS = 20
WORKERS = 3


@dataclass(frozen=True)
class Rate:
    per_second: float  # updates handled a second
    calls: int  # Bot API calls made while handling them


async def ours(officers: int = OFFICERS) -> Rate:
    """Updates per second while officers file referrals side by side."""
    async with deployment(background=True) as w:
        for number in range(WORKERS):
            await enrol(w, 200 + number, "social_worker")
        phones = [await enrol(w, 1000 + number, "officer") for number in range(officers)]
        await w.settle()
        return await _filing(w.telegram, phones, w.settle)


async def _filing(
    telegram: FakeTelegram,
    phones: list[Phone],
    sent: Callable[[], Awaitable[None]] | None = None,
) -> Rate:
    """Every phone files one referral, all at once; ``sent``: waits until everything the
    filings caused was sent (the bot's sender works beside the handlers), counted in."""

    async def file(index: int) -> None:
        await up_to_review(phones[index], f"Bench-{index}")
        await phones[index].tap("📨 Submit")

    first = len(telegram.calls)
    started = time.perf_counter()
    await asyncio.gather(*(file(i) for i in range(len(phones))))
    if sent is not None:
        await sent()
    elapsed = time.perf_counter() - started
    return Rate(len(phones) * FILING_UPDATES / elapsed, len(telegram.calls) - first)


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.text is not None
    await update.message.reply_text(update.message.text)


async def _menu_run(
    telegram: FakeTelegram,
    app: Application,  # type: ignore[type-arg]
    officers: int,
) -> Rate:
    """Updates per second for the menu bot: each officer sends the filing's updates."""
    telegram.attach(app)
    async with app:
        for number in range(WORKERS):  # workers who started the bot, so it may write to them
            await telegram.user(200 + number, f"Worker {number}").send("/start")
        phones = [telegram.user(1000 + number, f"Person {number}") for number in range(officers)]
        return await _filing(telegram, phones)


async def echo_bot() -> float:
    """The same number of updates through a bare PTB echo bot (texts: it has no buttons)."""
    telegram = FakeTelegram()
    app = bare_app(telegram)
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


_LABELS = [  # every button the filing taps, on every card of the menu bot
    "Family dispute",
    "None of these",
    "Urgent",
    "Adult (18–59)",
    "No phone: visit only",
    "The person agrees to be contacted",
    "Skip: no incident number",
    "📨 Submit",
]
_CARD = "<b>New referral</b> · step {step}\n\n" + "A card of the size a filing shows. " * 3


def _menu() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=f"m:{n}")] for n, label in enumerate(_LABELS)]
    )


async def _menu_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and context.chat_data is not None
    old = context.chat_data.get("card")
    if old is not None:
        await context.bot.edit_message_reply_markup(update.message.chat_id, old)
    sent = await update.message.reply_text(_CARD.format(step="typed"), reply_markup=_menu())
    context.chat_data["card"] = sent.message_id


async def _menu_tap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.message is not None
    await query.answer()
    await query.edit_message_text(_CARD.format(step=query.data), reply_markup=_menu())
    if query.data == f"m:{len(_LABELS) - 1}":  # submitted: the offers and the officer's notice
        for number in range(WORKERS):
            await context.bot.send_message(200 + number, _CARD.format(step="offer"))
        await context.bot.send_message(query.message.chat.id, _CARD.format(step="filed"))


async def menu_bot(officers: int = OFFICERS) -> Rate:
    """The filing's Telegram calls with no storage and no rules: the best rate possible.
    Its texts are HTML with a bold title, like the filing's cards."""
    telegram = FakeTelegram()
    app = bare_app(telegram, html=True)
    app.add_handler(MessageHandler(filters.TEXT, _menu_text))
    app.add_handler(CallbackQueryHandler(_menu_tap))
    return await _menu_run(telegram, app, officers)


async def measure(runs: int = 3) -> tuple[float, float, float, float]:
    """(ours, menu, echo, ratio to echo): medians over ``runs``, each three measured back
    to back."""
    triples = [
        ((await ours()).per_second, (await menu_bot()).per_second, await echo_bot())
        for _ in range(runs)
    ]
    ratios = sorted(a / c for a, _, c in triples)

    def mid(values: list[float]) -> float:
        return sorted(values)[runs // 2]

    return (
        mid([a for a, _, _ in triples]),
        mid([b for _, b, _ in triples]),
        mid([c for _, _, c in triples]),
        ratios[runs // 2],
    )
