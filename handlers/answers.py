"""Typed answers to a stored question: reasons, a resource's name, the closing note.

A question is answered only while it is fresh (half an hour) and only if the person
has not since started something else (a draft changed after the question wins the
text). Once answered, the question card loses its Cancel button.
"""

from __future__ import annotations

import html
import logging

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler

from bot.domain.referral import REASON_LIMIT, Outcome, Resource, ReturnReason
from bot.services import case_work, cases, coordinator, drafts, follow_ups, prompts, transfers
from bot.services import linkages as linkage_service
from bot.services import offers as offer_service
from bot.services import referrals as referral_service
from bot.services.notices import Changed, NoticeKind
from bot.services.prompts import Prompt
from handlers import callbacks, cards, phone
from handlers.cases import followed_up_text, linked_menu, not_linked_text, still_mine
from handlers.context import BotContext, me
from handlers.guard import enrolled
from handlers.questions import (
    CANNOT_REASON,
    CONTACT_WITH,
    DECLINE_NOTE,
    FOLLOW_UP_NOTE,
    GOAL_EDIT,
    PLAN_GOAL,
)
from handlers.replies import edit_card, protected
from handlers.sender import reply

log = logging.getLogger("referral_bot.answers")


async def on_text(update: Update, context: BotContext) -> bool:
    """Answer the person's pending question with this text; False if none is pending."""
    message = update.effective_message
    if context.person is None or message is None or message.text is None:
        return False
    services, person, tr = context.services, context.person, context.tr
    prompt = await prompts.pending(services, person)
    if prompt is None:
        return False
    draft = await drafts.current(services, person.id)
    if draft is not None and draft.updated_at > prompt.created_at:
        await _close_question(context, prompt)  # they moved on to filing: the draft wins
        return False
    if prompts.expired(services, prompt):
        await _close_question(context, prompt)
        if prompt.purpose == CANNOT_REASON:  # the card's buttons back, to tap again
            await _assignment_again(context, prompt)
        await message.reply_text(_lapsed(context, prompt))
        return True
    text = " ".join(message.text.split())
    if prompt.purpose in (phone.PHONE_NUMBER, phone.PHONE_CODE):  # never echoed back
        await phone.on_answer(message, context, prompt, text)
        return True
    if len(text) > REASON_LIMIT:
        await message.reply_text(
            tr(
                "That is {count} characters; the limit is {limit}. Please send a shorter "
                "answer. Your text is below so you can copy and shorten it.",
                count=len(text),
                limit=REASON_LIMIT,
            )
        )
        await message.reply_text(html.escape(text))
        return True
    await _answer(update, context, prompt, text)
    return True


def _lapsed(context: BotContext, prompt: Prompt) -> str:
    """A typed answer to a question asked more than 30 minutes ago is not used."""
    if prompt.purpose == DECLINE_NOTE:  # there is no button to tap again: the decline stands
        return context.tr(
            "You declined more than 30 minutes ago, so I did not keep this as your reason. "
            "Your decline stands; nothing else changed."
        )
    if prompt.purpose == FOLLOW_UP_NOTE:  # optional, and no button asks it again
        return context.tr(
            "You marked the follow-up more than 30 minutes ago, so I did not keep this "
            "as its line. The follow-up stays recorded; nothing else changed."
        )
    if prompt.purpose == CONTACT_WITH:  # optional, and no button asks it again
        return context.tr(
            "You logged the contact more than 30 minutes ago, so I did not keep this as "
            "its line. The contact stays logged; nothing else changed."
        )
    return context.tr(
        "That question was asked more than 30 minutes ago, so I did not use your "
        "text and nothing changed. Tap the button again to answer it."
    )


