"""A night at the station: nobody accepts, and the referral climbs the levels on time.

The clock is fake: the engine's tick is called at the moments the test chooses, so a
whole night runs in milliseconds and every step's time is asserted.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.domain.referral import Status, Urgency
from bot.engine import escalation
from bot.sandbox import FakeTelegram, Phone
from bot.sandbox.world import World, world
from bot.services import handover
from bot.services import referrals as referral_service
from storage import audit
from tests.stories import draft, enrol, file, station

THURSDAY_2340 = datetime(2026, 11, 26, 15, 40, tzinfo=UTC)  # 23:40 in Shanghai
THURSDAY_2200 = datetime(2026, 11, 26, 14, 0, tzinfo=UTC)  # 22:00 in Shanghai


async def tick(w: World) -> None:
    """One engine round, delivered the way the running bot's job delivers it."""
    await escalation.tick(w.services)
    await w.settle()


def offers_seen(phone: Phone, ref: str) -> int:
    return sum(t.startswith(f"New referral\n{ref}") for t in phone.texts)


def escalation_cards(phone: Phone) -> int:
    """Escalation cards received, including those since edited to say who took it."""
    return sum("⏫" in m.plain or any("⏫" in old for old in m.history) for m in phone.bot_messages)


async def coordinators(w: World) -> tuple[Phone, Phone]:
    chen = await enrol(w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw")
    await chen.send("/available")
    boss = await enrol(w, 301, "Night Boss", "--role", "coordinator")  # all stations, off duty
    return chen, boss


async def test_a_referral_nobody_accepts_climbs_every_level_on_time(config_path: Path) -> None:
    clock = FakeClock(THURSDAY_2340)
    async with world(config_path, clock=clock) as w:
        s = await station(w, {"Li Na": ("domestic_violence",), "Zhou Min": ()})
        chen, boss = await coordinators(w)
        li, zhou = s.workers["Li Na"], s.workers["Zhou Min"]
        referral = await file(w, draft("domestic_violence", urgency=Urgency.URGENT))
        ref = referral.ref  # urgent: 15 / 30 / 60 minutes, then every 15
        assert offers_seen(li, ref) == 1 and offers_seen(zhou, ref) == 0

        clock.advance(timedelta(minutes=14))
        await tick(w)
        assert offers_seen(zhou, ref) == 0  # not yet
        clock.advance(timedelta(minutes=1))  # 23:55: level 1, the whole team
        await tick(w)
        assert offers_seen(zhou, ref) == 1
        assert s.officer.last.plain.endswith("now offered to more social workers.")

        clock.advance(timedelta(minutes=29))
        await tick(w)
        assert escalation_cards(chen) == 0  # not yet
        clock.advance(timedelta(minutes=1))  # 00:25: level 2, the coordinator on duty
        await tick(w)
        assert chen.last.plain.startswith("⏫ Nobody has accepted this referral yet")
        assert "Waiting for 45 min." in chen.last.plain
        assert escalation_cards(boss) == 0
        assert s.officer.last.plain.endswith("the coordinator on duty has been alerted.")

        clock.advance(timedelta(minutes=59))
        await tick(w)
        assert escalation_cards(boss) == 0  # not yet
        clock.advance(timedelta(minutes=1))  # 01:25: level 3, every coordinator
        await tick(w)
        assert boss.last.plain.startswith("⏫ Nobody has accepted")
        assert s.officer.last.plain.endswith("all coordinators have been alerted.")
        clock.advance(timedelta(minutes=15))  # 01:40: level 3 again
        await tick(w)
        assert escalation_cards(boss) == 2

        await chen.tap("👥 Assign to…")
        await chen.tap("Zhou Min · on duty · 0/4 open")
        assert zhou.last.plain.startswith(
            "👤 Coordinator Coord Chen asks you to take this referral."
        )
        assert s.officer.last.plain.endswith(
            "Assigned to Zhou Min by coordinator Coord Chen, waiting for confirmation. "
            "You will hear when they confirm."
        )
        await zhou.tap("✅ I take it")
        assert "Coordinator Coord Chen assigned this referral to you." in zhou.texts
        assert any(t.startswith("🔒") for t in zhou.texts)
        assert s.officer.last.plain.endswith(
            "Zhou Min confirmed and takes it (assigned by coordinator Coord Chen). "
            "Tap the name to write to them."
        )
        assert any(m.plain.endswith("Assigned by Coord Chen to Zhou Min.") for m in li.bot_messages)
        clock.advance(timedelta(hours=2))
        await tick(w)
        assert escalation_cards(boss) == 2
        now = await referral_service.get(w.services, referral.id)
        assert now is not None and now.status is Status.ACCEPTED and now.assignee_id is not None
        steps = await audit.entries(w.services.db.reader, action="referral.escalation_step")
        assert [e.subject for e in steps] == [ref] * 4  # 23:55, 00:25, 01:25, 01:40: once each
        assert len({e.detail for e in steps}) == 4


async def test_a_routine_referral_at_night_waits_for_the_morning_shift(config_path: Path) -> None:
    clock = FakeClock(THURSDAY_2200)
    async with world(config_path, clock=clock) as w:
        s = await station(w, {"Li Na": ()})
        referral = await file(w, draft("neighbour_dispute", urgency=Urgency.ROUTINE))
        assert "outside the team's service hours" in s.officer.last.plain
        assert "2026-11-27 09:00" in s.officer.last.plain
        morning = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)  # Friday 09:00 in Shanghai
        while clock.now() + timedelta(hours=1) < morning:  # the night passes: nothing offered
            clock.advance(timedelta(hours=1))
            await tick(w)
            assert offers_seen(s.workers["Li Na"], referral.ref) == 0
        clock.advance(morning - clock.now())
        await tick(w)
        assert offers_seen(s.workers["Li Na"], referral.ref) == 1
        assert "Sent to 1 social worker." in s.officer.last.plain


