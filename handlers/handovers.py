"""A colleague's answer to a request to take a case over: I take it, or I can't."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler

from bot.domain.people import Role
from bot.services import care, transfers
from bot.services.transfers import HandoverState
from handlers import callbacks, cards
from handlers.context import BotContext, me
from handlers.guard import requires
from handlers.replies import edit_card
from handlers.sender import reply


@requires(Role.SOCIAL_WORKER, Role.COORDINATOR)
async def on_handover_tap(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    tap = callbacks.tap_of(update)
    services, tr = context.services, context.tr
    answered = await transfers.answer(services, me(context), tap.id, take=tap.action == "y")
    referral = answered.referral
    if referral is None:  # not addressed to the presser (forwarded or forged): audited
        await query.answer(tr("This request was not made to you."), show_alert=True)
        return
    head = cards.headline(tr, services.config, referral)
    if not answered.done:
        if answered.state is HandoverState.TAKEN:
            why = tr("You have taken this case over already.")
        elif answered.state is HandoverState.REFUSED:
            why = tr(
                "You already said you can't take this case; {name} keeps it.",
                name=answered.holder,
            )
        else:
            why = tr("This request is no longer open: the case has moved on.")
        await query.answer(why, show_alert=True)
        await edit_card(query, f"{head}\n{why}")
        return
    if answered.state is HandoverState.REFUSED:
        await query.answer()
        await edit_card(
            query,
            f"{head}\n"
            + tr("You said you can't take it. {name} keeps the case.", name=answered.holder),
        )
        await reply(context, answered.notices)
        return
    await query.answer(tr("Done. The case is yours."))
    # Taken over at night: a night call-out, so rest is offered as after an acceptance.
    rest = care.rest_offer(services, referral)
    line, markup = cards.rest_line(tr, referral.id, rest, services.config.zone)
    await edit_card(
        query,
        f"{head}\n"
        + tr("You took over {ref} from {name}.", ref=referral.ref, name=answered.holder)
        + line,
        markup,
    )
    await reply(context, answered.notices)  # the details and the case card, to this chat


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [callbacks.handler(callbacks.Code.HANDOVER, on_handover_tap)]
