"""The scheduled jobs, and waking the escalation engine at once after a state change.

Each job runs one engine tick (see bot/engine/). A tick only writes: its notices go to
the outbox in the transactions that decide them, and the sender (``handlers/sender.py``)
sends them, so no job waits for Telegram's rate limits. Every job sets APScheduler's
``misfire_grace_time`` and ``coalesce``: its default grace of one second would silently
skip a run that starts late on a busy machine.

After each round the escalation engine plans its next one for the moment the earliest
pending step falls due (a one-off job, replaced after every round), so a step fires at
its time rather than up to a whole interval later. The regular round every
``escalation.INTERVAL`` stays as the safety net.
Rounds never overlap: a round asked for while one is running (regular, planned or a
wake-up) makes the running one go round once more. The claim in each step's
transaction is what keeps a step from firing twice; the one-at-a-time rule saves the
work of rounds that would only find nothing to claim.

Watched, quietly. No line is logged per round at the default level (APScheduler's own
per-run lines are silenced in :mod:`bot.logs`). A round (claiming and advancing the
due steps, planning the next round) that takes over :data:`SLOW_ROUND` is a warning.
A stuck engine is the failure that matters, and a stuck round can never report itself:
a separate small job (:data:`WATCH_JOB`, every :data:`WATCH_INTERVAL`, reading only
what is in memory, so a held database lock cannot stop it) warns once when no round
has completed for :data:`STALL`, and the next round to complete says, at INFO, that
rounds run again. Both read the injectable clock.

Told outside, too: each completed round is the bot's sign of life to a heartbeat
service (:mod:`bot.heartbeat`) and to systemd's watchdog (:mod:`bot.systemd`); a round
that raised sends the heartbeat's failure instead, and a stuck round sends nothing, so
the outside service alerts and systemd restarts the bot.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from telegram.ext import JobQueue

from bot.clock import real_wait
from bot.engine import (
    backup,
    daily,
    details_hiding,
    draft_retention,
    escalation,
    handovers,
    monthly_report,
    reminders,
    retention,
)
from bot.heartbeat import Heartbeat
from bot.services import Services, report_deliveries
from bot.systemd import Notifier
from bot.telegram_link import paced
from handlers.context import BotApp, BotContext
from handlers.details import hide_due
from handlers.report import making

log = logging.getLogger("referral_bot.jobs")

ESCALATION_JOB = "escalation"
NEXT_ROUND_JOB = "escalation-next"  # the one-off round at the earliest pending step
WATCH_JOB = "engine-watch"
HEARTBEAT = "heartbeat"  # bot_data: the Heartbeat, when [health] heartbeat_url is set
NOTIFIER = "systemd"  # bot_data: the Notifier (does nothing outside systemd)
SLOW_ROUND = timedelta(seconds=5)  # a round deciding for longer is a warning
STALL = timedelta(minutes=1)  # no round completed for this long: a warning, once
WATCH_INTERVAL = timedelta(seconds=10)
_REPEAT = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}


_STOPPING = "stopping"


def _services(context: BotContext) -> Services | None:
    """The services, once post_init has opened them and until the bot stops (a job can
    fire before or after either)."""
    if context.bot_data.get(_STOPPING):
        return None
    services = context.bot_data.get("services")
    return services if isinstance(services, Services) else None


def stop_jobs(app: BotApp) -> None:
    """Before ``app.stop()``: start no more jobs. Jobs already running finish (the
    JobQueue waits for them). Without this, a round planned for a moment during the
    stop began while the JobQueue was stopping, nothing waited for it, and the
    database was closed under it: a message sent but never marked sent goes out
    twice after the restart."""
    app.bot_data[_STOPPING] = True
    if app.job_queue is not None:
        for job in app.job_queue.get_jobs_by_name(NEXT_ROUND_JOB):
            job.schedule_removal()


def _job(
    tick: Callable[[Services], Awaitable[object]],
) -> Callable[[BotContext], Coroutine[Any, Any, None]]:
    """A job running ``tick`` (whatever it has to say is in the outbox: the sender's)."""

    async def job(context: BotContext) -> None:
        if services := _services(context):
            await tick(services)

    return job


async def _back_up(services: Services) -> None:
    try:
        await backup.tick(services)
    except (OSError, sqlite3.Error) as exc:  # a full disk: tried again next minute
        log.error("the daily backup failed: %s", exc)


async def _report_requests(context: BotContext) -> None:
    """The /report requests left pending (a crash between the tap and the files, or a
    task that died): made now, at the start and then every minute."""
    if services := _services(context):
        await report_deliveries.make_pending(services, making(context.bot_data))


async def _hide_details(context: BotContext) -> None:
    if services := _services(context):
        due, pins = await details_hiding.tick(services)
        with paced():  # edits nobody is waiting for: they wait their turn in each chat
            await hide_due(context, due, pins)


@dataclass
class _Rounds:
    """The escalation engine's state in this process: is a round running, was another
    asked for meanwhile."""

    busy: bool = False
    again: bool = False
    started_at: datetime | None = None  # the running round's start (while busy)
    completed_at: datetime | None = None  # when the last round completed
    stalled: bool = False  # "no round for a minute" was logged; cleared by the next round
    failing: bool = False  # the last round raised (systemd's status says so)


def _rounds(context: BotContext) -> _Rounds:
    rounds = context.bot_data.get("escalation_rounds")
    if not isinstance(rounds, _Rounds):
        rounds = context.bot_data["escalation_rounds"] = _Rounds()
    return rounds


async def escalation_round(context: BotContext) -> None:
    """One round of the escalation engine, then planning the next; remembered for
    /status. What it decided is in the outbox: the sender sends it.

    If a round is already running, this returns at once and the running round goes
    round once more before it plans the next (so what this call was for is done by
    that round)."""
    services = _services(context)
    if services is None:
        return
    rounds = _rounds(context)
    if rounds.busy:
        rounds.again = True
        return
    rounds.busy = True
    rounds.started_at = began = services.clock.now()
    try:
        while True:
            rounds.again = False
            started = services.clock.now()
            context.bot_data["last_tick"] = started  # for /status
            fresh = await escalation.tick(services)
            # bench/cold_start.py waits for this line
            log.debug("escalation round: %d notices", len(fresh))
            if rounds.again:
                continue
            await plan_next_round(context, services, started)  # one planner at a time too
            if not rounds.again:
                break
        _completed(rounds, began, services.clock.now())
    except Exception as exc:
        _tell_failed(context, rounds, exc)
        raise  # logged by the JobQueue, as before
    else:
        _tell_alive(context, rounds)
    finally:
        rounds.busy = False


def _tell_alive(context: BotContext, rounds: _Rounds) -> None:
    """A round completed: the heartbeat and systemd's watchdog hear (each paces itself)."""
    heartbeat = context.bot_data.get(HEARTBEAT)
    if isinstance(heartbeat, Heartbeat):
        heartbeat.round_completed()
    notifier = context.bot_data.get(NOTIFIER)
    if isinstance(notifier, Notifier):
        notifier.alive()
        if rounds.failing:
            notifier.status("escalation rounds complete again")
    rounds.failing = False


def _tell_failed(context: BotContext, rounds: _Rounds, exc: Exception) -> None:
    """A round raised: the heartbeat's failure ping; no watchdog ping (systemd restarts
    a bot whose rounds keep failing, which may be what cures it)."""
    heartbeat = context.bot_data.get(HEARTBEAT)
    if isinstance(heartbeat, Heartbeat):
        heartbeat.round_failed()
    notifier = context.bot_data.get(NOTIFIER)
    if isinstance(notifier, Notifier) and not rounds.failing:
        notifier.status(f"escalation round failed: {type(exc).__name__}")
    rounds.failing = True


def _completed(rounds: _Rounds, began: datetime, now: datetime) -> None:
    """A round completed: warn if it was slow; say so if the engine had stalled."""
    took = now - began
    if took > SLOW_ROUND:
        log.warning(
            "escalation round took %.1f s (more than %d s)",
            took.total_seconds(),
            SLOW_ROUND.total_seconds(),
        )
    if rounds.stalled:
        since = rounds.completed_at
        gap = f" after {(now - since).total_seconds():.0f} s" if since else ""
        log.info("escalation rounds complete again%s", gap)
        rounds.stalled = False
    rounds.completed_at = now


async def watch_engine(context: BotContext) -> None:
    """Warn once when no escalation round has completed for :data:`STALL` (since the
    start, if none has yet). Not part of the round: a stuck round cannot report itself."""
    services = _services(context)
    if services is None:
        return
    rounds, now = _rounds(context), services.clock.now()
    since = rounds.completed_at or context.bot_data.get("started_at")
    if rounds.stalled or not isinstance(since, datetime) or now - since < STALL:
        return
    rounds.stalled = True
    running = (
        f"; one has been running for {(now - rounds.started_at).total_seconds():.0f} s"
        if rounds.busy and rounds.started_at is not None
        else "; none is running"
    )
    log.warning(
        "no escalation round has completed for %.0f s%s: the engine may be stuck",
        (now - since).total_seconds(),
        running,
    )


async def plan_next_round(
    context: BotContext, services: Services, round_started: datetime
) -> timedelta | None:
    """After a round: a one-off round at the moment the earliest pending step falls due
    (replacing the one planned before). Returns the real-time wait planned (None: none
    planned): the JobQueue waits in real time, the steps fall due in the bot's."""
    queue = cast("JobQueue[BotContext] | None", context.job_queue)
    if queue is None or context.bot_data.get(_STOPPING):
        return None
    earliest = await escalation.next_due(services)
    wait = escalation.next_round_in(earliest, services.clock.now(), round_started)
    wait = None if wait is None else real_wait(services.clock, wait)
    for job in queue.get_jobs_by_name(NEXT_ROUND_JOB):  # one planned at a time
        job.schedule_removal()
    if wait is not None:
        queue.run_once(
            escalation_round,
            when=wait,
            name=NEXT_ROUND_JOB,
            job_kwargs={"misfire_grace_time": None},
        )
    return wait


def schedule(app: BotApp) -> None:
    """Register every job; each is a tick over state kept in the database."""
    queue = app.job_queue
    if queue is None:
        return
    jobs: list[tuple[str, Callable[[BotContext], Coroutine[Any, Any, None]], timedelta, bool]] = [
        # name, job, interval, first run at once (else after one interval)
        (ESCALATION_JOB, escalation_round, escalation.INTERVAL, True),
        ("reminders", _job(reminders.tick), reminders.INTERVAL, False),
        ("handovers", _job(handovers.tick), handovers.INTERVAL, False),
        ("backup", _job(_back_up), backup.INTERVAL, False),
        ("details_hiding", _hide_details, details_hiding.INTERVAL, False),
        ("draft_retention", _job(draft_retention.tick), draft_retention.INTERVAL, True),
        ("retention", _job(retention.tick), retention.INTERVAL, True),
        ("daily", _job(daily.tick), daily.INTERVAL, True),
        ("monthly_report", _job(monthly_report.tick), monthly_report.INTERVAL, True),
        ("report_requests", _report_requests, monthly_report.INTERVAL, True),
        (WATCH_JOB, watch_engine, WATCH_INTERVAL, False),
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
