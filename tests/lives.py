"""A bot restarted again and again (a crash loop, a deploy every few minutes): each life
starts the bot, runs one of its jobs exactly when the bot's own schedule would, on the
fake clock, and stops it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from telegram.ext import Job

from bot.clock import FakeClock
from bot.sandbox import FakeTelegram
from bot.sandbox.world import World, world
from handlers.context import BotContext


def planned_runs(
    w: World, name: str, started: datetime, life: timedelta
) -> list[tuple[timedelta, Job[Any]]]:
    """When the bot's own schedule runs job ``name`` in one life (offsets from its start),
    read from the triggers it handed APScheduler (which keeps wall-clock time)."""
    assert w.app.job_queue is not None
    runs: list[tuple[timedelta, Job[Any]]] = []
    for job in w.app.job_queue.get_jobs_by_name(name):
        trigger = job.job.trigger
        if isinstance(trigger, DateTrigger):
            first, every = trigger.run_date - started, None
        else:
            assert isinstance(trigger, IntervalTrigger)
            first, every = trigger.start_date - started, trigger.interval
        at = timedelta(seconds=round(max(first, timedelta(0)).total_seconds()))
        while at < life:
            runs.append((at, job))
            if every is None:
                break
            at += every
    return sorted(runs, key=lambda run: run[0])


async def live_once(
    config_path: Path, clock: FakeClock, telegram: FakeTelegram, job: str, life: timedelta
) -> None:
    """Start the bot, let its job ``job`` run as scheduled for one ``life``, stop it."""
    started_wall = datetime.now(UTC)
    started = clock.now()
    async with world(config_path, clock=clock, telegram=telegram) as w:
        for offset, planned in planned_runs(w, job, started_wall, life):
            clock.advance(started + offset - clock.now())
            await planned.callback(BotContext(w.app))
    clock.advance(started + life - clock.now())
