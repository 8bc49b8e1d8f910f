"""The last line of defence: log, apologise, keep running."""

from __future__ import annotations

import contextlib
import logging
import sqlite3

from telegram import Update
from telegram.error import BadRequest, NetworkError, TelegramError

from bot.logs import where
from bot.services import offers as offer_service
from bot.services import people as people_service
from bot.services import referrals as referral_service
from handlers import callbacks
from handlers.context import BotContext

log = logging.getLogger("referral_bot.errors")


async def _referral_ref(context: BotContext, update: Update) -> str | None:
    """The reference of the referral a tapped button was about, for the log line.

    The data is read by :func:`handlers.callbacks.parse`, as every handler reads it, so
    forged data names nothing; and a failing lookup gives no reference rather than a
    second error inside the error handler (which the library would log with the
    exception's message, which can quote input).
    """
    tap = callbacks.parse(update.callback_query.data if update.callback_query else None)
    if tap is None or tap.number is None:
        return None
    try:
        if tap.code is callbacks.Code.OFFER:
            return await offer_service.referral_ref_of_offer(context.services, tap.number)
        referral = await referral_service.get(context.services, tap.number)
    except Exception:  # only the log line's reference is lost
        return None
    return referral.ref if referral else None


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure without personal data and tell the person.

    The log line carries the update id and the person's internal id, never message
    text or names: what an officer typed may name a victim. Telegram or network
    blips (a 502, a timeout while polling) are warnings, not tracebacks.
    """
    error = context.error
    if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        log.warning("Telegram or the network failed: %s", error)
        return
    if not isinstance(update, Update):
        log.error("unexpected error outside an update: %s", type(error).__name__)
        log.error("where: %s", where(error))
        return
    # PTB hands the error handler a fresh context: find the person again.
    user = update.effective_user
    try:
        if user is not None and context.person is None:
            context.person = await people_service.find(context.services, user.id)
    except (sqlite3.Error, KeyError):
        context.person = None
    person_id = context.person.id if context.person else None
    ref = await _referral_ref(context, update)
    log.error(
        "unexpected error handling update %s (person %s, referral %s): %s",
        update.update_id,
        person_id,
        ref,
        type(error).__name__,
        extra={"ref": ref, "person": person_id, "update": update.update_id},
    )
    log.error("where: %s", where(error), extra={"ref": ref, "update": update.update_id})
    chat = update.effective_chat
    if chat is None or chat.type != chat.PRIVATE:  # never explain ourselves to a group
        if update.callback_query:  # but stop the spinner (unless answered before)
            with contextlib.suppress(TelegramError):
                await update.callback_query.answer()
        return
    context.resolve_language(update)
    text = context.tr("Sorry, something went wrong on my side. Please try again in a moment.")
    try:
        if update.callback_query:
            try:
                await update.callback_query.answer(text, show_alert=True)
                return
            except BadRequest:
                pass  # already answered before the failure: say it in the chat instead
        await context.bot.send_message(chat.id, text)
    except TelegramError:
        log.warning("could not tell the person about the error in update %s", update.update_id)
