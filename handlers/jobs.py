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


def _services(context: BotContext) -> Services | None:
    """The services, once post_init has opened them (a job can fire before or after)."""
    services = context.bot_data.get("services")
    return services if isinstance(services, Services) else None


def _delivering(
    tick: Callable[[Services], Awaitable[list[Notice]]],
) -> Callable[[BotContext], Coroutine[Any, Any, None]]:
    async def job(context: BotContext) -> None:
        if services := _services(context):
            await deliver(context, await tick(services))

    return job


def _quiet(
    tick: Callable[[Services], Awaitable[object]],
) -> Callable[[BotContext], Coroutine[Any, Any, None]]:
    """A job whose tick sends nothing."""

    async def job(context: BotContext) -> None:
        if services := _services(context):
            await tick(services)

    return job


async def _back_up(services: Services) -> None:
    try:
        await backup.tick(services)
    except (OSError, sqlite3.Error) as exc:  # a full disk: tried again next minute
        log.error("the daily backup failed: %s", exc)


async def _hide_details(context: BotContext) -> None:
    if services := _services(context):
        due, pins = await details_hiding.tick(services)
        await hide_due(context, due, pins)


async def escalation_round(context: BotContext) -> None:
    """One round of the escalation engine, delivered; remembered for /status."""
    if services := _services(context):
        context.bot_data["last_tick"] = services.clock.now()  # for /status
        notices = await escalation.tick(services)
        log.debug("escalation round: %d notices", len(notices))  # bench/cold_start.py waits for it
        await deliver(context, notices)


def schedule(app: BotApp) -> None:
    """Register every job; each is a tick over state kept in the database."""
    queue = app.job_queue
    if queue is None:
        return
    jobs: list[tuple[str, Callable[[BotContext], Coroutine[Any, Any, None]], timedelta, bool]] = [
        # name, job, interval, first run at once (else after one interval)
        (ESCALATION_JOB, escalation_round, escalation.INTERVAL, True),
        ("reminders", _delivering(reminders.tick), reminders.INTERVAL, False),
        ("backup", _quiet(_back_up), backup.INTERVAL, False),
        ("details_hiding", _hide_details, details_hiding.INTERVAL, False),
        ("draft_retention", _quiet(draft_retention.tick), draft_retention.INTERVAL, False),
        ("retention", _quiet(retention.tick), retention.INTERVAL, False),
        ("daily", _delivering(daily.tick), daily.INTERVAL, True),
    ]
    for name, job, interval, at_once in jobs:
        queue.run_repeating(job, interval=interval, first=interval, name=name, job_kwargs=_REPEAT)
        if at_once:
            # Not ``first=0``: a repeating job added before the scheduler starts has its
            # first run moved to one interval after the start. A one-off at "now" runs
            # as soon as the scheduler is up.
            queue.run_once(job, when=0, name=name, job_kwargs={"misfire_grace_time": None})


def wake(context: BotContext) -> None:
    """Run the escalation engine now rather than at its next tick (after a decline or a
    filing that left a step due at once)."""
    queue = cast("JobQueue[BotContext] | None", context.job_queue)
    if queue is not None and queue.scheduler.running:
        queue.run_once(escalation_round, when=0, job_kwargs={"misfire_grace_time": None})
