"""How each notice travels: what it needs from the database, and the Telegram call it makes.

Called by the sender (``handlers/sender.py``) for one claimed notice at a time; what
Telegram refuses is raised to it. For each notice: say nothing if it was overtaken
(an offer accepted or withdrawn since it was decided), read what its kind needs
(:data:`_LOOKUPS`), render it (:mod:`handlers.notice_texts`, pure), and make its kind's
call (:data:`_CALLS`): a new message by default, an edit of a card, a silent reply to
the coordinator's card, or the details and then the case card.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime

from telegram import InlineKeyboardMarkup, InputFile, ReplyParameters
from telegram.error import BadRequest

from bot.domain.case_work import CaseWork
from bot.domain.referral import WORKING, Referral, Status
from bot.i18n import Translator
from bot.services import (
    Services,
    care,
    case_work,
    coordinator,
    cover,
    details,
    handover,
    page_trail,
    report_deliveries,
    rota,
    transfers,
)
from bot.services import offers as offer_service
from bot.services import referrals as referral_service
from bot.services.notices import Notice, NoticeKind
from bot.services.page_trail import PageTrail
from handlers.context import BotContext
from handlers.details import send_details
from handlers.notice_texts import Facts, Shown, render

log = logging.getLogger("referral_bot.notify")

Lookup = Callable[[Services, Notice, Referral | None], Awaitable[Facts | None]]
Call = Callable[[BotContext, Facts, Shown], Awaitable[None]]

# Said only while the referral is still on offer and the notice's offer still open.
WHILE_OFFERED = frozenset(
    {
        NoticeKind.OFFER,
        NoticeKind.ASSIGNMENT,
        NoticeKind.ESCALATION,
        NoticeKind.DECLINE_REASON,
        NoticeKind.ESCALATED,
    }
)
# About a person, not a referral (written with no referral id).
ABOUT_A_PERSON = frozenset(
    {
        NoticeKind.HANDOVER,
        NoticeKind.GAP_WARNING,
        NoticeKind.COVER,
        NoticeKind.COVERED_FOR,
        NoticeKind.UNREACHABLE,
        NoticeKind.CONTACT_FAILING,
        NoticeKind.PAGE_REFUSED,
        NoticeKind.PAGING_MISCONFIGURED,
        NoticeKind.REPORT_PICTURE,
        NoticeKind.REPORT_FILE,
        NoticeKind.REPORT_CARD,
    }
)


async def send_notice(context: BotContext, notice: Notice, referral: Referral | None) -> None:
    """Render ``notice`` in its reader's language and send it; Telegram's refusal is
    raised to the sender (``handlers/sender.py``), which records it."""
    services, kind = context.services, notice.kind
    if referral is None and kind not in ABOUT_A_PERSON:
        return  # cannot happen (the sender loads the referral of one about a referral)
    if kind in WHILE_OFFERED and await _overtaken(services, notice, referral):
        return  # overtaken (accepted, withdrawn) since it was decided: nothing to say now
    if kind is NoticeKind.CASE_CARD and not _still_theirs(notice, referral):
        return  # closed, returned or handed on since /mine: its buttons would mislead
    facts = await _LOOKUPS.get(kind, _nothing_to_read)(services, notice, referral)
    if facts is None:
        return  # what it would say is gone (a decline reason erased since)
    shown = render(Translator(notice.recipient.language), services.config, facts)
    await _CALLS.get(kind, _send)(context, facts, shown)


async def _overtaken(services: Services, notice: Notice, referral: Referral | None) -> bool:
    assert referral is not None
    if referral.status is not Status.OFFERED:
        return True
    return notice.offer_id is not None and not await offer_service.is_open(
        services, notice.offer_id
    )


def _still_theirs(notice: Notice, referral: Referral | None) -> bool:
    return (
        referral is not None
        and referral.assignee_id == notice.recipient.id
        and referral.status in WORKING
    )


# -- what each kind reads before it is rendered -----------------------------------------------


async def _nothing_to_read(services: Services, notice: Notice, referral: Referral | None) -> Facts:
    return Facts(notice, referral)


async def _holder_card(services: Services, notice: Notice, referral: Referral | None) -> Facts:
    """A card or reminder for the case's holder: what its stages hold, read only if the
    reader holds the case now (a card for anyone else renders without it)."""
    return Facts(notice, referral, work=await _work_for(services, notice, referral))


async def _work_for(
    services: Services, notice: Notice, referral: Referral | None
) -> CaseWork | None:
    if referral is None or referral.assignee_id != notice.recipient.id:
        return None
    return await case_work.of(services, referral.id)


async def _filed(services: Services, notice: Notice, referral: Referral | None) -> Facts:
    """How many workers the offer reached (the sender sends this after the offer cards)."""
    assert referral is not None
    delivered = await offer_service.delivered_count(services, referral.id)
    return Facts(notice, referral, delivered=delivered)


async def _escalation(services: Services, notice: Notice, referral: Referral | None) -> Facts:
    assert referral is not None
    asked = await coordinator.history(services, referral.id)
    cannot = notice.values.get("cannot")  # back after an assignee's "I can't"
    declined = await coordinator.declined(services, int(cannot)) if cannot else None
    trail = await page_trail.of_referral(services, referral.id, referral.ref)
    return Facts(
        notice,
        referral,
        asked=tuple(asked),
        now=services.clock.now(),
        declined=declined,
        paged={referral.id: trail} if trail else {},
    )


async def _decline_reason(
    services: Services, notice: Notice, referral: Referral | None
) -> Facts | None:
    asked = await coordinator.declined(services, int(notice.values.get("declined", "0")))
    if asked is None or not asked.note:
        return None  # erased since (retention), or written by an older version: nothing to add
    return Facts(notice, referral, declined=asked)


async def _reveal(services: Services, notice: Notice, referral: Referral | None) -> Facts:
    """Whether a try of this notice that failed later delivered the details already."""
    assert referral is not None
    since, chat_id = notice.written_at, notice.recipient.telegram_id
    shown = since is not None and await details.shown_since(services, referral, chat_id, since)
    work = await _work_for(services, notice, referral)
    return Facts(notice, referral, details_shown=shown, work=work)


async def _handover(services: Services, notice: Notice, referral: Referral | None) -> Facts:
    """The night's referrals, and the names of the workers who accepted them."""
    night = handover.Night(
        datetime.fromisoformat(notice.values["since"]),
        datetime.fromisoformat(notice.values["until"]),
    )
    found = await handover.overnight(services, notice.recipient, night)
    names, taken_from, confirming = {}, {}, {}
    paged: dict[int, PageTrail] = {}
    for one in found:
        if one.accepted_at is not None and one.assignee_id is not None:
            worker = await referral_service.person(services, one.assignee_id)
            if worker is not None:
                names[one.assignee_id] = worker.display_name
            before = await transfers.taken_over_from(services, one)
            if before is not None:
                taken_from[one.id] = before.display_name
        if one.status is Status.OFFERED:
            waiting = [p.display_name for p in await transfers.confirming(services, one)]
            if waiting:
                confirming[one.id] = tuple(waiting)
        trail = await page_trail.of_referral(services, one.id, one.ref)
        if trail is not None:
            paged[one.id] = trail
    teams = rota.covered_teams(services, notice.recipient)
    return Facts(
        notice,
        overnight=tuple(found),
        night_callouts=tuple(await care.night_table(services, teams)),
        debriefs=tuple(
            await care.night_debriefs(services, notice.recipient, night.start, night.end)
        ),
        names=names,
        taken_from=taken_from,
        confirming=confirming,
        paged=paged,
    )


