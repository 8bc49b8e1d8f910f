"""/report: an accountability report in chat (issue 18), for coordinators and admins.

The conversation, top to bottom:

1. ``/report``: a coordinator (their team's stations) or an administrator (every
   station) gets a card: "This week" (Monday to today), "Last month", "Choose a
   month". Anyone else is refused as for any command their role may not use (and the
   attempt is audited). The card carries a random token in its buttons' data.
2. "Choose a month" turns the card into a picker of the last twelve months (this
   month so far, then the eleven before it), with "⬅ Back".
3. A period tapped: a request row is committed (who, the period, the stations, the
   language, the card), the card says the report is being prepared, and the update
   returns at once: with polling, the next batch of everyone's updates waits for
   this one, so nothing slow happens inside it. The report is made in a task of its
   own (:func:`bot.services.report_deliveries.make`): figures, files rendered off the
   event loop, then files, notices, audit lines and the card's "✅ Sent" in one
   transaction; the sender sends them (a flood wait only delays them). A failure
   gives the card its buttons back with an apology. A request a crash left pending
   is made by the ``report_requests`` job at the next start (handlers/jobs.py).
   One report at a time per person: a tap while one is on its way is told so.

Callback data comes from the client: the grammar is strict (``handlers/callbacks.py``),
a month outside the picker is refused and audited, the role and the stations are
worked out again on every tap, and the card's token makes its report once: a second
tap (a double tap, or one after the first finished) is told the report is on its way.
At send time each file checks its reader may still have it (handlers/notify.py).
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import date, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.domain.people import Role
from bot.i18n import N_, Translator
from bot.services import report_deliveries
from handlers import callbacks, report_texts
from handlers.context import BotContext, me
from handlers.guard import audit_refusal, requires
from handlers.replies import edit_card

WEEK, LAST_MONTH, CHOOSE, BACK, MONTH = "w", "l", "c", "b", "m"
MAKING = "reports_making"  # bot_data: the tokens whose report this process is making
TASKS = "reports_tasks"  # bot_data: the tasks making reports outside their updates
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
    await message.reply_text(tr(QUESTION), reply_markup=periods(tr, token))


def periods(tr: Translator, token: str) -> InlineKeyboardMarkup:
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
            await edit_card(query, tr(QUESTION), periods(tr, tap.token))
        return
    chosen = period(tap.action, tap.value, today)
    if chosen is None:  # no picker offers it: forged, or a card from long ago
        await audit_refusal(update, context, person)
        await query.answer(tr("This button is no longer active."), show_alert=True)
        return
    start, end = chosen
    message = query.message
    card = message.message_id if message is not None else None
    request = report_deliveries.Request(
        tap.token, person.id, start, end, stations, tr.language, card
    )
    asked = await report_deliveries.ask(services, request)
    if asked is report_deliveries.Asked.ALREADY:
        await query.answer(tr("This report is already on its way."))
        return
    await query.answer()
    await edit_card(query, preparing_text(tr, start, end))
    start_making(context, request)


def preparing_text(tr: Translator, start: date, end: date) -> str:
    return tr(
        "⏳ Preparing the report for {period}: a picture with the headline figures and "
        "a spreadsheet follow in a moment.",
        period=report_texts.period(start, end),
    )


def making(bot_data: dict[object, object]) -> set[str]:
    """The tokens whose report this process is making (one maker per request)."""
    found = bot_data.setdefault(MAKING, set())
    assert isinstance(found, set)
    return found


def start_making(context: BotContext, request: report_deliveries.Request) -> None:
    """Make the request's report outside the update, in a task of its own (kept in
    ``bot_data`` while it runs). A stop or a crash before its commit leaves the request
    pending: the ``report_requests`` job makes it at the next start."""
    made = report_deliveries.make(context.services, request, making(context.bot_data))
    task = asyncio.get_running_loop().create_task(made, name=f"report-{request.token}")
    tasks: set[asyncio.Task[object]] = context.bot_data.setdefault(TASKS, set())
    tasks.add(task)
    task.add_done_callback(tasks.discard)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler("report", report, filters=filters.ChatType.PRIVATE),
        callbacks.handler(callbacks.Code.REPORT, on_report_tap),
    ]
