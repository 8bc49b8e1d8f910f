"""The awkward moments of the referral flow: blocked chats, two roles, stale buttons."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.domain.referral import Status
from bot.sandbox.world import world
from bot.services import cases as cases_service
from bot.services import people as people_service
from bot.services import referrals as referral_service
from tests.stories import CANARY_PHONE, draft, enrol, file, station


async def test_a_question_left_open_does_not_swallow_a_new_referral(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        first = await file(w, draft("other"))
        await s.officer.send("/mine")
        await s.officer.tap(f"Withdraw {first.ref}")  # …and then changes his mind
        await s.officer.send("➕ New referral")
        await s.officer.tap("Family dispute")
        await s.officer.tap("None of these")
        await s.officer.tap("● Routine (suggested)")
        await s.officer.send("Gate 4, Tianping Road")
        still = await referral_service.get(w.services, first.id)
        assert still is not None and still.status is Status.OFFERED
        assert "The person: type the name" in s.officer.last.plain  # the draft took the text


async def test_a_stale_question_is_not_answered_by_later_chat(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        referral = await file(w, draft("family_dispute"))
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")
        await li.tap("Close case")
        await li.tap("Resolved")
        w.clock.advance(timedelta(minutes=31))
        await li.send("hi, is the bot working?")
        assert li.last.plain.startswith("That question was asked more than 30 minutes ago")
        now = await referral_service.get(w.services, referral.id)
        assert now is not None and now.status is Status.ACCEPTED


async def test_a_blocked_worker_is_skipped_and_offered_again_once_back(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Zhou Min": ()})
        coordinator = await enrol(
            w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw"
        )
        zhou = s.workers["Zhou Min"]
        zhou.block()
        referral = await file(w, draft("elderly"))
        assert "no social worker is available right now" in s.officer.last.plain
        assert any("Zhou Min cannot be reached by the bot" in t for t in coordinator.texts)
        person = await people_service.find(w.services, zhou.chat_id)
        assert person is not None and not person.reachable
        zhou.unblock()
        await zhou.send("/available")
        assert zhou.last.plain.startswith(f"New referral\n{referral.ref}")
        await zhou.tap("✅ Accept")
        assert s.officer.last.plain.endswith("Accepted by Zhou Min. Tap the name to write to them.")


async def test_the_count_told_to_the_officer_is_of_delivered_offers(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": (), "Zhou Min": ()})
        s.workers["Zhou Min"].block()
        await file(w, draft("rental_dispute"))
        assert "Sent to 1 social worker." in s.officer.last.plain
        await s.workers["Li Na"].tap("Decline")
        await s.workers["Li Na"].tap("Off shift")
        assert "Every available social worker declined." in s.officer.last.plain


async def test_an_officer_who_is_also_a_worker_is_never_offered_their_own(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        code = await w.invite("--role", "social_worker", "--team", "xuhui-sw")
        await s.officer.send(f"/start {code}")
        await s.officer.send("/available")
        await file(w, draft("family_dispute"))
        assert not any(t.startswith("New referral\n") for t in s.officer.texts)  # no offer card
        assert "Sent to 1 social worker." in s.officer.last.plain


async def test_accepting_beyond_the_cap_is_refused_and_the_offer_stays(config_path: Path) -> None:
    async with world(config_path) as w:  # cap 4 in the test config
        s = await station(w, {"Busy Bee": (), "Zhou Min": ()}, away=("Busy Bee", "Zhou Min"))
        for _ in range(5):
            await file(w, draft("family_dispute"))
            w.clock.advance(timedelta(minutes=1))  # nobody files faster than that by hand
        busy = s.workers["Busy Bee"]
        await busy.send("/available")
        cards = [m for m in busy.bot_messages if m.plain.startswith("New referral")]
        assert len(cards) == 5
        for card in cards[:4]:
            assert (await busy.tap("✅ Accept", message=card)).text == "The case is yours."
        refused = await busy.tap("✅ Accept", message=cards[4])
        assert refused.text == "You already hold 4 open cases. Close one before taking another."
        zhou = s.workers["Zhou Min"]
        await zhou.send("/available")
        assert (await zhou.tap("✅ Accept")).text == "The case is yours."


async def test_an_old_cancel_button_cancels_nothing_newer(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        first = await file(w, draft("family_dispute"))
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")
        await file(w, draft("neighbour_dispute"))
        await li.tap("✅ Accept")
        await li.send("/mine")
        case_cards = [m for m in li.bot_messages if m.button("Return to police")][-2:]
        await li.tap("Return to police", message=case_cards[0])  # the card becomes a question
        await li.tap("Other reason", message=case_cards[0])
        await li.tap("Return to police", message=case_cards[1])
        await li.tap("Other reason", message=case_cards[1])
        stale = await li.tap("Cancel", message=case_cards[0])
        assert stale.text == "This button is no longer active."
        await li.send("Needs police: threats were made.")
        assert "Returned to police." in li.last.plain
        still = await referral_service.get(w.services, first.id)
        assert still is not None and still.status is Status.ACCEPTED


async def test_forged_or_old_case_buttons_are_answered_and_change_nothing(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        referral = await file(w, draft("family_dispute"))
        li = s.workers["Li Na"]
        offer_card = li.last
        accept = offer_card.button("✅ Accept")
        assert accept is not None and accept.callback_data is not None
        await li.tap("✅ Accept")
        decline = accept.callback_data.replace(":a", ":r:busy")
        answer = await li.tap_data(decline, message_id=offer_card.message_id)
        assert answer.text == "The case is yours."  # declining after accepting keeps the case
        nonsense = await li.tap_data(f"c:{referral.id}:o:nonsense", message_id=li.last.message_id)
        assert nonsense.text == "This button is no longer active."
        await li.tap("Close case")
        await li.tap("Resolved")
        await li.send("Settled.")
        closed_card = li.last
        late = await li.tap_data(f"c:{referral.id}:x", message_id=closed_card.message_id)
        assert late.text == "This button is no longer active."
        now = await referral_service.get(w.services, referral.id)
        assert now is not None and now.status is Status.CLOSED


@pytest.mark.expect_errors
async def test_an_unexpected_error_is_logged_with_the_reference_only(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        referral = await file(w, draft("family_dispute"))
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")

        async def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError(f"cannot parse {CANARY_PHONE}")  # a message quoting input

        monkeypatch.setattr(cases_service, "advance", broken)
        answer = await li.tap("✔ First contact made")
        assert (
            answer.text == "Sorry, something went wrong on my side. Please try again in a moment."
        )
        assert f"referral {referral.ref}" in caplog.text
        assert "builtins.RuntimeError" in caplog.text and "in broken" in caplog.text
        assert "Canary" not in caplog.text and CANARY_PHONE not in caplog.text