async def _gap_warning(services: Services, notice: Notice, referral: Referral | None) -> Facts:
    return Facts(notice, gaps=tuple(await cover.gaps(services, notice.recipient)))


async def _handover_offer(
    services: Services, notice: Notice, referral: Referral | None
) -> Facts | None:
    """A colleague's request: nothing if it was answered or withdrawn on its way."""
    found = await transfers.request(services, int(notice.values.get("handover", "0")))
    if found is None or found.state is not transfers.HandoverState.OPEN:
        return None
    return Facts(notice, referral)


async def _handover_withdrawn(
    services: Services, notice: Notice, referral: Referral | None
) -> Facts | None:
    """The colleague's request card to edit; nothing if it never reached them."""
    found = await transfers.request(services, int(notice.values.get("handover", "0")))
    if found is None or found.offer_message_id is None:
        return None
    return Facts(replace(notice, message_id=found.offer_message_id), referral)


async def _report_card(services: Services, notice: Notice, referral: Referral | None) -> Facts:
    """The /report card says what arrived: decided now, after its files were tried (they
    go before it in the person's queue), since one may have been refused at send time."""
    state = await report_deliveries.arrived(services, notice)
    return Facts(replace(notice, values={**notice.values, "state": state}), referral)


_LOOKUPS: dict[NoticeKind, Lookup] = {
    NoticeKind.CASE_CARD: _holder_card,
    NoticeKind.REMIND_CONTACT: _holder_card,
    NoticeKind.REMIND_STALE: _holder_card,
    NoticeKind.REMIND_REVIEW: _holder_card,
    NoticeKind.REMIND_ARRIVAL: _holder_card,
    NoticeKind.HANDOVER_REFUSED: _holder_card,
    NoticeKind.HANDOVER_OFFER: _handover_offer,
    NoticeKind.HANDOVER_WITHDRAWN: _handover_withdrawn,
    NoticeKind.FILED: _filed,
    NoticeKind.ESCALATION: _escalation,
    NoticeKind.DECLINE_REASON: _decline_reason,
    NoticeKind.REVEAL: _reveal,
    NoticeKind.HANDOVER: _handover,
    NoticeKind.GAP_WARNING: _gap_warning,
    NoticeKind.REPORT_CARD: _report_card,
}


