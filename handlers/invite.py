"""/invite: an admin makes an invite in chat, choosing the role and then the scope."""

from __future__ import annotations

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.domain.invite import Scope, ScopeError, invite_link
from bot.domain.people import Role
from bot.i18n import Html
from bot.services import enrolment
from handlers import callbacks
from handlers.commands import ROLE_NAMES
from handlers.context import BotContext, me
from handlers.guard import requires
from handlers.profile import scope_text
from handlers.replies import edit_card, local_time

ALL_STATIONS = "*"


@requires(Role.ADMIN)
async def start_invite(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    tr = context.tr
    rows = [
        [InlineKeyboardButton(tr(ROLE_NAMES[role]), callback_data=callbacks.invite(role.value))]
        for role in Role
    ]
    rows.append([InlineKeyboardButton(tr("Cancel"), callback_data=callbacks.invite())])
    await message.reply_text(tr("Whom are you inviting?"), reply_markup=InlineKeyboardMarkup(rows))


@requires(Role.ADMIN)
async def invite_step(update: Update, context: BotContext) -> None:
    """One tap on the invite card: a role, then (if the role needs one) a station or team."""
    query = update.callback_query
    assert query is not None
    tr, tap = context.tr, callbacks.tap_of(update)
    if tap.action == "cancel":
        await query.answer()
        await edit_card(query, tr("No invite was made."))
        return
    role, place = Role(tap.action), tap.value  # callbacks.parse let only roles through
    if not place and role is not Role.ADMIN:
        await query.answer()
        await edit_card(query, _scope_question(context, role), _scope_buttons(context, role))
        return
    scope = Scope(
        role,
        station_id=place if role is Role.OFFICER else None,
        team_id=place
        if role in (Role.SOCIAL_WORKER, Role.COORDINATOR) and place != ALL_STATIONS
        else None,
    )
    try:
        issued = await enrolment.create_invite(
            context.services, scope, created_by=me(context), request_key=_card_key(query)
        )
    except ScopeError:
        await query.answer(tr("This button is no longer active."), show_alert=True)
        return
    if issued is None:  # a double tap: the first tap already made this card's invite
        await query.answer(tr("The invite was already made; it is in this chat."))
        return
    await query.answer()
    await edit_card(query, _invite_card(context, issued))


def _card_key(query: CallbackQuery) -> str | None:
    message = query.message
    return f"{message.chat.id}:{message.message_id}" if message is not None else None


def _scope_question(context: BotContext, role: Role) -> str:
    if role is Role.OFFICER:
        return context.tr("Which station does the officer work at?")
    return context.tr("Which team?")


def _scope_buttons(context: BotContext, role: Role) -> InlineKeyboardMarkup:
    config, language = context.services.config, context.language or "en"
    if role is Role.OFFICER:
        places = [(s.id, s.name(language)) for s in config.stations]
    else:
        places = [(t.id, t.name(language)) for t in config.teams]
    rows = [
        [InlineKeyboardButton(name, callback_data=callbacks.invite(role.value, ident))]
        for ident, name in places
    ]
    if role is Role.COORDINATOR:
        label = context.tr("All stations (overnight cover)")
        rows.append(
            [InlineKeyboardButton(label, callback_data=callbacks.invite(role.value, ALL_STATIONS))]
        )
    rows.append([InlineKeyboardButton(context.tr("Cancel"), callback_data=callbacks.invite())])
    return InlineKeyboardMarkup(rows)


def _invite_card(context: BotContext, issued: enrolment.IssuedInvite) -> str:
    tr, config = context.tr, context.services.config
    whom = Html(scope_text(context, issued.scope))
    link = invite_link(context.bot.username, issued.code)
    return "\n".join(
        [
            tr("Invite for: {whom}", whom=whom),
            tr("Valid until: {time}", time=local_time(issued.expires_at, config.zone)),
            tr("Code: {code}", code=issued.code),
            tr("Link: {link}", link=link),
            "",
            tr("Send the link to that person only. It works once."),
        ]
    )


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler("invite", start_invite, filters=filters.ChatType.PRIVATE),
        callbacks.handler(callbacks.Code.INVITE, invite_step),
    ]