async def test_domestic_violence_is_never_held(config_path: Path) -> None:
    clock = FakeClock(THURSDAY_2200)
    async with world(config_path, clock=clock) as w:
        s = await station(w, {"Li Na": ()})
        referral = await file(w, draft("domestic_violence", urgency=Urgency.ROUTINE))
        assert offers_seen(s.workers["Li Na"], referral.ref) == 1


async def test_a_level_with_nobody_is_skipped_at_once(config_path: Path) -> None:
    clock = FakeClock(THURSDAY_2340)
    async with world(config_path, clock=clock) as w:
        s = await station(w, {"Li Na": ()}, away=("Li Na",))
        chen, _ = await coordinators(w)
        referral = await file(w, draft("mental_health", urgency=Urgency.IMMEDIATE))
        assert chen.last.plain.startswith("⏫ Nobody has accepted")
        assert "No social worker could be offered it." in chen.last.plain
        await chen.tap("🙋 Take it myself")
        assert any(t.startswith(f"🔒 {referral.ref}") for t in chen.texts)
        assert s.officer.last.plain.endswith(
            "Accepted by Coord Chen. Tap the name to write to them."
        )


async def test_a_restart_in_the_night_loses_no_step_and_doubles_none(config_path: Path) -> None:
    clock = FakeClock(THURSDAY_2340)
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        s = await station(w, {"Li Na": ("domestic_violence",), "Zhou Min": ()})
        chen, _ = await coordinators(w)
        referral = await file(w, draft("domestic_violence", urgency=Urgency.URGENT))
    clock.advance(timedelta(minutes=20))  # the bot was down when level 1 fell due
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await tick(w)
        await tick(w)
        assert offers_seen(s.workers["Zhou Min"], referral.ref) == 1
        assert s.officer.last.plain.endswith("⏱ This step is 5 min late: the bot was offline.")
    clock.advance(timedelta(minutes=30))
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await tick(w)
        await tick(w)
        assert escalation_cards(chen) == 1
        escalated = [t for t in s.officer.texts if "Nobody has accepted yet" in t]
        assert len(escalated) == 2


async def test_back_from_assign_draws_the_late_card_as_it_was(config_path: Path) -> None:
    """A card that came late says so; "Assign to…" then "⬅ Back" draws it again, and the
    coordinator still reads how late it came (it was lost on the way back once)."""
    clock = FakeClock(THURSDAY_2340)
    async with world(config_path, clock=clock) as w:
        await station(w, {"Li Na": ("domestic_violence",), "Zhou Min": ()})
        chen, _ = await coordinators(w)
        referral = await file(w, draft("domestic_violence", urgency=Urgency.URGENT))
        clock.advance(timedelta(minutes=15))  # level 1, on time
        await tick(w)
        clock.advance(timedelta(minutes=37))  # level 2 was due after 30: the bot was down
        await tick(w)
        card = chen.last
        assert card.plain.startswith("⏫ Nobody has accepted this referral yet")
        assert card.plain.endswith("⏱ This step is 7 min late: the bot was offline.")
        before, buttons = card.plain, card.button_labels()

        await chen.tap("👥 Assign to…")
        assert card.plain == f"Assign {referral.ref} to:"
        await chen.tap("⬅ Back")
        assert card.plain == before  # the late line too, not only the card's body
        assert card.button_labels() == buttons


async def test_the_morning_handover_lists_the_night(config_path: Path) -> None:
    clock = FakeClock(THURSDAY_2200)
    async with world(config_path, clock=clock) as w:
        s = await station(w, {"Li Na": ("domestic_violence",)})
        chen, boss = await coordinators(w)
        held = await file(w, draft("neighbour_dispute", urgency=Urgency.ROUTINE))
        clock.advance(timedelta(minutes=100))  # 23:40
        urgent = await file(w, draft("domestic_violence", urgency=Urgency.URGENT))
        clock.advance(timedelta(minutes=12))
        await s.workers["Li Na"].tap("✅ Accept")
        clock.advance(datetime(2026, 11, 27, 0, 0, tzinfo=UTC) - clock.now())  # 08:00 local
        await handover.morning(w.services)
        await w.settle()
        for phone in (chen, boss):
            lines = phone.last.plain.splitlines()
            assert lines[0] == ("☀️ Morning handover: 2 referrals since 2026-11-26 18:00.")
            assert lines[1] == (
                f"{held.ref} · Neighbour dispute · Routine — "
                "waiting for the shift at 2026-11-27 09:00"
            )
            assert lines[2] == (
                f"{urgent.ref} · Domestic violence · Urgent — accepted by Li Na after 12 min"
            )
            assert "Canary" not in phone.last.plain


