"""A social worker's answer to an offer card: Accept, or Decline with a reason."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler

from bot import labels
from bot.domain.people import Role
from bot.domain.referral import DeclineReason
from bot.services import care, offers
from bot.services.offers import Answer
from handlers import callbacks, cards, jobs
from handlers.context import BotContext, me
from handlers.guard import requires
from handlers.questions import CANNOT_REASON, DECLINE_NOTE, SKIP, ask_on_card
from handlers.replies import edit_buttons, edit_card
from handlers.sender import reply


@requires(Role.SOCIAL_WORKER, Role.COORDINATOR)
async def on_offer_tap(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    tap = callbacks.tap_of(update)
    offer_id, action = tap.id, tap.action
    tr = context.tr
    if action == "d":  # show the reasons; nothing is recorded until one is chosen
        if not await offers.is_theirs(context.services, me(context), offer_id):
            await query.answer(tr("This offer was not made to you."), show_alert=True)
            return
        await query.answer()
        rows = [
            [InlineKeyboardButton(tr(label), callback_data=callbacks.offer(offer_id, "r", reason))]
            for reason, label in labels.DECLINE.items()
        ]
        rows.append(
            [InlineKeyboardButton(tr("⬅ Back"), callback_data=callbacks.offer(offer_id, "b"))]
        )
        await edit_buttons(query, InlineKeyboardMarkup(rows))
        return
    if action == "b":
        await query.answer()
        await edit_buttons(query, cards.offer_buttons(tr, offer_id))
        return
    if action == "n":  # "I can't" on an assignment: nothing changes until the reason comes
        assignment = await offers.open_assignment(context.services, me(context), offer_id)
        if assignment is None:
            await query.answer(tr("This offer is no longer open."), show_alert=True)
            return
        await query.answer()
        referral, _ = assignment
        question = tr(
            "Why can't you take {ref}? Type one line for the coordinators (only they see it). "
            "Until you send it, the assignment stays open.",
            ref=referral.ref,
        )
        await ask_on_card(
            update, context, referral.id, CANNOT_REASON, question, data={"offer_id": str(offer_id)}
        )
        return
    chosen: DeclineReason | None = None
    if action == "a":
        outcome = await offers.accept(context.services, me(context), offer_id)
    else:  # "r": a reason, one of DeclineReason's (callbacks.parse let no other through)
        chosen = DeclineReason(tap.value)
        outcome = await offers.decline(context.services, me(context), offer_id, chosen)
        jobs.wake(context)  # if nobody is left, the next escalation step is due now
    await _answer(update, context, outcome, offer_id, chosen)
    await reply(context, outcome.notices)


async def _answer(
    update: Update,
    context: BotContext,
    outcome: offers.Outcome,
    offer_id: int,
    reason: DeclineReason | None,
) -> None:
    query = update.callback_query
    assert query is not None
    tr = context.tr
    referral = outcome.referral
    if outcome.answer is Answer.NOT_YOURS or referral is None:
        await query.answer(tr("This offer was not made to you."), show_alert=True)
        return
    head = cards.headline(tr, context.services.config, referral)
    if outcome.answer is Answer.AT_CAP:
        cap = context.services.config.cases.max_open_per_worker
        await query.answer(
            tr.n(
                "You already hold {count} open case. Close it before taking another.",
                "You already hold {count} open cases. Close one before taking another.",
                cap,
            ),
            show_alert=True,
        )
    elif outcome.answer in (Answer.ACCEPTED, Answer.ALREADY_YOURS):
        await query.answer(tr("The case is yours."))
        text = f"{head}\n" + tr("You accepted. The details follow in a protected message.")
        rest = care.rest_offer(context.services, referral)
        line, markup = cards.rest_line(tr, referral.id, rest, context.services.config.zone)
        await edit_card(query, text + line, markup)
    elif outcome.answer is Answer.TAKEN:
        taken = tr("Already taken by {worker}.", worker=outcome.taken_by or "?")
        await query.answer(taken, show_alert=True)
        await edit_card(query, f"{head}\n{taken}")
    elif outcome.answer is Answer.WITHDRAWN:
        await query.answer(tr("Withdrawn by the officer."), show_alert=True)
        await edit_card(query, f"{head}\n" + tr("Withdrawn by the officer."))
    elif outcome.answer is Answer.DECLINED:
        await query.answer(tr("Declined. It goes to the next worker."))
        declined = f"{head}\n" + tr("You declined this referral.")
        if reason is not DeclineReason.OTHER:
            await edit_card(query, declined)
            return
        # Asked after the decline was recorded and passed on: nobody waits for the answer.
        why = tr(
            "Why? Type one line for the coordinators (only they see it), or tap Skip. "
            "The referral has already gone on."
        )
        await ask_on_card(
            update,
            context,
            referral.id,
            DECLINE_NOTE,
            f"{declined}\n{why}",
            data={"offer_id": str(offer_id)},
            button=SKIP,
        )
    else:
        await query.answer(tr("This offer is no longer open."), show_alert=True)
        await edit_card(query, f"{head}\n" + tr("This offer is no longer open."))


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [callbacks.handler(callbacks.Code.OFFER, on_offer_tap)]
