"""Quiet, watched logs: no line per engine round at the default level, a warning when a
round is slow, and one warning (then a line when it recovers) when the engine stalls.

The bot's real jobs run through APScheduler's own executor code (which writes its
"Running job …" lines) on a fake clock: no test waits for real time.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.executors.base import run_coroutine_job
from apscheduler.triggers.interval import IntervalTrigger

from bot import logs
from bot.clock import FakeClock
from bot.domain.referral import Urgency
from bot.engine import escalation
from bot.sandbox.world import World, world
from bot.services import Services
from bot.services.notices import Notice
from handlers import jobs
from handlers.context import BotContext
from tests.stories import draft, file, station

THURSDAY_2340 = datetime(2026, 11, 26, 15, 40, tzinfo=UTC)  # 23:40 in Shanghai
STALLED = "no escalation round has completed"


@pytest.fixture
def log_levels() -> Iterator[None]:
    """The loggers :func:`bot.logs.configure` sets, as they were before the test."""
    names = ["", *logs.PAYLOAD_LOGGERS, logs.SCHEDULER_LOGGER]
    before = {name: logging.getLogger(name).level for name in names}
    yield
    for name, level in before.items():
        logging.getLogger(name).setLevel(level)


async def run_jobs(w: World, span: timedelta, step: timedelta = timedelta(seconds=1)) -> None:
    """Run the bot's repeating jobs for ``span`` of fake time, each at its interval, as
    the running JobQueue would: through APScheduler's executor, which logs each run."""
    assert w.app.job_queue is not None
    repeating = [
        (job, job.job.trigger.interval)
        for job in w.app.job_queue.jobs()
        if isinstance(job.job.trigger, IntervalTrigger)
    ]
    assert {job.name for job, _ in repeating} >= {jobs.ESCALATION_JOB, jobs.WATCH_JOB}
    elapsed = timedelta(0)
    while elapsed < span:
        w.clock.advance(step)
        elapsed += step
        for job, interval in repeating:
            if elapsed % interval == timedelta(0):
                await run_coroutine_job(
                    job.job, "default", [datetime.now(UTC)], "apscheduler.executors.default"
                )


def lines(caplog: pytest.LogCaptureFixture, level: int = logging.NOTSET) -> list[str]:
    return [
        f"{r.levelname} {r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= level
    ]


async def busy_night(w: World) -> None:
    """Something for the rounds to do: a referral nobody accepts, escalating."""
    await station(w, {"Li Na": ("domestic_violence",), "Zhou Min": ()})
    await file(w, draft("domestic_violence", urgency=Urgency.URGENT))


async def test_the_engine_goes_round_for_an_hour_without_a_line_at_the_default_level(
    config_path: Path, caplog: pytest.LogCaptureFixture, log_levels: None
) -> None:
    logs.configure(logging.INFO)
    async with world(config_path, clock=FakeClock(THURSDAY_2340)) as w:
        await busy_night(w)
        caplog.clear()
        await run_jobs(w, timedelta(hours=1))  # 1,800 rounds, escalation steps among them
        # A line for each step the engine took (the audit), none for the rounds.
        logged = lines(caplog)
        assert 0 < len(logged) <= 5
        assert all(
            line.startswith("INFO referral_bot.audit: referral.escalation_step") for line in logged
        )
        await w.settle()
        officer = w.phone(101, "Officer Wang")
        assert any(t.endswith("now offered to more social workers.") for t in officer.texts)


async def test_debug_shows_the_schedulers_lines(
    config_path: Path, caplog: pytest.LogCaptureFixture, log_levels: None
) -> None:
    logs.configure(logging.DEBUG)
    async with world(config_path, clock=FakeClock(THURSDAY_2340)) as w:
        caplog.clear()
        await run_jobs(w, timedelta(seconds=4))
        running = [line for line in lines(caplog) if "Running job" in line]
        assert len(running) == 2  # the engine's rounds at 2 s and 4 s


async def test_a_round_that_takes_six_seconds_is_a_warning(
    config_path: Path,
    caplog: pytest.LogCaptureFixture,
    log_levels: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    logs.configure(logging.INFO)
    clock = FakeClock(THURSDAY_2340)
    async with world(config_path, clock=clock) as w:
        taking = timedelta(seconds=4)
        real_tick = escalation.tick

        async def slow_tick(services: Services) -> list[Notice]:
            clock.advance(taking)
            return await real_tick(services)

        monkeypatch.setattr(escalation, "tick", slow_tick)
        caplog.clear()
        await jobs.escalation_round(BotContext(w.app))  # 4 s: fine
        assert lines(caplog) == []
        taking = timedelta(seconds=6)
        await jobs.escalation_round(BotContext(w.app))
        assert lines(caplog) == [
            "WARNING referral_bot.jobs: escalation round took 6.0 s (more than 5 s)"
        ]


async def test_a_stalled_engine_is_a_warning_once_and_its_recovery_a_line(
    config_path: Path,
    caplog: pytest.LogCaptureFixture,
    log_levels: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    logs.configure(logging.INFO)
    async with world(config_path, clock=FakeClock(THURSDAY_2340)) as w:
        await busy_night(w)
        await run_jobs(w, timedelta(seconds=30))  # rounds complete
        stuck = asyncio.Event()
        release = asyncio.Event()
        real_tick = escalation.tick

        async def stuck_tick(services: Services) -> list[Notice]:
            stuck.set()
            await release.wait()  # a lock never released, a call that never returns
            return await real_tick(services)

        monkeypatch.setattr(escalation, "tick", stuck_tick)
        caplog.clear()
        round_ = asyncio.create_task(jobs.escalation_round(BotContext(w.app)))
        await stuck.wait()
        # The regular job keeps firing (and finds a round busy); the watch runs beside it.
        await run_jobs(w, timedelta(seconds=50))
        assert lines(caplog) == []  # under a minute since the last completed round
        await run_jobs(w, timedelta(minutes=5))
        assert lines(caplog) == [
            "WARNING referral_bot.jobs: no escalation round has completed for 60 s;"
            " one has been running for 60 s: the engine may be stuck"
        ]

        monkeypatch.setattr(escalation, "tick", real_tick)
        release.set()
        await round_
        assert lines(caplog)[1:] == [
            "WARNING referral_bot.jobs: escalation round took 350.0 s (more than 5 s)",
            "INFO referral_bot.jobs: escalation rounds complete again after 350 s",
        ]
        caplog.clear()
        await run_jobs(w, timedelta(minutes=5))
        assert lines(caplog) == []


@pytest.mark.expect_errors
async def test_an_engine_that_never_completes_a_round_after_the_start_is_warned(
    config_path: Path,
    caplog: pytest.LogCaptureFixture,
    log_levels: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No round at all since the start (here every one fails): the watch counts from
    the start, and says it once."""
    logs.configure(logging.INFO)
    async with world(config_path, clock=FakeClock(THURSDAY_2340)) as w:

        async def failing_tick(services: Services) -> list[Notice]:
            raise sqlite3.OperationalError("disk I/O error")

        monkeypatch.setattr(escalation, "tick", failing_tick)
        caplog.clear()
        await run_jobs(w, timedelta(minutes=3))
        assert [line for line in lines(caplog) if STALLED in line] == [
            "WARNING referral_bot.jobs: no escalation round has completed for 60 s;"
            " none is running: the engine may be stuck"
        ]
