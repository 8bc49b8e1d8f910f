"""Declining for "Other reason": the worker may say why in one line, for coordinators only.

The decline passes the offer on at once; the typed reason comes afterwards, is sealed at
rest, and shows on the coordinators' escalation card (as a reply to it if the card is
already out, so the card stays as the coordinator has it), never on another worker's
phone or the officer's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.domain.referral import Referral, Urgency
from bot.engine import retention
from bot.sandbox import Phone
from bot.sandbox.world import World, world
from storage import offers
from tests.stories import Station, draft, enrol, file, station
from tests.test_escalation import THURSDAY_2340, tick
from tests.test_sealing import _raw_bytes, _with_key_file

REASON = "I know the family: they live next door to my mother."
ASKED = (
    "Why? Type one line for the coordinators (only they see it), or tap Skip. "
    "The referral has already gone on."
)


async def night_coordinator(w: World) -> Phone:
    chen = await enrol(w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw")
    await chen.send("/available")
    return chen


async def declined_by_the_only_worker(
    w: World, category: str, urgency: Urgency = Urgency.URGENT
) -> tuple[Station, Phone, Referral]:
    """Li Na, the station's only worker, declines for "Other reason" and has not typed it
    yet; the coordinator's card goes out at once. (station, coordinator, referral)"""
    s = await station(w, {"Li Na": ()})
    chen = await night_coordinator(w)
    referral = await file(w, draft(category, urgency=urgency))
    await s.workers["Li Na"].tap("Decline")
    await s.workers["Li Na"].tap("Other reason")
    await tick(w)
    return s, chen, referral


def offered(phone: Phone, ref: str) -> bool:
    return any(t.startswith(f"New referral\n{ref}") for t in phone.texts)


async def test_other_reason_is_asked_after_the_offer_has_gone_on_and_reaches_the_coordinator(
    config_path: Path,
) -> None:
    _with_key_file(config_path)
    async with world(config_path, clock=FakeClock(THURSDAY_2340)) as w:
        s = await station(w, {"Li Na": ("domestic_violence",), "Zhou Min": ()})
        chen = await night_coordinator(w)
        li, zhou = s.workers["Li Na"], s.workers["Zhou Min"]
        referral = await file(w, draft("domestic_violence", urgency=Urgency.URGENT))
        await li.tap("Decline")
        await li.tap("Other reason")
        assert offered(zhou, referral.ref)  # at once: nobody waits for Li to type
        assert li.last.plain.splitlines()[1:] == ["You declined this referral.", ASKED]
        assert li.last.button_labels() == ["Skip"]
        await li.send(REASON)
        assert li.last.plain == "Thank you. The coordinators will see your reason."
        assert li.messages[-2].buttons == []  # the question card lost its Skip button
        await zhou.tap("Decline")
        await zhou.tap("Busy with another case")
        await tick(w)  # nobody left at this level: the next step is due now
        card = chen.last.plain
        assert card.startswith("⏫ Nobody has accepted this referral yet")
        assert card.splitlines()[-1] == (
            f"Offered to: Li Na (declined: Other reason — “{REASON}”), "
            "Zhou Min (declined: Busy with another case)"
        )
        for phone in (zhou, s.officer):
            assert not any("next door" in t for t in phone.texts)
        raw = _raw_bytes(config_path)
    assert b"next door" not in raw  # sealed at rest like every typed reason


async def test_a_reason_typed_after_the_coordinator_was_woken_reaches_them(
    config_path: Path,
) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_2340)) as w:
        s, chen, referral = await declined_by_the_only_worker(w, "mental_health")
        li = s.workers["Li Na"]
        card = chen.last
        assert card.plain.endswith("Offered to: Li Na (declined: Other reason)")
        await li.send("On sick leave from tomorrow; cannot follow a case.")
        assert chen.last.plain == (
            f"💬 Li Na gave a reason for declining {referral.ref}: "
            "“On sick leave from tomorrow; cannot follow a case.”"
        )
        assert chen.last.reply_to_message_id == card.message_id
        assert "🙋 Take it myself" in card.button_labels()  # still a card to act on
        await chen.tap("👥 Assign to…")
        await chen.tap("⬅ Back")  # drawn again: the reason is in its list
        assert card.plain.endswith(
            "Offered to: Li Na (declined: Other reason — "
            "“On sick leave from tomorrow; cannot follow a case.”)"
        )


async def test_skip_leaves_the_decline_as_it_was(config_path: Path) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_2340)) as w:
        s = await station(w, {"Li Na": ()})
        chen = await night_coordinator(w)
        li = s.workers["Li Na"]
        referral = await file(w, draft("mental_health", urgency=Urgency.URGENT))
        await li.tap("Decline")
        await li.tap("Other reason")
        await li.tap("Skip")
        assert li.last.plain.splitlines()[1:] == ["You declined this referral."]
        assert li.last.buttons == []
        await li.send("hello")
        assert li.last.plain.startswith("Sorry, I did not understand that")
        await tick(w)
        assert chen.last.plain.endswith("Offered to: Li Na (declined: Other reason)")
        assert referral.ref in chen.last.plain


