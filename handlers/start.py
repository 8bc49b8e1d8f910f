"""Enrolment: ``/start <code>`` (what the invite link sends), or the code typed alone."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    filters,
)

from bot.domain.invite import looks_like_code
from bot.domain.people import Role
from bot.i18n import Translator
from bot.services import enrolment
from handlers.cards import officer_keyboard
from handlers.commands import ROLE_NAMES, publish_person_menu
from handlers.context import BotContext
from handlers.guard import stranger_text
from handlers.profile import help_text


def _problem_text(tr: Translator, problem: enrolment.InviteProblem) -> str:
    if problem is enrolment.InviteProblem.UNKNOWN:
        return tr(
            "That invite code is not valid. Please check it (12 letters and digits), "
            "or ask for a new invite."
        )
    if problem is enrolment.InviteProblem.USED:
        return tr(
            "That invite has already been used. Each invite works once; please ask for a new one."
        )
    if problem is enrolment.InviteProblem.EXPIRED:
        return tr("That invite has expired. Please ask your administrator for a new one.")
    return tr(
        "Too many wrong codes in the last hour. Please wait an hour before trying again, "
        "or ask your administrator for a new invite."
    )


async def start(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    if context.args:
        await _redeem(update, context, context.args[0])
    elif context.person is None:
        await message.reply_text(stranger_text(context.tr))
    else:
        welcome = context.tr("Welcome back, {name}.", name=context.person.display_name)
        await message.reply_text(f"{welcome}\n\n{help_text(context)}")


async def other_text(update: Update, context: BotContext) -> None:
    """Text nobody else handled: a code typed by hand (read out over the phone), or a hint."""
    message = update.effective_message
    assert message is not None and message.text is not None
    if looks_like_code(message.text):  # a new person, or somebody taking on another role
        await _redeem(update, context, message.text)
        return
    await message.reply_text(
        context.tr("Sorry, I did not understand that. /help shows what you can do.")
    )


async def _redeem(update: Update, context: BotContext, code: str) -> None:
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    result = await enrolment.redeem(
        context.services,
        telegram_id=user.id,
        telegram_name=user.full_name,
        language=context.language or context.services.config.default_language,
        code=code,
    )
    if isinstance(result, enrolment.Refused):
        await message.reply_text(_problem_text(context.tr, result.problem))
        return
    context.person = result.person
    language = context.resolve_language(update)
    tr = context.tr
    await publish_person_menu(context.bot, result.person, language)
    welcome = tr(
        "Welcome, {name}. You are now enrolled as: {role}.",
        name=result.person.display_name,
        role=tr(ROLE_NAMES[result.role]),
    )
    keyboard = officer_keyboard(tr) if result.person.has(Role.OFFICER) else None
    await message.reply_text(f"{welcome}\n\n{help_text(context)}", reply_markup=keyboard)


async def not_text(update: Update, context: BotContext) -> None:
    """A photo, sticker or voice note where the bot can only read typed text."""
    message = update.effective_message
    assert message is not None
    if context.person is None:
        await message.reply_text(stranger_text(context.tr))
        return
    await message.reply_text(
        context.tr(
            "Please type your message as text; I cannot read photos, stickers or voice notes."
        )
    )


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    private = filters.ChatType.PRIVATE
    return [CommandHandler("start", start, filters=private)]


async def stale_button(update: Update, context: BotContext) -> None:
    """A tap on a keyboard no handler recognises (old, or from an earlier version)."""
    assert update.callback_query is not None
    await update.callback_query.answer(
        context.tr("This button is no longer active."), show_alert=True
    )


def fallback_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    """Registered last, so every more specific handler gets the update first."""
    return [CallbackQueryHandler(stale_button)]