async def _answer(update: Update, context: BotContext, prompt: Prompt, text: str) -> None:
    message = update.effective_message
    assert message is not None and prompt.referral_id is not None
    services, person, tr, rid = context.services, me(context), context.tr, prompt.referral_id
    if prompt.purpose == "close_resource":  # a service the directory does not list
        await _close_question(context, prompt)
        linked = await linkage_service.record(
            services, person, rid, kind=Resource(prompt.data["resource"]), name=text
        )
        repeat = not linked.changed and still_mine(context, linked.referral)
        if repeat and linked.referral is not None:  # the same name already waits
            body, menu = await linked_menu(context, linked.referral)
            await message.reply_text(f"{tr('Already recorded.')}\n{body}", reply_markup=menu)
            return
        if not linked.changed or linked.referral is None:
            await message.reply_text(tr("Nothing changed: the referral had already moved on."))
            return
        body, menu = await linked_menu(context, linked.referral)
        await message.reply_text(f"{tr('Saved.')}\n{body}", reply_markup=menu)
        return
    if prompt.purpose == DECLINE_NOTE:
        await _close_question(context, prompt)
        explained = await offer_service.explain_decline(
            services, person, int(prompt.data["offer_id"]), text
        )
        if not explained.changed:
            await message.reply_text(tr("Nothing changed: the referral had already moved on."))
            return
        await message.reply_text(tr("Thank you. The coordinators will see your reason."))
        await reply(context, explained.notices)
        return
    if prompt.purpose == CANNOT_REASON:
        await _close_question(context, prompt)
        refused = await offer_service.cannot_take(
            services, person, int(prompt.data["offer_id"]), text
        )
        if not refused.changed:
            await message.reply_text(tr("Nothing changed: the referral had already moved on."))
            return
        await message.reply_text(
            tr("Thank you. The coordinators have it again and see your reason.")
        )
        await reply(context, refused.notices)
        return
    if prompt.purpose in (PLAN_GOAL, CONTACT_WITH, GOAL_EDIT):
        await _close_question(context, prompt)
        await _stage_answer(update, context, prompt, text)
        return
    if prompt.purpose == HANDOVER_REASON:
        await _close_question(context, prompt)
        await _hand_over(update, context, prompt, text)
        return
    if prompt.purpose == FOLLOW_UP_NOTE:
        await _close_question(context, prompt)
        await _follow_up_note(update, context, prompt, text)
        return
    await _close_question(context, prompt)
    done = tr("Nothing changed: the referral had already moved on.")
    changed = Changed(None, False)
    if prompt.purpose == "close_note":
        resource = prompt.data.get("resource")
        try:
            changed = await cases.close(
                services,
                person,
                rid,
                outcome=Outcome(prompt.data["outcome"]),
                note=text,
                resource=Resource(resource) if resource else None,
                resource_name=prompt.data.get("name"),
            )
        except cases.NotLinked as refused:  # changed since the tap: say why, keep the note
            await _not_linked(context, message, rid, refused, text)
            return
        done = tr("Closed.")
    elif prompt.purpose == "return_reason":
        why = prompt.data.get("why")  # none on a question asked before the buttons
        changed = await cases.return_to_police(
            services, person, rid, text, why=ReturnReason(why) if why else None
        )
        done = tr("Returned to police.")
    elif prompt.purpose == "hold_reason":
        changed = await coordinator.hold(services, person, rid, text)
        done = tr("It waits for the morning shift.")
    elif prompt.purpose == "withdraw_reason":
        changed = await referral_service.withdraw(services, person, rid, text)
        done = tr("Withdrawn.")
    if not changed.changed or changed.referral is None:
        await message.reply_text(tr("Nothing changed: the referral had already moved on."))
        return
    await reply(context, changed.notices)
    # The sender tells the officer (this handler does not wait for it); an officer the
    # bot already knows it cannot reach is worth a phone call now.
    cut_off = any(n.kind in OFFICER_KINDS and not n.recipient.reachable for n in changed.notices)
    told = (
        tr("The message to the officer could not be delivered: please phone the station.")
        if cut_off
        else tr("The officer will be told.")
    )
    work = await case_work.of(services, rid) if prompt.purpose == "close_note" else None
    body = cards.case_text(tr, services.config, changed.referral, work)
    markup = cards.case_buttons(tr, changed.referral, work) if work is not None else None
    if prompt.purpose == "withdraw_reason":
        body, told = cards.headline(tr, services.config, changed.referral), ""
    await message.reply_text(
        f"{body}\n{done} {told}".rstrip(), reply_markup=markup, protect_content=True
    )