async def test_the_typed_reason_is_erased_with_the_referral(config_path: Path) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_2340)) as w:
        s = await station(w, {"Li Na": (), "Zhou Min": ()})
        referral = await file(w, draft("other", urgency=Urgency.URGENT))
        await s.workers["Li Na"].tap("Decline")
        await s.workers["Li Na"].tap("Other reason")
        await s.workers["Li Na"].send(REASON)
        notes = [o.note for o in await offers.of_referral(w.services.db.reader, referral.id)]
        assert REASON in notes
        await s.officer.send("/mine")
        await s.officer.tap(f"Withdraw {referral.ref}")
        await s.officer.send("Sorted out on the spot.")
        w.clock.advance(timedelta(days=31))
        assert await retention.tick(w.services) == 1
        notes = [o.note for o in await offers.of_referral(w.services.db.reader, referral.id)]
        assert notes == [None, None]


async def test_a_reason_typed_after_half_an_hour_is_not_kept_and_the_decline_stands(
    config_path: Path,
) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_2340)) as w:
        s = await station(w, {"Li Na": (), "Zhou Min": ()})
        li, zhou = s.workers["Li Na"], s.workers["Zhou Min"]
        referral = await file(w, draft("family_dispute", urgency=Urgency.URGENT))
        await li.tap("Decline")
        await li.tap("Other reason")
        w.clock.advance(timedelta(minutes=31))
        await li.send(REASON)
        assert li.last.plain == (
            "You declined more than 30 minutes ago, so I did not keep this as your reason. "
            "Your decline stands; nothing else changed."
        )  # not "tap the button again": there is no button to tap
        assert li.messages[-2].buttons == []  # the question's Skip is gone too
        assert offered(zhou, referral.ref)


def reason_replies(phone: Phone, card_id: int) -> list[str]:
    """The decline reasons sent to a coordinator as replies to their card."""
    return [
        m.plain
        for m in phone.bot_messages
        if m.reply_to_message_id == card_id and m.plain.startswith("💬")
    ]


async def test_a_reason_that_arrives_leaves_the_card_as_the_coordinator_has_it(
    config_path: Path,
) -> None:
    """A late card keeps its late line; a coordinator in "Assign to…" keeps the list and
    assigns from it; each reason comes as a silent reply to the card."""
    clock = FakeClock(THURSDAY_2340)
    async with world(config_path, clock=clock) as w:
        s = await station(w, {"Li Na": (), "Zhou Min": ()})
        chen = await night_coordinator(w)
        li, zhou = s.workers["Li Na"], s.workers["Zhou Min"]
        referral = await file(w, draft("mental_health", urgency=Urgency.URGENT))
        first, second = (li, zhou) if offered(li, referral.ref) else (zhou, li)
        await first.tap("Decline")
        await first.tap("Other reason")
        await second.tap("Decline")
        await second.tap("Other reason")
        clock.advance(timedelta(minutes=5))  # the bot was down when the next step fell due
        await tick(w)
        card = chen.last
        late = "⏱ This step is 5 min late: the bot was offline."
        assert card.plain.endswith(late)

        await first.send("On sick leave from tomorrow; cannot follow a case.")
        assert card.plain.endswith(late)  # the card is as it was
        assert "🙋 Take it myself" in card.button_labels()
        name = "Li Na" if first is li else "Zhou Min"
        assert reason_replies(chen, card.message_id) == [
            f"💬 {name} gave a reason for declining {referral.ref}: "
            "“On sick leave from tomorrow; cannot follow a case.”"
        ]
        assert chen.last.disable_notification  # no second alarm for a line of text

        await chen.tap("👥 Assign to…")
        listed = card.button_labels()
        await second.send(REASON)
        assert card.plain == f"Assign {referral.ref} to:"  # still the list she was reading
        assert card.button_labels() == listed
        assert len(reason_replies(chen, card.message_id)) == 2
        assert REASON in chen.last.plain
        answer = await chen.tap("Li Na · on duty · 0/4 open", message=card)
        assert answer.text == "Sent to Li Na. Waiting for them to confirm."
        await li.tap("✅ I take it")
        assert "Coordinator Coord Chen assigned this referral to you." in li.texts


async def test_a_reason_that_arrives_leaves_the_hold_question_waiting(config_path: Path) -> None:
    clock = FakeClock(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))  # Thursday 17:00 local
    async with world(config_path, clock=clock) as w:
        s, chen, referral = await declined_by_the_only_worker(
            w, "neighbour_dispute", Urgency.ROUTINE
        )
        li = s.workers["Li Na"]
        card = chen.last
        await chen.tap("⏸ Hold until morning")
        question = f"Why can {referral.ref} wait until morning? Type a short reason."
        assert card.plain == question

        await li.send(REASON)
        assert card.plain == question  # the question is still on screen
        assert card.button_labels() == ["Cancel"]
        assert reason_replies(chen, card.message_id) == [
            f"💬 Li Na gave a reason for declining {referral.ref}: “{REASON}”"
        ]
        await chen.send("The neighbours meet the worker tomorrow.")
        assert chen.last.plain.endswith("It waits for the morning shift. The officer will be told.")
        assert s.officer.last.plain.endswith("Reason: The neighbours meet the worker tomorrow.")
