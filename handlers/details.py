"""The case details on the worker's phone: shown protected, and taken off it again.

Showing: the full record goes to the worker who holds the case, protected from
forwarding and saving, and is audited once delivered. Hiding (only if the agency turned
it on): after some hours the message is replaced by a line with a "Show details again"
button; when the case ends it is deleted (or, past Telegram's 48-hour limit for
deleting, replaced by a line saying so). A location pin is deleted either way.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.domain.people import Person
from bot.domain.referral import Referral
from bot.i18n import Translator
from bot.services import details
from bot.services import referrals as referral_service
from handlers import callbacks, cards
from handlers.context import BotContext

log = logging.getLogger("referral_bot.details")


async def send_details(
    context: BotContext, person: Person, tr: Translator, referral: Referral
) -> None:
    """The full record to ``person``'s private chat, protected from forwarding and
    saving; audited, naming them, once it is sent."""
    chat_id = person.telegram_id
    officer = await referral_service.person(context.services, referral.officer_id)
    assert officer is not None
    sent = await context.bot.send_message(
        chat_id,
        cards.details_text(tr, context.services.config, referral, officer),
        protect_content=True,
    )
    reveal_id = await details.shown(context.services, person, referral, sent.message_id)
    if referral.latitude is not None and referral.longitude is not None:
        pin = await context.bot.send_location(
            chat_id, referral.latitude, referral.longitude, protect_content=True
        )
        await details.pin_shown(context.services, reveal_id, pin.message_id)


async def hide_due(
    context: BotContext,
    due: list[details.ShownDetails],
    pins: Sequence[details.ShownDetails] = (),
) -> None:
    """Take each of ``due`` off its phone, and delete ``pins`` (location pins about to
    pass Telegram's 48-hour limit); one that fails for now is tried next tick."""
    for shown in pins:
        assert shown.location_message_id is not None
        try:
            await context.bot.delete_message(shown.chat_id, shown.location_message_id)
        except Forbidden:
            pass  # the worker blocked the bot: nothing can be done on that phone now
        except BadRequest as exc:
            log.info("pin of %s already gone: %s", shown.ref, exc, extra={"ref": shown.ref})
        except TelegramError as exc:
            log.warning("could not delete the pin of %s yet: %s", shown.ref, exc)
            continue
        await details.pin_hidden(context.services, shown)
    for shown in due:
        try:
            await _hide(context, shown)
        except Forbidden:
            pass  # blocked: the bot can no longer touch that chat; do not retry forever
        except TelegramError as exc:
            log.warning(
                "could not hide the details of %s yet: %s", shown.ref, exc, extra={"ref": shown.ref}
            )
            continue
        await details.hidden(context.services, shown)


async def _hide(context: BotContext, shown: details.ShownDetails) -> None:
    bot, tr = context.bot, Translator(shown.language)
    if shown.location_message_id is not None:
        await _delete(context, shown.chat_id, shown.location_message_id)
    if shown.case_ended:
        if await _delete(context, shown.chat_id, shown.message_id):
            return
        text = tr(
            "🔒 The details of {ref} were taken off this chat when the case ended.", ref=shown.ref
        )
        if shown.handed_on:
            text = tr(
                "🔒 The details of {ref} were taken off this chat when the case was handed over.",
                ref=shown.ref,
            )
        buttons = None
    else:
        text = tr.n(
            "🔒 The details of {ref} were taken off this chat after {count} hour. "
            "While the case is yours you can see them again.",
            "🔒 The details of {ref} were taken off this chat after {count} hours. "
            "While the case is yours you can see them again.",
            context.services.config.privacy.hide_details_after_hours or 0,
            ref=shown.ref,
        )
        again = InlineKeyboardButton(
            tr("🔒 Show details again"), callback_data=callbacks.case(shown.referral_id, "s")
        )
        buttons = InlineKeyboardMarkup([[again]])
    try:
        await bot.edit_message_text(text, shown.chat_id, shown.message_id, reply_markup=buttons)
    except BadRequest as exc:  # the worker deleted it already: nothing left to hide
        log.info("details of %s already gone: %s", shown.ref, exc)


async def _delete(context: BotContext, chat_id: int, message_id: int) -> bool:
    """Delete one message; False if Telegram refuses (too old, or already deleted)."""
    try:
        await context.bot.delete_message(chat_id, message_id)
    except BadRequest:
        return False
    return True