# -- the Telegram call each kind makes -----------------------------------------------------


async def _send(context: BotContext, facts: Facts, shown: Shown) -> None:
    """A new message in the recipient's chat."""
    await context.bot.send_message(
        facts.notice.recipient.telegram_id,
        shown.text,
        reply_markup=shown.buttons,
        protect_content=shown.protect,
    )


async def _send_debrief(context: BotContext, facts: Facts, shown: Shown) -> None:
    """A debrief offered, asked for or arranged: never urgent, so silent in the quiet
    hours."""
    await context.bot.send_message(
        facts.notice.recipient.telegram_id,
        shown.text,
        reply_markup=shown.buttons,
        disable_notification=care.hushed(context.services),
    )


async def _send_card(context: BotContext, facts: Facts, shown: Shown) -> None:
    """An offer or a coordinator's card: sent, then recorded so it can be edited later."""
    chat_id = facts.notice.recipient.telegram_id
    sent = await context.bot.send_message(chat_id, shown.text, reply_markup=shown.buttons)
    await _record_card(context, facts.notice, facts.case, chat_id, sent.message_id)


async def _send_request_card(context: BotContext, facts: Facts, shown: Shown) -> None:
    """A colleague's handover request: sent, then recorded so a withdrawal can edit it."""
    chat_id = facts.notice.recipient.telegram_id
    sent = await context.bot.send_message(chat_id, shown.text, reply_markup=shown.buttons)
    handover_id = int(facts.notice.values.get("handover", "0"))
    await transfers.record_request_card(context.services, handover_id, chat_id, sent.message_id)


async def _edit_card(context: BotContext, facts: Facts, shown: Shown) -> None:
    """Edit the card of the notice's offer where it is now (its buttons go); nothing if
    it never reached them."""
    notice = facts.notice
    assert notice.offer_id is not None
    message_id = await offer_service.card_of(context.services, notice.offer_id)
    if message_id is None:
        return
    await _edit_text(context, notice.recipient.telegram_id, message_id, shown.text)


async def _edit_review_card(context: BotContext, facts: Facts, shown: Shown) -> None:
    """The officer's review card, which the notice names."""
    assert facts.notice.message_id is not None
    chat_id = facts.notice.recipient.telegram_id
    await _edit_text(context, chat_id, facts.notice.message_id, shown.text)
    if shown.follow_up is not None:
        text, keyboard = shown.follow_up
        await context.bot.send_message(chat_id, text, reply_markup=keyboard)


async def _edit_text(
    context: BotContext,
    chat_id: int,
    message_id: int,
    text: str,
    buttons: InlineKeyboardMarkup | None = None,
) -> None:
    """Replace a card's text and its buttons (none unless given). "Not modified" means
    the card already says it (a retry after a send that timed out but arrived, or the
    officer's tap redrew it first): done, not a failure."""
    try:
        await context.bot.edit_message_text(text, chat_id, message_id, reply_markup=buttons)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


async def _reply_to_card(context: BotContext, facts: Facts, shown: Shown) -> None:
    """A worker's typed decline reason, as a silent reply to the coordinator's card.

    The card is left as the coordinator has it: "Assign to…" open, the hold question
    waiting for its answer, the line saying the card came late. Whenever the card is
    drawn again (⬅ Back) it shows the reason in its list of who declined why."""
    notice = facts.notice
    card = None
    if notice.offer_id:
        card = await offer_service.card_of(context.services, notice.offer_id)
    await context.bot.send_message(
        notice.recipient.telegram_id,
        shown.text,
        disable_notification=True,  # the card alarmed them already; this is a line to read
        reply_parameters=(
            ReplyParameters(card, allow_sending_without_reply=True) if card else None
        ),
    )


