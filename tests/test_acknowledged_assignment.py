"""A coordinator's assignment is acknowledged: the worker answers "I take it" or "I can't".

Until the worker confirms, the referral stays on offer and keeps escalating on its
plan's clock (also across a restart); the coordinator's card says whom it waits for; the
officer hears "assigned, waiting for confirmation" and then who confirmed. "I can't",
with a reason, puts it back in front of the coordinators, who read the reason; the
officer hears only that the worker could not take it. "Assign to…" shows each worker's
state and asks once more before assigning someone away or at the cap. The night runs
on the fake clock (23:40 Thursday in Shanghai).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.domain.referral import Referral, Status, Urgency
from bot.sandbox import FakeTelegram, Phone
from bot.sandbox.world import World, world
from bot.services import referrals as referral_service
from storage import offers
from tests.stories import Station, draft, enrol, file, station
from tests.test_escalation import THURSDAY_2340, escalation_cards, tick
from tests.test_sealing import _raw_bytes, _with_key_file

WAITING = "⏳ Waiting for Zhou Min to confirm."
REASON = "My child is ill tonight and I cannot leave home."


async def _night(w: World) -> tuple[Station, Phone, Phone, Referral]:
    """Li Na (trained for domestic violence) on duty, Zhou Min away until 08:00, the
    team's coordinator on duty and a coordinator for every station off duty; an urgent
    domestic-violence referral filed at 23:40. Level 1 finds nobody new at 23:55, so the
    coordinator on duty gets the card then; the next step is due an hour later."""
    s = await station(w, {"Li Na": ("domestic_violence",), "Zhou Min": ()})
    await s.workers["Zhou Min"].send("/away 08:00")
    chen = await enrol(w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw")
    await chen.send("/available")
    boss = await enrol(w, 301, "Night Boss", "--role", "coordinator")
    referral = await file(w, draft("domestic_violence", urgency=Urgency.URGENT))
    w.clock.advance(timedelta(minutes=15))  # 23:55
    await tick(w)
    assert escalation_cards(chen) == 1 and escalation_cards(boss) == 0
    return s, chen, boss, referral


async def _assign_zhou(chen: Phone) -> None:
    """Chen assigns the referral to Zhou Min, who is away: asked once more first."""
    await chen.tap("👥 Assign to…")
    labels = chen.last.button_labels()
    assert "Li Na · on duty · 0/4 open" in labels
    assert "Zhou Min · away until 08:00 · 0/4 open" in labels
    await chen.tap("Zhou Min · away until 08:00 · 0/4 open")
    assert chen.last.plain.splitlines()[1:] == [
        "Assign to Zhou Min anyway?",
        "Zhou Min is away until 08:00.",
        "They are asked to confirm; until then the referral keeps escalating.",
    ]
    assert chen.last.button_labels() == ["Assign anyway", "⬅ Back"]
    answer = await chen.tap("Assign anyway")
    assert answer.text == "Sent to Zhou Min. Waiting for them to confirm."


async def test_an_unconfirmed_assignment_escalates_on_time_across_a_restart(
    config_path: Path,
) -> None:
    clock = FakeClock(THURSDAY_2340)
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        s, chen, boss, referral = await _night(w)
        zhou, li = s.workers["Zhou Min"], s.workers["Li Na"]
        await _assign_zhou(chen)
        assert zhou.last.plain.startswith(
            "👤 Coordinator Coord Chen asks you to take this referral.\nNew referral\n"
        )
        assert "Canary" not in zhou.last.plain  # the details only once she takes it
        assert zhou.last.button_labels() == ["✅ I take it", "✋ I can't"]
        card = chen.last
        assert WAITING in card.plain.splitlines()
        assert "Zhou Min (assigned, waiting for confirmation)" in card.plain
        assert "🙋 Take it myself" in card.button_labels()  # she may still act on it
        assert s.officer.last.plain.endswith(
            "Assigned to Zhou Min by coordinator Coord Chen, waiting for confirmation. "
            "You will hear when they confirm."
        )
        clock.advance(timedelta(minutes=59))  # 00:54: not yet
        await tick(w)
        assert escalation_cards(boss) == 0
    clock.advance(timedelta(minutes=1))  # 00:55: the bot restarts as the step falls due
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await tick(w)
        assert escalation_cards(boss) == 1  # the clock ran on: every coordinator now
        assert WAITING in boss.last.plain.splitlines()
        assert s.officer.last.plain.endswith("all coordinators have been alerted.")

        clock.advance(timedelta(minutes=5))
        await zhou.tap("✅ I take it")
        assert any(t.startswith(f"🔒 {referral.ref}") for t in zhou.texts)
        assert "Coordinator Coord Chen assigned this referral to you." in zhou.texts
        assert s.officer.last.plain.endswith(
            "Zhou Min confirmed and takes it (assigned by coordinator Coord Chen). "
            "Tap the name to write to them."
        )
        assert card.plain.endswith("\nYou assigned it to Zhou Min.")
        assert boss.last.plain.endswith("\nAssigned by Coord Chen to Zhou Min.")
        assert li.last.plain.endswith("\nAssigned by Coord Chen to Zhou Min.")
        clock.advance(timedelta(hours=2))
        await tick(w)
        assert escalation_cards(boss) == 1  # confirmed: the clock stopped
        now = await referral_service.get(w.services, referral.id)
        assert now is not None and now.status is Status.ACCEPTED


async def test_i_cannot_puts_it_back_before_the_coordinators_with_the_reason(
    config_path: Path,
) -> None:
    _with_key_file(config_path)  # the reason is sealed at rest
    clock = FakeClock(THURSDAY_2340)
    async with world(config_path, clock=clock) as w:
        s, chen, _, referral = await _night(w)
        zhou = s.workers["Zhou Min"]
        await _assign_zhou(chen)
        card = zhou.last

        await zhou.tap("✋ I can't")  # changed her mind: Cancel brings the card back
        assert card.plain.startswith(f"Why can't you take {referral.ref}?")
        await zhou.tap("Cancel")
        assert card.plain.startswith("👤 Coordinator Coord Chen asks you to take")
        assert card.button_labels() == ["✅ I take it", "✋ I can't"]

        await zhou.tap("✋ I can't")
        await zhou.send("x" * 250)  # too long: asked again, nothing lost
        assert "the limit is 200" in zhou.texts[-2]
        cards_before = escalation_cards(chen)
        await zhou.send(REASON)
        assert zhou.last.plain == "Thank you. The coordinators have it again and see your reason."

        assert escalation_cards(chen) == cards_before + 1  # a fresh card, in front of her
        lines = chen.last.plain.splitlines()
        assert lines[0] == f"↩️ Zhou Min cannot take {referral.ref}: “{REASON}”"
        assert f"Zhou Min (could not take it: “{REASON}”)" in chen.last.plain
        assert WAITING not in lines
        assert "🙋 Take it myself" in chen.last.button_labels()
        assert s.officer.last.plain.endswith(
            "Zhou Min could not take it. The coordinators are finding someone else."
        )
        assert not any(REASON in t for t in s.officer.texts)  # not beyond "could not"
        still = await referral_service.get(w.services, referral.id)
        assert still is not None and still.status is Status.OFFERED

        await zhou.send(REASON)  # a second time: no question is waiting, nothing doubles
        assert escalation_cards(chen) == cards_before + 1
        await chen.tap("🙋 Take it myself")
        assert s.officer.last.plain.endswith(
            "Accepted by Coord Chen. Tap the name to write to them."
        )
    assert REASON.encode() not in _raw_bytes(config_path)


async def test_a_worker_who_accepts_first_wins_over_a_waiting_assignment(
    config_path: Path,
) -> None:
    clock = FakeClock(THURSDAY_2340)
    async with world(config_path, clock=clock) as w:
        s, chen, _, referral = await _night(w)
        zhou, li = s.workers["Zhou Min"], s.workers["Li Na"]
        await _assign_zhou(chen)
        assignment = zhou.last
        await li.tap("✅ Accept")  # her offer from 23:40 is still open
        assert assignment.plain.endswith("\nTaken by Li Na.")
        assert assignment.button_labels() == []
        found = await offers.of_referral(w.services.db.reader, referral.id)
        hers = next(o for o in found if o.assigned)
        answer = await zhou.tap_data(f"o:{hers.id}:a", message_id=assignment.message_id)
        assert answer.text == "Already taken by Li Na."
        now = await referral_service.get(w.services, referral.id)
        assert now is not None and now.status is Status.ACCEPTED
        assert s.officer.last.plain.endswith("Accepted by Li Na. Tap the name to write to them.")
        assert not any("confirmed and takes it" in t for t in s.officer.texts)


async def test_the_assignee_who_confirms_first_wins_over_an_open_offer(
    config_path: Path,
) -> None:
    clock = FakeClock(THURSDAY_2340)
    async with world(config_path, clock=clock) as w:
        s, chen, _, referral = await _night(w)
        zhou, li = s.workers["Zhou Min"], s.workers["Li Na"]
        await _assign_zhou(chen)
        offer = next(m for m in li.bot_messages if "✅ Accept" in m.button_labels())
        await zhou.tap("✅ I take it")
        assert offer.plain.endswith("\nAssigned by Coord Chen to Zhou Min.")
        found = await offers.of_referral(w.services.db.reader, referral.id)
        hers = next(o for o in found if o.kind == "worker" and not o.assigned)
        answer = await li.tap_data(f"o:{hers.id}:a", message_id=offer.message_id)
        assert answer.text == "Already taken by Zhou Min."


async def test_assigning_a_worker_at_the_cap_asks_once_more(config_path: Path) -> None:
    clock = FakeClock(THURSDAY_2340)
    async with world(config_path, clock=clock) as w:
        s = await station(w, {"Li Na": ("domestic_violence",)})
        li = s.workers["Li Na"]
        chen = await enrol(w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw")
        await chen.send("/available")
        for _ in range(4):  # the test deployment's cap
            await file(w, draft("domestic_violence", urgency=Urgency.URGENT))
            await li.tap("✅ Accept")
            clock.advance(timedelta(minutes=1))  # an officer's pace: no flood guard
        referral = await file(w, draft("domestic_violence", urgency=Urgency.URGENT))
        assert chen.last.plain.startswith("⏫ Nobody has accepted")  # Li is at the cap
        await chen.tap("👥 Assign to…")
        await chen.tap("Li Na · on duty · 4/4 open")
        assert chen.last.plain.splitlines()[1:] == [
            "Assign to Li Na anyway?",
            "Li Na already has 4 open cases (the cap is 4).",
            "They are asked to confirm; until then the referral keeps escalating.",
        ]
        await chen.tap("⬅ Back")  # back to the list: nothing was assigned
        assert chen.last.plain == f"Assign {referral.ref} to:"
        await chen.tap("Li Na · on duty · 4/4 open")
        await chen.tap("Assign anyway")
        await li.tap("✅ I take it")  # the coordinator decided: the cap gives way
        now = await referral_service.get(w.services, referral.id)
        assert now is not None and now.status is Status.ACCEPTED


async def test_a_reason_typed_after_the_question_lapsed_leaves_the_assignment_open(
    config_path: Path,
) -> None:
    clock = FakeClock(THURSDAY_2340)
    async with world(config_path, clock=clock) as w:
        s, chen, _, referral = await _night(w)
        zhou = s.workers["Zhou Min"]
        await _assign_zhou(chen)
        card = zhou.last
        await zhou.tap("✋ I can't")
        clock.advance(timedelta(minutes=31))
        cards_before = escalation_cards(chen)
        await zhou.send(REASON)
        assert zhou.last.plain.startswith("That question was asked more than 30 minutes ago")
        assert card.button_labels() == ["✅ I take it", "✋ I can't"]  # to answer again
        assert escalation_cards(chen) == cards_before
        await zhou.tap("✅ I take it")
        now = await referral_service.get(w.services, referral.id)
        assert now is not None and now.status is Status.ACCEPTED
