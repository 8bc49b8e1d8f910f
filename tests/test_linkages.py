"""Linkages are tracked, not terminal: a worker links the person to several services,
each is followed up some days later ("did the service happen?"), unanswered the worker
is reminded and then the coordinator is told, across a restart; the case closes as
"linked" only once every linkage has an answer, and the officer hears one line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.engine import reminders
from bot.i18n import Translator
from bot.sandbox import FakeTelegram, Phone
from bot.sandbox.world import World, world
from handlers.notice_texts import LINKAGE_ANSWERS
from tests.stories import draft, enrol, file, station

THURSDAY_1000 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
ASKED = "Did the service happen?"


async def remind(w: World) -> None:
    await reminders.tick(w.services)
    await w.settle()


def seen(phone: Phone, text: str) -> int:
    return sum(text in t for t in phone.texts)


async def test_two_linkages_are_followed_up_and_the_case_closes_once_both_are_answered(
    config_path: Path,
) -> None:
    clock = FakeClock(THURSDAY_1000)
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        s = await station(w, {"Li Na": ()})
        coordinator = await enrol(
            w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw"
        )
        referral = await file(w, draft("family_dispute"))
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")
        await li.tap("Close case")
        await li.tap("Linked to a resource")
        await li.tap("Legal")
        await li.send("Xuhui Legal Aid Centre")
        assert "Xuhui Legal Aid Centre — waiting for the follow-up" in li.last.plain
        assert "✔ Close as linked" not in li.last.button_labels()
        await li.tap("Mediation")
        await li.send("Street Mediation Office")
        assert "Street Mediation Office — waiting for the follow-up" in li.last.plain
        assert not any("Closed by" in t for t in s.officer.texts)  # the case stays open
        clock.advance(timedelta(days=13, hours=22, minutes=59))  # 08:59 on day 14
        await remind(w)
        assert seen(li, ASKED) == 0
    clock.advance(timedelta(hours=1))  # both fall due (09:00) while the bot restarts
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await remind(w)
        await remind(w)  # once, not twice
        assert seen(li, ASKED) == 2
        assert li.last.plain == (
            f"⏰ {referral.ref} · Family dispute · Routine\nYou linked the person to "
            f"Street Mediation Office. {ASKED}"
        )
        assert li.last.button_labels() == ["✅ Yes", "◐ Partly", "✖ No", "🚫 The person declined"]
        answer = await li.tap("◐ Partly")  # the Street Mediation Office's question
        assert answer.text == "Saved."
        assert li.last.plain == f"{referral.ref} · Family dispute · Routine\n✔ ◐ Partly"
    clock.advance(timedelta(days=1))
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await remind(w)
        await remind(w)
        assert seen(li, "Not answered yet: you linked the person to Xuhui Legal Aid") == 1
        assert seen(li, "Not answered yet: you linked the person to Street") == 0
        await li.send("/mine")
        await li.tap("Close case", message=li.last)
        await li.tap("Linked to a resource")
        assert "Street Mediation Office — ◐ Partly" in li.last.plain
        assert "once every service has a follow-up answer" in li.last.plain
        assert "✔ Close as linked" not in li.last.button_labels()
        clock.advance(timedelta(days=1))
        await remind(w)
        told = [t for t in coordinator.texts if "whether the service happened" in t]
        assert told == [
            f"⏰ {referral.ref} · Family dispute · Routine\nLi Na has not said whether the "
            "service happened (Xuhui Legal Aid Centre)."
        ]
        reminder = next(
            m for m in li.messages if "Not answered yet: you linked the person to Xuhui" in m.plain
        )
        await li.tap("✅ Yes", message=reminder)
        await li.send("/mine")
        await li.tap("Close case", message=li.last)
        await li.tap("Linked to a resource")
        await li.tap("✔ Close as linked")
        await li.send("Both services are under way.")
        assert "Closed. The officer will be told." in li.last.plain
        closing = [t for t in s.officer.texts if "Closed by" in t]
        assert closing == [
            f"{referral.ref} · Family dispute · Routine\nClosed by Li Na. "
            "Outcome: Linked to a resource (Legal and Mediation). "
            "Note: Both services are under way."
        ]


async def test_a_linkage_recorded_by_mistake_is_removed_and_its_follow_up_stops(
    config_path: Path,
) -> None:
    clock = FakeClock(THURSDAY_1000)
    async with world(config_path, clock=clock) as w:
        s = await station(w, {"Li Na": ()})
        coordinator = await enrol(
            w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw"
        )
        referral = await file(w, draft("family_dispute"))
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")
        await li.tap("Close case")
        await li.tap("Linked to a resource")
        await li.tap("Legal")
        await li.send("Xuhui Legal Aid Centre")
        await li.tap("Shelter")
        await li.send("Wrong Shelter")
        await li.tap("✖ Remove Wrong Shelter")
        assert "Remove Wrong Shelter from this case?" in li.last.plain
        assert li.last.button_labels() == ["✖ Yes, remove it", "⬅ Back"]
        answer = await li.tap("✖ Yes, remove it")
        assert answer.text == "Removed."
        assert "Wrong Shelter" not in li.last.plain
        assert "Xuhui Legal Aid Centre — waiting for the follow-up" in li.last.plain
        await coordinator.send(f"/audit {referral.ref}")
        assert "Removed a linkage recorded by mistake" in coordinator.last.plain
        assert "Wrong Shelter" not in coordinator.last.plain
        clock.advance(timedelta(days=16))
        await remind(w)
        await remind(w)
        assert seen(li, "Xuhui Legal Aid Centre. Did the service happen?") == 1
        assert seen(li, "Wrong Shelter") == 0
        assert not any("Wrong Shelter" in t for t in coordinator.texts)
        follow_up = next(
            m for m in li.messages if "Xuhui Legal Aid" in m.plain and ASKED in m.plain
        )
        await li.tap("✅ Yes", message=follow_up)
        await li.send("/mine")
        await li.tap("Close case", message=li.last)
        await li.tap("Linked to a resource")
        assert "✖ Remove Xuhui Legal Aid Centre" not in li.last.button_labels()  # answered
        await li.tap("✔ Close as linked")
        await li.send("Legal aid under way.")
        assert any("Outcome: Linked to a resource (Legal). " in t for t in s.officer.texts)


async def test_after_a_handover_the_new_holder_is_asked_and_the_old_prompt_says_so(
    config_path: Path,
) -> None:
    clock = FakeClock(THURSDAY_1000)
    async with world(config_path, clock=clock) as w:
        s = await station(w, {"Li Na": (), "Zhou Min": ()})
        await file(w, draft("family_dispute"))
        li, zhou = s.workers["Li Na"], s.workers["Zhou Min"]
        await li.tap("✅ Accept")
        await li.tap("Close case")
        await li.tap("Linked to a resource")
        await li.tap("Legal")
        await li.send("Xuhui Legal Aid Centre")
        clock.advance(timedelta(days=14))
        await remind(w)
        prompt = li.last
        assert ASKED in prompt.plain
        clock.advance(timedelta(hours=2))
        await li.send("/mine")
        await li.tap("🤝 Hand over", message=li.last)
        await li.tap("Zhou Min · on duty · 0 open")
        await li.send("I am on leave from tomorrow.")
        await zhou.tap("✅ I take it over")
        answer = await li.tap("✅ Yes", message=prompt)
        assert answer.text == (
            "This case is now with a colleague, who will be asked this question. Nothing changed."
        )
        await remind(w)
        asked = [m for m in zhou.messages if ASKED in m.plain]
        assert len(asked) == 1
        assert (
            "The person was linked to Xuhui Legal Aid Centre before you took this case over."
            in asked[0].plain
        )
        clock.advance(timedelta(days=1))
        await remind(w)
        assert seen(zhou, "Not answered yet: the person was linked to Xuhui Legal Aid") == 1
        assert seen(li, "Not answered yet") == 0
        saved = await zhou.tap("◐ Partly", message=asked[0])
        assert saved.text == "Saved."
        await zhou.send("/mine")
        await zhou.tap("Close case", message=zhou.last)
        await zhou.tap("Linked to a resource")
        assert "Xuhui Legal Aid Centre — ◐ Partly" in zhou.last.plain


async def test_a_traditional_reader_follows_up_two_linkages_and_a_simplified_officer_hears(
    config_path: Path,
) -> None:
    hant, hans = Translator("zh_Hant"), Translator("zh_Hans")
    clock = FakeClock(THURSDAY_1000)
    async with world(config_path, clock=clock) as w:
        s = await station(w, {"Li Na": ()})
        li, officer = s.workers["Li Na"], s.officer
        await li.send("/language")
        await li.tap("繁體中文")
        await file(w, draft("family_dispute"))  # the officer files in English…
        await officer.send("/language")
        await officer.tap("简体中文")  # …and reads Simplified from then on
        await li.tap(hant("✅ Accept"))
        await li.tap(hant("Close case"))
        await li.tap(hant("Linked to a resource"))
        await li.tap(hant("Legal"))
        await li.send("徐匯法律援助中心")
        await li.tap(hant("Shelter"))
        await li.send("婦女庇護中心")
        assert "婦女庇護中心 — " + hant("waiting for the follow-up") in li.last.plain
        clock.advance(timedelta(days=14))
        await remind(w)
        prompts = [m for m in li.messages if hant("Did the service happen?") in m.plain]
        assert [p.plain.splitlines()[-1] for p in prompts] == [
            hant("You linked the person to {name}. Did the service happen?", name=name)
            for name in ("徐匯法律援助中心", "婦女庇護中心")
        ]
        assert prompts[0].button_labels() == [hant(label) for _, label in LINKAGE_ANSWERS]
        for prompt in prompts:
            assert (await li.tap(hant("✅ Yes"), message=prompt)).text == hant("Saved.")
        await li.send("/mine")
        await li.tap(hant("Close case"), message=li.last)
        await li.tap(hant("Linked to a resource"))
        await li.tap(hant("✔ Close as linked"))
        await li.send("兩項服務已經開始。")
        outcome = hans(
            "{outcome} ({resource})",
            outcome=hans("Linked to a resource"),
            resource=hans("{items} and {last}", items=hans("Legal"), last=hans("Shelter")),
        )
        assert outcome == "已链接资源（法律和庇护所）"
        closing = officer.last.plain.splitlines()[-1]
        assert closing == hans(
            "Closed by {worker}. Outcome: {outcome}. Note: {note}",
            worker="Li Na",
            outcome=outcome,
            note="兩項服務已經開始。",
        )
        assert not any("法律援助中心" in t or "庇護中心" in t for t in officer.texts)
