"""Typed answers to a stored question: reasons, a resource's name, the closing note."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.domain.referral import REASON_LIMIT, Outcome, Resource
from bot.services import cases, prompts
from bot.services import referrals as referral_service
from bot.services.notices import Changed
from handlers import cards
from handlers.cases import CANCEL_BUTTON, note_question
from handlers.context import BotContext, me
from handlers.guard import enrolled
from handlers.notify import deliver
from handlers.replies import edit_card


async def on_text(update: Update, context: BotContext) -> bool:
    """Answer the person's pending question with this text; False if none is pending."""
    message = update.effective_message
    if context.person is None or message is None or message.text is None:
        return False
    prompt = await prompts.pending(context.services, context.person)
    if prompt is None or prompt.referral_id is None:
        return False
    tr, text = context.tr, " ".join(message.text.split())
    if len(text) > REASON_LIMIT:
        await message.reply_text(
            tr(
                "That is {count} characters; the limit is {limit}. Please send a shorter "
                "answer. Your text is below so you can copy and shorten it.",
                count=len(text),
                limit=REASON_LIMIT,
            )
        )
        await message.reply_text(html.escape(text))
        return True
    services, person, rid = context.services, me(context), prompt.referral_id
    changed = Changed(None, False)
    if prompt.purpose == "close_resource":
        await prompts.ask(
            services, person, "close_note", referral_id=rid, data={**prompt.data, "name": text}
        )
        await message.reply_text(note_question(context), reply_markup=_cancel(context))
        return True
    await prompts.clear(services, person)
    if prompt.purpose == "close_note":
        resource = prompt.data.get("resource")
        changed = await cases.close(
            services,
            person,
            rid,
            outcome=Outcome(prompt.data["outcome"]),
            note=text,
            resource=Resource(resource) if resource else None,
            resource_name=prompt.data.get("name"),
        )
        if changed.referral is not None and changed.changed:
            await message.reply_text(
                cards.case_text(tr, services.config, changed.referral)
                + "\n"
                + tr("Closed. The officer has been told."),
                reply_markup=cards.case_buttons(tr, changed.referral),
            )
    elif prompt.purpose == "return_reason":
        changed = await cases.return_to_police(services, person, rid, text)
        if changed.referral is not None and changed.changed:
            await message.reply_text(
                cards.headline(tr, changed.referral)
                + "\n"
                + tr("Returned to police. The officer has been told.")
            )
    elif prompt.purpose == "withdraw_reason":
        changed = await referral_service.withdraw(services, person, rid, text)
        if changed.referral is not None and changed.changed:
            await message.reply_text(cards.headline(tr, changed.referral) + "\n" + tr("Withdrawn."))
    if not changed.changed:
        await message.reply_text(tr("Nothing changed: the referral had already moved on."))
    await deliver(context, changed.notices)
    return True


def _cancel(context: BotContext) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(context.tr("Cancel"), callback_data=CANCEL_BUTTON)]]
    )


@enrolled
async def on_cancel(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    await prompts.clear(context.services, me(context))
    await query.answer()
    await edit_card(query, context.tr("Cancelled. Nothing was changed."))


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [CallbackQueryHandler(on_cancel, pattern=f"^{CANCEL_BUTTON}$")]