HANDOVER_REASON = "handover_reason"


async def _not_linked(
    context: BotContext, message: Message, rid: int, refused: cases.NotLinked, text: str
) -> None:
    """Closing as linked was refused after the note was typed (a linkage was added, or
    every answer said the service did not happen): why, the typed note to copy, and the
    case's linked services again."""
    tr = context.tr
    await message.reply_text(
        not_linked_text(tr, refused)
        + "\n"
        + tr("The case is still open. Your note is below so you can copy it.")
    )
    await message.reply_text(html.escape(text))
    referral = await referral_service.get(context.services, rid)
    if referral is not None:
        body, menu = await linked_menu(context, referral)
        await message.reply_text(body, reply_markup=menu)


async def _stage_answer(update: Update, context: BotContext, prompt: Prompt, text: str) -> None:
    """A goal of the plan (new or reworded), or with whom a logged contact was: saved,
    and the case card again with what its stages hold (the holder's own; never sent to
    the officer)."""
    message = update.effective_message
    assert message is not None and prompt.referral_id is not None
    services, person, tr, rid = context.services, me(context), context.tr, prompt.referral_id
    if prompt.purpose == PLAN_GOAL:
        saved = await case_work.add_goal(services, person, rid, text)
        done = tr("Goal saved.")
    elif prompt.purpose == GOAL_EDIT:
        goal = int(prompt.data.get("goal", "0"))
        saved = await case_work.replace_goal(services, person, rid, goal, text)
        done = tr("Goal changed.")
    else:
        contact = int(prompt.data.get("contact", "0"))
        saved = await case_work.contact_with(services, person, rid, contact, text)
        done = tr("Saved.")
    if not saved:
        await message.reply_text(tr("Nothing changed: the case had already moved on."))
        return
    referral = await referral_service.get(services, rid)
    if referral is None:
        return
    work = await case_work.of(services, rid)
    body = cards.case_text(tr, services.config, referral, work)
    await message.reply_text(
        f"{body}\n{done}",
        reply_markup=cards.case_buttons(tr, referral, work),
        protect_content=True,  # the holder's card with what they typed: see cards
    )


async def _follow_up_note(update: Update, context: BotContext, prompt: Prompt, text: str) -> None:
    """How the crisis follow-up went: saved, and the holder's case card with it."""
    message = update.effective_message
    assert message is not None and prompt.referral_id is not None
    services, tr, rid = context.services, context.tr, prompt.referral_id
    hours = int(prompt.data.get("hours", "0"))
    referral = await follow_ups.note(services, me(context), rid, hours, text)
    if referral is None:
        await message.reply_text(tr("Nothing changed: the case had already moved on."))
        return
    work = await case_work.of(services, rid)
    body = cards.case_text(tr, services.config, referral, work)
    await message.reply_text(
        f"{body}\n{tr('Saved.')}",
        reply_markup=cards.case_buttons(tr, referral, work),
        protect_content=True,
    )


async def _hand_over(update: Update, context: BotContext, prompt: Prompt, text: str) -> None:
    """The reason is typed: ask the colleague, or hand the case back to the coordinators."""
    message = update.effective_message
    assert message is not None and prompt.referral_id is not None
    services, person, tr = context.services, me(context), context.tr
    to = int(prompt.data.get("to", "0"))
    moved_on = tr("Nothing changed: the referral had already moved on.")
    if to == transfers.TO_COORDINATORS:
        changed = await transfers.to_coordinators(services, person, prompt.referral_id, text)
        if not changed.changed or changed.referral is None:
            await message.reply_text(moved_on)
            return
        await reply(context, changed.notices)
        head = cards.headline(tr, services.config, changed.referral)
        await message.reply_text(
            f"{head}\n"
            + tr("Handed back to the coordinators; they will pass it on.")
            + " "
            + tr("The officer will be told.")
        )
        return
    asked = await transfers.ask(
        services, person, prompt.referral_id, to, text, prompt.card_message_id
    )
    if asked.waiting is not None:
        await message.reply_text(
            tr(
                "You asked {worker} to take this case over; it stays yours until they answer.",
                worker=asked.waiting.display_name,
            )
        )
        return
    if asked.colleague is None:
        await message.reply_text(moved_on)
        return
    await reply(context, asked.notices)
    await message.reply_text(
        tr(
            "Asked {worker} to take it over. The case stays yours until they answer; you "
            "will hear either way.",
            worker=asked.colleague.display_name,
        )
    )


