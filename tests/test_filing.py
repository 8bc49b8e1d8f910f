"""An officer files referrals from a phone, told through what the officer's phone shows."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.draft import DRAFT_LIFETIME, DraftError, Step
from bot.domain.referral import Consent, Guardian, Questioning, Referral, Urgency
from bot.sandbox import Phone
from bot.sandbox.world import World, world
from bot.services import drafts, referrals
from bot.services import people as people_service
from handlers.filing import NEW_REFERRAL
from storage import audit
from tests.stories import OFFICER_ID, station, up_to_where

OFFICER, WORKER, STRANGER = 101, 202, 303
STALE = "This card is out of date. Send /resume to carry on with your referral."
PLACE = "Lane 5, Tianping Road"
SUMMARY = "Neighbours argue about noise every night; both asked for mediation."


async def enrol_officer(w: World, user_id: int = OFFICER, name: str = "Wang") -> Phone:
    code = await w.invite("--role", "officer", "--station", "tianping", "--name", name)
    phone = w.phone(user_id, name)
    await phone.send(f"/start {code}")
    return phone


async def person_id(w: World, telegram_id: int = OFFICER) -> int:
    person = await people_service.find(w.services, telegram_id)
    assert person is not None
    return person.id


async def filed_by(w: World, telegram_id: int = OFFICER) -> list[Referral]:
    officer = await people_service.find(w.services, telegram_id)
    assert officer is not None
    return await referrals.of_officer(w.services, officer)


async def stored_draft(w: World, telegram_id: int = OFFICER) -> drafts.StoredDraft | None:
    return await drafts.current(w.services, await person_id(w, telegram_id))


async def answer_until_review(phone: Phone, *, name: str | None = None) -> None:
    """A neighbour dispute, answered the quickest way, up to the review card."""
    await phone.send("/new")
    await phone.tap("Neighbour dispute")
    await phone.tap("None of these")
    await phone.tap("● Routine (suggested)")
    await phone.send(PLACE)
    if name is not None:
        await phone.send(name)
    await phone.tap("Adult (18–59)")
    await phone.send("138 0013 8000")
    await phone.tap("The person agrees to be contacted")
    await phone.send(SUMMARY)
    await phone.tap("Skip: no incident number")
    assert phone.last.plain.startswith("Check the referral, then submit")


@dataclass
class Counted:
    """The officer's thumb: every tap and every typed message is counted."""

    phone: Phone
    taps: int = 0
    typed: int = 0

    async def tap(self, label: str) -> None:
        self.taps += 1
        await self.phone.tap(label)

    async def press_new_referral(self) -> None:
        self.taps += 1  # the persistent reply-keyboard button sends its label as text
        await self.phone.send(NEW_REFERRAL)

    async def type(self, text: str) -> None:
        self.typed += 1
        await self.phone.send(text)

    async def up_to_the_person(self) -> None:
        """➕, a neighbour dispute, no safety concern, the suggested urgency, the place."""
        await self.press_new_referral()
        await self.tap("Neighbour dispute")
        await self.tap("None of these")
        await self.tap("● Routine (suggested)")
        await self.type(PLACE)


