"""The last line of defence: log, apologise, keep running."""

from __future__ import annotations

import logging
import sqlite3

from telegram import Update
from telegram.error import TelegramError

from bot.services import people as people_service
from handlers.context import BotContext

log = logging.getLogger("referral_bot.errors")


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure without personal data and tell the person nothing was lost.

    The log line carries the update id and the person's internal id, never message
    text or names: what an officer typed may name a victim. (Later, referral handlers
    add the referral reference.)
    """
    error = context.error
    if not isinstance(update, Update):
        log.error("unexpected error outside an update: %s", type(error).__name__, exc_info=error)
        return
    # PTB hands the error handler a fresh context: find the person again.
    user = update.effective_user
    try:
        if user is not None and context.person is None:
            context.person = await people_service.find(context.services, user.id)
    except (sqlite3.Error, KeyError):
        context.person = None
    log.error(
        "unexpected error handling update %s (person %s): %s",
        update.update_id,
        context.person.id if context.person else None,
        type(error).__name__,
        exc_info=error,
    )
    chat = update.effective_chat
    if chat is None or chat.type != chat.PRIVATE:
        return
    try:
        context.resolve_language(update)
        text = context.tr(
            "Sorry, something went wrong on my side. Nothing you entered has been lost; "
            "please try again in a moment."
        )
        if update.callback_query:
            await update.callback_query.answer(text, show_alert=True)
        else:
            await context.bot.send_message(chat.id, text)
    except (TelegramError, KeyError):
        log.warning("could not tell the person about the error in update %s", update.update_id)