OFFICER_KINDS = frozenset({NoticeKind.RETURNED, NoticeKind.CLOSED, NoticeKind.HELD_BY_COORDINATOR})


async def _close_question(context: BotContext, prompt: Prompt) -> None:
    await prompts.clear(context.services, me(context), prompt.token)
    await _remove_cancel(context, prompt)


async def _assignment_again(context: BotContext, prompt: Prompt) -> None:
    """The assignment card as it was before "I can't" (its question lapsed), while the
    assignment still waits for an answer."""
    services, tr = context.services, context.tr
    offer_id = int(prompt.data["offer_id"])
    assignment = await offer_service.open_assignment(services, me(context), offer_id)
    if assignment is None or prompt.card_message_id is None:
        return
    referral, by = assignment
    try:
        await context.bot.edit_message_text(
            cards.assignment_text(tr, services.config, referral, by),
            me(context).telegram_id,
            prompt.card_message_id,
            reply_markup=cards.assignment_buttons(tr, offer_id),
        )
    except TelegramError as exc:
        log.info("could not draw an assignment card again: %s", exc)


async def _remove_cancel(context: BotContext, prompt: Prompt) -> None:
    """The question card keeps its text but loses the Cancel button once settled."""
    if prompt.card_message_id is None:
        return
    try:
        await context.bot.edit_message_reply_markup(
            me(context).telegram_id, prompt.card_message_id, reply_markup=None
        )
    except TelegramError as exc:
        log.info("could not clear a question card: %s", exc)


@enrolled
async def on_cancel(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    token = callbacks.tap_of(update).token
    services, tr = context.services, context.tr
    prompt = await prompts.pending(services, me(context))
    if not await prompts.clear(services, me(context), token):
        await query.answer(tr("This button is no longer active."), show_alert=True)
        return
    await query.answer()
    if prompt is not None and prompt.purpose == DECLINE_NOTE and prompt.referral_id:
        referral = await referral_service.get(services, prompt.referral_id)
        if referral is not None:  # skipped: the card says what it said before the question
            declined = tr("You declined this referral.")
            await edit_card(query, f"{cards.headline(tr, services.config, referral)}\n{declined}")
            return
    if prompt is not None and prompt.purpose == CONTACT_WITH and prompt.referral_id:
        referral = await referral_service.get(services, prompt.referral_id)
        if referral is not None:  # skipped: the contact stays logged; the card again
            work = await case_work.of(services, referral.id)
            body = cards.case_text(tr, services.config, referral, work, full=protected(query))
            await edit_card(
                query,
                f"{body}\n{tr('Contact logged.')}",
                cards.case_buttons(tr, referral, work),
            )
            return
    if prompt is not None and prompt.purpose == FOLLOW_UP_NOTE and prompt.referral_id:
        referral = await referral_service.get(services, prompt.referral_id)
        row = (await follow_ups.of(services, prompt.referral_id)).get(
            int(prompt.data.get("hours", "0"))
        )
        if referral is not None and row is not None and row.done_at is not None:
            # skipped: the follow-up stays recorded; the prompt says so, as before
            await edit_card(query, followed_up_text(context, referral, row.done_at))
            return
    if prompt is not None and prompt.purpose == CANNOT_REASON:
        offer_id = int(prompt.data["offer_id"])
        assignment = await offer_service.open_assignment(services, me(context), offer_id)
        if assignment is not None:  # the assignment card again, its buttons too
            referral, by = assignment
            await edit_card(
                query,
                cards.assignment_text(tr, services.config, referral, by),
                cards.assignment_buttons(tr, offer_id),
            )
            return
    await edit_card(query, tr("Cancelled. Nothing was changed."))


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [callbacks.handler(callbacks.Code.PROMPT, on_cancel)]
