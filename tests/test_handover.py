"""A case changes hands: a worker hands it to a colleague (who takes it or not) or back
to the coordinator; a deactivated worker's cases go before the coordinators at once; a
request nobody answers reaches the coordinators, across a restart."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.engine import handovers
from bot.logs import PAYLOAD_LOGGERS
from bot.sandbox import FakeTelegram, Phone
from bot.sandbox.fake_telegram.seen import SeenMessage
from bot.sandbox.world import World, world
from handlers import callbacks
from storage import audit
from tests.stories import CANARY_NAME, draft, enrol, file, station
from tests.test_details_hiding import configure
from tests.test_details_hiding import tick as hide_tick
from tests.test_sealing import _raw_bytes, _with_key_file

REASON = "Going on leave tomorrow; call 13912345678 first"


def showing_details(phone: Phone) -> list[str]:
    return [t for t in phone.texts if CANARY_NAME in t]


async def remind(w: World) -> None:
    await handovers.tick(w.services)
    await w.settle()


async def ask_zhou(li: Phone) -> None:
    await li.tap("🤝 Hand over", message=case_card(li))
    await li.tap("Zhou Min · on duty · 0 open")
    await li.send(REASON)


def case_card(phone: Phone) -> SeenMessage:
    """The newest message on the phone with the case card's buttons."""
    return next(m for m in reversed(phone.bot_messages) if m.button("🤝 Hand over"))


async def test_a_colleague_takes_the_case_over_and_the_details_move(config_path: Path) -> None:
    configure(config_path, hide_details_at_closure=True)
    async with world(config_path) as w:
        s = await station(w, {"Li Na": (), "Zhou Min": ()})
        li, zhou = s.workers["Li Na"], s.workers["Zhou Min"]
        referral = await file(w, draft("neighbour_dispute"))
        await li.tap("✅ Accept")
        assert len(showing_details(li)) == 1

        await li.tap("🤝 Hand over", message=case_card(li))
        assert li.last.plain.startswith(f"Hand {referral.ref} over to:")
        assert li.last.button_labels() == [
            "Zhou Min · on duty · 0 open",
            "↩️ Back to the coordinator",
            "⬅ Back",
        ]
        await li.tap("Zhou Min · on duty · 0 open")
        await li.send(REASON)
        assert "Asked Zhou Min to take it over." in li.last.plain
        offer = zhou.last
        assert offer.plain.splitlines()[1] == (
            f"Li Na asks you to take over {referral.ref}: Going on leave tomorrow; call "
            "*******5678 first"
        )
        assert offer.button_labels() == ["✅ I take it over", "I can't"]
        assert showing_details(zhou) == []  # nothing personal before taking it

        take = offer.button("✅ I take it over")
        assert take is not None and take.callback_data is not None
        await zhou.tap("✅ I take it over")
        assert any(f"You took over {referral.ref} from Li Na." in t for t in zhou.texts)
        assert "Li Na handed this case over to you." in zhou.texts
        details = [m for m in zhou.bot_messages if CANARY_NAME in m.plain]
        assert len(details) == 1 and details[0].protect_content
        assert s.officer.last.plain.endswith(
            f"{referral.ref} is now with Zhou Min. Tap the name to write to them."
        )
        assert any(t.endswith("Handed over to Zhou Min.") for t in li.texts)
        # The old holder is not a second holder: her old buttons are refused.
        handed = next(m for m in li.bot_messages if m.plain.endswith("Handed over to Zhou Min."))
        answer = await li.tap_data(callbacks.case(referral.id, "s"), message_id=handed.message_id)
        assert answer.text == "This case is not yours." and answer.show_alert
        # Her details come off her phone under the hiding rules; Zhou's stay.
        await hide_tick(w)
        assert showing_details(li) == []
        assert len(showing_details(zhou)) == 1
        revealed = await audit.entries(w.services.db.reader, action="referral.revealed")
        assert len(revealed) == 2  # Li Na's, then Zhou Min's
        # A double tap changes nothing.
        again = await zhou.tap_data(take.callback_data, message_id=offer.message_id)
        assert again.text == "You have taken this case over already."


