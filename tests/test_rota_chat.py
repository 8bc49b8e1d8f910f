"""/oncall and /cover as the people use them, through the real app and their phones."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from telegram.ext import CommandHandler

from bot.clock import FakeClock
from bot.domain.people import Role
from bot.domain.referral import Urgency
from bot.engine import escalation
from bot.sandbox import Phone
from bot.sandbox.world import World, world
from bot.services import rota
from handlers import rota as rota_handlers
from handlers.context import BotApp
from storage import audit
from tests.stories import draft, file
from tests.test_rota_service import (
    BOSS,
    CHEN,
    LI,
    MINHANG_TEAM,
    MINHANG_WORKER,
    ROTA_CSV,
    SHANGHAI,
    TEAM,
    ZHOU,
    ids,
    import_rota,
    local,
    people,
    person,
    variant,
    workers_at,
)

THURSDAY_NOON = local(SHANGHAI, 2026, 11, 26, 12, 0)
THURSDAY_2230 = local(SHANGHAI, 2026, 11, 26, 22, 30)


def register(app: BotApp) -> None:
    """Put /oncall and /cover first in group 0 unless handlers/__init__.py already does
    (it is registered there by the integrator; until then the fallbacks would win)."""
    registered = app.handlers.get(0, [])
    if any(isinstance(h, CommandHandler) and "oncall" in h.commands for h in registered):
        return
    registered[0:0] = rota_handlers.handlers()


@asynccontextmanager
async def deployment(config_path: Path, at: datetime) -> AsyncIterator[World]:
    async with world(config_path, clock=FakeClock(at)) as w:
        register(w.app)
        await people(w)
        yield w


def phone(w: World, telegram_id: int, name: str) -> Phone:
    return w.phone(telegram_id, name)


async def test_a_coordinator_puts_a_worker_on_duty_tonight_with_buttons(
    config_path: Path, tmp_path: Path
) -> None:
    async with deployment(config_path, THURSDAY_NOON) as w:
        await import_rota(w, tmp_path, ROTA_CSV)
        chen, li = phone(w, CHEN, "Coord Chen"), phone(w, LI, "Li Na")
        await chen.send("/cover")
        assert chen.last.plain == "Whose rota do you want to change?"
        assert chen.last.button_labels() == [
            "Xuhui Social Work Station",
            "Coordinators",
            "✖ Cancel",
        ]
        await chen.tap("Xuhui Social Work Station")
        assert chen.last.plain == "Xuhui Social Work Station: whose duty changes?"
        assert chen.last.button_labels() == [
            "Li Na · on duty",
            "Zhou Min · on duty",
            "✖ Cancel",
        ]
        await chen.tap("Li Na · on duty")
        assert chen.last.plain == "What changes for Li Na?"
        await chen.tap("➕ On duty as well")
        assert chen.last.plain == "Li Na on duty as well.\nFor which period?"
        await chen.tap("Tonight 18:00–08:00")
        assert chen.last.plain == (
            "Change the rota?\nLi Na on duty as well.\n"
            "From 2026-11-26 18:00 until 2026-11-27 08:00."
        )
        confirm = chen.last.button("✅ Confirm")
        assert confirm is not None and confirm.callback_data is not None
        card = chen.last
        answer = await chen.tap("✅ Confirm")
        assert answer.text == "Done."
        assert chen.last.plain.startswith("✅ Rota changed.\nLi Na on duty as well.")
        assert chen.last.buttons == []
        assert li.last.plain == (
            "Coordinator Coord Chen put you on duty from 2026-11-26 18:00 until 2026-11-27 08:00."
        )
        tonight = local(SHANGHAI, 2026, 11, 26, 23, 0)
        assert await workers_at(w, tonight) == await ids(w, LI, ZHOU)
        assert await workers_at(w, local(SHANGHAI, 2026, 11, 27, 23, 0)) == await ids(w, ZHOU)

        # A second tap on Confirm (it happens) records nothing new and tells nobody twice.
        told = len(li.texts)
        await chen.tap_data(confirm.callback_data, message_id=card.message_id)
        assert len(await audit.entries(w.services.db.reader, action="rota.cover")) == 1
        assert len(li.texts) == told


async def test_a_worker_covers_for_another_until_the_morning(
    config_path: Path, tmp_path: Path
) -> None:
    async with deployment(config_path, THURSDAY_2230) as w:
        await import_rota(w, tmp_path, ROTA_CSV)
        chen, li, zhou = (
            phone(w, CHEN, "Coord Chen"),
            phone(w, LI, "Li Na"),
            phone(w, ZHOU, "Zhou Min"),
        )
        await chen.send("/cover")
        await chen.tap("Xuhui Social Work Station")
        assert chen.last.button_labels()[:2] == ["Li Na · off duty", "Zhou Min · on duty"]
        await chen.tap("Li Na · off duty")
        await chen.tap("🔁 Covers for someone")
        assert chen.last.plain == "Li Na covers for whom?"
        await chen.tap("Zhou Min")
        await chen.tap("Now until 08:00")
        assert "Li Na covers for Zhou Min." in chen.last.plain
        await chen.tap("✅ Confirm")
        assert await workers_at(w, local(SHANGHAI, 2026, 11, 27, 3, 0)) == await ids(w, LI)
        assert li.last.plain.endswith("covering for Zhou Min.")
        assert zhou.last.plain == (
            "Coordinator Coord Chen took you off duty from 2026-11-26 22:30 "
            "until 2026-11-27 08:00; Li Na covers for you."
        )


async def test_cancel_changes_nothing_and_off_duty_does(config_path: Path, tmp_path: Path) -> None:
    async with deployment(config_path, THURSDAY_NOON) as w:
        await import_rota(w, tmp_path, ROTA_CSV)
        chen = phone(w, CHEN, "Coord Chen")
        await chen.send("/cover")
        await chen.tap("Xuhui Social Work Station")
        await chen.tap("Zhou Min · on duty")
        await chen.tap("➖ Off duty")
        await chen.tap("Next 4 hours")
        await chen.tap("✖ Cancel")
        assert chen.last.plain == "Cancelled: the rota is unchanged."
        assert await workers_at(w, THURSDAY_NOON) == await ids(w, LI, ZHOU)

        await chen.send("/cover")
        await chen.tap("Xuhui Social Work Station")
        await chen.tap("Zhou Min · on duty")
        await chen.tap("➖ Off duty")
        await chen.tap("Next 4 hours")
        await chen.tap("✅ Confirm")
        assert await workers_at(w, THURSDAY_NOON) == await ids(w, LI)
        assert phone(w, ZHOU, "Zhou Min").last.plain == (
            "Coordinator Coord Chen took you off duty from 2026-11-26 12:00 until 2026-11-26 16:00."
        )


async def test_oncall_shows_who_is_on_now_who_is_next_and_the_coordinator(
    config_path: Path, tmp_path: Path
) -> None:
    thursday_2300 = local(SHANGHAI, 2026, 11, 26, 23, 0)
    async with deployment(config_path, thursday_2300) as w:
        li = phone(w, LI, "Li Na")
        await li.send("/oncall")  # no rota yet: /available decides
        assert li.last.plain == (
            "Xuhui Social Work Station\n"
            "No rota yet: on duty means marked /available.\n"
            "On duty now: nobody\n"
            "Coordinator on duty: nobody"
        )
        await import_rota(w, tmp_path, ROTA_CSV)
        await li.send("/oncall")
        assert li.last.plain == (
            "Xuhui Social Work Station\n"
            "On duty now: Zhou Min\n"
            "Next shift from 2026-11-27 09:00: Li Na, Zhou Min\n"
            "Coordinator on duty: Night Boss\n"
            "All times are China Time."
        )
        assert "<b>Xuhui Social Work Station</b>" in li.last.text
        boss = phone(w, BOSS, "Night Boss")
        await boss.send("/oncall")
        assert boss.last.plain.startswith("Xuhui Social Work Station\nOn duty now: Zhou Min")


async def test_only_coordinators_cover_and_only_their_own_teams(
    tmp_path: Path, config_path: Path
) -> None:
    del config_path  # requested for its clean REFERRAL_BOT_* environment
    async with world(variant(tmp_path, extra=MINHANG_TEAM), clock=FakeClock(THURSDAY_NOON)) as w:
        register(w.app)
        await people(w, minhang=True)
        li, chen = phone(w, LI, "Li Na"), phone(w, CHEN, "Coord Chen")
        await li.send("/cover")
        assert li.last.plain == "Sorry, that is not something your role can do here."

        await chen.send("/cover")
        card = chen.last
        outsider = (await person(w, MINHANG_WORKER)).id
        for forged in (f"r:w:{outsider}", f"r:p:{outsider}:a:0:t", "r:t:minhang-sw"):
            answer = await chen.tap_data(forged, message_id=card.message_id)
            assert answer.show_alert
            assert answer.text == "This person is not in a team you coordinate."
        refused = await audit.entries(w.services.db.reader, action="action.refused")
        assert len(refused) == 4  # Li's /cover and Chen's three forged taps
        assert await workers_at(w, THURSDAY_NOON, "minhang-sw") is None

        # A coordinator of all stations chooses the team first.
        boss = phone(w, BOSS, "Night Boss")
        await boss.send("/cover")
        assert boss.last.button_labels() == [
            "Xuhui Social Work Station",
            "Minhang Social Work Station",
            "Coordinators",
            "✖ Cancel",
        ]
        await boss.tap("Minhang Social Work Station")
        await boss.tap("Min Worker · off duty")
        await boss.tap("➕ On duty as well")
        await boss.tap("Next 4 hours")
        await boss.tap("✅ Confirm")
        shift = await rota.on_duty(
            w.services, team_id="minhang-sw", role=Role.SOCIAL_WORKER, at=THURSDAY_NOON
        )
        assert shift is None  # no rota for Minhang yet: the cover waits for one
        path = tmp_path / "minhang.csv"
        path.write_text(
            f"team,role,days,hours,telegram_id\nminhang-sw,social_worker,sat,09:00-18:00,{MINHANG_WORKER}\n",
            encoding="utf-8",
        )
        code, _, err = await w.cli("rota", "import", str(path))
        assert code == 0, err
        assert await workers_at(w, THURSDAY_NOON, "minhang-sw") == {outsider}
        assert await workers_at(w, THURSDAY_NOON, TEAM) is None  # Xuhui: still no rota


async def test_oncall_marks_who_blocked_the_bot_and_does_not_count_them_as_cover(
    config_path: Path, tmp_path: Path
) -> None:
    """Routing and the evening warning already skip a person the bot cannot reach;
    /oncall says so too, instead of showing them as tonight's cover."""
    thursday_2300 = local(SHANGHAI, 2026, 11, 26, 23, 0)
    async with deployment(config_path, thursday_2300) as w:
        await import_rota(w, tmp_path, ROTA_CSV)
        li, zhou, boss = (
            phone(w, LI, "Li Na"),
            phone(w, ZHOU, "Zhou Min"),
            phone(w, BOSS, "Night Boss"),
        )
        zhou.block()
        boss.block()
        await file(w, draft("domestic_violence", urgency=Urgency.URGENT))
        await escalation.tick(w.services)
        await w.settle()  # Boss's card
        await li.send("/oncall")
        assert li.last.plain == (
            "Xuhui Social Work Station\n"
            "On duty now: nobody · ⚠️ cannot be reached: Zhou Min\n"
            "Next shift from 2026-11-27 09:00: "
            "Li Na · ⚠️ cannot be reached: Zhou Min\n"
            "Coordinator on duty: nobody · ⚠️ cannot be reached: Night Boss\n"
            "All times are China Time."
        )
        chen = phone(w, CHEN, "Coord Chen")
        await chen.send("/cover")  # choosing whose duty to change: the same mark
        await chen.tap("Xuhui Social Work Station")
        assert chen.last.button_labels()[:2] == ["Li Na · off duty", "Zhou Min · unreachable"]
        zhou.unblock()
        await zhou.send("/available")  # back: he can be reached again
        await li.send("/oncall")
        assert li.last.plain.splitlines()[1] == "On duty now: Zhou Min"