async def test_a_neighbour_dispute_is_filed_in_eight_taps_and_three_typed_messages(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        officer = Counted(await enrol_officer(w))
        assert officer.phone.reply_keyboard == [["➕ New referral"]]  # given at enrolment
        await officer.press_new_referral()
        await officer.tap("Neighbour dispute")
        await officer.tap("None of these")
        await officer.tap("● Routine (suggested)")
        await officer.type(PLACE)
        await officer.tap("Adult (18–59)")  # the name is optional: skipping it costs nothing
        await officer.type("138 0013 8000")
        await officer.tap("The person agrees to be contacted")
        await officer.type(SUMMARY)
        await officer.tap("Skip: no incident number")  # optional: one tap
        await officer.tap("📨 Submit")

        assert (officer.taps, officer.typed) == (8, 3)
        phone = officer.phone
        card = next(m for m in phone.bot_messages if m.plain.startswith("Submitted as R-"))
        assert card.buttons == []
        [referral] = await filed_by(w)
        assert card.plain == f"Submitted as {referral.ref}."
        assert (referral.category, referral.urgency) == (
            "neighbour_dispute",
            Urgency.ROUTINE,
        )
        assert (referral.place, referral.person_phone, referral.summary) == (
            PLACE,
            "138 0013 8000",
            SUMMARY,
        )
        assert referral.consent is Consent.PERSON_AGREES and referral.person_name is None
        assert phone.last.plain.startswith(referral.ref)  # the notice of who it was offered to
        assert not any(t.startswith("Next time") for t in phone.texts)  # the button is there
        assert await stored_draft(w) is None


async def test_a_named_person_with_a_phone_takes_eight_taps_and_three_typed_messages(
    config_path: Path,
) -> None:
    """The name and the phone go in one message at the person step; the phone step is
    then not asked again."""
    async with world(config_path) as w:
        officer = Counted(await enrol_officer(w))
        await officer.up_to_the_person()
        await officer.type("Chen Mei 138 0013 8000")
        phone = officer.phone
        assert "Name: Chen Mei\nPhone: 138 0013 8000" in phone.last.plain  # what was taken
        await officer.tap("Adult (18–59)")
        assert phone.last.plain.startswith("New referral · step 7 of 9")  # consent next
        await officer.tap("The person agrees to be contacted")
        await officer.type(SUMMARY)
        await officer.tap("Skip: no incident number")
        assert "Name: Chen Mei\nAge band: Adult (18–59)\nPhone: 138 0013 8000" in phone.last.plain
        await officer.tap("📨 Submit")

        assert (officer.taps, officer.typed) == (8, 3)
        assert not any("The person's phone: type the number" in t for t in phone.texts)
        [referral] = await filed_by(w)
        assert (referral.person_name, referral.person_phone) == ("Chen Mei", "138 0013 8000")
        assert any(t == f"Submitted as {referral.ref}." for t in phone.texts)


async def test_a_named_person_without_a_phone_takes_nine_taps_and_three_typed_messages(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        officer = Counted(await enrol_officer(w))
        await officer.up_to_the_person()
        await officer.type("陈美")
        await officer.tap("60 or older")
        await officer.tap("No phone: visit only")  # an elderly woman without a mobile
        await officer.tap("The person agrees to be contacted")
        await officer.type(SUMMARY)
        await officer.tap("Skip: no incident number")  # optional: one tap
        await officer.tap("📨 Submit")

        assert (officer.taps, officer.typed) == (9, 3)
        [referral] = await filed_by(w)
        assert (referral.person_name, referral.person_phone, referral.no_phone) == (
            "陈美",
            None,
            True,
        )


async def test_a_bad_number_with_the_name_is_refused_politely_and_nothing_is_lost(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        officer = Counted(await enrol_officer(w))
        await officer.up_to_the_person()
        phone = officer.phone
        typed = "Chen Mei 138 0013 8000 1234 5678 901"  # two numbers run together: 22 digits
        await phone.send(typed)
        card, echo = phone.bot_messages[-2:]
        assert card.plain.startswith("The number in that message does not look like a phone")
        assert "The person: type the name" in card.plain and card.button("Adult (18–59)")
        assert echo.plain == typed  # to copy and correct
        stored = await stored_draft(w)
        assert stored is not None
        assert (stored.draft.person_name, stored.draft.phone) == (None, None)
        await phone.send("Chen Mei 138 0013 8000")
        await phone.tap("Adult (18–59)")
        assert "Does the person agree to be contacted" in phone.last.plain
        await phone.tap("⬅ Back")  # the phone step is still there to change the number
        assert "Now: 138 0013 8000" in phone.last.plain
        await phone.tap("Keep as it is ▶")
        assert "Does the person agree to be contacted" in phone.last.plain


async def test_domestic_violence_with_a_safety_yes_is_a_co_response(config_path: Path) -> None:
    async with world(config_path) as w:
        phone = await enrol_officer(w)
        await phone.send("/new")
        assert phone.last.plain.startswith("New referral · step 1 of 9")
        await phone.tap("Domestic violence")
        assert phone.last.button_labels() == [
            "Immediate danger to life",
            "Weapon or injury",
            "Child at risk",
            "Self-harm or suicide intent",
            "None of these",
            "⬅ Back",
            "Cancel",
        ]
        await phone.tap("Immediate danger to life")
        await phone.tap("Child at risk")
        card = phone.last
        assert "✅ Immediate danger to life" in card.button_labels()
        assert "✅ Child at risk" in card.button_labels()
        assert "Continue ▶" in card.button_labels()
        assert "Police keep the lead" in card.plain

        await phone.tap("Continue ▶")
        assert phone.last is card  # the same card, edited in place
        assert "⚠️ Police keep the lead. This is a co-response" in card.plain
        assert card.button_labels()[:3] == ["● Immediate (suggested)", "Urgent", "Routine"]
        await phone.tap("● Immediate (suggested)")
        await phone.send("Building 3, Xietu Road")
        await phone.send("Zhang Hua")
        await phone.tap("Adult (18–59)")
        await phone.tap("No phone: visit only")
        await phone.tap("Declined: consultation only, the person is not contacted")
        assert "this becomes a consultation for you" in phone.last.plain
        await phone.send("Repeated violence reported by a neighbour; the wife is afraid.")
        await phone.tap("Skip: no incident number")
        review = phone.last.plain
        assert "Safety: Immediate danger to life, Child at risk" in review
        assert "Urgency: Immediate" in review
        assert "⚠️ Co-response: police keep the lead" in review
        # Consent declined: the name typed earlier is not passed on, nor any phone.
        assert "Zhang Hua" not in review and "Phone:" not in review

        await phone.tap("📨 Submit")
        [referral] = await filed_by(w)
        assert referral.co_response and referral.urgency is Urgency.IMMEDIATE
        assert referral.consultation
        assert referral.person_name is None and referral.person_phone is None
        assert "Next time, tap “➕ New referral” below to file." in phone.texts
        assert phone.reply_keyboard == [["➕ New referral"]]


async def test_a_juvenile_being_questioned_now_needs_an_appropriate_adult(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        phone = await enrol_officer(w)
        await phone.send("/new")
        await phone.tap("Juvenile")
        await phone.tap("None of these")
        assert phone.last.button_labels()[:4] == [
            "Immediate",
            "● Urgent (suggested)",
            "Routine",
            "⬜ Appropriate adult needed: a minor is about to be questioned",
        ]
        await phone.tap("⬜ Appropriate adult needed: a minor is about to be questioned")
        # The request, as the law works: who is questioned, when, and the guardian.
        assert phone.last.button_labels() == [
            "Suspect (interrogation)",
            "Victim or witness (interview)",
            "Questioning now",
            "In 30 min",
            "In 1 h",
            "In 2 h",
            "Guardian present",
            "Guardian absent",
            "Guardian unreachable",
            "⬅ Back",
            "Cancel",
        ]
        await phone.tap("Victim or witness (interview)")
        assert "● Victim or witness (interview)" in phone.last.button_labels()
        await phone.send("half past nine")  # not a time: asked again, nothing lost
        assert phone.last.plain.startswith(
            "Please type the questioning time as hours and minutes, e.g. 21:30, or tap a button."
        )
        assert "● Victim or witness (interview)" in phone.last.button_labels()
        await phone.send("21:30")
        assert "Questioning at: 2026-11-26 21:30" in phone.last.plain
        await phone.tap("Guardian unreachable")  # the last answer: back to the urgency
        assert phone.last.button_labels()[:5] == [
            "● Immediate (suggested)",
            "Urgent",
            "Routine",
            "✅ Appropriate adult needed: a minor is about to be questioned",
            "✏️ Appropriate adult request",
        ]
        assert "Suggested: Immediate" in phone.last.plain
        assert (
            "Appropriate adult: Victim or witness (interview) · questioning at 2026-11-26 21:30"
            " · Guardian unreachable" in phone.last.plain
        )
        await phone.tap("✏️ Appropriate adult request")
        await phone.tap("In 1 h")  # 10:00 now: 11:00, and the request is complete again
        assert "questioning at 2026-11-26 11:00" in phone.last.plain
        await phone.tap("● Immediate (suggested)")
        await phone.send("Tianping Road station, interview room 2")
        await phone.tap("14–17")
        await phone.send("021 6431 2345")
        await phone.tap("Not asked")
        assert phone.last.plain.endswith("Why was the person not asked?")
        await phone.tap("⬅ Back")
        await phone.tap("A guardian agrees")
        await phone.send("Fifteen-year-old held after a fight at school; parents on the way.")
        await phone.tap("Skip: no incident number")
        assert (
            "⚠️ An appropriate adult is needed: a minor is about to be questioned."
            in phone.last.plain
        )
        assert (
            "Request: Victim or witness (interview) · questioning at 2026-11-26 11:00"
            " · Guardian unreachable" in phone.last.plain
        )
        await phone.tap("📨 Submit")
        [referral] = await filed_by(w)
        assert referral.appropriate_adult_now and referral.urgency is Urgency.IMMEDIATE
        assert referral.consent is Consent.GUARDIAN_AGREES
        assert (referral.questioning, referral.guardian) == (
            Questioning.WITNESS,
            Guardian.UNREACHABLE,
        )
        assert referral.questioning_at == datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


async def test_back_and_edit_from_the_review_card(config_path: Path) -> None:
    async with world(config_path) as w:
        phone = await enrol_officer(w)
        await phone.send("/new")
        await phone.tap("Family dispute")
        await phone.tap("None of these")
        await phone.tap("● Routine (suggested)")
        await phone.send(PLACE)
        await phone.send("Li Wei")
        await phone.tap("Adult (18–59)")
        await phone.tap("⬅ Back")  # back to the person, with the answers still marked
        assert "Name: Li Wei" in phone.last.plain
        assert "● Adult (18–59)" in phone.last.button_labels()
        await phone.tap("⬅ Back")
        assert f"Now: {PLACE}" in phone.last.plain
        await phone.tap("Keep as it is ▶")
        await phone.tap("● Adult (18–59)")
        await phone.send("138 0013 8000")
        await phone.tap("The person agrees to be contacted")
        await phone.send(SUMMARY)
        await phone.tap("Skip: no incident number")

        await phone.tap("✏️ Where")
        assert phone.last.plain.startswith("New referral · changing one answer")
        await phone.send("Gate of No. 12, Xietu Road")
        assert "Where: Gate of No. 12, Xietu Road" in phone.last.plain  # straight back to review

        await phone.tap("✏️ Safety")
        await phone.tap("Self-harm or suicide intent")
        await phone.tap("Continue ▶")
        # The answers now suggest more than the routine confirmed before: confirm again.
        assert "Suggested: Immediate" in phone.last.plain
        await phone.tap("● Immediate (suggested)")
        review = phone.last.plain
        assert "Urgency: Immediate" in review and "Safety: Self-harm or suicide intent" in review

        await phone.tap("✏️ Summary")
        await phone.tap("⬅ Back")  # changed their mind: review again, nothing lost
        assert f"Summary: {SUMMARY}" in phone.last.plain
        await phone.tap("✏️ Person")
        await phone.tap("Remove the name")
        await phone.tap("● Adult (18–59)")
        assert "Name: not given" in phone.last.plain


async def test_cancel_asks_first_and_cancel_command_discards(config_path: Path) -> None:
    async with world(config_path) as w:
        phone = await enrol_officer(w)
        await phone.send("/new")
        await phone.tap("Rental dispute")
        await phone.tap("Cancel")
        assert phone.last.plain == "Discard this draft? Nothing has been sent yet."
        assert phone.last.button_labels() == ["Yes, discard", "No, keep it"]
        await phone.tap("No, keep it")
        assert "Safety check" in phone.last.plain
        await phone.tap("Cancel")
        await phone.tap("Yes, discard")
        assert phone.last.plain == "Draft discarded. Nothing was sent."
        assert phone.last.buttons == []
        assert await stored_draft(w) is None

        await phone.send("/new")
        await phone.tap("Other")
        await phone.send("/cancel")
        assert phone.last.plain == "Draft discarded. Nothing was sent."
        assert phone.reply_keyboard == [["➕ New referral"]]
        await phone.send("/resume")
        assert phone.last.plain.startswith("You have no unfinished referral")
        assert await filed_by(w) == []


async def test_a_draft_survives_half_an_hour_of_silence_and_a_restart(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        phone = await enrol_officer(w)
        await phone.send("/new")
        await phone.tap("Older or vulnerable person")
        await phone.tap("None of these")
        await phone.tap("● Routine (suggested)")
        await phone.send(PLACE)
        await phone.tap("60 or older")
        w.clock.advance(timedelta(minutes=30))
        await phone.send("138 0013 8000")  # called away, back half an hour later
        assert "Does the person agree to be contacted" in phone.last.plain
        old_card = phone.last
        clock, telegram = w.clock, w.telegram
    w.clock.advance(timedelta(minutes=45))
    async with world(config_path, clock=clock, telegram=telegram) as again:
        phone = again.phone(OFFICER, "Wang")
        await phone.send("/resume")
        assert phone.last is not old_card
        assert "Does the person agree to be contacted" in phone.last.plain
        assert old_card.buttons == []  # only the newest card can be tapped
        await phone.tap("The person agrees to be contacted")
        await phone.send(SUMMARY)
        await phone.tap("Skip: no incident number")
        review = phone.last.plain
        assert f"Where: {PLACE}" in review and "Age band: 60 or older" in review
        assert "Phone: 138 0013 8000" in review


async def test_a_draft_is_discarded_after_its_lifetime(config_path: Path) -> None:
    async with world(config_path) as w:
        phone = await enrol_officer(w)
        await phone.send("/new")
        await phone.tap("Consumer dispute")
        card = phone.last
        w.clock.advance(DRAFT_LIFETIME + timedelta(minutes=1))
        answer = await phone.tap("None of these", message=card)
        assert answer.text == STALE
        assert await stored_draft(w) is None
        await phone.send("a shop refused a refund")  # no draft waits for text any more
        assert "/help shows what you can do" in phone.last.plain
        await phone.send("/resume")
        assert phone.last.plain.startswith("You have no unfinished referral")


async def test_an_overlong_summary_is_refused_and_nothing_is_lost(config_path: Path) -> None:
    async with world(config_path) as w:
        phone = await enrol_officer(w)
        await phone.send("/new")
        await phone.tap("Mental health")
        await phone.tap("None of these")
        await phone.tap("● Urgent (suggested)")
        await phone.send(PLACE)
        await phone.tap("Adult (18–59)")
        await phone.send("138 0013 8000")
        await phone.tap("The person agrees to be contacted")
        long_text = "He said <stop> & shouted. " * 60  # 1560 characters, with markup
        await phone.send(long_text)

        notice, echo = phone.bot_messages[-2:]
        assert notice.plain.startswith(
            "That is 1559 characters; the limit here is 1000. Nothing is lost"
        )
        assert "Type a short summary" in notice.plain
        assert echo.plain == long_text.strip()
        stored = await stored_draft(w)
        assert stored is not None
        assert stored.draft.step is Step.SUMMARY and stored.draft.summary is None
        assert (stored.draft.place, stored.draft.phone) == (PLACE, "138 0013 8000")

        await phone.send(long_text[:900])
        await phone.tap("Skip: no incident number")
        assert phone.last.plain.startswith("Check the referral, then submit")
        assert f"Where: {PLACE}" in phone.last.plain


async def test_markup_typed_by_the_officer_is_shown_literally(config_path: Path) -> None:
    async with world(config_path) as w:
        phone = await enrol_officer(w)
        await phone.send("/new")
        await phone.tap("Neighbour dispute")
        await phone.tap("None of these")
        await phone.tap("● Routine (suggested)")
        await phone.send("<b>No. 5</b> & Sons' shop")
        await phone.send("<i>Li</i> & <Wang>")
        await phone.tap("Adult (18–59)")
        await phone.tap("No phone: visit only")
        await phone.tap("The person agrees to be contacted")
        await phone.send("a < b && c > d; <a href='x'>link</a>")
        await phone.tap("Skip: no incident number")
        review = phone.last.plain
        assert "Where: <b>No. 5</b> & Sons' shop" in review
        assert "Name: <i>Li</i> & <Wang>" in review
        assert "Summary: a < b && c > d; <a href='x'>link</a>" in review
        assert phone.last.entities[0]["type"] == "bold"  # our own heading, and nothing else
        assert len(phone.last.entities) == 1


async def test_wrong_kinds_of_input_get_a_polite_hint_and_the_card_again(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        phone = await enrol_officer(w)
        await phone.send("/new")
        first_card = phone.last
        await phone.send("family fight")  # typed while the category grid is showing
        assert phone.last.plain.startswith("Please tap one of the buttons below")
        assert "What kind of incident is it?" in phone.last.plain
        assert first_card.buttons == []
        await phone.send_photo()
        assert phone.last.plain.startswith("Please tap one of the buttons below")
        await phone.send_location(31.2, 121.45)
        assert phone.last.plain.startswith("A location pin is only used at the “Where” step")

        await phone.tap("Family dispute")
        await phone.tap("None of these")
        await phone.tap("● Routine (suggested)")
        await phone.send_sticker()
        assert phone.last.plain.startswith("Please type your answer as text; I cannot read")
        assert "Where? Type the place, with the road and number if someone" in phone.last.plain
        await phone.send_location(31.20412, 121.45678)
        assert "The person: type the name" in phone.last.plain
        await phone.send_voice()
        assert phone.last.plain.startswith("Please type your answer as text")
        await phone.tap("Adult (18–59)")
        await phone.send("call me maybe")
        assert phone.last.plain.startswith("That does not look like a phone number")
        await phone.send("+86 138 0013 8000")
        await phone.tap("The person agrees to be contacted")
        await phone.send(SUMMARY)
        await phone.tap("Skip: no incident number")
        assert "Where: 📍 location pin (31.20412, 121.45678)" in phone.last.plain
        stored = await stored_draft(w)
        assert stored is not None and stored.draft.place is None


async def test_taps_on_old_cards_change_nothing(config_path: Path) -> None:
    async with world(config_path) as w:
        phone = await enrol_officer(w)
        await phone.send("/new")
        card = phone.last
        category = card.button("Neighbour dispute")
        assert category is not None and category.callback_data is not None
        await phone.tap("Neighbour dispute")
        answer = await phone.tap_data(category.callback_data, message_id=card.message_id)
        assert answer.text == STALE  # a double tap does not skip the safety screen
        assert "Safety check" in card.plain

        await phone.tap("None of these")
        await phone.tap("● Routine (suggested)")
        old_back = card.button("⬅ Back")
        assert old_back is not None and old_back.callback_data is not None
        await phone.send(PLACE)  # the next step comes on a new card
        answer = await phone.tap_data(old_back.callback_data, message_id=card.message_id)
        assert answer.text == STALE
        old_cancel = "d:" + old_back.callback_data.split(":")[1] + ":x"
        answer = await phone.tap_data(old_cancel, message_id=card.message_id)
        assert answer.text == STALE  # Cancel fits any step, but this card is not current
        assert "Discard this draft?" not in card.plain
        stored = await stored_draft(w)
        assert stored is not None and stored.draft.step is Step.PERSON

        await phone.send("/new")  # resume or start over; start over makes a new draft
        await phone.tap("Start over")
        assert "What kind of incident is it?" in phone.last.plain
        fresh = phone.last
        stale_data = old_back.callback_data  # the old draft's token, on the live card
        answer = await phone.tap_data(stale_data, message_id=fresh.message_id)
        assert answer.text == STALE
        forged = await phone.tap_data("d:zzzzzz", message_id=fresh.message_id)
        assert forged.text == "This button is no longer active."  # no card of ours sent it
        stored = await stored_draft(w)
        assert stored is not None and stored.draft.step is Step.CATEGORY
        assert stored.draft.place is None


async def test_new_referral_with_a_draft_open_offers_to_resume(config_path: Path) -> None:
    async with world(config_path) as w:
        phone = await enrol_officer(w)
        await phone.send("/new")
        await phone.tap("Neighbour dispute")
        await phone.tap("None of these")
        urgency_card = phone.last
        urgent = urgency_card.button("Urgent")
        assert urgent is not None and urgent.callback_data is not None
        await phone.send(NEW_REFERRAL)
        assert phone.last.plain == (
            "You have an unfinished referral (Neighbour dispute, step 3 of 9). "
            "Resume it, or start over?"
        )
        assert urgency_card.buttons == []
        # The question is the card now: the urgency card above it no longer counts.
        answer = await phone.tap_data(urgent.callback_data, message_id=urgency_card.message_id)
        assert answer.text == STALE
        await phone.tap("▶ Resume")
        assert "How urgent is it?" in phone.last.plain
        stored = await stored_draft(w)
        assert stored is not None and stored.draft.urgency is None


async def test_submit_with_an_answer_missing_goes_to_that_step(config_path: Path) -> None:
    async with world(config_path) as w:
        phone = await enrol_officer(w)
        await answer_until_review(phone)
        officer_id = await person_id(w)

        def lose_the_summary(draft: drafts.Draft) -> None:
            draft.summary = None  # as an older version of the bot might have stored it

        await drafts.change(w.services, officer_id, lose_the_summary)
        answer = await phone.tap("📨 Submit")
        assert answer.show_alert and answer.text is not None
        assert answer.text.startswith("Some answers are missing")
        assert "What happened? Type a short summary" in phone.last.plain
        assert await filed_by(w) == []
        await phone.send(SUMMARY)
        review = phone.last
        await phone.tap("Skip: no incident number")
        submit = review.button("📨 Submit")
        assert submit is not None and submit.callback_data is not None
        await phone.tap("📨 Submit")
        [referral] = await filed_by(w)
        again = await phone.tap_data(submit.callback_data, message_id=review.message_id)
        assert again.text == f"Already submitted as {referral.ref}."  # a double tap files once
        assert len(await filed_by(w)) == 1


@pytest.mark.parametrize("command", ["/new", "/resume", NEW_REFERRAL])
async def test_social_workers_cannot_file(config_path: Path, command: str) -> None:
    async with world(config_path) as w:
        code = await w.invite("--role", "social_worker", "--team", "xuhui-sw")
        worker = w.phone(WORKER, "Li")
        await worker.send(f"/start {code}")
        await worker.send(command)
        assert worker.last.plain == "Sorry, that is not something your role can do here."
        answer = await worker.tap_data("d:abcdef:c:juvenile", message_id=worker.last.message_id)
        assert answer.text == "Sorry, that is not something your role can do here."
        refused = await audit.entries(w.services.db.reader, action="action.refused")
        assert [e.detail for e in refused][-1] == "button:d:abcdef:c:juvenile"


async def test_strangers_cannot_file(config_path: Path) -> None:
    async with world(config_path) as w:
        stranger = w.phone(STRANGER, "Curious")
        await stranger.send("/new")
        assert "only people who have been invited" in stranger.last.plain
        assert stranger.last.buttons == []


async def test_a_blank_looking_person_answer_gets_the_person_question_again(
    config_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A full-width space (a Chinese keyboard's) or a line separator looks like nothing:
    no echo of it (Telegram refuses a blank message), the question politely again."""
    async with world(config_path) as w:
        phone = await enrol_officer(w)
        await up_to_where(phone)
        await phone.send("Market street")
        await phone.send("Chen Mei")
        for blank in ("\u3000", "\u2028"):
            before = len(phone.bot_messages)
            await phone.send(blank)
            new = phone.bot_messages[before:]
            assert len(new) == 1  # the card again, and no echo
            assert new[0].plain.startswith("Please type the name, the phone number or both")
            assert "The person: type the name" in new[0].plain
            assert new[0].button("Adult (18–59)")
        assert not any("went wrong" in t for t in phone.texts)
        stored = await stored_draft(w)
        assert stored is not None and stored.draft.step is Step.PERSON
        assert (stored.draft.place, stored.draft.person_name) == ("Market street", "Chen Mei")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_an_id_number_is_refused_as_a_phone_and_a_labelled_phone_first_is_taken(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        phone = await enrol_officer(w)
        await up_to_where(phone)
        await phone.send("Market street")
        await phone.send("Chen Mei 138 0013 8000")
        before = len(phone.bot_messages)
        await phone.send("张三 110105194912310021")
        (card,) = phone.bot_messages[before:]  # no echo: the ID is not wanted anywhere
        assert card.plain.startswith("That looks like an ID number, not a phone number.")
        assert "The person: type the name" in card.plain and card.button("Adult (18–59)")
        stored = await stored_draft(w)
        assert stored is not None
        assert (stored.draft.person_name, stored.draft.phone) == ("Chen Mei", "138 0013 8000")

        await phone.send("电话13800138000 张三")
        await phone.tap("Adult (18–59)")
        assert "Does the person agree to be contacted" in phone.last.plain
        await phone.tap("⬅ Back")  # the phone step, to change the number
        await phone.send("11010519491231002X")
        assert phone.last.plain.startswith("That looks like an ID number, not a phone number;")
        assert "Now: 13800138000" in phone.last.plain
        await phone.tap("Keep as it is ▶")
        await phone.tap("The person agrees to be contacted")
        await phone.send(SUMMARY)
        await phone.tap("Skip: no incident number")
        assert "张三" in phone.last.plain and "13800138000" in phone.last.plain
        assert not any("110105" in text for text in phone.texts)


async def test_a_change_to_a_draft_read_before_another_change_is_made_on_the_newer_draft(
    config_path: Path,
) -> None:
    """A change is saved without a transaction only if the draft is still the one it was
    applied to; else it is made again on the draft as it is now (here the step moved on,
    so the late answer is refused and the earlier one stands)."""
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        await up_to_where(s.officer)
        me = await people_service.find(w.services, OFFICER_ID)
        assert me is not None
        before = await drafts.current(w.services, me.id)
        assert before is not None and before.draft.step is Step.PLACE
        first = await drafts.change(w.services, me.id, lambda d: d.type_place("Market street"))
        assert first is not None and first.draft.step is Step.PERSON
        with pytest.raises(DraftError):
            await drafts.change(w.services, me.id, lambda d: d.type_place("Elsewhere"), read=before)
        now = await drafts.current(w.services, me.id)
        assert now is not None and (now.draft.place, now.draft.step) == (
            "Market street",
            Step.PERSON,
        )
        assert before.draft.place is None  # the caller's read is left as it was
