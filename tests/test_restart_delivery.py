"""Restarts without a hiccup: what a stopped run had taken, or had not yet sent, reaches
the person in the first round after the next start, whether the run was stopped as
planned (SIGTERM) or killed.

The real program runs as a process on a real SQLite file against the HTTP fake Bot API,
on the wall clock (no time warp: the 2 minute lease a sender holds is real time
here). Each notice is put in the outbox as the stopped run left it, and
the time from the new process's start to the message on the worker's phone is measured.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import load_config
from bot.sandbox.crash import Deployment
from bot.sandbox.fake_telegram import FakeTelegram, Phone
from bot.sandbox.http import BotApiServer
from bot.services import open_database
from bot.services.notices import NoticeKind
from storage import outbox, people
from storage.db import fetch_all
from storage.timefmt import from_db, to_db

WORKER = 201
ARRIVES_WITHIN = 10.0  # seconds after the start; the stopped run's lease is 120


@pytest.fixture
async def deployment(tmp_path: Path) -> AsyncIterator[tuple[Deployment, Phone]]:
    """The bot running on the wall clock, with one social worker enrolled."""
    fake = FakeTelegram()
    server = BotApiServer(fake)
    await server.start()
    bot = Deployment(tmp_path, server.base_url, warp=None)
    try:
        code = await bot.invite("--role", "social_worker", "--team", "xuhui-sw")
        await bot.start()
        worker = fake.user(WORKER, "Worker Li")
        await worker.send(f"/start {code}")
        await _within(60, lambda: bool(worker.bot_messages), "the worker was never welcomed")
        yield bot, worker
    finally:
        await bot.kill()
        await server.close()


async def _within(limit: float, condition: object, failure: str) -> float:
    """Seconds until ``condition()`` held (looked at every 50 ms, at most ``limit``)."""
    assert callable(condition)
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < limit, failure
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def _left_behind(bot: Deployment, text: str, *, claimed: bool) -> int:
    """A notice to the worker as a stopped run leaves it: written a moment ago and
    (``claimed``) taken by its sender, whose send never ended."""
    config = load_config(bot.config_path)
    db = await open_database(config, sync=False)
    try:
        now = datetime.now(UTC)
        async with db.write() as tx:
            person = await people.by_telegram_id(tx, WORKER)
            assert person is not None
            outbox_id = await outbox.insert(
                tx,
                kind=NoticeKind.UNREACHABLE.value,
                recipient_id=person.id,
                referral_id=None,
                offer_id=None,
                message_id=None,
                values={"person": text},
                now=now,
                first_attempt=now,
            )
            if claimed:
                await tx.execute(
                    "UPDATE outbox SET claimed_at = ? WHERE id = ?", (to_db(now), outbox_id)
                )
        return outbox_id
    finally:
        await db.close()


async def _row(bot: Deployment, outbox_id: int) -> tuple[datetime, str | None]:
    """(next attempt, claimed at) of one outbox row."""
    db = await open_database(load_config(bot.config_path), sync=False)
    try:
        rows = await fetch_all(
            db.reader,
            "SELECT next_attempt_at, claimed_at FROM outbox WHERE id = ?",
            (outbox_id,),
        )
    finally:
        await db.close()
    return from_db(rows[0]["next_attempt_at"]), rows[0]["claimed_at"]


def _arrived(worker: Phone, text: str) -> bool:
    return any(text in message.plain for message in worker.bot_messages)


async def test_after_a_planned_stop_what_the_run_had_taken_is_handed_over(
    deployment: tuple[Deployment, Phone],
) -> None:
    """SIGTERM: the stopping run releases what its sender had taken (and what was queued
    behind it) before it closes the database."""
    bot, worker = deployment
    taken = await _left_behind(bot, "Taken by the stopping run", claimed=True)
    behind = await _left_behind(bot, "Queued behind it", claimed=False)
    assert await bot.stop() == 0
    stopped = datetime.now(UTC)
    for outbox_id in (taken, behind):
        due, claimed = await _row(bot, outbox_id)
        assert claimed is None
        assert due <= stopped  # not 30 s or 2 min on
    await bot.start()
    took = await _within(
        ARRIVES_WITHIN,
        lambda: (
            _arrived(worker, "Taken by the stopping run") and _arrived(worker, "Queued behind it")
        ),
        "the notices did not arrive promptly after the restart",
    )
    print(f"arrived {took:.1f} s after the restart (graceful stop)")


async def test_after_a_kill_what_the_dead_run_had_taken_goes_in_the_first_round(
    deployment: tuple[Deployment, Phone],
) -> None:
    bot, worker = deployment
    assert await bot.kill() == -signal.SIGKILL
    await _left_behind(bot, "Taken by the killed run", claimed=True)
    await _left_behind(bot, "Written just before the kill", claimed=False)
    await bot.start()
    took = await _within(
        ARRIVES_WITHIN,
        lambda: (
            _arrived(worker, "Taken by the killed run")
            and _arrived(worker, "Written just before the kill")
        ),
        "the notices did not arrive promptly after the restart",
    )
    print(f"arrived {took:.1f} s after the restart (kill)")
