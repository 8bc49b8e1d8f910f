"""When the escalation engine goes round: after each round the next is planned for the
moment the earliest pending step falls due (not the next regular round, up to 2 s
later), rounds never overlap, and a step asked for by several rounds at once fires once.

The clock is fake and the JobQueue is not started: the test runs the round the engine
planned, at the moment the fake clock says it is due.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from telegram.ext import Job

from bot.clock import FakeClock, WarpedClock
from bot.domain.referral import Referral, Urgency
from bot.engine import escalation
from bot.sandbox.world import World, world
from bot.services import Services
from bot.services import referrals as referral_service
from bot.services.notices import Notice
from handlers import jobs
from handlers.context import BotContext
from storage import audit
from tests.stories import draft, file, station

GUARD = 20  # seconds: only turns a hang into a failure
THURSDAY_2340 = datetime(2026, 11, 26, 15, 40, tzinfo=UTC)  # 23:40 in Shanghai
ESCALATED = "now offered to more social workers."


def test_the_next_round_is_planned_for_the_earliest_pending_step() -> None:
    now = THURSDAY_2340
    second = timedelta(seconds=1)
    assert escalation.next_round_in(None, now, now) is None  # nothing pending
    assert escalation.next_round_in(now + 0.7 * second, now, now) == 0.7 * second
    assert escalation.next_round_in(now + 90 * second, now, now) == 90 * second
    # Fell due while the round that just ended was running: at once.
    assert escalation.next_round_in(now - 0.1 * second, now, now - 0.3 * second) == timedelta(0)
    # Already due when that round began, and left: the regular round, not a spin.
    assert escalation.next_round_in(now - 0.1 * second, now, now) is None


async def _due(w: World, referral: Referral) -> datetime:
    current = await referral_service.get(w.services, referral.id)
    assert current is not None and current.next_action_at is not None
    return current.next_action_at


async def _steps(w: World, ref: str) -> list[audit.AuditEntry]:
    return await audit.entries(w.services.db.reader, action="referral.escalation_step", subject=ref)


def _planned_rounds(w: World) -> list[Job[BotContext]]:
    assert w.app.job_queue is not None
    return list(w.app.job_queue.get_jobs_by_name(jobs.NEXT_ROUND_JOB))


async def _filed(w: World) -> tuple[Referral, datetime]:
    """An urgent referral nobody accepts: its first step falls due in 15 minutes."""
    await station(w, {"Li Na": ("domestic_violence",), "Zhou Min": ()})
    referral = await file(w, draft("domestic_violence", urgency=Urgency.URGENT))
    return referral, await _due(w, referral)


async def test_a_step_due_between_rounds_gets_a_round_at_its_due_time(config_path: Path) -> None:
    clock = FakeClock(THURSDAY_2340)
    async with world(config_path, clock=clock) as w:
        referral, due = await _filed(w)
        clock.advance(due - clock.now() - timedelta(seconds=0.7))
        context = BotContext(w.app)
        await jobs.escalation_round(context)  # a regular round, 0.7 s before the step
        assert await _steps(w, referral.ref) == []
        assert len(_planned_rounds(w)) == 1  # not left to the next regular round, 2 s on
        wait = await jobs.plan_next_round(context, w.services, clock.now())
        assert wait == timedelta(seconds=0.7)
        [planned] = _planned_rounds(w)  # planned again: replaced, not added

        clock.advance(timedelta(seconds=0.7))
        await planned.run(w.app)
        [fired] = await _steps(w, referral.ref)
        assert fired.at == due  # on time
        await w.settle()
        officer = w.phone(101, "Officer Wang")
        assert officer.last.plain.endswith(ESCALATED)
        [following] = _planned_rounds(w)  # for the next step, 30 minutes on
        assert following is not planned
        next_due = await _due(w, referral)
        assert next_due - due == timedelta(minutes=30)
        assert await jobs.plan_next_round(BotContext(w.app), w.services, clock.now()) == (
            next_due - clock.now()
        )


async def test_under_a_time_warp_the_next_round_waits_in_real_time(config_path: Path) -> None:
    """The JobQueue waits in real time: a step 15 bot minutes away under a 60-fold
    warp is 15 real seconds away, not 15 real minutes (when it would fire 14 bot hours
    late and people would read that the bot had been offline)."""
    clock = FakeClock(THURSDAY_2340)
    async with world(config_path, clock=clock) as w:
        _, due = await _filed(w)
        real_now = datetime.now(UTC)
        warped = WarpedClock(real_now, 60, start=clock.now())
        services = dataclasses.replace(w.services, clock=warped)
        wait = await jobs.plan_next_round(BotContext(w.app), services, warped.now())
        in_bot_time = due - clock.now()
        assert in_bot_time == timedelta(minutes=15)
        assert wait is not None
        assert in_bot_time / 60 - timedelta(seconds=1) < wait <= in_bot_time / 60
        [planned] = _planned_rounds(w)
        run_at = planned.job.trigger.run_date
        assert abs(run_at - (real_now + in_bot_time / 60)) < timedelta(seconds=1)


async def test_a_round_does_not_wait_for_telegram(config_path: Path) -> None:
    """Telegram's limits can keep the sender busy for many seconds (here the officer's
    chat does not answer at all): a round only writes, so it completes and the step
    fires at its time all the same; the officer reads it once the chat moves again."""
    clock = FakeClock(THURSDAY_2340)
    async with world(config_path, clock=clock) as w:
        referral, due = await _filed(w)
        officer = w.phone(101, "Officer Wang")
        stuck = w.telegram.hold(officer.chat_id)
        clock.advance(due - clock.now())
        await asyncio.wait_for(jobs.escalation_round(BotContext(w.app)), GUARD)
        [fired] = await _steps(w, referral.ref)
        assert fired.at == due
        sending = asyncio.create_task(w.settle())
        await asyncio.sleep(0)
        assert not officer.last.plain.endswith(ESCALATED)
        stuck.set()
        await asyncio.wait_for(sending, GUARD)
        assert officer.last.plain.endswith(ESCALATED)


async def test_rounds_asked_for_at_once_take_turns_and_fire_the_step_once(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock(THURSDAY_2340)
    async with world(config_path, clock=clock) as w:
        referral, due = await _filed(w)
        clock.advance(due - clock.now() - timedelta(seconds=0.7))
        context = BotContext(w.app)
        await jobs.escalation_round(context)
        [planned] = _planned_rounds(w)
        clock.advance(timedelta(seconds=0.7))

        ticks, running = [], 0
        tick = escalation.tick

        async def one_at_a_time(services: Services) -> list[Notice]:
            nonlocal running
            running += 1
            ticks.append(running)
            try:
                await asyncio.sleep(0)  # let the other rounds ask meanwhile
                return await tick(services)
            finally:
                running -= 1

        monkeypatch.setattr(escalation, "tick", one_at_a_time)
        # The planned round, the regular one and a wake-up (a decline) at the due time.
        await asyncio.gather(
            planned.run(w.app),
            jobs.escalation_round(context),
            jobs.escalation_round(context),
        )
        assert ticks == [1, 1]  # never two at once; the first went round once more
        assert len(await _steps(w, referral.ref)) == 1
        await w.settle()
        officer = w.phone(101, "Officer Wang")
        assert sum(text.endswith(ESCALATED) for text in officer.texts) == 1


async def test_a_wake_during_a_round_is_not_lost(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A state change while a round runs (after it read the due steps) is taken by the
    same round going round once more, not left for the next regular round."""
    clock = FakeClock(THURSDAY_2340)
    async with world(config_path, clock=clock) as w:
        referral, due = await _filed(w)
        context = BotContext(w.app)
        tick = escalation.tick
        passes: list[int] = []

        async def step_falls_due_meanwhile(services: Services) -> list[Notice]:
            notices = await tick(services)
            passes.append(len(notices))
            if len(passes) == 1:  # the step falls due and the engine is woken
                clock.advance(due - clock.now())
                await jobs.escalation_round(context)
            return notices

        monkeypatch.setattr(escalation, "tick", step_falls_due_meanwhile)
        await jobs.escalation_round(context)
        assert len(passes) == 2
        assert len(await _steps(w, referral.ref)) == 1


async def test_once_the_bot_is_stopping_no_round_starts(config_path: Path) -> None:
    """A round starting while the bot stops would run on after the database is closed
    (the JobQueue waits only for rounds already running): none starts, and the planned
    one is dropped. The step is taken by the first round after the restart."""
    clock = FakeClock(THURSDAY_2340)
    async with world(config_path, clock=clock) as w:
        referral, due = await _filed(w)
        context = BotContext(w.app)
        await jobs.escalation_round(context)
        assert len(_planned_rounds(w)) == 1
        jobs.stop_jobs(w.app)
        assert _planned_rounds(w) == []
        clock.advance(due - clock.now())
        await jobs.escalation_round(context)
        assert await _steps(w, referral.ref) == []
