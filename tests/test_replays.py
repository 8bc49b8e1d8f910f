"""After a crash Telegram hands over again the updates the bot had not confirmed. A
typed answer is not applied twice; a tap is handled again safely (Submit files once)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.engine import draft_retention
from bot.sandbox import Phone
from bot.sandbox.world import World, world
from bot.services import drafts, intake
from bot.services import people as people_service
from bot.services import referrals as referral_service
from tests.stories import OFFICER_ID, station, up_to_review, up_to_where


async def _where_answered(w: World) -> tuple[Phone, int]:
    """An officer who just typed the Where? answer, and how many texts they had then."""
    officer = (await station(w, {"Li Na": ()})).officer
    await up_to_where(officer)
    await officer.send("Market street")
    return officer, len(officer.texts)


async def test_a_typed_answer_handed_over_again_is_taken_once(config_path: Path) -> None:
    async with world(config_path) as w:
        officer, said = await _where_answered(w)
        await w.telegram.redeliver()  # the same message again: it must not become the name
        assert len(officer.texts) == said
        await officer.send("Chen Mei")  # the name, typed for real
        me = await people_service.find(w.services, OFFICER_ID)
        assert me is not None
        stored = await drafts.current(w.services, me.id)
        assert stored is not None
        assert (stored.draft.place, stored.draft.person_name) == ("Market street", "Chen Mei")


async def test_a_submit_tap_handed_over_again_files_one_referral(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        officer = s.officer
        await up_to_review(officer)
        await officer.tap("📨 Submit")
        await w.telegram.redeliver()  # the tap again, after its answer was given
        me = await people_service.find(w.services, OFFICER_ID)
        assert me is not None
        assert len(await referral_service.of_officer(w.services, me)) == 1
        assert sum(t.startswith("New referral") for t in s.workers["Li Na"].texts) == 1


async def test_taken_messages_are_remembered_a_day_then_forgotten_by_the_retention_job(
    config_path: Path,
) -> None:
    """Taking a message is one INSERT; forgetting is the retention job's (not each take's)."""
    async with world(config_path) as w:
        officer, said = await _where_answered(w)
        w.clock.advance(intake.REMEMBER - timedelta(minutes=1))
        await draft_retention.tick(w.services)
        await w.telegram.redeliver()  # within the day: still known, still dropped
        assert len(officer.texts) == said
        w.clock.advance(timedelta(minutes=2))
        await draft_retention.tick(w.services)
        await w.telegram.redeliver()  # a day later it is not known any more: taken again
        assert len(officer.texts) > said
