"""What each notice says: render it in its reader's language and make the Telegram call.

Called by the sender (``handlers/sender.py``) for one claimed notice at a time; what
Telegram refuses is raised to it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import ReplyParameters
from telegram.error import BadRequest

from bot.domain.people import Person
from bot.domain.referral import ARRIVAL_TARGET, Referral, Status
from bot.domain.rota import Change
from bot.i18n import Translator
from bot.privacy.masking import mask
from bot.services import Services, coordinator, cover, details, handover
from bot.services import offers as offer_service
from bot.services import referrals as referral_service
from bot.services.notices import Notice, NoticeKind
from handlers import cards, labels
from handlers.context import BotContext
from handlers.details import send_details
from handlers.replies import local_time

log = logging.getLogger("referral_bot.notify")


async def send_notice(context: BotContext, notice: Notice, referral: Referral | None) -> None:
    """Render ``notice`` in its reader's language and send it; Telegram's refusal is
    raised to the sender (``handlers/sender.py``), which records it."""
    if referral is None:
        await _send_about_person(context, notice)
    else:
        await _send(context, context.services, notice, referral)


async def _send_about_person(context: BotContext, notice: Notice) -> None:
    tr = Translator(notice.recipient.language)
    if notice.kind is NoticeKind.HANDOVER:
        await context.bot.send_message(
            notice.recipient.telegram_id, await _handover_text(context, tr, notice)
        )
        return
    if notice.kind is NoticeKind.GAP_WARNING:
        await context.bot.send_message(
            notice.recipient.telegram_id, await _gap_text(context, tr, notice.recipient)
        )
        return
    if notice.kind in (NoticeKind.COVER, NoticeKind.COVERED_FOR):
        zone = context.services.config.zone
        await context.bot.send_message(notice.recipient.telegram_id, cover_text(tr, notice, zone))
        return
    if notice.kind is NoticeKind.UNREACHABLE:
        await context.bot.send_message(
            notice.recipient.telegram_id,
            tr(
                "⚠️ {person} cannot be reached by the bot (they blocked it or left Telegram). "
                "Please ask them to open the bot and send /start before they are needed.",
                person=notice.values.get("person", ""),
            ),
        )


async def _send(
    context: BotContext, services: Services, notice: Notice, referral: Referral
) -> None:
    bot, config = context.bot, services.config
    chat_id = notice.recipient.telegram_id
    tr = Translator(notice.recipient.language)
    kind = notice.kind
    if kind in (
        NoticeKind.OFFER,
        NoticeKind.ESCALATION,
        NoticeKind.DECLINE_REASON,
        NoticeKind.ESCALATED,
    ) and (
        referral.status is not Status.OFFERED
        or (
            notice.offer_id is not None
            and not await offer_service.is_open(services, notice.offer_id)
        )
    ):
        return  # overtaken (accepted, withdrawn) since it was decided: nothing to say now
    if kind is NoticeKind.OFFER:
        assert notice.offer_id is not None
        sent = await bot.send_message(
            chat_id,
            cards.offer_text(tr, config, referral),
            reply_markup=cards.offer_buttons(tr, notice.offer_id),
        )
        await _record_card(context, notice, referral, chat_id, sent.message_id)
    elif kind in (NoticeKind.OFFER_TAKEN, NoticeKind.OFFER_WITHDRAWN):
        await _edit_card(context, notice, _closed_offer_text(tr, notice, referral))
    elif kind is NoticeKind.SUBMITTED:
        assert notice.message_id is not None
        await _edit_text(context, chat_id, notice.message_id, cards.submitted_text(tr, referral))
        if notice.values.get("hint"):  # filed with /new: give the one-tap way for next time
            await bot.send_message(
                chat_id, cards.button_hint(tr), reply_markup=cards.officer_keyboard(tr)
            )
    elif kind is NoticeKind.ESCALATION:
        assert notice.offer_id is not None
        asked = await coordinator.history(services, referral.id)
        text = cards.escalation_text(tr, config, referral, asked, services.clock.now())
        if "late" in notice.values:
            text += "\n" + _late(tr, notice)
        sent = await bot.send_message(
            chat_id, text, reply_markup=cards.escalation_buttons(tr, referral)
        )
        await _record_card(context, notice, referral, chat_id, sent.message_id)
    elif kind is NoticeKind.DECLINE_REASON:
        await _send_decline_reason(context, notice, referral)
    elif kind is NoticeKind.REVEAL:
        since = notice.written_at
        if since is None or not await details.shown_since(services, referral, chat_id, since):
            if "by" in notice.values:
                await bot.send_message(
                    chat_id,
                    tr(
                        "Coordinator {name} assigned this referral to you.",
                        name=notice.values["by"],
                    ),
                )
            await send_details(context, notice.recipient, tr, referral)
        await bot.send_message(
            chat_id,
            cards.case_text(tr, config, referral),
            reply_markup=cards.case_buttons(tr, referral),
        )
    elif kind in (NoticeKind.REMIND_CONTACT, NoticeKind.REMIND_STALE):
        await bot.send_message(
            chat_id,
            f"⏰ {cards.headline(tr, referral)}\n{_reminder_text(tr, notice, referral)}",
            reply_markup=cards.case_buttons(tr, referral),
        )
    elif kind is NoticeKind.CONTACT_OVERDUE:
        await bot.send_message(
            chat_id,
            f"⏰ {cards.headline(tr, referral)}\n"
            + tr(
                "{worker} accepted this at {time} and has not yet marked first contact.",
                worker=notice.values.get("worker", ""),
                time=local_time(referral.accepted_at or referral.created_at, config.zone),
            ),
        )
    else:
        if kind is NoticeKind.FILED:
            delivered = await offer_service.delivered_count(services, referral.id)
            if delivered == 0:
                notice = Notice(NoticeKind.NOBODY_AVAILABLE, notice.recipient, referral.id)
            else:
                notice = Notice(
                    kind, notice.recipient, referral.id, values={"count": str(delivered)}
                )
        await bot.send_message(chat_id, _officer_text(tr, notice, referral, config.zone))


async def _edit_card(context: BotContext, notice: Notice, text: str) -> None:
    """Edit the card of ``notice``'s offer where it is now (its buttons go); nothing if
    it never reached them."""
    assert notice.offer_id is not None
    message_id = await offer_service.card_of(context.services, notice.offer_id)
    if message_id is None:
        return
    await _edit_text(context, notice.recipient.telegram_id, message_id, text)


async def _edit_text(context: BotContext, chat_id: int, message_id: int, text: str) -> None:
    """Replace a card's text and take its buttons away. "Not modified" means the card
    already says it (a retry after a send that timed out but arrived, or the officer's
    tap redrew it first): done, not a failure."""
    try:
        await context.bot.edit_message_text(text, chat_id, message_id)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


async def _send_decline_reason(context: BotContext, notice: Notice, referral: Referral) -> None:
    """A worker's typed decline reason, as a silent reply to the coordinator's card.

    The card is left as the coordinator has it: "Assign to…" open, the hold question
    waiting for its answer, the line saying the card came late. Whenever the card is
    drawn again (⬅ Back) it shows the reason in its list of who declined why."""
    services = context.services
    asked = await coordinator.declined(services, int(notice.values.get("declined", "0")))
    if asked is None or not asked.note:
        return  # erased since (retention), or written by an older version: nothing to add
    tr = Translator(notice.recipient.language)
    text = tr(
        "💬 {name} gave a reason for declining {ref}: “{note}”",
        name=asked.name,
        ref=referral.ref,
        note=mask(asked.note),  # their own words; identifiers typed into them are masked
    )
    card = await offer_service.card_of(services, notice.offer_id) if notice.offer_id else None
    await context.bot.send_message(
        notice.recipient.telegram_id,
        text,
        disable_notification=True,  # the card alarmed them already; this is a line to read
        reply_parameters=(
            ReplyParameters(card, allow_sending_without_reply=True) if card else None
        ),
    )


async def _record_card(
    context: BotContext, notice: Notice, referral: Referral, chat_id: int, message_id: int
) -> None:
    """Remember the card; if the referral was taken while it was on its way, say so on it
    at once rather than leave a live Accept button."""
    services = context.services
    assert notice.offer_id is not None
    if await offer_service.record_card(services, notice.offer_id, chat_id, message_id):
        return  # still on offer (the usual case)
    now = await referral_service.get(services, referral.id)
    if now is None or now.status is Status.OFFERED:
        return
    tr = Translator(notice.recipient.language)
    taker = await referral_service.person(services, now.assignee_id) if now.assignee_id else None
    closed = Notice(
        NoticeKind.OFFER_TAKEN if taker else NoticeKind.OFFER_WITHDRAWN,
        notice.recipient,
        referral.id,
        values={"worker": taker.display_name} if taker else {},
    )
    await context.bot.edit_message_text(_closed_offer_text(tr, closed, now), chat_id, message_id)


async def _handover_text(context: BotContext, tr: Translator, notice: Notice) -> str:
    services = context.services
    zone = services.config.zone
    night = handover.Night(
        datetime.fromisoformat(notice.values["since"]),
        datetime.fromisoformat(notice.values["until"]),
    )
    found = await handover.overnight(services, notice.recipient, night)
    lines = [
        tr.n(
            "☀️ Morning handover: {count} referral since {time}.",
            "☀️ Morning handover: {count} referrals since {time}.",
            len(found),
            time=local_time(night.start, zone),
        )
    ]
    for referral in found:
        lines.append(f"{cards.headline(tr, referral)} — {await _standing(context, tr, referral)}")
    return "\n".join(lines)


async def _gap_text(context: BotContext, tr: Translator, coordinator: Person) -> str:
    config = context.services.config
    lines = [tr("⚠️ Tonight's cover has gaps. Please arrange cover (/cover) while there is time:")]
    for gap in await cover.gaps(context.services, coordinator):
        span = tr(
            "{start} to {end}",
            start=f"{gap.start.astimezone(config.zone):%H:%M}",
            end=f"{gap.end.astimezone(config.zone):%H:%M}",
        )
        team = config.team(gap.team_id) if gap.team_id else None
        if team is None:
            lines.append(tr("no coordinator on duty, {span}", span=span))
        else:
            lines.append(
                tr("{team}: nobody on duty, {span}", team=team.name(tr.language), span=span)
            )
    return "\n".join(lines)


def cover_text(tr: Translator, notice: Notice, zone: ZoneInfo) -> str:
    """What a person whose duty a coordinator changed with /cover reads."""
    values = notice.values
    times = {
        "coordinator": values.get("coordinator", ""),
        "start": local_time(datetime.fromisoformat(values["start"]), zone),
        "end": local_time(datetime.fromisoformat(values["end"]), zone),
    }
    other = values.get("other", "")
    if notice.kind is NoticeKind.COVERED_FOR:
        return tr(
            "Coordinator {coordinator} took you off duty from {start} until {end}; "
            "{other} covers for you.",
            other=other,
            **times,
        )
    if values.get("change") == Change.REMOVE.value:
        return tr("Coordinator {coordinator} took you off duty from {start} until {end}.", **times)
    if values.get("change") == Change.REPLACE.value:
        return tr(
            "Coordinator {coordinator} put you on duty from {start} until {end}, "
            "covering for {other}.",
            other=other,
            **times,
        )
    return tr("Coordinator {coordinator} put you on duty from {start} until {end}.", **times)


async def _standing(context: BotContext, tr: Translator, referral: Referral) -> str:
    """Where a referral stands, in one phrase, for the handover."""
    if referral.accepted_at is not None and referral.assignee_id is not None:
        worker = await referral_service.person(context.services, referral.assignee_id)
        minutes = int((referral.accepted_at - referral.created_at).total_seconds() // 60)
        name = worker.display_name if worker else "?"
        return tr("accepted by {worker} after {minutes} min", worker=name, minutes=minutes)
    if referral.held and referral.next_action_at is not None:
        when = local_time(referral.next_action_at, context.services.config.zone)
        return tr("waiting for the shift at {time}", time=when)
    if referral.status is Status.OFFERED:
        return tr("still open: nobody has accepted")
    return tr(labels.STATUS[referral.status])


def _late(tr: Translator, notice: Notice) -> str:
    return tr(
        "⏱ This step is {minutes} min late: the bot was offline.",
        minutes=notice.values.get("late", "?"),
    )


def _reminder_text(tr: Translator, notice: Notice, referral: Referral) -> str:
    if notice.kind is NoticeKind.REMIND_CONTACT:
        return tr(
            "First contact is due. Tap “✔ First contact made” once you have reached the person."
        )
    return tr.n(
        "No update for {count} day. Is the case still moving? Mark the next step or close it.",
        "No update for {count} days. Is the case still moving? Mark the next step or close it.",
        int(notice.values.get("days", "0")),
    )


def _closed_offer_text(tr: Translator, notice: Notice, referral: Referral) -> str:
    head = cards.headline(tr, referral)
    if notice.kind is NoticeKind.OFFER_TAKEN:
        return f"{head}\n" + tr("Taken by {worker}.", worker=notice.values.get("worker", ""))
    return f"{head}\n" + tr("Withdrawn by the officer.")


def _officer_text(tr: Translator, notice: Notice, referral: Referral, zone: ZoneInfo) -> str:
    """What the officer reads at each step (never the worker's case notes)."""
    head = cards.headline(tr, referral)
    worker = notice.values.get("worker", "")
    kind = notice.kind
    if kind is NoticeKind.FILED:
        body = tr.n(
            "Sent to {count} social worker. You will hear when they accept.",
            "Sent to {count} social workers. You will hear when one accepts.",
            int(notice.values.get("count", "0")),
        )
    elif kind is NoticeKind.NOBODY_AVAILABLE:
        body = tr(
            "Filed, but no social worker is available right now. It stays open and is "
            "offered as soon as someone is."
        )
    elif kind is NoticeKind.ALL_DECLINED:
        body = tr(
            "Every available social worker declined. It stays open and is offered as soon "
            "as someone else is available."
        )
    elif kind in (NoticeKind.ACCEPTED, NoticeKind.ASSIGNED):
        telegram_id = int(notice.values.get("worker_telegram_id", "0"))
        link = cards.person_link_to(telegram_id, worker)
        if kind is NoticeKind.ASSIGNED:
            body = tr(
                "Assigned to {worker} by coordinator {coordinator}. Tap the name to write to them.",
                worker=link,
                coordinator=notice.values.get("by", ""),
            )
        else:
            body = tr("Accepted by {worker}. Tap the name to write to them.", worker=link)
    elif kind is NoticeKind.HELD:
        resume = referral.next_action_at or referral.created_at
        body = tr(
            "Filed. It is outside the team's service hours, so this routine referral waits "
            "for their next shift ({time}). If it cannot wait, call the coordinator on duty.",
            time=local_time(resume, zone),
        )
    elif kind is NoticeKind.HELD_BY_COORDINATOR:
        body = tr(
            "Coordinator {coordinator} decided this can wait for the team's next shift ({time}). "
            "Reason: {reason}",
            coordinator=notice.values.get("by", ""),
            time=local_time(referral.next_action_at or referral.created_at, zone),
            reason=mask(notice.values.get("reason", "")),
        )
    elif kind is NoticeKind.ESCALATED:
        level = notice.values.get("level")
        if level == "1":
            body = tr("Nobody has accepted yet: now offered to more social workers.")
        elif level == "2":
            body = tr("Nobody has accepted yet: the coordinator on duty has been alerted.")
        else:
            body = tr("Nobody has accepted yet: all coordinators have been alerted.")
        if "late" in notice.values:
            body += "\n" + _late(tr, notice)
    elif kind is NoticeKind.ON_WAY:
        target = (referral.accepted_at or referral.created_at) + ARRIVAL_TARGET
        body = tr(
            "{worker} is on the way (arrival target {time}).",
            worker=worker,
            time=local_time(target, zone),
        )
    elif kind is NoticeKind.ARRIVED:
        minutes = 0
        if referral.arrived_at and referral.accepted_at:
            minutes = int((referral.arrived_at - referral.accepted_at).total_seconds() // 60)
        body = tr(
            "{worker} has arrived, {minutes} min after accepting.", worker=worker, minutes=minutes
        )
    elif kind is NoticeKind.CONTACTED:
        body = tr("{worker} has made first contact.", worker=worker)
    elif kind is NoticeKind.RETURNED:
        body = tr(
            "Returned to police by {worker}. Reason: {reason}",
            worker=worker,
            reason=mask(notice.values.get("reason", "")),
        )
        # Not reopened from the bot: a new referral starts clean and the return's
        # reason stays on record.
        body += "\n" + tr("If social work is needed again, file a new referral (/new).")
    elif kind is NoticeKind.CLOSED:
        outcome = tr(labels.OUTCOME[referral.outcome]) if referral.outcome else ""
        if referral.resource_type is not None:
            outcome = tr(
                "{outcome} ({resource})",  # translated: Chinese takes full-width brackets
                outcome=outcome,
                resource=tr(labels.RESOURCE[referral.resource_type]),
            )
        body = tr(
            "Closed by {worker}. Outcome: {outcome}. Note: {note}",
            worker=worker,
            outcome=outcome,
            note=mask(referral.closing_note or ""),
        )
    else:
        body = tr("Reopened by {worker}.", worker=worker)
    return f"{head}\n{body}"
