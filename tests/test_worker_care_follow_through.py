"""Care for the workers (issue 16), followed through, as the people see it.

Every way a worker takes on a case at night is a night call-out (an offer accepted, a
coordinator's assignment confirmed, a colleague's case taken over), counted once per
worker, case and night, with rest offered after each. Every way a critical case ends
(closed, declined at first contact, returned, handed back) prompts the coordinators'
debrief offer once. A worker's request for a debrief is marked arranged in one tap (the
worker hears; the other coordinators' buttons say who did), or the coordinators are
reminded once after ``[care] debrief_remind_hours``, also across a restart.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.domain.referral import Consent, NotAskedReason, Safety, Urgency
from bot.engine import reminders
from bot.sandbox import FakeTelegram, Phone
from bot.sandbox.world import World, world
from tests.stories import close_case, draft, enrol, file, station
from tests.test_acknowledged_assignment import _assign_zhou, _night
from tests.test_case_endings import THURSDAY_1000, chen_and_boss
from tests.test_escalation import THURSDAY_2200, THURSDAY_2340
from tests.test_handover import case_card

OFFER_DEBRIEF = "Please offer Li Na a debrief."
ASKS_DEBRIEF = "Li Na asks for a debrief after this case"
WAITING = "Li Na asked for a debrief after this case and nobody has marked it arranged yet."
ARRANGED = "Coord Chen has arranged your debrief after this case and will be in touch."
NIGHT = "🌙 This is a night call-out."


async def remind(w: World) -> None:
    await reminders.tick(w.services)
    await w.settle()


def seen(phone: Phone, text: str) -> int:
    return sum(text in t for t in phone.texts)


async def nights(phone: Phone) -> str:
    await phone.send("/mine")
    return next(line for line in phone.last.plain.splitlines() if "Night call-outs" in line)


async def test_a_confirmed_night_assignment_is_a_night_call_out_with_rest(
    config_path: Path,
) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_2340)) as w:
        s, chen, _, _ = await _night(w)
        zhou = s.workers["Zhou Min"]
        await _assign_zhou(chen)
        await zhou.tap("✅ I take it")
        card = next(m for m in zhou.bot_messages if "You accepted." in m.plain)
        assert NIGHT in card.plain
        assert card.button_labels() == ["😴 Away until 12:00"]
        await chen.send("/oncall")
        assert "Night call-outs this month: Zhou Min 1, Li Na 0" in chen.last.text


async def test_taking_a_case_over_at_night_counts_once_per_worker_case_and_night(
    config_path: Path,
) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_2200)) as w:
        s = await station(w, {"Li Na": (), "Zhou Min": ()})
        li, zhou = s.workers["Li Na"], s.workers["Zhou Min"]
        chen, _ = await chen_and_boss(w)
        await file(w, draft("family_dispute", urgency=Urgency.URGENT))
        await li.tap("✅ Accept")
        await li.tap("🤝 Hand over", message=case_card(li))
        await li.tap("Zhou Min · on duty · 0 open")
        await li.send("My child is ill.")
        w.clock.advance(timedelta(hours=3))  # 01:00: the same night
        await zhou.tap("✅ I take it over")
        card = next(m for m in zhou.bot_messages if "You took over" in m.plain)
        assert NIGHT in card.plain
        rest = await zhou.tap("😴 Away until 12:00", message=card)
        assert rest.text == "You are away until 2026-11-27 12:00. No new offers until then."
        # …and back to Li Na the same night: still one call-out each.
        await zhou.tap("🤝 Hand over", message=case_card(zhou))
        await zhou.tap("Li Na · on duty · 0 open")
        await zhou.send("Back to you.")
        await li.tap("✅ I take it over")
        await chen.send("/oncall")
        assert "Night call-outs this month: Li Na 1, Zhou Min 1" in chen.last.text
        assert await nights(zhou) == "Night call-outs this month: 1."


async def test_a_critical_case_declined_at_first_contact_prompts_once(
    config_path: Path,
) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_1000)) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        chen, _ = await chen_and_boss(w)
        await chen.send("/available")
        await file(
            w,
            draft(
                "family_dispute",
                safety={Safety.SELF_HARM},
                urgency=None,
                consent=Consent.NOT_ASKED,
                not_asked_reason=NotAskedReason.NO_TIME,
            ),
        )
        await li.tap("✅ Accept")
        await li.tap("✔ First contact made")
        await li.tap("✖ Declines")
        await w.settle()
        assert seen(chen, OFFER_DEBRIEF) == 1
        assert li.last.button_labels() == ["Reopen", "🫂 Ask for a debrief"]
        # Reopened and closed again: the coordinator is not prompted twice.
        await li.tap("Reopen")
        await close_case(li)
        await w.settle()
        assert seen(chen, OFFER_DEBRIEF) == 1
        answer = await li.tap("🫂 Ask for a debrief")
        assert answer.text == "Your coordinator is asked to get in touch for a debrief."


async def test_a_critical_case_handed_back_to_the_coordinators_prompts_once(
    config_path: Path,
) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_1000)) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        chen, _ = await chen_and_boss(w)
        await chen.send("/available")
        await file(w, draft("family_dispute", safety={Safety.WEAPON_OR_INJURY}, urgency=None))
        await li.tap("✅ Accept")
        await li.tap("🤝 Hand over", message=case_card(li))
        await li.tap("↩️ Back to the coordinator")
        await li.send("I was hurt at the scene.")
        await w.settle()
        prompts = [t for t in chen.texts if OFFER_DEBRIEF in t]
        assert len(prompts) == 1 and "Weapon or injury" in prompts[0]


async def test_a_debrief_request_is_marked_arranged_once_and_the_worker_hears(
    config_path: Path,
) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_1000)) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        chen, boss = await chen_and_boss(w)
        # the team's two coordinators hear, on duty or not; the all-stations one does not
        deng = await enrol(w, 302, "Coord Deng", "--role", "coordinator", "--team", "xuhui-sw")
        referral = await file(
            w, draft("family_dispute", safety={Safety.CHILD_AT_RISK}, urgency=None)
        )
        await li.tap("✅ Accept")
        await close_case(li)
        await li.tap("🫂 Ask for a debrief")
        await w.settle()
        chen_card = next(m for m in chen.bot_messages if ASKS_DEBRIEF in m.plain)
        boss_card = next(m for m in deng.bot_messages if ASKS_DEBRIEF in m.plain)
        assert not any(ASKS_DEBRIEF in t for t in boss.texts)
        assert chen_card.button_labels() == ["✅ Debrief arranged"]
        answer = await chen.tap("✅ Debrief arranged", message=chen_card)
        assert answer.text == "Recorded. The worker hears that you will be in touch."
        await w.settle()
        assert seen(li, ARRANGED) == 1
        assert "🫂 Debrief arranged by Coord Chen." in chen_card.plain
        late = await deng.tap("✅ Debrief arranged", message=boss_card)
        assert late.text == "Coord Chen has already arranged this debrief."
        assert "🫂 Debrief arranged by Coord Chen." in boss_card.plain
        await w.settle()
        assert seen(li, ARRANGED) == 1  # the worker hears once
        await chen.send(f"/audit {referral.ref}")
        assert "Coord Chen · Arranged a debrief for → Li Na" in chen.last.plain
        w.clock.advance(timedelta(hours=30))
        await remind(w)
        assert seen(chen, WAITING) == 0  # arranged: nobody is reminded


async def test_an_unarranged_debrief_reminds_the_coordinators_once_across_a_restart(
    config_path: Path,
) -> None:
    clock = FakeClock(THURSDAY_1000)
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        chen, boss = await chen_and_boss(w)
        await chen.send("/available")
        await file(w, draft("family_dispute", safety={Safety.SELF_HARM}, urgency=None))
        await li.tap("✅ Accept")
        await close_case(li)
        await li.tap("🫂 Ask for a debrief")
        await w.settle()
        clock.advance(timedelta(hours=23, minutes=59))
        await remind(w)
        assert seen(chen, WAITING) == 0
    clock.advance(timedelta(hours=2))  # the bot was down when the reminder fell due
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await remind(w)
        await remind(w)
        assert seen(chen, WAITING) == 1
        assert seen(boss, WAITING) == 0  # Chen is on duty
        reminder = next(m for m in chen.bot_messages if WAITING in m.plain)
        assert reminder.button_labels() == ["✅ Debrief arranged"]
    clock.advance(timedelta(days=2))
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await remind(w)
        assert seen(chen, WAITING) == 1  # once
        await chen.tap("✅ Debrief arranged", message=reminder)
        await w.settle()
        assert seen(li, ARRANGED) == 1
