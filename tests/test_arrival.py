"""A worker at the scene: On my way (with an estimate), Arrived, the officer's word, and
the arrival clock that reminds the worker and then the coordinator.

Played through the real bot on the fake clock (10:00 in Shanghai unless a test says
otherwise); a restart is a new world on the same config file and database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.domain.referral import Guardian, Questioning, Safety, Urgency
from bot.engine import reminders
from bot.sandbox import FakeTelegram, Phone
from bot.sandbox.world import World, world
from handlers import callbacks
from tests.stories import draft, enrol, file, station

THURSDAY_2300 = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai


async def remind(w: World) -> None:
    await reminders.tick(w.services)
    await w.settle()


async def coordinator(w: World) -> Phone:
    chen = await enrol(w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw")
    await chen.send("/available")
    return chen


def reminders_seen(phone: Phone, words: str) -> int:
    return sum(words in t for t in phone.texts)


async def test_a_co_response_worker_sets_off_arrives_and_hears_the_officer(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ("domestic_violence",)})
        li, officer = s.workers["Li Na"], s.officer
        referral = await file(
            w,
            draft(
                "domestic_violence",
                safety=frozenset({Safety.WEAPON_OR_INJURY}),
                urgency=Urgency.IMMEDIATE,
            ),
        )
        await li.tap("✅ Accept")
        card = li.last
        assert "Arrival target: 2026-11-26 10:30" in card.plain  # immediate: 30 min
        w.clock.advance(timedelta(minutes=2))
        await li.tap("🚶 On my way", message=card)
        assert card.plain.endswith("When will you be there? The officer sees the time.")
        assert card.button_labels() == ["15 min", "30 min", "60 min", "⬅ Back"]
        await li.tap("15 min", message=card)
        assert "On the way: 2026-11-26 10:02 (expected 2026-11-26 10:17)" in card.plain
        assert officer.last.plain.endswith(
            "Li Na set off at 2026-11-26 10:02. Expected at 2026-11-26 10:17. "
            "Arrival target: 2026-11-26 10:30"
        )
        assert card.button_labels()[0] == "📍 Arrived"  # On my way is kept once
        w.clock.advance(timedelta(minutes=14))
        await li.tap("📍 Arrived", message=card)
        assert "Arrived: 2026-11-26 10:16" in card.plain
        scene = officer.last
        assert scene.plain.splitlines()[1:] == [
            "Li Na arrived at 2026-11-26 10:16, 16 min after accepting.",
            "Can the police leave the scene now?",
        ]
        assert scene.button_labels() == ["🚓 Police may leave now", "We stay"]

        await officer.tap("We stay", message=scene)
        assert scene.plain.endswith("You said police stay: 2026-11-26 10:16")
        assert scene.button_labels() == ["🚓 Police may leave now"]
        assert li.last.plain.endswith(
            "🚓 Officer Wang says the police stay at the scene with you (2026-11-26 10:16)."
        )
        w.clock.advance(timedelta(minutes=20))
        await officer.tap("🚓 Police may leave now", message=scene)
        assert scene.plain.endswith("You said police may leave: 2026-11-26 10:36")
        assert scene.button_labels() == []
        assert li.last.plain.endswith(
            "🚓 Officer Wang says the police may leave the scene now (2026-11-26 10:36)."
        )
        # A second tap on an old button changes nothing and says so.
        answer = await officer.tap_data(
            callbacks.scene(referral.id, "l"), message_id=scene.message_id
        )
        assert answer.text == "Already recorded."


async def test_the_arrival_clock_reminds_the_worker_then_the_coordinator(
    config_path: Path,
) -> None:
    clock = FakeClock(THURSDAY_2300)
    async with world(config_path, clock=clock) as w:
        s = await station(w, {"Li Na": ("domestic_violence",)})
        chen = await coordinator(w)
        li = s.workers["Li Na"]
        await file(
            w,
            draft(
                "domestic_violence",
                safety=frozenset({Safety.DANGER_TO_LIFE}),
                urgency=Urgency.IMMEDIATE,
            ),
        )
        await li.tap("✅ Accept")
        clock.advance(timedelta(minutes=29))
        await remind(w)
        assert reminders_seen(li, "The arrival target") == 0
        clock.advance(timedelta(minutes=1))
        await remind(w)
        await remind(w)  # once, not twice
        assert reminders_seen(li, "The arrival target") == 1
        assert li.last.plain.endswith(
            "The arrival target (2026-11-26 23:30) has passed. Tap “📍 Arrived” once you "
            "are there; if you cannot come, tell the officer."
        )
        assert "📍 Arrived" in li.last.button_labels()
        assert reminders_seen(chen, "is not there yet") == 0
        clock.advance(timedelta(minutes=15))  # coordinator_after: 15 min
        await remind(w)
        await remind(w)
        assert reminders_seen(chen, "is not there yet") == 1
        assert chen.last.plain.endswith(
            "Li Na accepted this at 2026-11-26 23:00 and is not there yet: the arrival "
            "target (2026-11-26 23:30) has passed."
        )
        await li.tap("📍 Arrived")  # on the reminder: it becomes the case card again
        assert "Arrived: 2026-11-26 23:45" in li.last.plain
        seen = len(li.texts)
        clock.advance(timedelta(hours=2))
        await remind(w)
        assert not any("arrival target" in t for t in li.texts[seen:])  # the clock stopped


async def test_the_arrival_clock_keeps_time_across_a_restart(config_path: Path) -> None:
    """The bot is down when the target passes and when the coordinator is due: the first
    round after the restart reminds the worker, then tells the coordinator, once each."""
    clock = FakeClock(THURSDAY_2300)
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        s = await station(w, {"Li Na": ("domestic_violence",)})
        chen = await coordinator(w)
        li = s.workers["Li Na"]
        await file(
            w,
            draft(
                "domestic_violence",
                safety=frozenset({Safety.DANGER_TO_LIFE}),
                urgency=Urgency.IMMEDIATE,
            ),
        )
        await li.tap("✅ Accept")
        await li.tap("🚶 On my way")
        await li.tap("30 min")
    clock.advance(timedelta(minutes=50))  # down past the target and the coordinator's turn
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await remind(w)
        await remind(w)
        assert reminders_seen(li, "The arrival target (2026-11-26 23:30) has passed.") == 1
        assert reminders_seen(chen, "is not there yet") == 1
        assert chen.last.plain.endswith("On the way: 2026-11-26 23:00")
    clock.advance(timedelta(minutes=5))
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await remind(w)
        assert reminders_seen(li, "The arrival target") == 1
        assert reminders_seen(chen, "is not there yet") == 1


async def test_an_officer_asks_for_a_worker_at_the_scene_without_a_co_response(
    config_path: Path,
) -> None:
    """One tap on the urgency card; the urgency's own arrival target (urgent: 60 min).
    Without it, no clock runs and no On my way is offered."""
    async with world(config_path) as w:
        s = await station(w, {"Li Na": (), "Zhou Min": ()})
        li, zhou = s.workers["Li Na"], s.workers["Zhou Min"]
        await file(w, draft("neighbour_dispute", urgency=Urgency.URGENT, at_scene=True))
        assert "📍 The officer asks for a social worker at the scene." in li.last.plain
        await li.tap("✅ Accept")
        assert "Arrival target: 2026-11-26 11:00" in li.last.plain
        await file(w, draft("neighbour_dispute", urgency=Urgency.URGENT))
        await zhou.tap("✅ Accept")
        assert "🚶 On my way" not in zhou.last.button_labels()
        w.clock.advance(timedelta(minutes=60))
        await remind(w)
        assert reminders_seen(li, "The arrival target (2026-11-26 11:00)") == 1
        assert reminders_seen(zhou, "The arrival target") == 0


async def test_the_appropriate_adults_attendance_ends_with_questioning_ended(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Chen AA": ("appropriate_adult",)})
        chen_coord = await coordinator(w)
        adult, officer = s.workers["Chen AA"], s.officer
        await file(
            w,
            draft(
                "juvenile",
                appropriate_adult_now=True,
                urgency=Urgency.IMMEDIATE,
                questioning=Questioning.SUSPECT,
                guardian=Guardian.ABSENT,
            ),
        )
        request = "Request: Suspect (interrogation) · questioning now · Guardian absent"
        assert request in adult.last.plain  # on the offer, to decide with
        await adult.tap("✅ Accept")
        card = adult.last
        assert request in card.plain
        assert "Arrival target: 2026-11-26 10:30" in card.plain  # the adult's own: 30 min
        w.clock.advance(timedelta(minutes=3))
        await adult.tap("🚶 On my way", message=card)
        await adult.tap("30 min", message=card)
        assert officer.last.plain.endswith(
            "Questioning waits until the appropriate adult is there."
        )
        w.clock.advance(timedelta(minutes=20))
        await adult.tap("📍 Arrived", message=card)
        scene = officer.last
        assert scene.plain.splitlines()[1:] == [
            "Chen AA arrived at 2026-11-26 10:23, 23 min after accepting.",
            "The questioning may start. Tap “Questioning ended” when it is over.",
        ]
        assert card.button_labels()[0] == "⏹ Questioning ended"
        w.clock.advance(timedelta(minutes=47))
        await officer.tap("⏹ Questioning ended", message=scene)
        assert scene.plain.endswith("Questioning ended: 2026-11-26 11:10")
        times = [
            "Questioning ended at 2026-11-26 11:10 (marked by Officer Wang).",
            "Appropriate adult: Chen AA",
            "Requested: 2026-11-26 10:00",
            "Accepted: 2026-11-26 10:00",
            "On the way: 2026-11-26 10:03",
            "Arrived: 2026-11-26 10:23",
        ]
        for phone in (adult, chen_coord):
            assert phone.last.plain.splitlines()[1:] == times
        await adult.tap("⏹ Questioning ended", message=card)  # the adult's card, late
        assert sum("Questioning ended at" in t for t in officer.texts) == 0
        assert "⏹ Questioning ended" not in card.button_labels()


async def test_the_adult_ends_the_questioning_and_the_officer_hears_the_times(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Chen AA": ("appropriate_adult",)})
        adult, officer = s.workers["Chen AA"], s.officer
        await file(
            w,
            draft(
                "juvenile",
                appropriate_adult_now=True,
                urgency=Urgency.IMMEDIATE,
                questioning=Questioning.WITNESS,
                questioning_at=datetime(2026, 11, 26, 4, 0, tzinfo=UTC),  # 12:00 local
            ),
        )
        await adult.tap("✅ Accept")
        # The adult must be there before the questioning starts: its time is the target.
        assert "Arrival target: 2026-11-26 12:00" in adult.last.plain
        assert "questioning at 2026-11-26 12:00" in adult.last.plain
        w.clock.advance(timedelta(minutes=90))
        await adult.tap("📍 Arrived")
        w.clock.advance(timedelta(minutes=40))
        await adult.tap("⏹ Questioning ended")
        assert officer.last.plain.splitlines()[1] == (
            "Questioning ended at 2026-11-26 12:10 (marked by Chen AA)."
        )
        assert officer.last.plain.endswith("Arrived: 2026-11-26 11:30")
