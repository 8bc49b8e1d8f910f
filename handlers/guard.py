"""The one authorisation guard every update passes before any handler sees it.

It runs in handler group -1: it finds the enrolled person, refuses strangers (except
``/start`` with a code, or a code typed on its own) and deactivated people, and puts
the person and their language on the context. Handlers then state the roles they
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
from bot.domain.people import Role
from bot.i18n import Translator
from bot.services import enrolment, intake
from bot.services import people as people_service
from handlers.commands import publish_person_menu
from handlers.context import BotContext

Handler = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


async def guard(update: Update, context: BotContext) -> None:
    user = update.effective_user
    chat = update.effective_chat
    if update.message is None and update.callback_query is None:
        raise ApplicationHandlerStop  # edits, channel posts, member updates: nothing to do
    if user is None or user.is_bot or chat is None:
        raise ApplicationHandlerStop
    services = context.services
    message = update.message
    if message is not None and not await intake.first_sight(
        services, chat.id, message.message_id, message.date
    ):
        raise ApplicationHandlerStop  # handed over again after a crash: already taken
    gate = context.bot_data.setdefault("flood_gate", FloodGate())
    now = services.clock.now()
    if not gate.admit(user.id, now):
        if gate.should_tell(user.id, now):
            tr = Translator(context.resolve_language(update))
            await _refuse(
                update,
                tr("You are sending messages very fast. Please wait a minute, then try again."),
            )
        elif update.callback_query:
            await update.callback_query.answer()
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

    if chat.type != chat.PRIVATE and (person is None or not person.active):
        if update.callback_query:
            await update.callback_query.answer()  # never explain ourselves to a group
        raise ApplicationHandlerStop
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
        await _refuse(
            update,
            tr(
                "Your access to this bot has been turned off. If you think this is a "
                "mistake, please contact your administrator."
            ),
        )
        raise ApplicationHandlerStop


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
    text = message.text.strip()
    return text.split()[0].split("@")[0] == "/start" or looks_like_code(text)


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
                    await people_service.refused(context.services, person, _attempt(update))
                await _refuse(
                    update, context.tr("Sorry, that is not something your role can do here.")
                )
                return
            await handler(update, context)

        return checked

    return decorate


def _attempt(update: Update) -> str:
    """What was tried, for the audit log: button data or the command (never free text)."""
    if update.callback_query is not None:
        return f"button:{update.callback_query.data}"
    text = update.message.text if update.message is not None else None
    return f"command:{text.split()[0][:32]}" if text and text.startswith("/") else "message"


def enrolled(handler: Handler) -> Handler:
    """Any enrolled person may use this handler."""
    return requires(*Role)(handler)
