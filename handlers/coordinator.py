"""The coordinator's escalation card: Take it myself, or Assign to… a worker of the team."""

from __future__ import annotations

import html

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler

from bot.domain.escalation import held_for_morning
from bot.domain.people import Role
from bot.domain.referral import Referral, Status
from bot.services import care, coordinator, page_trail, paging
from bot.services import referrals as referral_service
from handlers import callbacks, cards, notice_texts, page_texts
from handlers.context import BotContext, me
from handlers.guard import audit_refusal, requires
from handlers.questions import ask_on_card
from handlers.replies import edit_card
from handlers.sender import reply


@requires(Role.COORDINATOR)
async def on_escalation_tap(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    tap = callbacks.tap_of(update)
    action = tap.action
    services, tr, person = context.services, context.tr, me(context)
    referral = await referral_service.get(services, tap.id)
    if referral is None or not coordinator.covers(services, person, referral):
        await audit_refusal(update, context, person, "escalation.refused")
        await query.answer(tr("This referral is not in your area."), show_alert=True)
        return
    if action == "da":
        await _debrief_arranged(update, context, referral)
        return
    if referral.status is not Status.OFFERED and action in ("a", "b", "h", "o", "p", "y"):
        await query.answer(tr("This button is no longer active."), show_alert=True)
        return
    if action == "o":
        await _on_it(update, context, referral)
        return
    if action == "c":
        officer = await referral_service.person(services, referral.officer_id)
        await query.answer()
        if officer is not None:  # to the coordinator's own chat, never the tap's chat
            station = cards.station_name(services.config, referral, tr.language)
            await context.bot.send_message(
                person.telegram_id,
                f"{cards.headline(tr, services.config, referral)}\n"
                + tr("Officer: {officer}", officer=cards.person_link(officer))
                + f"\n{html.escape(station)}",
            )
        return
    if action == "h":
        if not held_for_morning(
            services.config.category_facts(referral.category).never_waits,
            referral.urgency,
            referral.appropriate_adult_now,
            False,
        ):  # its card shows no such button: forged
            await audit_refusal(update, context, person, "escalation.refused")
            await query.answer(
                tr("Only routine referrals can wait until morning."), show_alert=True
            )
            return
        await query.answer()
        question = tr("Why can {ref} wait until morning? Type a short reason.", ref=referral.ref)
        await ask_on_card(update, context, referral.id, "hold_reason", question)
        return
    if action == "a":
        await query.answer()
        now = services.clock.now()
        rows = [
            [
                InlineKeyboardButton(
                    cards.worker_label(tr, services.config, worker, now),
                    callback_data=callbacks.escalation(referral.id, "p", worker.person.id),
                )
            ]
            for worker in await coordinator.team_workers(services, referral)
        ]
        rows.append(
            [
                InlineKeyboardButton(
                    tr("⬅ Back"), callback_data=callbacks.escalation(referral.id, "b")
                )
            ]
        )
        await edit_card(query, tr("Assign {ref} to:", ref=referral.ref), InlineKeyboardMarkup(rows))
        return
    if action == "p":  # off duty, away or at the cap: asked once more ("y" assigns)
        chosen = await coordinator.worker(services, referral, tap.value_number)
        if chosen is not None and chosen.asks_twice:
            await query.answer()
            rid, wid = referral.id, chosen.person.id
            markup = InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(
                            tr("Assign anyway"), callback_data=callbacks.escalation(rid, "y", wid)
                        ),
                        InlineKeyboardButton(
                            tr("⬅ Back"), callback_data=callbacks.escalation(rid, "a")
                        ),
                    ]
                ]
            )
            now = services.clock.now()
            question = cards.assign_anyway_text(tr, services.config, chosen, now)
            await edit_card(
                query, f"{cards.headline(tr, services.config, referral)}\n{question}", markup
            )
            return
    if action == "b":
        await query.answer()
        await _redraw(query, context, referral.id)
        return
    worker_id = person.id if action == "t" else tap.value_number
    result = await coordinator.assign(services, person, referral.id, worker_id)
    head = cards.headline(tr, services.config, referral)
    if not result.done:
        already = tr("Already taken by {worker}.", worker=result.taken_by or "?")
        await query.answer(already, show_alert=True)
        await edit_card(query, f"{head}\n{already}")
        return
    if result.pending:  # the worker confirms or not; the card says whom it waits for
        await query.answer(
            tr("Sent to {worker}. Waiting for them to confirm.", worker=result.taken_by or "")
        )
        await _redraw(query, context, referral.id)
        await reply(context, result.notices)
        return
    await query.answer(tr("Done."))
    # As the outbox's edit of this coordinator's other cards says it (the same text).
    taken = {"worker": result.taken_by or "", "worker_id": str(worker_id)}
    if worker_id != person.id:
        taken |= {"by": person.display_name, "by_id": str(person.id)}
    done = notice_texts.taken_text(tr, taken, person.id)
    await edit_card(query, f"{head}\n{done}")
    await reply(context, result.notices)


