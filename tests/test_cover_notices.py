"""What /cover tells the people whose duty changed goes through the outbox, like every
other message: written with the cover, retried when Telegram fails, sent after a
restart, and a person who blocked the bot is marked unreachable for the coordinators."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.domain.rota import Change
from bot.engine import escalation
from bot.sandbox import FakeTelegram
from bot.sandbox.world import World, world
from bot.services import people as people_service
from bot.services import rota
from storage import outbox
from tests.test_rota_chat import THURSDAY_NOON, phone, register
from tests.test_rota_service import BOSS, CHEN, LI, ROTA_CSV, import_rota, people

PUT_ON = "Coordinator Coord Chen put you on duty from 2026-11-26 18:00 until 2026-11-27 08:00."


async def tick(w: World) -> None:
    """One engine round, as the regular job runs it (it hands over outbox retries)."""
    await escalation.tick(w.services)
    await w.settle()


async def put_li_on_tonight(w: World, *, failing: bool = False) -> None:
    """Coordinator Chen puts Li on duty tonight; ``failing``: Telegram fails the
    notice to Li (every try of the call) after Chen's card says it is done."""
    chen = phone(w, CHEN, "Coord Chen")
    await chen.send("/cover")
    await chen.tap("Xuhui Social Work Station")
    await chen.tap("Li Na · on duty")
    await chen.tap("➕ On duty as well")
    await chen.tap("Tonight 18:00–08:00")
    if failing:
        fail_sends(w)
    answer = await chen.tap("✅ Confirm")
    assert answer.text == "Done."
    assert any(t.startswith("✅ Rota changed.") for t in chen.texts)


async def the_team(w: World, tmp_path: Path) -> None:
    """The rota's people enrolled, with their weekly shifts, and /cover registered."""
    register(w.app)
    await people(w)
    await import_rota(w, tmp_path, ROTA_CSV)


def fail_sends(w: World) -> None:
    """Every attempt of the next sendMessage call fails (the call retries twice itself)."""
    for _ in range(3):
        w.telegram.fail_next("sendMessage", status=502, description="Bad Gateway")


async def test_a_worker_who_blocked_the_bot_is_marked_unreachable_and_coordinators_hear(
    config_path: Path, tmp_path: Path
) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_NOON)) as w:
        await the_team(w, tmp_path)
        li, chen, boss = (
            phone(w, LI, "Li Na"),
            phone(w, CHEN, "Coord Chen"),
            phone(w, BOSS, "Night Boss"),
        )
        li.block()
        await put_li_on_tonight(w)
        found = await people_service.find(w.services, LI)
        assert found is not None and not found.reachable
        warning = (
            "⚠️ Li Na cannot be reached by the bot (they blocked it or left Telegram). "
            "Please ask them to open the bot and send /start before they are needed."
        )
        assert chen.last.plain == warning
        assert boss.last.plain == warning
        # Given up for good, not retried every round; the coordinators are told once.
        depth = await outbox.depth(w.services.db.reader, THURSDAY_NOON)
        assert (depth.waiting, depth.given_up) == (0, 1)
        w.clock.advance(timedelta(hours=2))
        await tick(w)
        assert chen.texts.count(warning) == boss.texts.count(warning) == 1


async def test_a_cover_notice_is_retried_by_the_engine_after_telegram_fails(
    config_path: Path, tmp_path: Path
) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_NOON)) as w:
        await the_team(w, tmp_path)
        li = phone(w, LI, "Li Na")
        await put_li_on_tonight(w, failing=True)
        assert PUT_ON not in li.texts
        await tick(w)  # within the backoff: not yet
        assert PUT_ON not in li.texts
        w.clock.advance(timedelta(seconds=61))
        await tick(w)
        await tick(w)
        assert [m.plain for m in li.bot_messages].count(PUT_ON) == 1


async def test_a_cover_notice_that_failed_before_a_restart_is_sent_after_it(
    config_path: Path, tmp_path: Path
) -> None:
    clock = FakeClock(THURSDAY_NOON)
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await the_team(w, tmp_path)
        li = phone(w, LI, "Li Na")
        await put_li_on_tonight(w, failing=True)
        assert PUT_ON not in li.texts
    clock.advance(timedelta(seconds=5))
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await tick(w)  # its retry keeps its backoff across the restart
        assert PUT_ON not in li.texts
        clock.advance(timedelta(minutes=1))
        await tick(w)
        await tick(w)
        assert [m.plain for m in li.bot_messages].count(PUT_ON) == 1


async def test_a_cover_saved_just_before_a_crash_is_told_in_the_first_round_after_it(
    config_path: Path, tmp_path: Path
) -> None:
    clock = FakeClock(THURSDAY_NOON)
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await the_team(w, tmp_path)
        li = phone(w, LI, "Li Na")
        chen = await people_service.find(w.services, CHEN)
        worker = await people_service.find(w.services, LI)
        assert chen is not None and worker is not None
        start, end = rota.period_span(rota.Period.TONIGHT, clock.now(), w.services.config.zone)
        # The cover commits; the process dies before the handler sends a thing.
        await rota.cover(
            w.services, chen, person_id=worker.id, start=start, end=end, change=Change.ADD
        )
        assert PUT_ON not in li.texts
    clock.advance(timedelta(seconds=5))
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await tick(w)  # not the 2 min lease of a sender that is gone
        await tick(w)
        assert [m.plain for m in li.bot_messages].count(PUT_ON) == 1
