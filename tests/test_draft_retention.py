"""Unfiled drafts hold personal data: they are forgotten on schedule, not kept forever."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.domain.draft import DRAFT_LIFETIME
from bot.engine import draft_retention
from bot.sandbox.world import world
from tests.stories import enrol


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
