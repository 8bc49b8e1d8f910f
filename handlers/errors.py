"""The last line of defence: log, apologise, keep running."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from handlers.context import BotContext

log = logging.getLogger("referral_bot.errors")


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure without personal data and tell the person nothing was lost.

    The log line carries the update id and the person's internal id, never message
    text: what an officer typed may name a victim.
    """
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    person_id = context.person.id if context.person else None
    log.error(
        "unexpected error handling update %s (person %s): %s",
        update_id,
        person_id,
        type(error).__name__,
        exc_info=error,
    )
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.effective_chat.type != update.effective_chat.PRIVATE:
        return
    try:
        text = context.tr(
            "Sorry, something went wrong on my side. Nothing you entered has been lost; "
            "please try again in a moment."
        )
        if update.callback_query:
            await update.callback_query.answer(text, show_alert=True)
        else:
            await context.bot.send_message(update.effective_chat.id, text)
    except (TelegramError, KeyError):
        log.warning("could not tell the person about the error in update %s", update_id)
