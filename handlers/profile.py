"""What a person can ask about themselves: /help, /whoami, /language."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.domain.people import Role, Scope
from bot.i18n import available_languages, language_name
from bot.services import audit_trail
from bot.services import people as people_service
from handlers import audit_texts, callbacks
from handlers.commands import ROLE_NAMES, commands_for, publish_person_menu
from handlers.context import BotContext, me
from handlers.guard import enrolled, requires, stranger_text
from handlers.replies import edit_card, zone_note


def help_text(context: BotContext) -> str:
    """The commands this person's roles allow, one per line."""
    tr = context.tr
    lines = [tr("Here is what you can do:")]
    lines += [f"/{c.name} — {tr(c.description)}" for c in commands_for(context.person)]
    return "\n".join(lines)


async def show_help(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    if context.person is None:
        await message.reply_text(stranger_text(context.tr))
        return
    await message.reply_text(help_text(context))


@enrolled
async def whoami(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    person, tr = me(context), context.tr
    lines = [f"<b>{html.escape(person.display_name)}</b>"]
    for role in Role:
        scope = person.scope(role)
        if scope is not None:
            lines.append(scope_text(context, scope))
    lines.append(tr("Language: {language}", language=language_name(person.language)))
    lines.append(zone_note(tr, context.services.config.zone))
    await message.reply_text("\n".join(lines))


def scope_text(context: BotContext, scope: Scope) -> str:
    """ "Officer · Tianping Road Station", "Coordinator · all stations", "Administrator"."""
    config, tr = context.services.config, context.tr
    language = context.language or config.default_language
    role = tr(ROLE_NAMES[scope.role])
    place = (config.station(scope.station_id) if scope.station_id else None) or (
        config.team(scope.team_id) if scope.team_id else None
    )
    if place is not None:
        return f"{role} · {html.escape(place.name(language))}"
    if scope.all_stations:
        everywhere = tr("all stations")  # not inside the f-string: pybabel would miss it
        return f"{role} · {everywhere}"
    return role


@enrolled
async def choose_language(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    buttons = [
        [InlineKeyboardButton(language_name(code), callback_data=callbacks.language(code))]
        for code in available_languages()
    ]
    await message.reply_text(
        context.tr("Which language would you like?"), reply_markup=InlineKeyboardMarkup(buttons)
    )


@enrolled
async def set_language(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    code = callbacks.tap_of(update).value
    if code not in available_languages():
        await query.answer(context.tr("This button is no longer active."), show_alert=True)
        return
    person = await people_service.set_language(context.services, me(context), code)
    context.person = person
    context.resolve_language(update)
    await query.answer()
    await publish_person_menu(context.bot, person, code)
    await edit_card(
        query,
        context.tr("I will speak {language} with you from now on.", language=language_name(code)),
    )


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("help", show_help, filters=private),
        CommandHandler("whoami", whoami, filters=private),
        CommandHandler("language", choose_language, filters=private),
        CommandHandler("audit", show_audit, filters=private),
        callbacks.handler(callbacks.Code.LANGUAGE, set_language),
    ]


@requires(Role.COORDINATOR, Role.ADMIN)
async def show_audit(update: Update, context: BotContext) -> None:
    """/audit R-XXXX: the referral's trail (references, names, actions; no personal data)."""
    message = update.effective_message
    assert message is not None
    tr, services = context.tr, context.services
    if not context.args:
        await message.reply_text(
            tr("Please write /audit followed by a reference, e.g. /audit R-7F3K.")
        )
        return
    found = await audit_trail.trail(services, me(context), context.args[0])
    if found is None:
        await message.reply_text(tr("No referral with that reference in your area."))
        return
    referral, lines = found
    shown = [tr("Audit trail of {ref}:", ref=referral.ref)]
    shown += [audit_texts.line_text(tr, line, services.config.zone) for line in lines]
    await message.reply_text("\n".join(shown[:60]))
