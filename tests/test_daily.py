"""The coordinators' daily messages survive downtime and are never sent twice a day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.engine import daily
from bot.sandbox import FakeTelegram
from bot.sandbox.world import World, world
from tests.stories import enrol


async def tick(w: World) -> None:
    await daily.tick(w.services)
    await w.settle()


def handovers(texts: list[str]) -> int:
    return sum(t.startswith("☀️ Morning handover") for t in texts)


async def test_a_handover_missed_while_down_is_sent_on_return_once(config_path: Path) -> None:
    clock = FakeClock(datetime(2026, 11, 26, 22, 30, tzinfo=UTC))  # Friday 06:30 local
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        chen = await enrol(w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw")
        await tick(w)
        assert handovers(chen.texts) == 0  # not yet 08:00
    clock.advance(timedelta(hours=3))  # down over 08:00; back at 09:30
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await tick(w)
        await tick(w)
        assert handovers(chen.texts) == 1
    clock.advance(timedelta(hours=7, minutes=31))  # 17:01: the evening check
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await tick(w)
        await tick(w)
        assert sum(t.startswith("⚠️ Tonight's cover has gaps") for t in chen.texts) == 1
        clock.advance(timedelta(hours=15))  # Saturday 08:01
        await tick(w)
        assert handovers(chen.texts) == 2
