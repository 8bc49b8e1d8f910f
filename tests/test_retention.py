"""Personal fields are erased on schedule, unless a legal hold stops it; counts stay."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.clock import FakeClock
from bot.domain.referral import Consent, NotAskedReason, Referral, Status
from bot.engine import retention
from bot.sandbox import FakeTelegram, Phone
from bot.sandbox.world import World, world
from bot.services import linkages as linkage_service
from bot.services import referrals as referral_service
from handlers import jobs
from storage import audit
from tests.lives import live_once
from tests.stories import close_case, draft, enrol, file, linkages_followed_up, station


async def test_a_closed_case_is_erased_after_a_year_and_a_held_one_is_not(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        kept = await file(w, draft("family_dispute"))
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")
        w.clock.advance(timedelta(minutes=2))
        gone = await file(w, draft("neighbour_dispute"))
        await li.tap("✅ Accept")
        for _ in range(2):
            await li.send("/mine")
            await li.tap("Close case")
            await li.tap("Resolved")
            await li.send("Settled with both parties.")
        status, _, err = await w.cli("legal-hold", kept.ref)
        assert status == 0, err
        w.clock.advance(timedelta(days=364))
        assert await retention.tick(w.services) == 0
        w.clock.advance(timedelta(days=2))
        assert await retention.tick(w.services) == 1
        erased = await referral_service.get(w.services, gone.id)
        held = await referral_service.get(w.services, kept.id)
        assert erased is not None and held is not None
        assert erased.person_name is None and erased.summary is None
        assert erased.closing_note is None and erased.status is Status.CLOSED
        assert held.summary is not None
        rows = await audit.entries(w.services.db.reader, action="referral.erased")
        assert [r.subject for r in rows] == [gone.ref]


async def test_a_withdrawn_referral_is_erased_after_thirty_days(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        referral = await file(w, draft("other"))
        await s.officer.send("/mine")
        await s.officer.tap(f"Withdraw {referral.ref}")
        await s.officer.send("Sorted out on the spot.")
        w.clock.advance(timedelta(days=31))
        assert await retention.tick(w.services) == 1
        now = await referral_service.get(w.services, referral.id)
        assert now is not None and now.place is None and now.status is Status.WITHDRAWN


async def test_the_running_bot_schedules_the_erasure(config_path: Path) -> None:
    """The erasure job was once written and never scheduled: the bot registers it."""
    async with world(config_path) as w:
        jobs.schedule(w.app)
        assert w.app.job_queue is not None
        names = {job.name for job in w.app.job_queue.jobs()}
    assert names >= {"escalation", "reminders", "backup", "details_hiding", "retention", "daily"}


async def test_erasure_takes_the_location_pin_too(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        pinned = await file(
            w, draft("elderly", place=None, latitude=31.1234567, longitude=121.4567891)
        )
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")
        await close_case(li, "Taken home.")
        w.clock.advance(timedelta(days=366))
        assert await retention.tick(w.services) == 1
        erased = await referral_service.get(w.services, pinned.id)
        assert erased is not None
        assert erased.latitude is None and erased.longitude is None and erased.place is None


LIFE = timedelta(minutes=20)  # a crash loop, or a deploy every twenty minutes


async def test_a_bot_restarted_every_twenty_minutes_still_erases_on_time(
    config_path: Path,
) -> None:
    clock = FakeClock()
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        s = await station(w, {"Li Na": ()})
        chen = await enrol(w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw")
        referral = await file(w, draft("family_dispute"))
        await s.workers["Li Na"].tap("✅ Accept")
        await close_case(s.workers["Li Na"])
        due = clock.now() + timedelta(days=365)  # closed_days after the last change
    clock.advance(due - timedelta(minutes=30) - clock.now())
    for _ in range(6):  # two hours of restarts
        await live_once(config_path, clock, telegram, "retention", LIFE)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await chen.send(f"/audit {referral.ref}")
        erased = [
            line for line in chen.last.plain.splitlines() if "Personal details erased" in line
        ]
        assert len(erased) == 1, chen.last.plain  # once, and not never
        at = datetime.strptime(erased[0].split(" · ")[0], "%Y-%m-%d %H:%M").replace(
            tzinfo=ZoneInfo("Asia/Shanghai")
        )
        assert due <= at <= due + retention.EVERY  # within the hour it fell due
        gone = await referral_service.get(w.services, referral.id)
        assert gone is not None and gone.summary is None


async def decline_at_first_contact(w: World, worker: Phone) -> Referral:
    """A referral filed with consent "not asked"; the worker accepts, makes first
    contact, and the person says no: the case closes as "client declined"."""
    referral = await file(
        w,
        draft("family_dispute", consent=Consent.NOT_ASKED, not_asked_reason=NotAskedReason.NO_TIME),
    )
    await worker.tap("✅ Accept")
    await worker.tap("✔ First contact made")
    await worker.tap("✖ Declines")
    assert "Status: Closed" in worker.last.plain
    return referral


async def test_a_client_who_declines_at_first_contact_is_forgotten_after_thirty_days(
    config_path: Path,
) -> None:
    """Said no at first contact or at filing, the person is forgotten after the short
    period (30 days), not after a year; a case that ended otherwise keeps its year."""
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        declined = await decline_at_first_contact(w, li)
        w.clock.advance(timedelta(minutes=5))
        resolved = await file(w, draft("neighbour_dispute"))
        await li.tap("✅ Accept")
        await close_case(li)
        w.clock.advance(timedelta(days=29, hours=23))
        assert await retention.tick(w.services) == 0
        kept = await referral_service.get(w.services, declined.id)
        assert kept is not None and kept.summary is not None and kept.person_name is not None
        w.clock.advance(timedelta(hours=2))
        assert await retention.tick(w.services) == 1
        gone = await referral_service.get(w.services, declined.id)
        assert gone is not None and gone.status is Status.CLOSED
        assert gone.summary is None and gone.person_name is None and gone.place is None
        other = await referral_service.get(w.services, resolved.id)
        assert other is not None and other.summary is not None  # a year for this one
        rows = await audit.entries(w.services.db.reader, action="referral.erased")
        assert [r.subject for r in rows] == [declined.ref]


async def test_a_short_period_below_the_reopen_window_waits_for_the_window(
    config_path: Path,
) -> None:
    """A deployment that keeps refusals for a week: the declined case can be reopened
    for 30 days, so its details stay until then; a withdrawn referral, which cannot be
    reopened, goes after the week."""
    config_path.write_text(
        config_path.read_text(encoding="utf-8") + "\n[retention]\nwithdrawn_days = 7\n"
    )
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        declined = await decline_at_first_contact(w, li)
        withdrawn = await file(w, draft("other"))
        await s.officer.send("/mine")
        await s.officer.tap(f"Withdraw {withdrawn.ref}")
        await s.officer.send("Sorted out on the spot.")
        w.clock.advance(timedelta(days=8))
        assert await retention.tick(w.services) == 1
        gone = await referral_service.get(w.services, withdrawn.id)
        assert gone is not None and gone.summary is None
        w.clock.advance(timedelta(days=21))  # day 29: the worker may still reopen it
        assert await retention.tick(w.services) == 0
        kept = await referral_service.get(w.services, declined.id)
        assert kept is not None and kept.summary is not None
        w.clock.advance(timedelta(days=2))
        assert await retention.tick(w.services) == 1
        erased = await referral_service.get(w.services, declined.id)
        assert erased is not None and erased.summary is None


async def test_a_case_linked_to_services_is_erased_with_its_linkages(config_path: Path) -> None:
    """Where the person was sent (a shelter, an addiction service) goes with the case,
    and a linked case among the due ones does not stop the others being erased."""
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        plain = await file(w, draft("neighbour_dispute"))
        await li.tap("✅ Accept")
        await close_case(li)
        linked = await file(w, draft("family_dispute"))
        await li.tap("✅ Accept")
        await li.tap("Close case")
        await li.tap("Linked to a resource")
        await li.tap("Legal")
        await li.send("Xuhui Legal Aid Centre")
        await linkages_followed_up(w, li)
        await li.send("Both parties went to the legal aid centre.")
        assert len(await linkage_service.of(w.services, linked.id)) == 1
        w.clock.advance(timedelta(days=366))
        assert await retention.tick(w.services) == 2
        assert await linkage_service.of(w.services, linked.id) == []
        erased = await referral_service.get(w.services, plain.id)
        assert erased is not None and erased.summary is None