async def _on_it(update: Update, context: BotContext, referral: Referral) -> None:
    """ "I'm on it": recorded (the same service as pressing 1 on a page's call), the
    pages to this coordinator stop, the others and the officer hear through the outbox;
    a second tap only says it was recorded."""
    query = update.callback_query
    assert query is not None
    services, tr = context.services, context.tr
    acked = await paging.acknowledge(services, referral.id, me(context), "telegram")
    if acked.taken:
        await query.answer(tr("This button is no longer active."), show_alert=True)
    elif acked.first:
        await query.answer(tr("Recorded: you are on it. No more pages for it; the others hear."))
        await _redraw(query, context, referral.id)  # the card says so too
    else:
        await query.answer(tr("You already said you are on it."))


async def _debrief_arranged(update: Update, context: BotContext, referral: Referral) -> None:
    """ "Debrief arranged" on a worker's request: the first coordinator's tap records it
    and the worker hears; a later tap (another coordinator's, or a second) is told who
    did, and the card loses its button."""
    query = update.callback_query
    assert query is not None
    services, tr = context.services, context.tr
    arranged = await care.arrange_debrief(services, me(context), referral)
    head = cards.headline(tr, services.config, referral)
    if arranged.done:
        await query.answer(tr("Recorded. The worker hears that you will be in touch."))
    elif arranged.by is None:  # no request waits on this case (a forged or odd tap)
        await query.answer(tr("This button is no longer active."), show_alert=True)
        return
    else:
        await query.answer(
            tr("{name} has already arranged this debrief.", name=arranged.by), show_alert=True
        )
    await edit_card(
        query, f"{head}\n" + tr("🫂 Debrief arranged by {name}.", name=arranged.by or "")
    )
    await reply(context, arranged.notices)


async def _redraw(query: CallbackQuery, context: BotContext, referral_id: int) -> None:
    """The escalation card as it is now: who was asked, whom it waits for, and how late
    the card came (as it said when it was sent: "⬅ Back" from "Assign to…" keeps that)."""
    services, tr, person = context.services, context.tr, me(context)
    referral = await referral_service.get(services, referral_id)
    assert referral is not None
    asked = await coordinator.history(services, referral.id)
    text = cards.escalation_text(tr, services.config, referral, asked, services.clock.now())
    trail = await page_trail.of_referral(services, referral.id, referral.ref)
    if trail is not None:  # whom paging reached, and who said they are on it
        text += "\n" + page_texts.trail_line(tr, services.config.zone, trail)
    message_id = query.message.message_id if query.message is not None else None
    late = await coordinator.card_lateness(services, person, referral.id, message_id)
    text += cards.late_line(tr, late)
    await edit_card(query, text, cards.escalation_buttons(tr, services.config, referral))


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [callbacks.handler(callbacks.Code.ESCALATION, on_escalation_tap)]
