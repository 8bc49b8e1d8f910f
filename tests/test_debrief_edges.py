"""The debrief after a critical case, at its edges (issue 16, after a second review): an
arranged debrief is not listed again in the morning; a case handed back at night is
listed under the worker it was handed back by, not whoever took it since; each worker
who ended the same critical case is offered a debrief once; and a debrief, never
urgent, reaches the coordinators silently in the quiet hours.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.domain.referral import Safety
from bot.engine import retention
from bot.sandbox import Phone
from bot.sandbox.world import World, world
from bot.services import care, handover
from tests.stories import close_case, draft, file, station
from tests.test_case_endings import THURSDAY_1000, chen_and_boss
from tests.test_escalation import THURSDAY_2340
from tests.test_handover import case_card

TO_MORNING = timedelta(hours=8, minutes=20)  # 23:40 → 08:00, the morning handover


async def morning_summary(w: World, coordinator: Phone) -> list[str]:
    w.clock.advance(TO_MORNING)
    await handover.morning(w.services)
    await w.settle()
    return next(t for t in coordinator.texts if t.startswith("☀️ Morning handover")).splitlines()


async def hand_back(worker: Phone) -> None:
    await worker.tap("🤝 Hand over", message=case_card(worker))
    await worker.tap("↩️ Back to the coordinator")
    await worker.send("I was hurt at the scene.")


async def assign(coordinator: Phone, name: str) -> None:
    card = next(m for m in coordinator.bot_messages if "👥 Assign to…" in m.button_labels())
    await coordinator.tap("👥 Assign to…", message=card)
    await coordinator.tap(next(b for b in card.button_labels() if b.startswith(name)), message=card)
    if "Assign anyway" in card.button_labels():
        await coordinator.tap("Assign anyway", message=card)


async def test_a_debrief_arranged_in_the_night_is_not_listed_in_the_morning(
    config_path: Path,
) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_2340)) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        chen, _ = await chen_and_boss(w)
        referral = await file(w, draft("family_dispute", safety={Safety.SELF_HARM}, urgency=None))
        await li.tap("✅ Accept")
        await close_case(li)
        await li.tap("🫂 Ask for a debrief")
        await w.settle()
        asked = next(m for m in chen.bot_messages if "asks for a debrief" in m.plain)
        await chen.tap("✅ Debrief arranged", message=asked)
        await w.settle()
        summary = await morning_summary(w, chen)
        assert f"🫂 Debrief to arrange: Li Na, {referral.ref}" not in summary


async def test_a_case_handed_back_at_night_lists_the_worker_who_handed_it_back(
    config_path: Path,
) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_2340)) as w:
        s = await station(w, {"Li Na": (), "Zhou Min": ()})
        li, zhou = s.workers["Li Na"], s.workers["Zhou Min"]
        chen, boss = await chen_and_boss(w)
        await boss.send("/available")  # on the night rota
        referral = await file(
            w, draft("family_dispute", safety={Safety.WEAPON_OR_INJURY}, urgency=None)
        )
        await li.tap("✅ Accept")
        await hand_back(li)
        await w.settle()
        assert any("Please offer Li Na a debrief." in t for t in chen.texts)
        await assign(boss, "Zhou Min")  # Zhou takes it on before the morning
        await zhou.tap("✅ I take it")
        await w.settle()
        summary = await morning_summary(w, chen)
        assert f"🫂 Debrief to arrange: Li Na, {referral.ref}" in summary
        assert not any("Debrief to arrange: Zhou Min" in line for line in summary)


async def test_each_worker_who_ended_a_critical_case_is_offered_a_debrief_once(
    config_path: Path,
) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_1000)) as w:
        s = await station(w, {"Li Na": (), "Zhou Min": ()})
        li, zhou = s.workers["Li Na"], s.workers["Zhou Min"]
        chen, _ = await chen_and_boss(w)
        await chen.send("/available")
        await file(w, draft("family_dispute", safety={Safety.WEAPON_OR_INJURY}, urgency=None))
        await li.tap("✅ Accept")
        await hand_back(li)
        await w.settle()
        await assign(chen, "Zhou Min")
        await zhou.tap("✅ I take it")
        await zhou.tap("✔ First contact made")
        await close_case(zhou)
        await w.settle()
        assert sum("Please offer Li Na a debrief." in t for t in chen.texts) == 1
        assert sum("Please offer Zhou Min a debrief." in t for t in chen.texts) == 1
        # Reopened and closed again by Zhou: nobody is prompted again.
        await zhou.tap("Reopen")
        await close_case(zhou)
        await w.settle()
        assert sum("Please offer Zhou Min a debrief." in t for t in chen.texts) == 1
        assert sum("Please offer Li Na a debrief." in t for t in chen.texts) == 1


async def test_a_debrief_in_the_quiet_hours_arrives_silently(config_path: Path) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_2340)) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        chen, _ = await chen_and_boss(w)
        await chen.send("/available")  # even the coordinator on duty: a debrief can wait
        await file(w, draft("family_dispute", safety={Safety.SELF_HARM}, urgency=None))
        await li.tap("✅ Accept")
        await close_case(li)
        await li.tap("🫂 Ask for a debrief")
        await w.settle()
        offer = next(m for m in chen.bot_messages if "Please offer Li Na a debrief." in m.plain)
        asked = next(m for m in chen.bot_messages if "Li Na asks for a debrief" in m.plain)
        assert offer.disable_notification and asked.disable_notification
        await chen.tap("✅ Debrief arranged", message=asked)
        await w.settle()
        arranged = next(m for m in li.bot_messages if "has arranged your debrief" in m.plain)
        assert arranged.disable_notification  # the worker is not woken to hear it either


async def test_a_debrief_in_the_day_rings(config_path: Path) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_1000)) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        chen, _ = await chen_and_boss(w)
        await file(w, draft("family_dispute", safety={Safety.SELF_HARM}, urgency=None))
        await li.tap("✅ Accept")
        await close_case(li)
        await li.tap("🫂 Ask for a debrief")
        await w.settle()
        offer = next(m for m in chen.bot_messages if "Please offer Li Na a debrief." in m.plain)
        asked = next(m for m in chen.bot_messages if "Li Na asks for a debrief" in m.plain)
        assert not offer.disable_notification and not asked.disable_notification


async def test_whom_a_debrief_was_offered_to_is_erased_with_the_case(config_path: Path) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_1000)) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        await chen_and_boss(w)
        referral = await file(w, draft("family_dispute", safety={Safety.SELF_HARM}, urgency=None))
        await li.tap("✅ Accept")
        await close_case(li)
        await w.settle()
        assert await care.offered_to(w.services, referral.id) == ["Li Na"]
        w.clock.advance(timedelta(days=366))
        assert await retention.tick(w.services) == 1
        assert await care.offered_to(w.services, referral.id) == []
