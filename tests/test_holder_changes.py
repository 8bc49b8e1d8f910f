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
from bot.domain.referral import Guardian, Questioning, Safety, Urgency
from bot.sandbox.fake_telegram.seen import SeenMessage
from bot.sandbox.world import world
from tests.stories import draft, enrol, file, station
from tests.test_arrival import THURSDAY_2300, coordinator, remind, reminders_seen
from tests.test_escalation import tick

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


async def test_deactivating_an_assignee_who_has_not_answered_refuses_for_her(
    config_path: Path,
) -> None:
    """Chen assigned the referral to Li Na, who had not answered when she was
    deactivated: her assignment is closed as if she said "I can't" (she left), the
    coordinator gets a fresh card saying so, and the officer hears she could not take it."""
    async with world(config_path) as w:
        s = await station(w, {"Li Na": (), "Zhou Min": ()})
        chen = await coordinator(w)
        li = s.workers["Li Na"]
        await li.send("/away")
        await s.workers["Zhou Min"].send("/away")
        referral = await file(w, draft("neighbour_dispute", urgency=Urgency.URGENT))
        await escalate_to(w, chen)
        await chen.tap("👥 Assign to…")
        await chen.tap(next(b for b in chen.last.button_labels() if b.startswith("Li Na")))
        if chen.last.button("Assign anyway"):
            await chen.tap("Assign anyway")
        assert li.last.button_labels() == ["✅ I take it", "✋ I can't"]
        status, _, err = await w.cli("deactivate", str(li.chat_id))
        assert status == 0, err
        await w.settle()
        assert chen.last.plain.startswith(
            f"↩️ Li Na cannot take {referral.ref}: they no longer work with the bot."
        )
        assert "Li Na (no longer works with the bot)" in chen.last.plain
        assert "👥 Assign to…" in chen.last.button_labels()
        assert s.officer.last.plain.endswith(
            "Li Na could not take it. The coordinators are finding someone else."
        )


async def escalate_to(w, chen) -> None:  # type: ignore[no-untyped-def]
    """Let the escalation clock run until the coordinator holds a card."""
    for _ in range(10):
        if any(m.button("👥 Assign to…") for m in chen.bot_messages):
            return
        w.clock.advance(timedelta(minutes=30))
        await tick(w)
    raise AssertionError("the coordinator never got a card")


async def test_an_appropriate_adult_case_goes_only_to_trained_colleagues(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(
            w,
            {"Chen AA": ("appropriate_adult",), "Zhou Min": (), "Wu AA": ("appropriate_adult",)},
        )
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
        adult = next(p for p in s.workers.values() if p.last and p.last.button("✅ Accept"))
        await adult.tap("✅ Accept")
        await adult.tap("🤝 Hand over", message=case_card(adult))
        assert "Only colleagues trained as appropriate adults are listed." in adult.last.plain
        names = [b.split(" · ")[0] for b in adult.last.button_labels() if " · " in b]
        assert "Zhou Min" not in names and names  # the other trained adult only


async def test_a_request_withdrawn_with_the_case_says_so_on_the_colleagues_card(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": (), "Zhou Min": ()})
        await coordinator(w)
        li, zhou = s.workers["Li Na"], s.workers["Zhou Min"]
        await file(w, draft("neighbour_dispute"))
        await li.tap("✅ Accept")
        await li.tap("🤝 Hand over", message=case_card(li))
        await li.tap(next(b for b in li.last.button_labels() if b.startswith("Zhou Min")))
        await li.send("My shift ends")
        request = zhou.last
        assert request.button_labels() == ["✅ I take it over", "I can't"]
        status, _, err = await w.cli("deactivate", str(li.chat_id))
        assert status == 0, err
        await w.settle()
        assert request.plain.endswith(
            "This request was withdrawn: Li Na no longer works with the bot, and the case "
            "went back to the coordinators."
        )
        assert request.button_labels() == []
