"""/report: an accountability report in chat (issue 18), for coordinators and admins.

The conversation, top to bottom:

1. ``/report``: a coordinator (their team's stations) or an administrator (every
   station) gets a card: "This week" (Monday to today), "Last month", "Choose a
   month". Anyone else is refused as for any command their role may not use (and the
   attempt is audited). The card carries a random token in its buttons' data.
2. "Choose a month" turns the card into a picker of the last twelve months (this
   month so far, then the eleven before it), with "⬅ Back".
3. A period tapped: the card says the report is being prepared. The figures for the
   period and the person's stations are computed (small counts hidden), the picture
   and the spreadsheet rendered in the person's language off the event loop, and
   both stored with their notices and audit lines in one transaction; then they are
   sent to the person in front, as any answer is (:func:`handlers.sender.reply`),
   and what cannot go now (a flood wait) goes later from the outbox.

Callback data comes from the client: the grammar is strict (``handlers/callbacks.py``),
a month outside the picker is refused and audited, the role and the stations are
worked out again on every tap, and the card's token makes its report once: a second
tap (a double tap, or one after the first finished) is told the report is on its way.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import date, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.domain.people import Role
from bot.i18n import N_, Translator
from bot.services import report_deliveries, report_files
from handlers import callbacks, report_texts
from handlers.context import BotContext, me
from handlers.guard import audit_refusal, requires
from handlers.replies import edit_card
from handlers.sender import reply

WEEK, LAST_MONTH, CHOOSE, BACK, MONTH = "w", "l", "c", "b", "m"
PREPARING = "reports_preparing"  # bot_data: the card tokens whose report is being made
MONTHS = 12  # the picker: this month so far and the eleven before it
QUESTION = N_("Which period should the report cover?")
NO_STATIONS = N_(
    "Your team is not in this deployment's configuration, so there is no report to "
    "make. Please ask your administrator."
)


# -- 1. /report ------------------------------------------------------------------------------


@requires(Role.COORDINATOR, Role.ADMIN)
async def report(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    tr = context.tr
    if report_deliveries.stations_for(context.services, me(context)) is None:
        await message.reply_text(tr(NO_STATIONS))
        return
    token = secrets.token_hex(4)
    await message.reply_text(tr(QUESTION), reply_markup=_periods(tr, token))


def _periods(tr: Translator, token: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(tr("This week"), callback_data=callbacks.report(token, WEEK)),
                InlineKeyboardButton(
                    tr("Last month"), callback_data=callbacks.report(token, LAST_MONTH)
                ),
            ],
            [
                InlineKeyboardButton(
                    tr("Choose a month"), callback_data=callbacks.report(token, CHOOSE)
                )
            ],
        ]
    )


# -- 2. the month picker ---------------------------------------------------------------------


def months(today: date) -> list[date]:
    """The first days of the months the picker offers, newest first."""
    first = today.replace(day=1)
    found = []
    for _ in range(MONTHS):
        found.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return found


def _picker(tr: Translator, token: str, today: date) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            f"{first:%Y-%m}", callback_data=callbacks.report(token, MONTH, f"{first:%Y%m}")
        )
        for first in months(today)
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows.append([InlineKeyboardButton(tr("⬅ Back"), callback_data=callbacks.report(token, BACK))])
    return InlineKeyboardMarkup(rows)


# -- 3. a period tapped ----------------------------------------------------------------------


def period(action: str, value: str, today: date) -> tuple[date, date] | None:
    """The local days a tap asks for; None for a month the picker does not offer."""
    if action == WEEK:
        return today - timedelta(days=today.weekday()), today
    this_month = today.replace(day=1)
    if action == LAST_MONTH:
        last = this_month - timedelta(days=1)
        return last.replace(day=1), last
    chosen = date(int(value[:4]), int(value[4:]), 1)
    if chosen not in months(today):
        return None
    if chosen == this_month:
        return chosen, today
    following = (chosen + timedelta(days=31)).replace(day=1)
    return chosen, following - timedelta(days=1)


@requires(Role.COORDINATOR, Role.ADMIN)
async def on_report_tap(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    services, tr, person = context.services, context.tr, me(context)
    tap = callbacks.tap_of(update)
    today = services.clock.now().astimezone(services.config.zone).date()
    stations = report_deliveries.stations_for(services, person)
    if stations is None:
        await query.answer(tr(NO_STATIONS), show_alert=True)
        return
    if tap.action in (CHOOSE, BACK):
        await query.answer()
        if tap.action == CHOOSE:
            await edit_card(query, tr("Choose the month:"), _picker(tr, tap.token, today))
        else:
            await edit_card(query, tr(QUESTION), _periods(tr, tap.token))
        return
    chosen = period(tap.action, tap.value, today)
    if chosen is None:  # no picker offers it: forged, or a card from long ago
        await audit_refusal(update, context, person)
        await query.answer(tr("This button is no longer active."), show_alert=True)
        return
    preparing: set[str] = context.bot_data.setdefault(PREPARING, set())
    if tap.token in preparing or await report_deliveries.requested(services, tap.token):
        await query.answer(tr("This report is already on its way."))
        return
    await query.answer()
    preparing.add(tap.token)
    try:
        await _prepare(update, context, chosen, stations, tap.token)
    finally:
        preparing.discard(tap.token)


async def _prepare(
    update: Update,
    context: BotContext,
    chosen: tuple[date, date],
    stations: tuple[str, ...],
    token: str,
) -> None:
    """Say it is being prepared; compute, render (off the event loop), store and send."""
    query = update.callback_query
    assert query is not None
    services, tr, person = context.services, context.tr, me(context)
    start, end = chosen
    await edit_card(
        query,
        tr(
            "⏳ Preparing the report for {period}: a picture with the headline figures and "
            "a spreadsheet follow in a moment.",
            period=report_texts.period(start, end),
        ),
    )
    found = await report_files.outgoing(services, start, end, stations, per_worker=True)
    language, config = tr.language, services.config
    picture, sheet = await asyncio.gather(
        asyncio.to_thread(report_files.render, found, report_files.Format.PNG, language, config),
        asyncio.to_thread(report_files.render, found, report_files.Format.XLSX, language, config),
    )
    notices = await report_deliveries.for_person(services, person, found, (picture, sheet), token)
    if notices is not None:  # None: a second tap made it while this one was rendering
        await reply(context, notices)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler("report", report, filters=filters.ChatType.PRIVATE),
        callbacks.handler(callbacks.Code.REPORT, on_report_tap),
    ]
