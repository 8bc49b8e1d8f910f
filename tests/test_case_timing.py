"""Times that matter after acceptance: the appropriate adult's arrival, and reminders."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.domain.referral import Urgency
from bot.engine import reminders
from bot.sandbox.world import World, world
from bot.services import cover
from tests.stories import draft, enrol, file, station


async def remind(w: World) -> None:
    await reminders.tick(w.services)
    await w.settle()


async def test_an_appropriate_adult_only_goes_to_trained_workers_and_times_are_kept(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Chen AA": ("appropriate_adult",), "Zhou Min": ()})
        chen, zhou = s.workers["Chen AA"], s.workers["Zhou Min"]
        referral = await file(
            w, draft("juvenile", appropriate_adult_now=True, urgency=Urgency.IMMEDIATE)
        )
        await chen.tap("Decline")
        await chen.tap("Busy with another case")
        # Nobody else is trained: Zhou is never offered it, whatever the decline.
        assert not any(t.startswith(f"New referral\n{referral.ref}") for t in zhou.texts)
        # Zhou completes the training; from then on he may be offered it.
        await w.cli("skills", str(zhou.chat_id), "--set", "appropriate_adult")
        await zhou.send("/available")
        await zhou.tap("✅ Accept")
        w.clock.advance(timedelta(minutes=2))
        await zhou.tap("🚶 On my way")
        await zhou.tap("15 min")
        assert s.officer.last.plain.splitlines()[1:] == [
            "Zhou Min set off at 2026-11-26 10:02. Expected at 2026-11-26 10:17. "
            "Arrival target: 2026-11-26 10:30",
            "Questioning waits until the appropriate adult is there.",
        ]
        w.clock.advance(timedelta(minutes=21))
        await zhou.tap("📍 Arrived")
        assert s.officer.last.plain.splitlines()[1] == (
            "Zhou Min arrived at 2026-11-26 10:23, 23 min after accepting."
        )
        assert "📍 Arrived" not in zhou.last.button_labels()


async def test_first_contact_reminders_go_to_the_worker_then_the_coordinator(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        coordinator = await enrol(
            w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw"
        )
        await file(w, draft("family_dispute", urgency=Urgency.URGENT))  # target 2 h
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")
        w.clock.advance(timedelta(hours=1, minutes=59))
        await remind(w)
        assert not any(t.startswith("⏰") for t in li.texts)
        w.clock.advance(timedelta(minutes=1))
        await remind(w)
        await remind(w)  # once, not twice
        assert sum(t.startswith("⏰") for t in li.texts) == 1
        assert "First contact is due." in li.last.plain
        w.clock.advance(timedelta(hours=2))
        await remind(w)
        assert any("has not yet marked first contact" in t for t in coordinator.texts)
        await li.tap("✔ First contact made")
        w.clock.advance(timedelta(days=7))
        await remind(w)
        assert "No update for 7 days." in li.last.plain
        await remind(w)
        assert sum("No update for 7 days." in t for t in li.texts) == 1


async def test_away_for_two_hours_then_back_without_a_word(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        await li.send("/away 2h")
        assert li.last.plain == ("You are away until 2026-11-26 12:00. No new offers until then.")
        first = await file(w, draft("family_dispute"))
        assert not any(t.startswith(f"New referral\n{first.ref}") for t in li.texts)
        w.clock.advance(timedelta(hours=2, minutes=1))
        second = await file(w, draft("family_dispute"))
        assert any(t.startswith(f"New referral\n{second.ref}") for t in li.texts)
        await li.send("/away soon")
        assert li.last.plain.startswith("Sorry, I did not understand “soon”. For example: /away 2h")


async def test_the_evening_warning_names_tonights_uncovered_hours(config_path: Path) -> None:
    async with world(config_path) as w:  # no rota imported and nobody /available
        await station(w, {"Li Na": ()}, away=("Li Na",))
        chen = await enrol(w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw")
        await cover.evening(w.services)
        await w.settle()
        assert chen.last.plain.splitlines() == [
            "⚠️ Tonight's cover has gaps. Please arrange cover (/cover) while there is time:",
            "Xuhui Social Work Station: nobody on duty, 18:00 to 08:00",
            "no coordinator on duty, 18:00 to 08:00",
        ]


async def test_the_evening_warning_finds_a_gap_in_the_rota(
    config_path: Path, tmp_path: Path
) -> None:
    async with world(config_path) as w:
        # Both said /available, but where a team has a rota, the rota decides.
        s = await station(w, {"Li Na": (), "Zhou Min": ()})
        chen = await enrol(w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw")
        li, zhou = s.workers["Li Na"].chat_id, s.workers["Zhou Min"].chat_id
        rota = tmp_path / "rota.csv"
        rota.write_text(
            "team,role,days,hours,telegram_id\n"
            f"xuhui-sw,social_worker,daily,18:00-02:30,{li}\n"
            f"xuhui-sw,social_worker,daily,03:15-08:00,{zhou}\n"
            ",coordinator,daily,18:00-08:00,300\n",
            encoding="utf-8",
        )
        status, _, err = await w.cli("rota", "import", str(rota))
        assert status == 0, err
        await cover.evening(w.services)
        await w.settle()
        assert chen.last.plain.splitlines()[1:] == [
            "Xuhui Social Work Station: nobody on duty, 02:30 to 03:15"
        ]
