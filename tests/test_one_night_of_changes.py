"""One night across the seams: an assignment that waits, a handover, the arrival clock.

An officer, two workers and two coordinators on the fake clock. A co-response is filed
at 23:30 and nobody accepts it; the coordinator on duty assigns Li Na, who is away
(asked once more); Li does not confirm, so the referral escalates on time to every
coordinator (the bot restarts meanwhile); then she confirms and sets off. She hands the
case to Zhou Min, who takes it over: the arrival clock starts again for him, reminds him
(not Li) when his target passes, then the coordinator. Zhou arrives, the officer says
the police may leave, and deactivating Li afterwards changes nothing for the case. Every
message the officer reads says who holds the case at that moment.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.domain.referral import Safety, Urgency
from bot.sandbox import FakeTelegram, Phone
from bot.sandbox.world import World, world
from bot.services import handover
from tests.stories import draft, enrol, file, station
from tests.test_arrival import remind, reminders_seen
from tests.test_escalation import escalation_cards, tick
from tests.test_holder_changes import case_card

THURSDAY_2330 = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai


async def until(w: World, seen: object, *, step: int = 1, limit: int = 120) -> int:
    """Run the engine minute by minute until ``seen()`` holds; the minutes it took."""
    for minute in range(limit):
        if seen():  # type: ignore[operator]
            return minute
        w.clock.advance(timedelta(minutes=step))
        await tick(w)
    raise AssertionError("it never happened")


def officer_says(officer: Phone, since: int) -> list[str]:
    return [m.plain for m in officer.bot_messages[since:]]


async def test_one_night_an_assignment_a_handover_and_the_arrival_clock(
    config_path: Path,
) -> None:
    clock = FakeClock(THURSDAY_2330)
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        s = await station(w, {"Li Na": ("domestic_violence",), "Zhou Min": ("domestic_violence",)})
        li, zhou, officer = s.workers["Li Na"], s.workers["Zhou Min"], s.officer
        await li.send("/away")
        chen = await enrol(w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw")
        await chen.send("/available")
        boss = await enrol(w, 301, "Night Boss", "--role", "coordinator")
        referral = await file(
            w,
            draft(
                "domestic_violence",
                safety=frozenset({Safety.DANGER_TO_LIFE}),
                urgency=Urgency.IMMEDIATE,
            ),
        )
        assert zhou.last.button("✅ Accept")  # offered to Zhou; he does not answer
        await until(w, lambda: escalation_cards(chen) == 1)
        assert escalation_cards(boss) == 0

        # Chen assigns Li, who is away: asked once more.
        await chen.tap("👥 Assign to…")
        await chen.tap(next(b for b in chen.last.button_labels() if b.startswith("Li Na")))
        assert "Li Na is away or off duty." in chen.last.plain
        await chen.tap("Assign anyway")
        assigned_at = w.clock.now()
        assert li.last.button_labels() == ["✅ I take it", "✋ I can't"]
        assert officer.last.plain.endswith(
            "Assigned to Li Na by coordinator Coord Chen, waiting for confirmation. "
            "You will hear when they confirm."
        )
        await li.send("/mine")
        assert any(
            t.startswith(f"Waiting for your answer:\n{referral.ref}")
            and t.endswith(
                "Coord Chen assigned it to you: answer on its card (✅ I take it / ✋ I can't)."
            )
            for t in li.texts
        )
        # Li does not confirm: the clock runs on at the urgency's pace.
        waited = await until(w, lambda: escalation_cards(boss) == 1)
        assert 0 < waited <= 15  # on time (the immediate plan's last step)
        assert "⏳ Waiting for Li Na to confirm." in boss.last.plain
        assert w.clock.now() - assigned_at <= timedelta(minutes=15)
        heard_so_far = len(officer.bot_messages)

    # The bot restarts in the middle of the night; nothing is lost.
    clock.advance(timedelta(minutes=2))
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await tick(w)
        await li.tap("✅ I take it")
        assert officer.last.plain.endswith(
            "Li Na confirmed and takes it (assigned by coordinator Coord Chen). "
            "Tap the name to write to them."
        )
        card = case_card(li)
        await li.tap("🚶 On my way", message=card)
        await li.tap("30 min", message=card)
        assert officer.last.plain.splitlines()[1].startswith("Li Na set off at")

        # Li hands the case to Zhou, who takes it over.
        clock.advance(timedelta(minutes=10))
        await li.tap("🤝 Hand over", message=case_card(li))
        await li.tap(next(b for b in li.last.button_labels() if b.startswith("Zhou Min")))
        await li.send("My child is ill; Zhou lives near the scene")
        await zhou.send("/mine")
        assert any(
            t.endswith(
                "Li Na asks you to take it over: answer on its card (✅ I take it over / I can't)."
            )
            for t in zhou.texts
        )
        await zhou.tap("✅ I take it over")
        taken_at = clock.now()
        target = taken_at + timedelta(minutes=30)
        local = (target + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
        assert officer.last.plain.endswith(
            f"{referral.ref} is now with Zhou Min. Tap the name to write to them.\n"
            f"The arrival clock starts again for Zhou Min: arrival target {local}."
        )
        card = case_card(zhou)
        assert f"Arrival target: {local}" in card.plain
        assert "On the way" not in card.plain  # Li's trip is not his
        assert "🚶 On my way" in card.button_labels()

        # His target passes: Zhou is reminded, not Li; then the coordinator.
        li_seen = len(li.bot_messages)
        clock.advance(timedelta(minutes=30))
        await remind(w)
        assert reminders_seen(zhou, "The arrival target") == 1
        assert len(li.bot_messages) == li_seen
        assert reminders_seen(chen, "is not there yet") == 0
        clock.advance(timedelta(minutes=w.services.config.arrival.coordinator_after))
        await remind(w)
        overdue = [t for t in chen.texts if "is not there yet" in t]
        assert len(overdue) == 1 and "Zhou Min accepted this at" in overdue[0]
        assert "Li Na" not in overdue[0]

        # Zhou arrives; the officer lets the police go.
        await zhou.tap("📍 Arrived", message=case_card(zhou))
        scene = officer.last
        assert scene.plain.splitlines()[1].startswith("Zhou Min arrived at")
        await officer.tap("🚓 Police may leave now", message=scene)
        now = clock.now() + timedelta(hours=8)  # Shanghai
        assert zhou.last.plain.endswith(
            f"the police may leave the scene now ({now:%Y-%m-%d %H:%M})."
        )

        # Deactivating Li afterwards changes nothing for the case.
        officer_seen, chen_seen = len(officer.bot_messages), len(chen.bot_messages)
        zhou_card = case_card(zhou).plain
        status, _, err = await w.cli("deactivate", str(li.chat_id))
        assert status == 0, err
        await w.settle()
        assert len(officer.bot_messages) == officer_seen
        assert len(chen.bot_messages) == chen_seen
        assert case_card(zhou).plain == zhou_card

        # Every message the officer read after the restart named the holder of that moment.
        told = officer_says(officer, heard_so_far)
        handed = next(i for i, t in enumerate(told) if "is now with Zhou Min" in t)
        assert all("Li Na" in t for t in told[:handed])  # she held it: confirmed, set off
        assert not any("Li Na" in t for t in told[handed:])  # and then never again
        assert sum("is now with Zhou Min" in t for t in told) == 1

        # The morning handover says who holds it and from whom.
        clock.advance(datetime(2026, 11, 27, 0, 0, tzinfo=UTC) - clock.now())  # 08:00
        await handover.morning(w.services)
        await w.settle()
        assert any(
            line.startswith(referral.ref) and line.endswith("with Zhou Min (taken over from Li Na)")
            for line in chen.last.plain.splitlines()
        )
