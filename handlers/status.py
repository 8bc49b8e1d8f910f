"""/status for administrators: uptime, the engine's last round, the outbox, people the
bot cannot reach, the database's size, and paging (channels, pages, failing methods)."""

from __future__ import annotations

import html
from datetime import datetime, timedelta

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.domain.people import Role
from bot.i18n import Translator
from bot.services import health
from handlers.context import BotContext
from handlers.guard import requires
from handlers.page_texts import status_lines

STARTED_AT = "started_at"
LAST_TICK = "last_tick"


def _span(tr: Translator, delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return tr("{count} s", count=str(max(0, int(delta.total_seconds()))))
    if minutes < 120:
        return tr("{count} min", count=str(minutes))
    return tr("{hours} h {minutes} min", hours=str(minutes // 60), minutes=str(minutes % 60))


@requires(Role.ADMIN)
async def show_status(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    tr, services = context.tr, context.services
    now = services.clock.now()
    started = context.bot_data.get(STARTED_AT)
    tick = context.bot_data.get(LAST_TICK)
    found = await health.check(
        services,
        started if isinstance(started, datetime) else now,
        tick if isinstance(tick, datetime) else None,
    )
    lines = [
        tr("🩺 Status"),
        tr("Running for {span}.", span=_span(tr, now - found.started_at)),
        tr("Engine: last round {span} ago.", span=_span(tr, now - found.last_tick))
        if found.last_tick
        else tr("Engine: no round yet."),
        tr(
            "Outbox: {count} waiting (oldest {span}); {given_up} given up in the last day.",
            count=str(found.waiting),
            span=_span(tr, now - found.oldest_waiting) if found.oldest_waiting else "—",
            given_up=str(found.given_up),
        ),
        tr(
            "Cannot be reached: {people}.",
            people=tr.join(html.escape(p.display_name) for p in found.unreachable) or tr("nobody"),
        ),
        tr("Database: {size} MiB.", size=f"{found.database_bytes / 1_048_576:.1f}"),
        *status_lines(tr, found.paging),
    ]
    await message.reply_text("\n".join(lines))


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [CommandHandler("status", show_status, filters=filters.ChatType.PRIVATE)]
