"""/cover on the coordinators' own rota, as coordinators use it from their phones."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

from bot.clock import FakeClock
from bot.domain.people import Role
from bot.sandbox import Phone
from bot.sandbox.fake_telegram.seen import CallbackAnswer
from bot.sandbox.world import World, world
from bot.services import rota
from handlers import callbacks
from storage import audit
from tests.test_rota_chat import THURSDAY_2230, THURSDAY_NOON, deployment, phone, register
from tests.test_rota_service import (
    BOSS,
    CHEN,
    LI,
    MINHANG_COORD,
    MINHANG_TEAM,
    ROTA_CSV,
    SHANGHAI,
    TEAM,
    ids,
    import_rota,
    local,
    people,
    person,
    variant,
)

MAX_CALLBACK_BYTES = 64


async def coordinators_at(w: World, at: datetime) -> frozenset[int] | None:
    return await rota.on_duty(w.services, team_id=None, role=Role.COORDINATOR, at=at)


def tapper(p: Phone, shown: list[str]) -> Callable[[str], Awaitable[CallbackAnswer]]:
    """``p.tap``, keeping the callback data of each button tapped in ``shown``."""

    async def tap(label: str) -> CallbackAnswer:
        button = p.last.button(label)
        assert button is not None and button.callback_data is not None, label
        shown.append(button.callback_data)
        return await p.tap(label)

    return tap


async def test_a_team_coordinator_covers_a_night_of_the_coordinators_rota(
    config_path: Path, tmp_path: Path
) -> None:
    async with deployment(config_path, THURSDAY_2230) as w:
        await import_rota(w, tmp_path, ROTA_CSV)
        chen, boss, li = (
            phone(w, CHEN, "Coord Chen"),
            phone(w, BOSS, "Night Boss"),
            phone(w, LI, "Li Na"),
        )
        shown: list[str] = []
        tap = tapper(chen, shown)
        await chen.send("/cover")
        await tap("Coordinators")
        assert chen.last.plain == "Coordinators: whose duty changes?"
        assert chen.last.button_labels() == [
            "Coord Chen · off duty",
            "Night Boss · on duty",
            "✖ Cancel",
        ]
        await tap("Coord Chen · off duty")
        assert chen.last.plain == "What changes for Coord Chen?"
        await tap("🔁 Covers for someone")
        assert chen.last.plain == "Coord Chen covers for whom?"
        assert chen.last.button_labels() == ["Night Boss", "✖ Cancel"]
        await tap("Night Boss")
        assert chen.last.plain == "Coord Chen covers for Night Boss.\nFor which period?"
        await tap("Now until 08:00")
        assert chen.last.plain == (
            "Change the rota?\nCoord Chen covers for Night Boss.\n"
            "From 2026-11-26 22:30 until 2026-11-27 08:00."
        )
        answer = await tap("✅ Confirm")
        assert answer.text == "Done."
        assert chen.last.plain.startswith("✅ Rota changed.\nCoord Chen covers for Night Boss.")

        night = local(SHANGHAI, 2026, 11, 27, 3, 0)
        chen_id = (await person(w, CHEN)).id
        assert await coordinators_at(w, night) == {chen_id}
        assert [p.id for p in await rota.coordinators_on_duty(w.services, TEAM, night)] == [chen_id]
        assert await coordinators_at(w, local(SHANGHAI, 2026, 11, 27, 23, 0)) == await ids(w, BOSS)
        assert boss.last.plain == (
            "Coordinator Coord Chen took you off duty from 2026-11-26 22:30 "
            "until 2026-11-27 08:00; Coord Chen covers for you."
        )
        told = [t for t in chen.texts if t.startswith("Coordinator Coord Chen")]
        assert told == []  # Chen is not told about his own cover
        entries = await audit.entries(w.services.db.reader, action="rota.cover")
        assert [e.actor_person_id for e in entries] == [chen_id]
        assert (entries[0].detail or "").startswith("*/coordinator replace")

        await li.send("/oncall")
        assert "Coordinator on duty: Coord Chen\n" in li.last.plain

        assert shown[0] == "r:k" and shown[-1].startswith("r:kok:")
        for data in shown:
            assert len(data.encode()) <= MAX_CALLBACK_BYTES and callbacks.parse(data), data


async def test_any_coordinator_changes_the_coordinators_rota_and_nobody_else(
    tmp_path: Path, config_path: Path
) -> None:
    del config_path  # requested for its clean REFERRAL_BOT_* environment
    async with world(variant(tmp_path, extra=MINHANG_TEAM), clock=FakeClock(THURSDAY_NOON)) as w:
        register(w.app)
        await people(w, minhang=True)
        await import_rota(w, tmp_path, ROTA_CSV)
        li, chen = phone(w, LI, "Li Na"), phone(w, CHEN, "Coord Chen")
        boss = phone(w, BOSS, "Night Boss")
        li_id, boss_id = (await person(w, LI)).id, (await person(w, BOSS)).id

        # A coordinator of another team takes the Boss off tonight.
        min_coord = phone(w, MINHANG_COORD, "Min Coord")
        await min_coord.send("/cover")
        assert min_coord.last.button_labels() == [
            "Minhang Social Work Station",
            "Coordinators",
            "✖ Cancel",
        ]
        await min_coord.tap("Coordinators")
        assert "Night Boss · off duty" in min_coord.last.button_labels()
        await min_coord.tap("Night Boss · off duty")
        await min_coord.tap("➖ Off duty")
        await min_coord.tap("Tonight 18:00–08:00")
        assert "no rota yet" not in min_coord.last.plain
        await min_coord.tap("✅ Confirm")
        assert await coordinators_at(w, local(SHANGHAI, 2026, 11, 26, 23, 0)) == frozenset()
        assert boss.last.plain == (
            "Coordinator Min Coord took you off duty from 2026-11-26 18:00 until 2026-11-27 08:00."
        )

        # A social worker cannot, not even with forged buttons.
        await li.send("/cover")
        answer = await li.tap_data("r:k", message_id=li.last.message_id)
        assert answer.show_alert
        assert answer.text == "Sorry, that is not something your role can do here."

        # Buttons naming someone who is not on the coordinators' rota are refused.
        await chen.send("/cover")
        card = chen.last
        refused_before = len(await audit.entries(w.services.db.reader, action="action.refused"))
        for forged in (
            f"r:kw:{li_id}",
            f"r:kx:{li_id}:{boss_id}",
            f"r:kx:{boss_id}:{li_id}",
            f"r:kp:{boss_id}:x:{li_id}:t",
        ):
            answer = await chen.tap_data(forged, message_id=card.message_id)
            assert answer.show_alert, forged
            assert answer.text == "This person is not on the coordinators' rota.", forged
        # ... and a coordinator is not a worker of the team.
        answer = await chen.tap_data(f"r:w:{boss_id}", message_id=card.message_id)
        assert answer.text == "This person is not in a team you coordinate."
        refused = await audit.entries(w.services.db.reader, action="action.refused")
        assert len(refused) == refused_before + 5
        # A forged Confirm reaches the service, which checks again and records nothing.
        anchor = int(THURSDAY_NOON.timestamp())
        answer = await chen.tap_data(
            f"r:kok:{boss_id}:x:{li_id}:t:{anchor}", message_id=card.message_id
        )
        assert answer.show_alert
        assert answer.text == "This choice is no longer possible. Start again with /cover."
        assert len(await audit.entries(w.services.db.reader, action="rota.cover.refused")) == 1
        assert len(await audit.entries(w.services.db.reader, action="rota.cover")) == 1


async def test_without_a_coordinators_rota_the_confirm_card_says_so(config_path: Path) -> None:
    async with deployment(config_path, THURSDAY_NOON) as w:
        chen = phone(w, CHEN, "Coord Chen")
        await chen.send("/cover")
        await chen.tap("Coordinators")
        await chen.tap("Coord Chen · off duty")
        await chen.tap("➕ On duty as well")
        await chen.tap("Next 4 hours")
        assert chen.last.plain.endswith(
            "The coordinators have no rota yet: the change counts once one is imported."
        )
        await chen.tap("✖ Cancel")
        assert chen.last.plain == "Cancelled: the rota is unchanged."
        assert await coordinators_at(w, THURSDAY_NOON) is None


def test_the_longest_button_data_fits_telegrams_limit() -> None:
    longest = f"r:kok:{'9' * 12}:x:{'9' * 12}:h:{'9' * 10}"  # the last: a Unix time
    assert callbacks.parse(longest)
    assert len(longest.encode()) <= MAX_CALLBACK_BYTES
    for data in ("r:k", "r:kw:1", "r:kc:1:x", "r:kx:1:2", "r:kp:1:a:0:n"):
        assert callbacks.parse(data), data
    assert not callbacks.parse("r:kt:xuhui-sw")
