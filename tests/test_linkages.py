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
from bot.services import referrals as referral_service
from handlers.notice_texts import LINKAGE_ANSWERS
from tests.stories import draft, enrol, file, linkages_followed_up, station
from tests.test_resource_directory import DIRECTORY

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
        assert li.last.plain == (  # which of the two services the answer was for
            f"{referral.ref} · Family dispute · Routine\n✔ Street Mediation Office: ◐ Partly"
        )
        assert li.last.button_labels() == ["🔗 Linked services"]
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


async def _linked_menu(li: Phone) -> None:
    await li.tap("✅ Accept")
    await li.tap("✔ First contact made")
    await li.tap("Close case")
    await li.tap("Linked to a resource")


async def test_a_worker_who_already_knows_answers_at_once_and_no_follow_up_is_asked(
    config_path: Path,
) -> None:
    clock = FakeClock(THURSDAY_1000)
    async with world(config_path, clock=clock) as w:
        s = await station(w, {"Li Na": ()})
        referral = await file(w, draft("family_dispute"))
        li = s.workers["Li Na"]
        await _linked_menu(li)
        await li.tap("Shelter")
        await li.send("Night Shelter")
        await li.tap("Legal")
        await li.send("Xuhui Legal Aid Centre")
        # That night she knows the shelter took the person in: she says so now.
        await li.tap("❓ Did Night Shelter happen?")
        assert li.last.plain.endswith(f"You linked the person to Night Shelter. {ASKED}")
        assert li.last.button_labels() == [
            *(label for _, label in LINKAGE_ANSWERS),
            "⬅ Back",
        ]
        assert (await li.tap("✅ Yes")).text == "Saved."
        assert li.last.plain == (
            f"{referral.ref} · Family dispute · Routine\n✔ Night Shelter: ✅ Yes"
        )
        await li.tap("🔗 Linked services")
        assert "Night Shelter — ✅ Yes" in li.last.plain
        assert "❓ Did Night Shelter happen?" not in li.last.button_labels()
        assert "❓ Did Xuhui Legal Aid Centre happen?" in li.last.button_labels()
        clock.advance(timedelta(days=16))
        await remind(w)
        await remind(w)
        # Only the legal aid is followed up: the shelter's chain stopped at her answer.
        assert seen(li, "Night Shelter. Did the service happen?") == 0
        assert seen(li, "Xuhui Legal Aid Centre. Did the service happen?") == 1
        assert seen(li, "Not answered yet: you linked the person to Night Shelter") == 0


async def test_a_case_waiting_on_a_linked_service_gets_no_stale_reminder(
    config_path: Path,
) -> None:
    clock = FakeClock(THURSDAY_1000)
    async with world(config_path, clock=clock) as w:
        s = await station(w, {"Li Na": ()})
        await file(w, draft("family_dispute"))
        li = s.workers["Li Na"]
        stale = "No update for 7 days"
        await _linked_menu(li)
        await li.tap("Legal")
        await li.send("Xuhui Legal Aid Centre")
        for _ in range(15):  # day by day to the follow-up, and past it
            clock.advance(timedelta(days=1))
            await remind(w)
        assert seen(li, f"You linked the person to Xuhui Legal Aid Centre. {ASKED}") == 1
        assert seen(li, stale) == 0  # waiting on the service, not forgotten
        prompt = next(m for m in li.messages if m.plain.endswith(f"Centre. {ASKED}"))
        await li.tap("✅ Yes", message=prompt)
        clock.advance(timedelta(days=6, hours=23))
        await remind(w)
        assert seen(li, stale) == 0  # the answer was an update
        clock.advance(timedelta(hours=1))
        await remind(w)
        assert seen(li, stale) == 1


async def test_closing_as_linked_when_no_service_happened_leads_to_another_outcome(
    config_path: Path,
) -> None:
    """Every answer "No": the officer must not read "Linked to a resource"."""
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        await file(w, draft("family_dispute"))
        li = s.workers["Li Na"]
        await _linked_menu(li)
        await li.tap("Shelter")
        await li.send("Night Shelter")
        await linkages_followed_up(w, li, "✖ No", close=False)
        assert "Night Shelter — ✖ No" in li.last.plain
        assert (
            "None of the linked services happened: close the case with another outcome."
            in li.last.plain
        )
        assert "✔ Close as linked" not in li.last.button_labels()
        await li.tap("Close case")
        await li.tap("Resolved")
        await li.send("Settled at home.")
        assert s.officer.last.plain.endswith(
            "Closed by Li Na. Outcome: Resolved. Note: Settled at home."
        )


async def test_the_officer_hears_only_the_kinds_of_services_that_happened(
    config_path: Path,
) -> None:
    clock = FakeClock(THURSDAY_1000)
    async with world(config_path, clock=clock) as w:
        s = await station(w, {"Li Na": ()})
        await file(w, draft("family_dispute"))
        li = s.workers["Li Na"]
        await _linked_menu(li)
        for kind, name in (("Shelter", "Night Shelter"), ("Legal", "Xuhui Legal Aid")):
            await li.tap(kind)
            await li.send(name)
        clock.advance(timedelta(days=14))
        await remind(w)
        for name, answer in (("Night Shelter", "✖ No"), ("Xuhui Legal Aid", "◐ Partly")):
            prompt = next(m for m in li.messages if m.plain.endswith(f"{name}. {ASKED}"))
            await li.tap(answer, message=prompt)
        await li.send("/mine")
        await li.tap("Close case", message=li.last)
        await li.tap("Linked to a resource")
        await li.tap("✔ Close as linked")
        await li.send("Legal aid started.")
        assert s.officer.last.plain.endswith(
            "Outcome: Linked to a resource (Legal). Note: Legal aid started."
        )


