"""The officer's Submit card says "Submitted as R-…" whatever happens after the tap.

The card edit is written to the outbox with the referral, so a crash right after
Submit, or Telegram failing the edit, still ends with the card showing the reference;
and a Submit tap on a draft already filed (a double tap, or a tap replayed after a
restart) answers "Already submitted as R-…" instead of "out of date, send /resume".
Also: what the transaction that filed a referral wrote, and no sender had tried yet
when the bot died, goes out as soon as it is back, not 30 seconds later.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.domain.draft import Draft
from bot.domain.referral import Referral, Safety, Urgency
from bot.engine import escalation
from bot.sandbox import FakeTelegram, Phone
from bot.sandbox.fake_telegram.seen import SeenMessage
from bot.sandbox.world import World, world
from bot.services import drafts, outbox
from bot.services import people as people_service
from bot.services import referrals as referral_service
from bot.services.notices import NoticeKind
from bot.services.referrals import Filed
from storage import drafts as draft_rows
from tests.stories import OFFICER_ID, Station, draft, station, up_to_review

SUBMIT = "📨 Submit"


async def tick(w: World) -> None:
    """One engine round, as the bot runs it every two seconds."""
    await escalation.tick(w.services)
    await w.settle()


async def submit_and_die(w: World) -> str:
    """What the Submit button does up to the commit; the process dies before anything is
    sent (no card edit, no offer). Returns the new reference."""
    officer = await people_service.find(w.services, OFFICER_ID)
    assert officer is not None
    stored = await drafts.current(w.services, officer.id)
    assert stored is not None
    filed = await referral_service.submit(w.services, officer, stored.draft)
    return filed.referral.ref


async def filed(w: World) -> list[Referral]:
    """Officer Wang's referrals, newest first."""
    me = await people_service.find(w.services, OFFICER_ID)
    assert me is not None
    return await referral_service.of_officer(w.services, me)


def review_card(officer: Phone) -> SeenMessage:
    return next(m for m in reversed(officer.bot_messages) if m.button(SUBMIT))


async def up_to_review_and_die(
    config_path: Path, clock: FakeClock, telegram: FakeTelegram
) -> tuple[Station, SeenMessage, str]:
    """Officer Wang taps Submit; the bot dies right after the commit. Returns the station,
    the review card (still showing Submit) and the reference it was filed as."""
    async with world(config_path, clock=clock, telegram=telegram) as w:
        s = await station(w, {"Li Na": ()})
        await up_to_review(s.officer)
        card = review_card(s.officer)
        return s, card, await submit_and_die(w)


async def file_without_delivering(w: World, d: Draft) -> Filed:
    """File ``d`` as Officer Wang's Submit does, up to the commit: nothing is sent."""
    officer = await people_service.find(w.services, OFFICER_ID)
    assert officer is not None
    async with w.services.db.write() as tx:
        await draft_rows.put(tx, officer.id, d, None, w.clock.now())
    return await referral_service.submit(w.services, officer, d)


async def test_after_a_crash_right_after_submit_the_tap_again_says_already_submitted(
    config_path: Path,
) -> None:
    clock = FakeClock()
    telegram = FakeTelegram(clock=clock.now)
    s, card, ref = await up_to_review_and_die(config_path, clock, telegram)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        # The officer, back at his phone, sees the Submit button still there and taps it.
        answer = await s.officer.tap(SUBMIT, message=card)
        assert answer.text == f"Already submitted as {ref}."
        assert (card.plain, card.buttons) == (f"Submitted as {ref}.", [])
        await tick(w)  # the card edit in the outbox finds the card already right
        assert (card.plain, card.buttons) == (f"Submitted as {ref}.", [])
        assert len(await filed(w)) == 1
        assert sum(t.startswith("New referral") for t in s.workers["Li Na"].texts) == 1


async def test_after_a_crash_right_after_submit_the_card_is_edited_without_a_tap(
    config_path: Path,
) -> None:
    clock = FakeClock()
    telegram = FakeTelegram(clock=clock.now)
    s, card, ref = await up_to_review_and_die(config_path, clock, telegram)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await tick(w)  # the first engine round after the restart
        assert (card.plain, card.buttons) == (f"Submitted as {ref}.", [])
        assert any(t.startswith(ref) and "Sent to " in t for t in s.officer.texts)


async def test_a_card_edit_telegram_fails_is_retried_until_the_card_says_submitted(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        officer = s.officer
        await up_to_review(officer)
        card = review_card(officer)
        for _ in range(3):  # every try of the call fails: the outbox must take over
            w.telegram.fail_next(
                "editMessageText", status=502, description="Bad Gateway", chat_id=OFFICER_ID
            )
        await officer.tap(SUBMIT)
        assert card.button(SUBMIT) is not None  # the edit did not reach the phone
        [referral] = await filed(w)
        # Meanwhile the worker already has the offer: the card waits for no one.
        assert any(t.startswith("New referral") for t in s.workers["Li Na"].texts)
        w.clock.advance(timedelta(seconds=61))
        await tick(w)
        assert (card.plain, card.buttons) == (f"Submitted as {referral.ref}.", [])


async def test_a_double_tap_on_submit_files_once_and_shows_the_card_as_submitted(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        officer = s.officer
        await up_to_review(officer)
        card = review_card(officer)
        button = card.button(SUBMIT)
        assert button is not None and button.callback_data is not None
        first = await officer.tap(SUBMIT)
        # The second tap was already on its way before the card changed.
        second = await officer.tap_data(button.callback_data, message_id=card.message_id)
        [referral] = await filed(w)
        assert first.text == f"Submitted as {referral.ref}."  # the tap's answer, at once
        assert second.text == f"Already submitted as {referral.ref}."
        assert (card.plain, card.buttons) == (f"Submitted as {referral.ref}.", [])
        assert sum(t.startswith("New referral") for t in s.workers["Li Na"].texts) == 1


async def test_after_a_restart_the_offers_of_a_filing_that_died_go_out_at_once(
    config_path: Path,
) -> None:
    clock = FakeClock()
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        s = await station(w, {"Li Na": ("domestic_violence",), "Zhou Min": ()})
        d = draft(
            "domestic_violence",
            safety=frozenset({Safety.WEAPON_OR_INJURY}),
            urgency=Urgency.IMMEDIATE,
        )
        await file_without_delivering(w, d)  # ... and the process dies
    clock.advance(timedelta(seconds=3))  # restarted by systemd
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await tick(w)  # the first engine round: no 30 s wait for a handler that is gone
        assert any(t.startswith("New referral") for t in s.workers["Li Na"].texts)
        assert any("Sent to " in t for t in s.officer.texts)


async def test_after_a_restart_a_send_the_dead_run_had_begun_is_not_held_for_its_lease(
    config_path: Path,
) -> None:
    clock = FakeClock()
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        s = await station(w, {"Li Na": ()})
        filed = await file_without_delivering(w, draft("family_dispute"))
        offer = next(n for n in filed.notices if n.kind is NoticeKind.OFFER)
        assert await outbox.claim(w.services, offer)  # the send began; then the process died
    clock.advance(timedelta(seconds=3))
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await tick(w)
        assert sum(t.startswith("New referral") for t in s.workers["Li Na"].texts) == 1
        assert any("Sent to " in t for t in s.officer.texts)
