"""The one authorisation guard every update passes before any handler sees it.

It runs in handler group -1: it lets through only private chats (groups get nothing),
keeps each person under the flood limit, finds the enrolled person, refuses strangers
(except ``/start`` with a code, or a code typed on its own) and deactivated people, and
puts the person and their language on the context. Handlers then state the roles they
need with :func:`requires`. Callback queries are always answered, so nobody's phone
is left with a spinning button. Edited messages are ignored: re-running a step
because somebody fixed a typo in an old message would replay it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.domain.flood import FloodGate
from bot.domain.invite import looks_like_code
from bot.domain.people import Person, Role
from bot.i18n import Translator
from bot.services import enrolment, intake
from bot.services import people as people_service
from handlers import callbacks
from handlers.commands import publish_person_menu
from handlers.context import BotContext

Handler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


async def guard(update: Update, context: BotContext) -> None:
    user = update.effective_user
    chat = update.effective_chat
    if update.message is None and update.callback_query is None:
        raise ApplicationHandlerStop  # edits, channel posts, member updates: nothing to do
    if user is None or user.is_bot:
        raise ApplicationHandlerStop
    if chat is None or chat.type != chat.PRIVATE:
        await _outside_private_chat(update, context, user.id)
        raise ApplicationHandlerStop
    services = context.services
    message = update.message
    if message is not None and not await intake.first_sight(
        services, chat.id, message.message_id, message.date
    ):
        raise ApplicationHandlerStop  # handed over again after a crash: already taken
    if not await _within_flood_limit(update, context, user.id):
        raise ApplicationHandlerStop
    person = await people_service.find(services, user.id)
    if person is None:
        person = await enrolment.bootstrap_admin(
            services,
            telegram_id=user.id,
            telegram_name=user.full_name,
            language=context.resolve_language(update),
        )
        if person is not None:  # a configured admin's first contact: give them their menu
            await publish_person_menu(context.bot, person, person.language)
    if person is not None and not person.reachable:  # they wrote to us: reachable again
        person = await people_service.set_reachable(services, person)
    context.person = person
    tr = Translator(context.resolve_language(update))

    if person is None:
        if _is_enrolment_attempt(update):
            return
        if update.callback_query:  # an alert holds 200 characters: the short version
            await _refuse(
                update, tr("Only invited people can use this bot. Send /start to see how.")
            )
        else:
            await _refuse(update, stranger_text(tr))
        raise ApplicationHandlerStop
    if not person.active:
        await publish_person_menu(context.bot, person, person.language)  # back to /start only
        if update.callback_query is not None:  # an old card tapped after leaving: kept
            await audit_refusal(update, context, person)
        await _refuse(
            update,
            tr(
                "Your access to this bot has been turned off. If you think this is a "
                "mistake, please contact your administrator."
            ),
        )
        raise ApplicationHandlerStop
    query = update.callback_query
    if query is not None and callbacks.parse(query.data) is None:  # no button of ours sent it
        await query.answer(tr("This button is no longer active."), show_alert=True)
        raise ApplicationHandlerStop


async def _outside_private_chat(update: Update, context: BotContext, telegram_id: int) -> None:
    """Groups get nothing from the bot: commands there are ignored, and so are taps.

    Telegram delivers a tap from any chat where a message of ours has buttons, and a
    modified client can send any data from there; acting on it would put a case card,
    details or a pin where the whole group reads them. The tap is answered, so the
    presser's button stops spinning: with a hint only the presser sees if they are
    enrolled, with nothing at all for a stranger (we never explain ourselves to a group).
    """
    query = update.callback_query
    if query is None:
        return
    person = await people_service.find(context.services, telegram_id)
    if person is None or not person.active:
        await query.answer()
        return
    tr = Translator(person.language)
    await query.answer(tr("Buttons work only in your private chat with me."))


async def _within_flood_limit(update: Update, context: BotContext, telegram_id: int) -> bool:
    """Take the update under the flood limit, or refuse it saying exactly what to do.

    A refused tap is answered every time (the button can simply be tapped again). A
    refused typed message is answered as a reply to it, so the person sees which message
    was not read and sends it again: an answer to a question of a filing is never lost
    without a word. Only the first few refusals of a cool-down are answered, so a flood
    is not answered message by message.
    """
    gate = context.bot_data.setdefault("flood_gate", FloodGate())
    now = context.services.clock.now()
    if gate.admit(telegram_id, now):
        return True
    tr = Translator(context.resolve_language(update))
    seconds = gate.seconds_to_wait(telegram_id, now)
    message = update.message
    if update.callback_query is not None:
        await update.callback_query.answer(
            tr(
                "You are tapping very fast. Please wait {seconds} seconds, then tap again.",
                seconds=seconds,
            )
        )
    elif message is not None and gate.should_tell(telegram_id):
        if message.text and not message.text.startswith("/"):
            text = tr(
                "You are sending messages very fast, so I did not read this one. Please "
                "wait {seconds} seconds, then send it again.",
                seconds=seconds,
            )
        else:
            text = tr(
                "You are sending messages very fast. Please wait {seconds} seconds, then try "
                "again.",
                seconds=seconds,
            )
        await message.reply_text(text, do_quote=True)
    return False


def stranger_text(tr: Translator) -> str:
    return tr(
        "Hello. This bot links police stations with social workers, and only people "
        "who have been invited can use it.\n\nIf you work with us, ask your "
        "coordinator or administrator for an invite. Then open the invite link, or "
        "send /start followed by the code."
    )


def _is_enrolment_attempt(update: Update) -> bool:
    message = update.message
    if message is None or not message.text:
        return False
    words = message.text.split()  # none at all for whitespace such as U+3000 or U+2028
    if not words:
        return False
    return words[0].split("@")[0] == "/start" or looks_like_code(message.text.strip())


async def _refuse(update: Update, text: str) -> None:
    if update.callback_query:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_message:
        await update.effective_message.reply_text(text)


def requires(*roles: Role) -> Callable[[Handler], Handler]:
    """Let the handler run only for enrolled people holding one of ``roles``."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def checked(update: Update, context: BotContext) -> None:
            person = context.person
            if person is None or not person.has(*roles):
                if person is not None:  # who tried what is kept: forged buttons included
                    await audit_refusal(update, context, person)
                await _refuse(
                    update, context.tr("Sorry, that is not something your role can do here.")
                )
                return
            await handler(update, context)

        return checked

    return decorate


async def audit_refusal(
    update: Update, context: BotContext, person: Person, action: str = "action.refused"
) -> None:
    """Who tried what, on which offer or referral (so its /audit trail shows it); for
    this guard's refusals and a handler's own (a coordinator outside their area)."""
    query = update.callback_query
    await people_service.refused(
        context.services,
        person,
        _attempt(update),
        subject=callbacks.subject(query.data) if query is not None else None,
        action=action,
    )


def _attempt(update: Update) -> str:
    """What was tried, for the audit log: button data or the command (never free text)."""
    if update.callback_query is not None:
        return f"button:{update.callback_query.data}"
    text = update.message.text if update.message is not None else None
    return f"command:{text.split()[0][:32]}" if text and text.startswith("/") else "message"


def enrolled(handler: Handler) -> Handler:
    """Any enrolled person may use this handler."""
    return requires(*Role)(handler)