async def test_a_linkage_added_while_the_note_is_typed_stops_the_close_and_keeps_the_note(
    config_path: Path, tmp_path: Path
) -> None:
    """ "Close as linked" is checked again at closing: a linkage added from another card
    while the note was being typed waits for its answer, so the case stays open, the
    officer hears nothing, and the typed note comes back to copy."""
    async with world(config_path) as w:
        path = tmp_path / "directory.csv"
        path.write_text(DIRECTORY, encoding="utf-8")
        assert (await w.cli("directory", "import", str(path)))[0] == 0
        s = await station(w, {"Li Na": ()})
        referral = await file(w, draft("family_dispute"))
        li = s.workers["Li Na"]
        await _linked_menu(li)
        await li.tap("Legal")
        await li.send("Xuhui Legal Aid Centre")
        await linkages_followed_up(w, li)  # answered "Yes"; "Close as linked": the note…
        await li.send("/mine")  # …and meanwhile, from a fresh card, another linkage
        await li.tap("Close case", message=li.last)
        await li.tap("Linked to a resource")
        await li.tap("Shelter")
        await li.tap("Tianping Shelter")
        note = "Legal aid under way & a bed found."
        await li.send(note)
        assert li.texts[-3] == (
            "Not yet: the case closes as linked once every service has a follow-up answer.\n"
            "The case is still open. Your note is below so you can copy it."
        )
        assert li.messages[-2].plain == note
        assert "Tianping Shelter — waiting for the follow-up" in li.last.plain
        assert not any("Closed by" in t for t in s.officer.texts)
        still = await referral_service.get(w.services, referral.id)
        assert still is not None and still.status.value != "closed"


async def test_the_same_service_recorded_twice_is_recorded_once(
    config_path: Path, tmp_path: Path
) -> None:
    clock = FakeClock(THURSDAY_1000)
    async with world(config_path, clock=clock) as w:
        path = tmp_path / "directory.csv"
        path.write_text(DIRECTORY, encoding="utf-8")
        assert (await w.cli("directory", "import", str(path)))[0] == 0
        s = await station(w, {"Li Na": ()})
        await file(w, draft("family_dispute"))
        li = s.workers["Li Na"]
        await _linked_menu(li)
        await li.tap("Shelter")
        listing = li.last
        button = listing.button("Tianping Shelter")
        assert button is not None and button.callback_data is not None
        await li.tap("Tianping Shelter")
        again = await li.tap_data(button.callback_data, message_id=listing.message_id)
        assert again.text == "Already recorded."
        await li.tap("Hotline")
        await li.tap("✏️ Another (type its name)")
        await li.send("Night Line")
        await li.tap("Hotline")
        await li.tap("✏️ Another (type its name)")
        await li.send("night line")
        assert li.last.plain.startswith("Already recorded.")
        assert li.last.plain.count("Tianping Shelter — ") == 1
        assert li.last.plain.count("Night Line — ") == 1
        clock.advance(timedelta(days=14))
        await remind(w)
        assert seen(li, ASKED) == 2


async def test_a_service_is_linked_from_the_plan_without_closing(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        await file(w, draft("family_dispute"))
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")
        await li.tap("✔ First contact made")
        await li.tap("✔ Assessment started")
        assert "🔗 Link a service" not in li.last.button_labels()
        await li.tap("✔ Plan agreed")
        await li.tap("🔗 Link a service")
        assert "Which kind of resource?" in li.last.plain
        await li.tap("Legal")
        await li.send("Xuhui Legal Aid Centre")
        assert "Xuhui Legal Aid Centre — waiting for the follow-up" in li.last.plain
        await li.tap("⬅ Back")
        assert "🔗 Link a service" in li.last.button_labels()  # the plan's card again
        await li.tap("✔ Intervention under way")
        assert "🔗 Link a service" in li.last.button_labels()
        assert not any("Closed by" in t for t in s.officer.texts)


async def test_asked_from_the_menu_a_linkage_of_the_previous_holder_is_not_yours(
    config_path: Path,
) -> None:
    """Li linked the person to legal aid and handed the case over: Zhou, asking from the
    menu, reads that it was linked before he took the case over, not "You linked"."""
    clock = FakeClock(THURSDAY_1000)
    async with world(config_path, clock=clock) as w:
        s = await station(w, {"Li Na": (), "Zhou Min": ()})
        await file(w, draft("family_dispute"))
        li, zhou = s.workers["Li Na"], s.workers["Zhou Min"]
        await _linked_menu(li)
        await li.tap("Legal")
        await li.send("Xuhui Legal Aid Centre")
        clock.advance(timedelta(hours=1))
        await li.send("/mine")
        await li.tap("🤝 Hand over", message=li.last)
        await li.tap("Zhou Min · on duty · 0 open")
        await li.send("I am on leave from tomorrow.")
        await zhou.tap("✅ I take it over")
        await w.settle()
        await zhou.tap("Close case")
        await zhou.tap("Linked to a resource")
        await zhou.tap("Shelter")
        await zhou.send("Night Shelter")
        await zhou.tap("❓ Did Xuhui Legal Aid Centre happen?")
        assert zhou.last.plain.endswith(
            "The person was linked to Xuhui Legal Aid Centre before you took this case "
            f"over. {ASKED}"
        )
        await zhou.tap("⬅ Back")
        await zhou.tap("❓ Did Night Shelter happen?")
        assert zhou.last.plain.endswith(f"You linked the person to Night Shelter. {ASKED}")
