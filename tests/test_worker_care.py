"""Care for the workers (issue 16, item 5), as the people see it.

After a case with a critical safety answer the coordinator is prompted to offer the
worker a debrief, and the worker can ask for one in one tap; night call-outs are counted
and shown (/mine, /oncall, the morning handover); after one, rest is one tap away.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot import labels
from bot.clock import FakeClock
from bot.domain.referral import Outcome, Safety, Urgency
from bot.i18n import Translator
from bot.sandbox.world import world
from bot.services import handover
from tests.stories import close_case, draft, enrol, file, station
from tests.test_case_endings import THURSDAY_1000, chen_and_boss
from tests.test_escalation import THURSDAY_2200

OFFER_DEBRIEF = "Please offer Li Na a debrief."
ASKS_DEBRIEF = "Li Na asks for a debrief after this case"


async def test_a_critical_case_closed_prompts_the_coordinator_on_duty_and_the_worker_asks(
    config_path: Path,
) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_1000)) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        chen, boss = await chen_and_boss(w)
        await chen.send("/available")  # on duty; Boss is not
        await file(w, draft("family_dispute", safety={Safety.SELF_HARM}, urgency=None))
        await li.tap("✅ Accept")
        await close_case(li)
        await w.settle()
        prompt = next(t for t in chen.texts if OFFER_DEBRIEF in t)
        assert "Self-harm or suicide intent" in prompt
        assert not any("debrief" in t for t in boss.texts)  # off duty: not disturbed
        assert not any("debrief" in t for t in s.officer.texts)  # the officer never hears it

        answer = await li.tap("🫂 Ask for a debrief")
        await w.settle()
        assert answer.text == "Your coordinator is asked to get in touch for a debrief."
        assert sum(ASKS_DEBRIEF in t for t in chen.texts) == 1
        again = await li.tap("🫂 Ask for a debrief")  # a double tap asks once
        await w.settle()
        assert again.text == "You have already asked for a debrief after this case."
        assert sum(ASKS_DEBRIEF in t for t in chen.texts) == 1


async def test_a_returned_critical_case_prompts_the_workers_own_coordinator_on_duty_or_not(
    config_path: Path,
) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_1000)) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        chen, boss = await chen_and_boss(w)
        await file(w, draft("family_dispute", safety={Safety.CHILD_AT_RISK}, urgency=None))
        await li.tap("✅ Accept")
        await li.tap("Return to police")
        await li.tap("Needs police action (crime or danger)")
        await li.send("Police need to lead on this.")
        await w.settle()
        assert any(OFFER_DEBRIEF in t and "Child at risk" in t for t in chen.texts)
        assert not any(OFFER_DEBRIEF in t for t in boss.texts)  # not Li Na's supervisor


async def test_an_ordinary_case_prompts_no_debrief_but_the_worker_may_ask(
    config_path: Path,
) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_1000)) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        chen, _ = await chen_and_boss(w)
        await chen.send("/available")
        await file(w, draft("family_dispute"))
        await li.tap("✅ Accept")
        await close_case(li)
        await w.settle()
        assert not any("debrief" in t for t in chen.texts)
        answer = await li.tap("🫂 Ask for a debrief", message=li.last)
        await w.settle()
        assert answer.text == "Your coordinator is asked to get in touch for a debrief."
        assert any("Li Na asks for a debrief about this case." in t for t in chen.texts)


async def test_a_night_call_out_is_counted_shown_to_coordinators_and_offers_rest(
    config_path: Path,
) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_2200)) as w:
        s = await station(w, {"Li Na": (), "Zhou Min": ()})
        li = s.workers["Li Na"]
        chen, _ = await chen_and_boss(w)
        await file(w, draft("family_dispute", urgency=Urgency.URGENT))
        await li.tap("✅ Accept")
        card = next(m for m in li.bot_messages if "You accepted." in m.plain)
        assert "🌙 This is a night call-out." in card.plain
        rest = await li.tap("😴 Away until 12:00", message=card)
        assert rest.text == "You are away until 2026-11-27 12:00. No new offers until then."
        edited = next(m for m in li.bot_messages if m.message_id == card.message_id)
        assert edited.button_labels() == []  # one tap, then the button is gone
        await li.send("/mine")
        assert any("Night call-outs this month: 1." in t for t in li.texts)
        assert any("You are away." in t for t in li.texts)

        await chen.send("/oncall")
        assert "Night call-outs this month: Li Na 1, Zhou Min 0" in chen.last.text

        w.clock.advance(timedelta(hours=10))  # 08:00: the morning handover
        await handover.morning(w.services)
        await w.settle()
        summary = next(t for t in chen.texts if t.startswith("☀️ Morning handover"))
        assert summary.splitlines()[-1] == "Night call-outs this month: Li Na 1, Zhou Min 0"


async def test_a_daytime_acceptance_is_no_night_call_out(config_path: Path) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_1000)) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        await file(w, draft("family_dispute", urgency=Urgency.URGENT))
        await li.tap("✅ Accept")
        assert not any("night call-out" in t for t in li.texts)
        await li.send("/mine")
        assert any("Night call-outs this month: 0." in t for t in li.texts)


async def test_the_debrief_in_the_readers_languages(config_path: Path) -> None:
    """A worker reading Simplified asks; a coordinator reading Traditional is prompted."""
    hans, hant = Translator("zh_Hans"), Translator("zh_Hant")
    async with world(config_path, clock=FakeClock(THURSDAY_1000)) as w:
        s = await station(w, {})
        li = await enrol(
            w, 250, "李娜", "--role", "social_worker", "--team", "xuhui-sw", language="zh_Hans"
        )
        await li.send("/available")
        chen = await enrol(
            w, 300, "陳主任", "--role", "coordinator", "--team", "xuhui-sw", language="zh_Hant"
        )
        await chen.send("/available")
        await file(w, draft("family_dispute", safety={Safety.WEAPON_OR_INJURY}, urgency=None))
        await li.tap(hans("✅ Accept"))
        await li.tap(hans("Close case"))
        await li.tap(hans(labels.OUTCOME[Outcome.RESOLVED]))
        await li.send("已处理。")
        await w.settle()
        assert any("請主動為李娜安排事後解說" in t for t in chen.texts)
        assert any(hant(labels.SAFETY[Safety.WEAPON_OR_INJURY]) in t for t in chen.texts)
        answer = await li.tap(hans("🫂 Ask for a debrief"))
        assert answer.text == "已请协调员与你联系，安排事后疏导。"
        await w.settle()
        assert any("李娜在這個個案" in t for t in chen.texts)
        assert not any("疏导" in t or "解說" in t for t in s.officer.texts)
