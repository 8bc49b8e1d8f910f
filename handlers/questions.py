"""Asking for a typed answer on the card that was tapped, with a Cancel button.

The answer itself is taken by :mod:`handlers.answers`. The Cancel button carries the
question's token, so an old card cannot cancel a newer question.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.i18n import N_
from bot.services import prompts
from bot.services.prompts import Prompt
from handlers import callbacks
from handlers.context import BotContext, me
from handlers.replies import edit_card

CANCEL = N_("Cancel")
SKIP = N_("Skip")  # for a question whose answer may be left out
DECLINE_NOTE = "decline_note"  # why, after declining for "other reason" (optional)
CANNOT_REASON = "cannot_reason"  # why the assignee cannot take an assignment (required)
PLAN_GOAL = "plan_goal"  # one of the plan's goals (required)
CONTACT_WITH = "contact_with"  # with whom, after a contact was logged (optional)
FOLLOW_UP_NOTE = "follow_up_note"  # how it went, after a crisis follow-up (optional)
GOAL_EDIT = "goal_edit"  # a plan's goal reworded (or removed with the card's button)


def cancel_markup(
    context: BotContext,
    prompt: Prompt,
    label: str = CANCEL,
    also: InlineKeyboardButton | None = None,
) -> InlineKeyboardMarkup:
    """The question's way out, after ``also`` (another answer by tap) if given."""
    cancel = InlineKeyboardButton(
        context.tr(label), callback_data=callbacks.cancel_question(prompt.token)
    )
    return InlineKeyboardMarkup([[also], [cancel]] if also is not None else [[cancel]])


async def ask_on_card(
    update: Update,
    context: BotContext,
    referral_id: int,
    purpose: str,
    question: str,
    data: dict[str, str] | None = None,
    button: str = CANCEL,
    also: InlineKeyboardButton | None = None,
) -> None:
    """Turn the tapped card into the question; the next text message answers it.
    ``button`` names the way out (Cancel, or Skip where an answer is optional); ``also``
    is another answer given by a tap (Remove, for a goal being edited)."""
    query = update.callback_query
    assert query is not None
    card_id = query.message.message_id if query.message is not None else None
    prompt = await prompts.ask(
        context.services,
        me(context),
        purpose,
        referral_id=referral_id,
        data=data,
        card_message_id=card_id,
    )
    await edit_card(query, question, cancel_markup(context, prompt, button, also))


def note_question(context: BotContext) -> str:
    return context.tr(
        "Type one line for the officer about the outcome. It is all they will see; keep "
        "case notes out of it."
    )