async def test_a_coordinator_holds_a_routine_referral_and_sees_the_officer(
    config_path: Path,
) -> None:
    clock = FakeClock(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))  # Thursday 17:00 local
    async with world(config_path, clock=clock) as w:
        s = await station(w, {"Li Na": ()}, away=("Li Na",))
        chen, _ = await coordinators(w)
        referral = await file(w, draft("neighbour_dispute", urgency=Urgency.ROUTINE))
        assert chen.last.plain.startswith("⏫ Nobody has accepted")
        await chen.tap("☎️ Show officer contact")
        assert chen.last.plain.splitlines()[1:] == [
            "Officer: Officer Wang",
            "Tianping Road Station",
        ]
        await chen.tap("⏸ Hold until morning")
        await chen.send("Noise has stopped; the neighbours meet the worker tomorrow.")
        assert s.officer.last.plain.endswith(
            "Coordinator Coord Chen decided this can wait for the team's next shift "
            "(2026-11-27 09:00). "
            "Reason: Noise has stopped; the neighbours meet the worker tomorrow."
        )
        clock.advance(timedelta(hours=15, minutes=59))  # Friday 08:59
        await tick(w)
        assert offers_seen(s.workers["Li Na"], referral.ref) == 0  # held: nothing at night
        await s.workers["Li Na"].send("/available")
        assert offers_seen(s.workers["Li Na"], referral.ref) == 1  # what waits is offered
        clock.advance(timedelta(minutes=1))  # 09:00: the hold ends and level 0 starts again
        await tick(w)
        held = await referral_service.get(w.services, referral.id)
        assert held is not None and not held.held and held.level == 0


async def test_a_night_on_an_imported_rota(config_path: Path, tmp_path: Path) -> None:
    """The team's night cover and the coordinators' rota come from the CSV file."""
    clock = FakeClock(THURSDAY_2340)
    async with world(config_path, clock=clock) as w:
        s = await station(w, {"Day Li": (), "Night Zhou": ()}, away=("Day Li", "Night Zhou"))
        chen, boss = await coordinators(w)
        day, night = s.workers["Day Li"], s.workers["Night Zhou"]
        path = tmp_path / "rota.csv"
        path.write_text(
            "team,role,days,hours,telegram_id\n"
            f"xuhui-sw,social_worker,mon-fri,09:00-18:00,{day.chat_id}\n"
            f"xuhui-sw,social_worker,daily,22:00-08:00,{night.chat_id}\n"
            f",coordinator,daily,18:00-08:00,{boss.chat_id}\n",
            encoding="utf-8",
        )
        status, _, err = await w.cli("rota", "import", str(path))
        assert status == 0, err
        referral = await file(w, draft("domestic_violence", urgency=Urgency.URGENT))
        assert offers_seen(night, referral.ref) == 1 and offers_seen(day, referral.ref) == 0
        clock.advance(timedelta(minutes=45))  # levels 1 (nobody new) and 2: the rota's coordinator
        await tick(w)
        await tick(w)
        assert escalation_cards(boss) == 1  # on the coordinators' rota tonight
        assert escalation_cards(chen) == 0  # /available, but the rota decides


async def test_the_officer_hears_once_that_all_coordinators_were_alerted(
    config_path: Path,
) -> None:
    """The last level repeats for the coordinators; the officer is told at its first
    round only, also when a restart falls between the round and its repeats."""
    clock = FakeClock(THURSDAY_2340)
    telegram = FakeTelegram(clock=clock.now)
    all_alerted = "Nobody has accepted yet: all coordinators have been alerted."
    async with world(config_path, clock=clock, telegram=telegram) as w:
        s = await station(w, {"Li Na": ()}, away=("Li Na",))
        _, boss = await coordinators(w)
        await file(w, draft("domestic_violence", urgency=Urgency.URGENT))
        clock.advance(timedelta(minutes=60))  # level 2 was told at filing; now level 3
        await tick(w)
        assert escalation_cards(boss) == 1
        assert sum(t.endswith(all_alerted) for t in s.officer.texts) == 1
    clock.advance(timedelta(minutes=15))  # the bot restarts; the first repeat falls due
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await tick(w)
        clock.advance(timedelta(minutes=15))  # and the second
        await tick(w)
        assert escalation_cards(boss) == 3  # the coordinators are reminded each round
        assert sum(t.endswith(all_alerted) for t in s.officer.texts) == 1  # the officer once
