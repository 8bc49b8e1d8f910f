"""The one authorisation guard every update passes before any handler sees it.

It runs in handler group -1: it lets through only private chats (groups get nothing),
keeps each person under the flood limit, finds the enrolled person, refuses strangers
(except ``/start`` with a code, or a code typed on its own; see :func:`_refuse_stranger`
for how often they are answered) and deactivated people, and puts the person and their
language on the context. Handlers then state the roles they need with :func:`requires`.
Callback queries are always answered, so nobody's phone is left with a spinning button.
Edited messages are ignored: re-running a step because somebody fixed a typo in an old
message would replay it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any, cast

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.domain.flood import FloodGate
from bot.domain.invite import looks_like_code
from bot.domain.people import Person, Role
from bot.domain.strangers import OnceAWindow
from bot.i18n import Translator
from bot.services import enrolment, intake
from bot.services import people as people_service
from handlers import callbacks
from handlers.commands import publish_person_menu
from handlers.context import BotContext
from handlers.sender import SENDER, Sender

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
    if person is not None:  # enrolled now, perhaps a minute after they were a stranger
        _stranger_messages(context).forget(user.id)
    context.person = person
    tr = Translator(context.resolve_language(update))

    if person is None:
        if _is_enrolment_attempt(update):
            return
        await _refuse_stranger(update, context, user.id, tr)
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
    if isinstance(sender := context.bot_data.get(SENDER), Sender):
        sender.answering(user.id)  # what this update writes to them is its answer's


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
    is not answered message by message. A stranger's are not answered at all (unless it
    is an enrolment attempt), as their messages under the limit are answered only once
    a window: one answered lately is known without a read and uses up no notice (so an
    invite code sent in their flood is still told to wait); any other takes a read only
    when a notice is due.
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
        return False
    if message is None:
        return False
    attempt = _is_enrolment_attempt(update)
    if not attempt and _stranger_messages(context).answered_lately(telegram_id, now):
        return False
    if not gate.should_tell(telegram_id):
        return False
    if not attempt and await people_service.find(context.services, telegram_id) is None:
        return False
    if message.text and not message.text.startswith("/"):
        text = tr(
            "You are sending messages very fast, so I did not read this one. Please "
            "wait {seconds} seconds, then send it again.",
            seconds=seconds,
        )
    else:
        text = tr(
            "You are sending messages very fast. Please wait {seconds} seconds, then try again.",
            seconds=seconds,
        )
    await message.reply_text(text, do_quote=True)
    return False


async def _refuse_stranger(
    update: Update, context: BotContext, telegram_id: int, tr: Translator
) -> None:
    """Tell someone who is not enrolled who the bot is for, once a window, not per message.

    Their messages and commands (``/start`` without a code too: it asks how to join) get
    the answer when it is the first of the window (:mod:`bot.domain.strangers`), and
    nothing at all, not even a Telegram call, after it. A tap is always answered, so the
    button stops spinning (that answer is no chat message and is not rate limited), with
    the alert only once a window: taps keep their own window, so that a tap's alert, which
    vanishes, never uses up the answer that stays in the chat.
    """
    now = context.services.clock.now()
    query = update.callback_query
    if query is not None:
        taps = context.bot_data.setdefault("stranger_taps", OnceAWindow())
        if taps.should_answer(telegram_id, now):  # an alert holds 200 characters: short
            text = tr("Only invited people can use this bot. Send /start to see how.")
            await query.answer(text, show_alert=True)
        else:
            await query.answer()
        return
    if _stranger_messages(context).should_answer(telegram_id, now):
        await _refuse(update, stranger_text(tr))


def _stranger_messages(context: BotContext) -> OnceAWindow:
    """Who was told lately, in a message, that the bot is for invited people only."""
    return cast(OnceAWindow, context.bot_data.setdefault("stranger_messages", OnceAWindow()))


def stranger_text(tr: Translator) -> str:
    return tr(
        "Hello. This bot links police stations with social workers, and only people "
        "who have been invited can use it.\n\nIf you work with us, ask your "
        "coordinator or administrator for an invite. Then open the invite link, or "
        "send /start followed by the code."
    )


def _is_enrolment_attempt(update: Update) -> bool:
    """``/start`` with a code (what an invite link sends), or a code typed on its own:
    always answered, so that an invited person is never met with silence."""
    message = update.message
    if message is None or not message.text:
        return False
    words = message.text.split()  # none at all for whitespace such as U+3000 or U+2028
    if not words:
        return False
    if words[0].split("@")[0] == "/start":
        return len(words) > 1
    return looks_like_code(message.text.strip())


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
