"""Where a typed message goes when no command claimed it.

In order: a question waiting for this person's answer; the officer's open draft;
otherwise a polite hint (or, for a stranger, an invite code typed by hand).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, MessageHandler, filters

from handlers import answers, filing, start
from handlers.context import BotContext


async def on_text(update: Update, context: BotContext) -> None:
    if context.person is not None and (
        await answers.on_text(update, context) or await filing.on_text(update, context)
    ):
        return
    await start.other_text(update, context)


async def on_location(update: Update, context: BotContext) -> None:
    if context.person is not None and await filing.on_location(update, context):
        return
    await start.not_text(update, context)


async def on_other(update: Update, context: BotContext) -> None:
    if context.person is not None and await filing.on_other_media(update, context):
        return
    await start.not_text(update, context)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    """Registered last, so every more specific handler gets the update first."""
    private = filters.ChatType.PRIVATE
    return [
        MessageHandler(private & filters.TEXT, on_text),
        MessageHandler(private & filters.LOCATION, on_location),
        MessageHandler(private & ~filters.TEXT & ~filters.StatusUpdate.ALL, on_other),
        *start.fallback_handlers(),
    ]
