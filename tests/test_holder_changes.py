"""A case that changes hands starts its clocks again for the new holder.

Where a handover, the arrival on scene and an acknowledged assignment meet: the new
holder's arrival and first-contact clocks run from when they got the case, their card
offers "On my way" again, they (not the old holder) are reminded, and the officer reads
who holds the case now and when the worker is expected.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.domain.referral import Safety, Urgency
from bot.sandbox.fake_telegram.seen import SeenMessage
from bot.sandbox.world import world
from tests.stories import draft, enrol, file, station
from tests.test_arrival import THURSDAY_2300, coordinator, remind, reminders_seen

CO_RESPONSE = {"safety": frozenset({Safety.DANGER_TO_LIFE}), "urgency": Urgency.IMMEDIATE}


def case_card(phone) -> SeenMessage:  # type: ignore[no-untyped-def]
    return next(m for m in reversed(phone.bot_messages) if m.button("🤝 Hand over"))


async def hand_to_zhou(li, zhou) -> None:  # type: ignore[no-untyped-def]
    await li.tap("🤝 Hand over", message=case_card(li))
    await li.tap(next(b for b in li.last.button_labels() if b.startswith("Zhou Min")))
    await li.send("My shift ends, Zhou is closer")
    await zhou.tap("✅ I take it over")


async def test_a_colleague_who_takes_over_can_say_on_my_way(config_path: Path) -> None:
    """Li Na set off (15 min), then handed the co-response to Zhou Min. Zhou is the one
    who has to travel now: his card offers "On my way" and shows his own clock, and the
    officer reads that the arrival clock starts again for him."""
    clock = FakeClock(THURSDAY_2300)
    async with world(config_path, clock=clock) as w:
        s = await station(w, {"Li Na": ("domestic_violence",), "Zhou Min": ("domestic_violence",)})
        li, zhou = s.workers["Li Na"], s.workers["Zhou Min"]
        await file(w, draft("domestic_violence", **CO_RESPONSE))
        await li.tap("✅ Accept")
        card = case_card(li)
        await li.tap("🚶 On my way", message=card)
        await li.tap("15 min", message=card)
        clock.advance(timedelta(minutes=5))
        await hand_to_zhou(li, zhou)
        card = case_card(zhou)
        assert "On the way:" not in card.plain  # Li's trip is not his
        assert "Arrival target: 2026-11-26 23:35" in card.plain  # 30 min from 23:05
        assert "🚶 On my way" in card.button_labels()
        assert "The arrival clock starts again for Zhou Min: arrival target 2026-11-26 23:35." in (
            s.officer.last.plain
        )
        await zhou.tap("🚶 On my way", message=card)
        await zhou.tap("15 min", message=card)
        assert "On the way: 2026-11-26 23:05 (expected 2026-11-26 23:20)" in case_card(zhou).plain
        assert "Zhou Min set off at 2026-11-26 23:05" in s.officer.last.plain


async def test_the_new_holder_is_reminded_before_the_coordinator_hears(
    config_path: Path,
) -> None:
    """Li Na was reminded at 23:30 and handed the co-response to Zhou Min at 23:31.
    Zhou's clock runs from 23:31: nobody hears at 23:46 (Li's old target plus the
    coordinator's delay); at 00:01 Zhou (not Li) is reminded, and 15 minutes later the
    coordinator reads that Zhou took it at 23:31 and is not there yet."""
    clock = FakeClock(THURSDAY_2300)
    async with world(config_path, clock=clock) as w:
        s = await station(w, {"Li Na": ("domestic_violence",), "Zhou Min": ("domestic_violence",)})
        chen = await coordinator(w)
        li, zhou = s.workers["Li Na"], s.workers["Zhou Min"]
        await file(w, draft("domestic_violence", **CO_RESPONSE))
        await li.tap("✅ Accept")
        clock.advance(timedelta(minutes=30))
        await remind(w)
        assert reminders_seen(li, "The arrival target") == 1
        clock.advance(timedelta(minutes=1))
        await hand_to_zhou(li, zhou)
        li_before = len(li.bot_messages)
        clock.advance(timedelta(minutes=15))
        await remind(w)
        assert reminders_seen(chen, "is not there yet") == 0
        assert reminders_seen(zhou, "The arrival target") == 0
        clock.advance(timedelta(minutes=15))  # 00:01: Zhou's target
        await remind(w)
        assert reminders_seen(zhou, "The arrival target") == 1
        assert len(li.bot_messages) == li_before  # not Li again
        assert reminders_seen(chen, "is not there yet") == 0
        clock.advance(timedelta(minutes=w.services.config.arrival.coordinator_after))
        await remind(w)
        assert reminders_seen(chen, "Zhou Min accepted this at 2026-11-26 23:31") == 1


async def test_back_to_the_coordinator_first_contact_is_reminded_to_the_new_holder(
    config_path: Path,
) -> None:
    """Li Na was reminded about first contact, then handed the case back; the
    coordinator assigned Zhou Min, who confirmed ("I take it"). "The case starts again at
    intake for its new holder", but contact_reminded_at is Li's: Zhou is never reminded."""
    async with world(config_path) as w:
        s = await station(w, {"Li Na": (), "Zhou Min": ()})
        chen = await enrol(w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw")
        await chen.send("/available")
        li, zhou = s.workers["Li Na"], s.workers["Zhou Min"]
        await file(w, draft("neighbour_dispute", urgency=Urgency.URGENT))
        await li.tap("✅ Accept")
        target = w.services.config.reminders.contact_target(Urgency.URGENT)
        w.clock.advance(target)
        await remind(w)
        assert li.last.plain.endswith(
            "First contact is due. Tap “✔ First contact made” once you have reached the person."
        )
        await li.tap("🤝 Hand over", message=case_card(li))
        await li.tap("↩️ Back to the coordinator")
        await li.send("A conflict of interest: I know the family")
        card = chen.last
        await chen.tap(next(b for b in card.button_labels() if "Assign" in b))
        await chen.tap(next(b for b in chen.last.button_labels() if b.startswith("Zhou Min")))
        if chen.last.button("Assign anyway"):
            await chen.tap("Assign anyway")
        await zhou.tap("✅ I take it")
        w.clock.advance(target)
        await remind(w)
        assert any("First contact is due" in t for t in zhou.texts)
