"""Day-scale follow-ups keep the working day: a crisis follow-up, a linkage's "did the
service happen?" and a plan review, with their reminders and the coordinators'
notices, wait out the quiet hours (22:00–08:00 in Shanghai); linkages and reviews
fall due at 09:00 on their day; and a crisis follow-up long past (weeks of open cases
the day this ships, or a long outage) is not asked at all. Across restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.domain.referral import Safety, Urgency
from bot.engine import reminders
from bot.sandbox import FakeTelegram, Phone
from bot.sandbox.world import World, world
from tests.stories import Station, close_case, draft, enrol, file, station
from tests.test_case_endings import chen_and_boss

THURSDAY_1000 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
PROMPT_24 = "24 hours since first contact: follow up with the person"
REMINDER_24 = "The follow-up due 24 hours after first contact is not marked yet."
TOLD = "has not marked the crisis follow-up"
ASKED = "Did the service happen?"
LINKAGE_REMINDER = "Not answered yet: you linked the person to"
LINKAGE_TOLD = "has not said whether the service happened"
REVIEW = "The plan's review date has come."
REVIEW_TOLD = "has not marked the plan review"
DEBRIEF_WAITING = "Li Na asked for a debrief after this case and nobody has marked it"


async def remind(w: World) -> None:
    await reminders.tick(w.services)
    await reminders.tick(w.services)  # once, not twice
    await w.settle()


def seen(phone: Phone, text: str) -> int:
    return sum(text in t for t in phone.texts)


def shanghai(w: World) -> str:
    return w.clock.now().astimezone(w.services.config.zone).strftime("%a %H:%M")


async def crisis_case(w: World) -> tuple[Station, Phone]:
    s = await station(w, {"Li Na": ("domestic_violence",)})
    coordinator = await enrol(w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw")
    await file(w, draft("domestic_violence", urgency=Urgency.URGENT))
    await s.workers["Li Na"].tap("✅ Accept")
    return s, coordinator


async def test_the_day_this_ships_a_case_contacted_weeks_ago_is_not_asked(
    config_path: Path,
) -> None:
    clock = FakeClock(THURSDAY_1000)
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        s, coordinator = await crisis_case(w)
        li = s.workers["Li Na"]
        await li.tap("✔ First contact made")
    clock.advance(timedelta(days=30))  # weeks open, then follow-ups (or the bot) start
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await remind(w)
        for _ in range(3):  # the hours a reminder and the coordinators would follow
            clock.advance(timedelta(hours=8))
            await remind(w)
        assert seen(li, "since first contact: follow up") == 0
        assert seen(li, "is not marked yet") == 0
        assert seen(coordinator, TOLD) == 0


async def test_a_worker_asked_late_after_a_short_outage_is_still_asked(
    config_path: Path,
) -> None:
    clock = FakeClock(THURSDAY_1000)
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        s, _ = await crisis_case(w)
        li = s.workers["Li Na"]
        await li.tap("✔ First contact made")
    clock.advance(timedelta(hours=25))  # down from before the 24 hours until an hour after
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await remind(w)
        assert seen(li, PROMPT_24) == 1


async def test_a_first_contact_at_half_past_ten_at_night_is_followed_up_at_eight(
    config_path: Path,
) -> None:
    clock = FakeClock(THURSDAY_1000)
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        s, coordinator = await crisis_case(w)
        li = s.workers["Li Na"]
        clock.advance(timedelta(hours=12, minutes=30))
        await li.tap("✔ First contact made")  # Thursday 22:30
        clock.advance(timedelta(hours=24))
        assert shanghai(w) == "Fri 22:30"
        await remind(w)
        assert seen(li, PROMPT_24) == 0
    clock.advance(timedelta(hours=9, minutes=29))  # restarted in the night
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await remind(w)
        assert seen(li, PROMPT_24) == 0
        clock.advance(timedelta(minutes=1))
        assert shanghai(w) == "Sat 08:00"
        await remind(w)
        assert seen(li, PROMPT_24) == 1
        clock.advance(timedelta(hours=4))
        await remind(w)
        assert seen(li, REMINDER_24) == 1
        assert seen(coordinator, TOLD) == 0
        clock.advance(timedelta(hours=4))
        await remind(w)
        assert seen(coordinator, TOLD) == 1


async def test_a_reminder_due_at_night_waits_and_the_coordinator_hears_after_it(
    config_path: Path,
) -> None:
    clock = FakeClock(THURSDAY_1000)
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        s, coordinator = await crisis_case(w)
        li = s.workers["Li Na"]
        clock.advance(timedelta(hours=9))
        await li.tap("✔ First contact made")  # Thursday 19:00
        clock.advance(timedelta(hours=24))
        await remind(w)
        assert seen(li, PROMPT_24) == 1  # Friday 19:00: the evening still rings
        clock.advance(timedelta(hours=4))
        await remind(w)  # 23:00: the reminder waits
        assert seen(li, REMINDER_24) == 0
    clock.advance(timedelta(hours=4))  # the bot restarts at 03:00
    async with world(config_path, clock=clock, telegram=telegram) as w:
        assert shanghai(w) == "Sat 03:00"
        await remind(w)
        assert seen(li, REMINDER_24) == 0
        assert seen(coordinator, TOLD) == 0
        clock.advance(timedelta(hours=5))
        await remind(w)
        assert seen(li, REMINDER_24) == 1
        assert seen(coordinator, TOLD) == 0  # the worker has their morning first
        clock.advance(timedelta(hours=4))
        await remind(w)
        assert shanghai(w) == "Sat 12:00"
        assert seen(coordinator, TOLD) == 1


async def test_a_linkage_recorded_late_at_night_is_asked_at_nine_on_its_day(
    config_path: Path,
) -> None:
    clock = FakeClock(THURSDAY_1000)
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        s = await station(w, {"Li Na": ()})
        coordinator = await enrol(
            w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw"
        )
        await file(w, draft("family_dispute"))
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")
        clock.advance(timedelta(hours=13, minutes=10))
        assert shanghai(w) == "Thu 23:10"
        await li.tap("Close case")
        await li.tap("Linked to a resource")
        await li.tap("Legal")
        await li.send("Xuhui Legal Aid Centre")
        clock.advance(timedelta(days=13, hours=9, minutes=49))
        assert shanghai(w) == "Thu 08:59"  # day 14
        await remind(w)
        assert seen(li, ASKED) == 0
    clock.advance(timedelta(minutes=1))
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await remind(w)
        assert seen(li, ASKED) == 1
        clock.advance(timedelta(hours=24))
        await remind(w)
        assert seen(li, LINKAGE_REMINDER) == 1
        assert seen(coordinator, LINKAGE_TOLD) == 0
        clock.advance(timedelta(hours=24))
        await remind(w)
        assert shanghai(w) == "Sat 09:00"
        assert seen(coordinator, LINKAGE_TOLD) == 1


async def test_a_review_set_late_at_night_is_reminded_at_nine_on_its_day(
    config_path: Path,
) -> None:
    clock = FakeClock(THURSDAY_1000)
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        s = await station(w, {"Li Na": ()})
        coordinator = await enrol(
            w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw"
        )
        await file(w, draft("family_dispute"))
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")
        await li.tap("✔ First contact made")
        await li.tap("✔ Assessment started")
        await li.tap("✔ Plan agreed")
        clock.advance(timedelta(hours=13, minutes=10))
        await li.tap("📅 Review date")
        await li.tap("In 7 days")  # Thursday 23:10
        clock.advance(timedelta(days=6, hours=9, minutes=49))
        assert shanghai(w) == "Thu 08:59"
        await remind(w)
        assert seen(li, REVIEW) == 0
    clock.advance(timedelta(minutes=1))
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await remind(w)
        assert seen(li, REVIEW) == 1
        clock.advance(timedelta(days=2))
        await remind(w)
        assert seen(coordinator, REVIEW_TOLD) == 1


async def test_a_debrief_asked_for_late_at_night_reminds_the_coordinator_at_eight(
    config_path: Path,
) -> None:
    clock = FakeClock(THURSDAY_1000)
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        chen, _ = await chen_and_boss(w)
        await chen.send("/available")
        await file(w, draft("family_dispute", safety={Safety.SELF_HARM}, urgency=None))
        await li.tap("✅ Accept")
        clock.advance(timedelta(hours=13))
        await close_case(li)
        await li.tap("🫂 Ask for a debrief")  # Thursday 23:00
        await w.settle()
        clock.advance(timedelta(hours=24))
        await remind(w)
        assert seen(chen, DEBRIEF_WAITING) == 0
    clock.advance(timedelta(hours=8, minutes=59))  # restarted at 07:59
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await remind(w)
        assert seen(chen, DEBRIEF_WAITING) == 0
        clock.advance(timedelta(minutes=1))
        assert shanghai(w) == "Sat 08:00"
        await remind(w)
        assert seen(chen, DEBRIEF_WAITING) == 1
