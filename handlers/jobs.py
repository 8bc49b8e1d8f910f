"""The scheduled jobs, and waking the escalation engine at once after a state change.

Each job runs one engine tick (see bot/engine/) and delivers what it returns. Every
job sets APScheduler's ``misfire_grace_time`` and ``coalesce``: its default grace of
one second would silently skip a run that starts late on a busy machine.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any, cast

from telegram.ext import JobQueue

from bot.engine import (
    backup,
    daily,
    details_hiding,
    draft_retention,
    escalation,
    reminders,
    retention,
)
from bot.services import Services
from bot.services.notices import Notice
from handlers.context import BotApp, BotContext
from handlers.details import hide_due
from handlers.notify import deliver

log = logging.getLogger("referral_bot.jobs")

ESCALATION_JOB = "escalation"
_REPEAT = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}


def _delivering(
    tick: Callable[[Services], Awaitable[list[Notice]]],
) -> Callable[[BotContext], Coroutine[Any, Any, None]]:
    async def job(context: BotContext) -> None:
        services = context.bot_data.get("services")
        if isinstance(services, Services):
            await deliver(context, await tick(services))

    return job


async def _forget_drafts(context: BotContext) -> None:
    services = context.bot_data.get("services")
    if isinstance(services, Services):
        await draft_retention.tick(services)


async def _erase_due(context: BotContext) -> None:
    services = context.bot_data.get("services")
    if isinstance(services, Services):
        await retention.tick(services)


async def _back_up(context: BotContext) -> None:
    services = context.bot_data.get("services")
    if isinstance(services, Services):
        try:
            await backup.tick(services)
        except (OSError, sqlite3.Error) as exc:  # a full disk: tried again next minute
            log.error("the daily backup failed: %s", exc)


async def _hide_details(context: BotContext) -> None:
    services = context.bot_data.get("services")
    if isinstance(services, Services):
        due, pins = await details_hiding.tick(services)
        await hide_due(context, due, pins)


async def escalation_round(context: BotContext) -> None:
    """One round of the escalation engine, delivered; remembered for /status."""
    services = context.bot_data.get("services")
    if isinstance(services, Services):
        context.bot_data["last_tick"] = services.clock.now()  # for /status
        notices = await escalation.tick(services)
        log.debug("escalation round: %d notices", len(notices))  # bench/cold_start.py waits for it
        await deliver(context, notices)


def schedule(app: BotApp) -> None:
    """Register every job; each is a tick over state kept in the database."""
    queue = app.job_queue
    if queue is None:
        return
    queue.run_repeating(
        escalation_round,
        interval=escalation.INTERVAL,
        first=timedelta(0),
        name=ESCALATION_JOB,
        job_kwargs=_REPEAT,
    )
    queue.run_repeating(
        _delivering(reminders.tick),
        interval=reminders.INTERVAL,
        first=reminders.INTERVAL,
        name="reminders",
        job_kwargs=_REPEAT,
    )
    queue.run_repeating(
        _back_up,
        interval=backup.INTERVAL,
        first=backup.INTERVAL,
        name="backup",
        job_kwargs=_REPEAT,
    )
    queue.run_repeating(
        _hide_details,
        interval=details_hiding.INTERVAL,
        first=details_hiding.INTERVAL,
        name="details_hiding",
        job_kwargs=_REPEAT,
    )
    queue.run_repeating(
        _forget_drafts,
        interval=draft_retention.INTERVAL,
        first=draft_retention.INTERVAL,
        name="draft_retention",
        job_kwargs=_REPEAT,
    )
    queue.run_repeating(
        _delivering(daily.tick),
        interval=daily.INTERVAL,
        first=timedelta(0),
        name="daily",
        job_kwargs=_REPEAT,
    )


def wake(context: BotContext) -> None:
    """Run the escalation engine now rather than at its next tick (after a decline or a
    filing that left a step due at once)."""
    queue = cast("JobQueue[BotContext] | None", context.job_queue)
    if queue is not None and queue.scheduler.running:
        queue.run_once(escalation_round, when=0, job_kwargs={"misfire_grace_time": None})
