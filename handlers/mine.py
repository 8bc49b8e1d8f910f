"""/mine: an officer's referrals with their status; a worker's open cases with buttons.
Also /available and /away, a worker's own on-duty switch, which holds alongside the rota
(``bot/services/rota/duty.py``)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot import labels
from bot.domain.away import NextShift, parse_away
from bot.domain.people import Role
from bot.domain.referral import Status
from bot.i18n import N_
from bot.services import care, cases, offers, rota, transfers
from bot.services import referrals as referral_service
from handlers import callbacks, cards
from handlers.context import BotContext, me
from handlers.guard import enrolled, requires
from handlers.questions import ask_on_card
from handlers.replies import local_time
from handlers.sender import reply


@enrolled
async def show_mine(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    person, tr = me(context), context.tr
    shown = False
    if person.has(Role.OFFICER):
        await _officer_list(update, context)
        shown = True
    if person.has(Role.SOCIAL_WORKER):
        open_cases = await cases.open_cases(context.services, person)
        cap = context.services.config.cases.max_open_per_worker
        state = tr("available") if person.available else tr("away")
        nights = (await care.night_callouts(context.services)).get(person.id, 0)
        await message.reply_text(
            tr(
                "Your open cases: {count} of {cap}. You are {state}.",
                count=len(open_cases),
                cap=cap,
                state=state,
            )
            + "\n"
            + tr.n(
                "Night call-outs this month: {count}.",
                "Night call-outs this month: {count}.",
                nights,
            )
        )
        # The cards follow from the sender, at the chat's pace (a long list would
        # otherwise hold up everyone else's answers while it went out).
        await cases.show_cards(context.services, person, open_cases)
        await _waiting_for_me(update, context)
        shown = True
    if not shown:
        await message.reply_text(tr("You have no referrals or cases."))


async def _waiting_for_me(update: Update, context: BotContext) -> None:
    """Assignments and handover requests waiting for this worker's answer, one line
    each; the answer is given on the card itself, which is pointed to."""
    message = update.effective_message
    assert message is not None
    tr, config = context.tr, context.services.config
    waiting = await transfers.waiting_for(context.services, me(context))
    if not waiting:
        return
    lines = [tr("Waiting for your answer:")]
    for one in waiting:
        head = cards.headline(tr, config, one.referral)
        if one.assignment:
            said = tr(
                "{name} assigned it to you: answer on its card (✅ I take it / ✋ I can't).",
                name=one.by,
            )
        else:
            said = tr(
                "{name} asks you to take it over: answer on its card "
                "(✅ I take it over / I can't).",
                name=one.by,
            )
        lines.append(f"{head} — {said}")
    await message.reply_text("\n".join(lines))


async def _officer_list(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    tr = context.tr
    mine = await referral_service.of_officer(context.services, me(context))
    if not mine:
        await message.reply_text(tr("You have not filed any referrals yet."))
        return
    lines = [tr("Your latest referrals:")]
    buttons = []
    for referral in mine:
        head = cards.headline(tr, context.services.config, referral)
        line = f"{head} · {tr(labels.STATUS[referral.status])}"
        if referral.assignee_id is not None:
            worker = await referral_service.person(context.services, referral.assignee_id)
            if worker is not None:
                line += f" · {cards.person_link(worker)}"
        lines.append(line)
        if referral.status is Status.OFFERED:
            label = tr("Withdraw {ref}", ref=referral.ref)
            buttons.append(
                [InlineKeyboardButton(label, callback_data=callbacks.withdraw(referral.id))]
            )
    await message.reply_text(
        "\n".join(lines), reply_markup=InlineKeyboardMarkup(buttons) if buttons else None
    )


@requires(Role.OFFICER)
async def on_withdraw(update: Update, context: BotContext) -> None:
    """Ask why; the referral is withdrawn when the reason is typed (handlers.answers)."""
    query = update.callback_query
    assert query is not None
    referral = await referral_service.get(context.services, callbacks.tap_of(update).id)
    tr = context.tr
    if referral is None or referral.officer_id != me(context).id:
        await query.answer(tr("This is not your referral."), show_alert=True)
        return
    if referral.status is not Status.OFFERED:
        status = tr(labels.STATUS[referral.status])
        await query.answer(
            tr("It can no longer be withdrawn (now: {status}).", status=status), show_alert=True
        )
        return
    await query.answer()
    question = tr("Why are you withdrawing {ref}? Type a short reason.", ref=referral.ref)
    await ask_on_card(update, context, referral.id, "withdraw_reason", question)


@requires(Role.SOCIAL_WORKER, Role.COORDINATOR)
async def available(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    notices = await offers.became_available(context.services, me(context))
    await message.reply_text(
        context.tr.n(
            "You are available. New referrals for your team will be offered to you; "
            "{count} is waiting now.",
            "You are available. New referrals for your team will be offered to you; "
            "{count} are waiting now.",
            len(notices),
        )
    )
    await reply(context, notices)


# Each catalogue gives examples in its reader's words ("/away 下午6点"); a test holds
# every example to what the parser understands.
AWAY_EXAMPLES = N_(
    "Sorry, I did not understand “{words}”. For example: /away 2h, "
    "/away 18:30, /away tomorrow or /away tomorrow 08:00. "
    "/away on its own: until you send /available."
)


@requires(Role.SOCIAL_WORKER, Role.COORDINATOR)
async def away(update: Update, context: BotContext) -> None:
    """/away, /away 2h, /away 18:30, /away tomorrow (明天, 下午6点, 两个小时…:
    bot/domain/away.py)."""
    message = update.effective_message
    assert message is not None
    services, tr, person = context.services, context.tr, me(context)
    config = services.config
    until = None
    next_shift = False
    if context.args:
        words = " ".join(context.args)
        try:
            wish = parse_away(
                words,
                services.clock.now(),
                config.zone,
                config.coordination.clock_time(config.coordination.handover_at),
            )
        except ValueError:
            await message.reply_text(tr(AWAY_EXAMPLES, words=words[:40]))
            return
        if isinstance(wish, NextShift):
            shift = await rota.back_from_away(services, person, wish)
            until, next_shift = shift or wish.morning, shift is not None
        else:
            until = wish
    await offers.went_away(services, person, until)
    if until is None:
        await message.reply_text(tr("You are away. No new offers until you send /available."))
        return
    when = local_time(until, config.zone)
    if next_shift:
        text = tr(
            "You are away until your next shift, {time}. No new offers until then.", time=when
        )
    else:
        text = tr("You are away until {time}. No new offers until then.", time=when)
    await message.reply_text(text)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("mine", show_mine, filters=private),
        CommandHandler("available", available, filters=private),
        CommandHandler("away", away, filters=private),
        callbacks.handler(callbacks.Code.WITHDRAW, on_withdraw),
    ]
