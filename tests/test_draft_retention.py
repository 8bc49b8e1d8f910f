"""Unfiled drafts hold personal data: they are forgotten on schedule, not kept forever."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.domain.draft import DRAFT_LIFETIME
from bot.engine import draft_retention
from bot.sandbox import FakeTelegram
from bot.sandbox.world import world
from bot.services import people as people_service
from storage import drafts as draft_rows
from storage import prompts as prompt_rows
from tests.lives import live_once
from tests.stories import CANARY_PLACE, draft, enrol, file, station, up_to_review, up_to_where


async def test_an_abandoned_draft_is_erased_by_the_retention_job(config_path: Path) -> None:
    async with world(config_path) as w:
        jobs = [job.name for job in w.app.job_queue.jobs()] if w.app.job_queue else []
        assert "draft_retention" in jobs
        officer = await enrol(w, 101, "Wang", "--role", "officer", "--station", "tianping")
        await officer.send("/new")
        await officer.tap("Family dispute")
        w.clock.advance(DRAFT_LIFETIME - timedelta(minutes=1))
        assert await draft_retention.tick(w.services) == 0  # still within its lifetime
        w.clock.advance(timedelta(minutes=2))
        assert await draft_retention.tick(w.services) == 1
        await officer.send("/resume")
        assert officer.last.plain.startswith("You have no unfinished referral")


FIVE_MINUTES = timedelta(minutes=5)  # a crash loop, or a deploy every five minutes


async def test_a_bot_restarted_every_five_minutes_still_forgets_drafts_and_questions(
    config_path: Path,
) -> None:
    """The clean-up's first round came ten minutes after each start, so a bot restarted
    more often never forgot an abandoned draft (a name, a phone) or what a lapsed
    question held."""
    clock = FakeClock()
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        s = await station(w, {"Li Na": ()})
        await file(w, draft("elderly"))
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")
        await li.tap("Close case")
        await li.tap("Resolved")  # asked next: the note; she is called away
        await up_to_review(s.officer)  # and the officer leaves a draft unfinished
        await s.officer.send("/cancel")
        await up_to_where(s.officer)
        await s.officer.send(CANARY_PLACE)
    clock.advance(DRAFT_LIFETIME - timedelta(minutes=1))
    for _ in range(4):  # twenty minutes of restarts, past the draft's lifetime
        await live_once(config_path, clock, telegram, "draft_retention", FIVE_MINUTES)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        reader = w.services.db.reader
        officer = await people_service.find(w.services, s.officer.chat_id)
        worker = await people_service.find(w.services, li.chat_id)
        assert officer is not None and worker is not None
        assert await draft_rows.get(reader, officer.id) is None  # the name, phone: gone
        question = await prompt_rows.get(reader, worker.id)
        assert question is not None and question.data == {}  # what it held: gone
        await li.send("Settled.")  # she comes back: told why it was not used
        assert li.last.plain.startswith("That question was asked more than 30 minutes ago")