async def _edit_or_send(context: BotContext, facts: Facts, shown: Shown) -> None:
    """The card the notice names, edited (its buttons go); a new message if it names none."""
    message_id = facts.notice.message_id
    if message_id is None:
        await _send(context, facts, shown)
        return
    await _edit_text(context, facts.notice.recipient.telegram_id, message_id, shown.text)


async def _reveal_case(context: BotContext, facts: Facts, shown: Shown) -> None:
    """The details (protected, audited) unless a failed try delivered them already, then
    the case card with its buttons."""
    notice, referral = facts.notice, facts.case
    chat_id = notice.recipient.telegram_id
    if not facts.details_shown:
        if shown.lead is not None:
            await context.bot.send_message(chat_id, shown.lead)
        tr = Translator(notice.recipient.language)
        await send_details(context, notice.recipient, tr, referral)
    await context.bot.send_message(
        chat_id, shown.text, reply_markup=shown.buttons, protect_content=shown.protect
    )


class NoLongerAllowed(BadRequest):
    """A report file's reader lost the role that let them have it (deactivated, no
    longer a coordinator or an administrator) while it waited: a final refusal, so the
    sender gives the notice up and its file is deleted, as for any refused file."""

    def __init__(self) -> None:
        super().__init__("the reader may no longer have this report")


async def _send_report_file(context: BotContext, facts: Facts, shown: Shown) -> None:
    """A report's picture (a photo, so it shows in the chat) or spreadsheet (a document),
    from the bytes stored with the notice: a retry sends the same file. Nothing if the
    file is gone (sent already, and forgotten). Checked at send time: a file that
    waited (a flood wait) goes only to someone still active and allowed to have it."""
    notice = facts.notice
    stored = await report_deliveries.file_of(context.services, notice)
    if stored is None:
        return
    if not await report_deliveries.still_allowed(context.services, notice):
        raise NoLongerAllowed
    chat_id = notice.recipient.telegram_id
    upload = InputFile(stored.content, filename=stored.filename)
    if notice.kind is NoticeKind.REPORT_PICTURE:
        await context.bot.send_photo(chat_id, upload, caption=shown.text)
    else:
        await context.bot.send_document(chat_id, upload, caption=shown.text)


async def _edit_report_card(context: BotContext, facts: Facts, shown: Shown) -> None:
    """The /report card: what was sent or why nothing was (no buttons), or the apology
    with its buttons back."""
    notice = facts.notice
    assert notice.message_id is not None
    chat_id = notice.recipient.telegram_id
    await _edit_text(context, chat_id, notice.message_id, shown.text, shown.buttons)


_CALLS: dict[NoticeKind, Call] = {
    NoticeKind.OFFER: _send_card,
    NoticeKind.ASSIGNMENT: _send_card,
    NoticeKind.ESCALATION: _send_card,
    NoticeKind.OFFER_TAKEN: _edit_card,
    NoticeKind.OFFER_WITHDRAWN: _edit_card,
    NoticeKind.SUBMITTED: _edit_review_card,
    NoticeKind.DECLINE_REASON: _reply_to_card,
    NoticeKind.REVEAL: _reveal_case,
    NoticeKind.HANDED_OVER: _edit_or_send,
    NoticeKind.HANDOVER_OFFER: _send_request_card,
    NoticeKind.HANDOVER_WITHDRAWN: _edit_or_send,
    NoticeKind.DEBRIEF_OFFER: _send_debrief,
    NoticeKind.DEBRIEF_ASKED: _send_debrief,
    NoticeKind.DEBRIEF_ARRANGED: _send_debrief,
    NoticeKind.REPORT_PICTURE: _send_report_file,
    NoticeKind.REPORT_FILE: _send_report_file,
    NoticeKind.REPORT_CARD: _edit_report_card,
}


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
    taker = await referral_service.person(services, now.assignee_id) if now.assignee_id else None
    closed = Notice(
        NoticeKind.OFFER_TAKEN if taker else NoticeKind.OFFER_WITHDRAWN,
        notice.recipient,
        referral.id,
        values={"worker": taker.display_name} if taker else {},
    )
    tr = Translator(notice.recipient.language)
    shown = render(tr, services.config, Facts(closed, now))
    await context.bot.edit_message_text(shown.text, chat_id, message_id)
