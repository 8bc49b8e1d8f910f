"""``/phone``: a person's own numbers for pages, shown masked, added and verified in chat.

Only the owner ever sees a number, and only masked ("••••4567"): here, in their private
chat. The number and the code are typed as answers to a stored question
(:mod:`handlers.answers` hands them to :func:`on_answer`); the typed code is deleted
from the chat where Telegram allows it.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.domain import phones as phone_rules
from bot.domain.paging import GatewayState
from bot.domain.people import Role
from bot.domain.phones import Channels, PhoneNumber, Status
from bot.i18n import N_, Translator
from bot.services import gateways, phones, prompts
from bot.services.phones import Checked, Sent
from bot.services.prompts import Prompt
from handlers import callbacks
from handlers.context import BotContext, me
from handlers.guard import requires
from handlers.questions import cancel_markup
from handlers.replies import edit_card

log = logging.getLogger("referral_bot.phone")

PHONE_NUMBER = "phone_number"  # the number typed after "Add a number"
PHONE_CODE = "phone_code"  # the code sent to it, typed back (data: the number's id)
ROLES = (Role.OFFICER, Role.SOCIAL_WORKER, Role.COORDINATOR)

CHANNEL_NAMES = {
    Channels.CALL: N_("call"),
    Channels.SMS: N_("SMS"),
    Channels.BOTH: N_("call and SMS"),
}
STATUS_NAMES = {
    Status.VERIFIED: N_("verified"),
    Status.WAITING: N_("waiting for the code"),
    Status.FAILING: N_("not working"),
}
# Why the provider refused a number (Twilio's error codes), in plain words.
FAILING_REASONS = {
    "twilio 21211": N_("the phone company says it is not a valid number"),
    "twilio 21614": N_("it cannot receive text messages"),
    "twilio 21610": N_("it replied STOP to our text messages"),
    "twilio 21612": N_("the phone company does not let us reach it"),
    "twilio 21408": N_("the phone company does not let us reach it"),
}


def failing_reason(tr: Translator, error: str) -> str:
    return tr(FAILING_REASONS.get(error, N_("the phone company refused it")))


def number_line(tr: Translator, number: PhoneNumber) -> str:
    """ "••••4567 · call and SMS · verified", and why it is not working if it is not."""
    line = tr(
        "{number} · {channels} · {status}",
        number=number.masked,
        channels=tr(CHANNEL_NAMES[number.channels]),
        status=tr(STATUS_NAMES[number.status]),
    )
    if number.status is Status.FAILING:
        reason = failing_reason(tr, number.failing_error or "")
        line += "\n" + tr(
            "It is not working: {reason}. Add it again to check it with a new code.",
            reason=reason,
        )
    elif number.status is Status.WAITING and number.code_lost:
        line += "\n" + tr(
            "The code could not be sent to it before it expired. You can ask for a new code."
        )
    return line


GATEWAY_STATES = {
    GatewayState.ON: N_("Agency gateway: on"),
    GatewayState.OFF: N_("Agency gateway: off"),
    GatewayState.FAILING: N_("Agency gateway: not working"),
}


def list_text(
    tr: Translator, numbers: list[PhoneNumber], gateway: GatewayState | None = None
) -> str:
    """The person's numbers, and whether the agency's gateway pages them (``gateway``;
    None: not said, as where the agency has none and nobody set one)."""
    lines = [
        "<b>" + tr("Your phone numbers for urgent calls") + "</b>",
        tr(
            "When a referral needs you at night, the bot can call you or send an SMS. "
            "Only you see your numbers."
        ),
    ]
    if not numbers:
        lines.append(tr("You have not added a number yet."))
    lines += [number_line(tr, n) for n in numbers]
    if gateway is not None:
        lines.append(tr(GATEWAY_STATES[gateway]))
    return "\n".join(lines)


async def gateway_shown(context: BotContext) -> GatewayState | None:
    """The gateway line's state: shown where the agency has a gateway or the person has
    an id on it (set by an administrator, see ``referral-bot paging gateway``)."""
    state = await gateways.gateway_state(context.services, me(context))
    if state is GatewayState.OFF and context.services.config.paging.webhook_url is None:
        return None
    return state


def list_markup(tr: Translator, numbers: list[PhoneNumber]) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    for number in numbers:
        choices = []
        for channels, label in (
            (Channels.CALL, N_("Call {number}")),
            (Channels.SMS, N_("SMS {number}")),
            (Channels.BOTH, N_("Both {number}")),
        ):
            text = tr(label, number=number.masked)
            if channels is number.channels:
                text = "● " + text
            choices.append(
                InlineKeyboardButton(text, callback_data=callbacks.phone(channels, number.id))
            )
        rows.append(choices)
        tail = [
            InlineKeyboardButton(
                tr("Remove {number}", number=number.masked),
                callback_data=callbacks.phone("rm", number.id),
            )
        ]
        if number.status is Status.WAITING:
            tail.append(new_code_button(tr, number))
        rows.append(tail)
    rows.append([InlineKeyboardButton(tr("Add a number"), callback_data=callbacks.phone("add"))])
    return InlineKeyboardMarkup(rows)


def new_code_button(tr: Translator, number: PhoneNumber) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        tr("Send a new code"), callback_data=callbacks.phone("new", number.id)
    )


@requires(*ROLES)
async def show(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    numbers = await phones.numbers(context.services, me(context))
    await message.reply_text(
        list_text(context.tr, numbers, await gateway_shown(context)),
        reply_markup=list_markup(context.tr, numbers),
    )


@requires(*ROLES)
async def on_tap(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    tap, tr, services, person = callbacks.tap_of(update), context.tr, context.services, me(context)
    if tap.action == "add":
        await query.answer()
        prompt = await prompts.ask(services, person, PHONE_NUMBER, referral_id=None)
        await edit_card(query, number_question(context), cancel_markup(context, prompt))
        return
    if tap.action == "list":
        await query.answer()
        await _redraw(update, context)
        return
    number = await phones.number(services, person, tap.id)
    if number is None:
        await query.answer(tr("This button is no longer active."), show_alert=True)
        return
    if tap.action == "rm":
        await query.answer()
        yes = InlineKeyboardButton(
            tr("Yes, remove it"), callback_data=callbacks.phone("rmy", number.id)
        )
        back = InlineKeyboardButton(tr("Back"), callback_data=callbacks.phone("list"))
        await edit_card(
            query,
            tr(
                "Remove {number}? The bot will no longer call or text you on it.",
                number=number.masked,
            ),
            InlineKeyboardMarkup([[yes], [back]]),
        )
        return
    if tap.action == "rmy":
        await phones.remove(services, person, number.id)
        await query.answer(tr("Removed."))
        await _redraw(update, context)
        return
    if tap.action == "new":
        added = await phones.send_new_code(services, person, number.id)
        if added is None or added.sent is not Sent.SENT:
            await query.answer(
                _not_sent(tr, added.sent if added else Sent.VERIFIED), show_alert=True
            )
            return
        await query.answer()
        prompt = await prompts.ask(
            services, person, PHONE_CODE, referral_id=None, data={"number": str(number.id)}
        )
        await edit_card(query, code_question(tr, number), cancel_markup(context, prompt))
        return
    await phones.set_channels(services, person, number.id, Channels(tap.action))
    await query.answer(tr("Saved."))
    await _redraw(update, context)


async def _redraw(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    numbers = await phones.numbers(context.services, me(context))
    await edit_card(
        query,
        list_text(context.tr, numbers, await gateway_shown(context)),
        list_markup(context.tr, numbers),
    )


def number_question(context: BotContext) -> str:
    national, world = phone_rules.example(context.services.config.paging.default_region)
    return context.tr(
        "Type your mobile number, for example {national} or {world}. The bot will send "
        "it a code by SMS to check it is yours.",
        national=national,
        world=world,
    )


def code_question(tr: Translator, number: PhoneNumber) -> str:
    return tr(
        "A code was sent by SMS to {number}. Type its 6 digits here; it works for 10 minutes.",
        number=number.masked,
    )


def _not_sent(tr: Translator, sent: Sent) -> str:
    if sent is Sent.WAIT:
        return tr("A code was sent less than a minute ago. Please wait a minute and try again.")
    if sent is Sent.LATER:
        return tr("You asked for 5 codes in the last hour. Please try again later.")
    if sent is Sent.TODAY:
        return tr("You asked for 10 codes in the last 24 hours. Please try again tomorrow.")
    if sent is Sent.NUMBER:
        return tr("This number was sent 5 codes in the last hour. Please try again later.")
    if sent is Sent.GUESSES:
        return too_many_wrong(tr)
    return tr("This number is already verified.")


def too_many_wrong(tr: Translator) -> str:
    return tr("You typed 5 wrong codes in the last hour. Please try again in an hour.")


async def on_answer(message: Message, context: BotContext, prompt: Prompt, text: str) -> None:
    """The typed number or code (the question is still open; it is closed here once
    answered)."""
    if prompt.purpose == PHONE_NUMBER:
        await _number_typed(message, context, prompt, text)
    else:
        await _code_typed(message, context, prompt, text)


async def _number_typed(message: Message, context: BotContext, prompt: Prompt, text: str) -> None:
    services, person, tr = context.services, me(context), context.tr
    try:
        added = await phones.add(services, person, text)
    except phones.BadNumber:  # the question stays open: they type it again
        await message.reply_text(
            tr("Sorry, that does not look like a phone number.") + " " + number_question(context),
            reply_markup=cancel_markup(context, prompt),
        )
        return
    await prompts.clear(services, person, prompt.token)
    number = added.number
    if added.sent is Sent.VERIFIED:
        numbers = await phones.numbers(services, person)
        await message.reply_text(
            tr("{number} is already verified.", number=number.masked)
            + "\n"
            + list_text(tr, numbers, await gateway_shown(context)),
            reply_markup=list_markup(tr, numbers),
        )
        return
    if added.sent is not Sent.SENT:
        markup = InlineKeyboardMarkup([[new_code_button(tr, number)]])
        await message.reply_text(_not_sent(tr, added.sent), reply_markup=markup)
        return
    asked = await prompts.ask(
        services, person, PHONE_CODE, referral_id=None, data={"number": str(number.id)}
    )
    await message.reply_text(code_question(tr, number), reply_markup=cancel_markup(context, asked))


async def _code_typed(message: Message, context: BotContext, prompt: Prompt, text: str) -> None:
    services, person, tr = context.services, me(context), context.tr
    code = phone_rules.typed_code(text)
    if code is None:
        await message.reply_text(
            tr("Please type the 6 digits of the code, like 123456."),
            reply_markup=cancel_markup(context, prompt),
        )
        return
    await _delete(message)
    checked = await phones.check(services, person, int(prompt.data.get("number", "0")), code)
    if checked.result is Checked.WRONG:
        await message.reply_text(
            tr.n(
                "That code is not right. {count} try left.",
                "That code is not right. {count} tries left.",
                checked.tries_left,
                count=checked.tries_left,
            ),
            reply_markup=cancel_markup(context, prompt),
        )
        return
    await prompts.clear(services, person, prompt.token)
    number = checked.number
    if checked.result is Checked.RIGHT and number is not None:
        numbers = await phones.numbers(services, person)
        await message.reply_text(
            tr("Verified: the bot can now reach you on {number}.", number=number.masked)
            + "\n"
            + list_text(tr, numbers, await gateway_shown(context)),
            reply_markup=list_markup(tr, numbers),
        )
        return
    if number is None:
        await message.reply_text(tr("There is no code waiting for this number. See /phone."))
        return
    if checked.result in (Checked.LAST_THIS_HOUR, Checked.TOO_MANY):
        said = too_many_wrong(tr)
        if checked.result is Checked.LAST_THIS_HOUR:
            said = tr("That code is not right, and no tries are left.") + " " + said
        await message.reply_text(said)
        return
    said = (
        tr("That code is not right, and no tries are left.")
        if checked.result is Checked.NO_TRIES
        else tr("That code has expired.")
    )
    await message.reply_text(
        said + " " + tr("Ask for a new code below."),
        reply_markup=InlineKeyboardMarkup([[new_code_button(tr, number)]]),
    )


async def _delete(message: Message) -> None:
    """The code typed by the person leaves the chat, where Telegram allows it."""
    try:
        await message.delete()
    except TelegramError as exc:
        log.info("could not delete a typed code: %s", type(exc).__name__)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler("phone", show, filters=filters.ChatType.PRIVATE),
        callbacks.handler(callbacks.Code.PHONE, on_tap),
    ]