async def test_a_colleague_refuses_and_the_holder_keeps_it(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": (), "Zhou Min": ()})
        li, zhou = s.workers["Li Na"], s.workers["Zhou Min"]
        referral = await file(w, draft("neighbour_dispute"))
        await li.tap("✅ Accept")
        await ask_zhou(li)
        # Someone else's tap on Zhou's request is refused, and the referral's trail has it.
        request = next(m for m in zhou.bot_messages if m.button("I can't"))
        take = request.button("✅ I take it over")
        answer = await li.tap_data(take.callback_data or "", message_id=request.message_id)
        assert answer.text == "This request was not made to you."
        refused = await audit.entries(w.services.db.reader, action="handover.refused")
        assert [e.subject for e in refused] == [f"referral:{referral.id}"]
        # The officer's tap on it is refused by the role guard; the trail shows it too.
        answer = await s.officer.tap_data(take.callback_data or "", message_id=request.message_id)
        assert answer.show_alert
        admin = await enrol(w, 900, "Admin Wu", "--role", "admin")
        await admin.send(f"/audit {referral.ref}")
        trail = admin.last.plain.splitlines()
        request_words = "I take it over (request to take a case over)"
        assert any(
            line.endswith(f"Li Na · Refused: handover not allowed: {request_words}")
            for line in trail
        )
        assert any(
            line.endswith(f"Officer Wang · Refused: not allowed for their role: {request_words}")
            for line in trail
        )
        # One request at a time (a second tap on an older card of the case).
        answer = await li.tap_data(callbacks.case(referral.id, "h"), message_id=li.last.message_id)
        assert answer.text == (
            "You asked Zhou Min to take this case over; it stays yours until they answer."
        )
        await zhou.tap("I can't")
        assert zhou.last.plain.endswith("You said you can't take it. Li Na keeps the case.")
        assert li.last.plain.endswith(
            f"Zhou Min can't take over {referral.ref}. The case stays with you."
        )
        assert "🤝 Hand over" in li.last.button_labels()
        assert not any("is now with" in t for t in s.officer.texts)
        await li.tap("✔ First contact made")  # still hers
        assert "Li Na has made first contact." in s.officer.last.plain


async def test_back_to_the_coordinator_puts_it_before_them(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": (), "Zhou Min": ()})
        chen = await enrol(w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw")
        await chen.send("/available")
        li = s.workers["Li Na"]
        referral = await file(w, draft("neighbour_dispute"))
        await li.tap("✅ Accept")
        await li.tap("🤝 Hand over", message=case_card(li))
        await li.tap("↩️ Back to the coordinator")
        await li.send("A conflict of interest: I know the family")
        assert "Handed back to the coordinators; they will pass it on." in li.last.plain
        card = chen.last
        assert card.plain.endswith(
            "↩️ Li Na handed it back: A conflict of interest: I know the family"
        )
        assert "Take it myself" in " ".join(card.button_labels())
        assert s.officer.last.plain.endswith(
            f"Li Na handed {referral.ref} back to the coordinators. You will hear who takes it."
        )
        answer = await li.tap_data(callbacks.case(referral.id, "s"), message_id=li.last.message_id)
        assert answer.text == "This case is not yours."
        await chen.tap(next(b for b in card.button_labels() if "Assign" in b))
        await chen.tap(next(b for b in chen.last.button_labels() if b.startswith("Zhou Min")))
        assert "Assigned to Zhou Min by coordinator Coord Chen" in s.officer.last.plain


async def test_deactivating_a_worker_puts_each_open_case_before_the_coordinators(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        chen = await enrol(w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw")
        li = s.workers["Li Na"]
        first = await file(w, draft("neighbour_dispute"))
        await li.tap("✅ Accept")
        second = await file(w, draft("family_dispute"))
        await li.tap("✅ Accept")
        status, _, err = await w.cli("deactivate", str(li.chat_id))
        assert status == 0, err
        await w.settle()
        cards = [t for t in chen.texts if "was deactivated: please pass it on." in t]
        assert len(cards) == 2
        assert all(sum(ref in c for c in cards) == 1 for ref in (first.ref, second.ref))
        for ref in (first.ref, second.ref):
            assert any(
                t.endswith(
                    f"Li Na no longer works with the bot, so the coordinators have been asked "
                    f"to pass {ref} on. You will hear who takes it."
                )
                for t in s.officer.texts
            )


async def test_a_request_nobody_answers_reaches_the_coordinator_across_a_restart(
    config_path: Path,
) -> None:
    clock = FakeClock()
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        s = await station(w, {"Li Na": (), "Zhou Min": ()})
        chen = await enrol(w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw")
        li = s.workers["Li Na"]
        referral = await file(w, draft("neighbour_dispute"))
        await li.tap("✅ Accept")
        await ask_zhou(li)
        clock.advance(timedelta(hours=1, minutes=59))
        await remind(w)
        assert not any("has had no answer" in t for t in chen.texts)
    clock.advance(timedelta(minutes=5))  # the bot was down when the reminder fell due
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await remind(w)
        await remind(w)  # once, not twice
        told = [t for t in chen.texts if "has had no answer" in t]
        assert len(told) == 1
        assert told[0].startswith(f"⏰ {referral.ref}")
        assert told[0].endswith(
            "Li Na asked Zhou Min at 2026-11-26 10:00 to take this case over, and has had no "
            "answer. Li Na still holds it."
        )
        # The request stays open: Zhou Min can still take it.
        await s.workers["Zhou Min"].tap("✅ I take it over")
        assert s.officer.last.plain.endswith(
            f"{referral.ref} is now with Zhou Min. Tap the name to write to them."
        )


async def test_the_reason_is_sealed_at_rest_and_never_logged(
    config_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _with_key_file(config_path)
    caplog.set_level(logging.DEBUG)
    async with world(config_path) as w:
        s = await station(w, {"Li Na": (), "Zhou Min": ()})
        await file(w, draft("neighbour_dispute"))
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")
        await ask_zhou(li)
        await s.workers["Zhou Min"].tap("✅ I take it over")
        raw = _raw_bytes(config_path)
    assert b"Going on leave" not in raw
    # The libraries' payload loggers are held at INFO in production (bot/logs.py); every
    # other line, at any level, is free of it.
    logged = [
        r.getMessage()
        for r in caplog.records
        if not r.name.startswith(PAYLOAD_LOGGERS) or r.levelno >= logging.INFO
    ]
    assert not any("Going on leave" in line for line in logged)
