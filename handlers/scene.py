"""The officer's buttons once a worker is there: "Police may leave now" / "We stay" at a
scene, "Questioning ended" at an appropriate adult's questioning (bot/services/attendance.py).

The card they are on is the officer's "arrived" notice; each tap redraws it in place with
what was said and when, and the worker (and, when questioning ends, the coordinator on
duty) hears it through the outbox.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler

from bot.domain.people import Role
from bot.domain.referral import PoliceAnswer
from bot.services import attendance
from bot.services import referrals as referral_service
from handlers import callbacks
from handlers.context import BotContext, me
from handlers.guard import audit_refusal, requires
from handlers.notice_texts import scene_card
from handlers.replies import edit_card
from handlers.sender import reply

ANSWERS = {"l": PoliceAnswer.LEAVE, "s": PoliceAnswer.STAY}


@requires(Role.OFFICER)
async def on_scene_tap(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    tap = callbacks.tap_of(update)
    services, officer, tr = context.services, me(context), context.tr
    referral = await referral_service.get(services, tap.id)
    if referral is None or referral.officer_id != officer.id:
        # Another officer's card (forwarded, or forged data): audited, as on a case card.
        await audit_refusal(update, context, officer, action="scene.refused")
        await query.answer(tr("This is not your referral."), show_alert=True)
        return
    if tap.action == "q":
        changed = await attendance.questioning_ended(services, officer, referral.id)
    else:
        changed = await attendance.police_answer(
            services, officer, referral.id, ANSWERS[tap.action]
        )
    await query.answer(tr("Saved.") if changed.changed else tr("Already recorded."))
    now = changed.referral or referral
    worker = await referral_service.person(services, now.assignee_id) if now.assignee_id else None
    shown = scene_card(tr, services.config, now, worker.display_name if worker else "")
    await edit_card(query, shown.text, shown.buttons)
    await reply(context, changed.notices)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [callbacks.handler(callbacks.Code.SCENE, on_scene_tap)]
