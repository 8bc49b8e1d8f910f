"""The report figures (issue 18) against a week of referrals counted by hand.

The referrals are written with the storage functions the services use, on a fake
clock, in Asia/Shanghai (UTC+8): the week is Monday 2 to Sunday 8 November 2026, local.
The coordinators' night is 18:00–08:00, the care night (call-outs) 22:00–07:00.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FakeClock
from bot.config import Config
from bot.domain.referral import Status
from bot.domain.report import Report, Table, suppress
from bot.services import Services, open_database, reports
from storage import linkages, offers, people, referrals
from storage.offers import OfferState
from tests.stories import CANARY_NAME, CANARY_PHONE, CANARY_PLACE, CANARY_SUMMARY

ZONE = ZoneInfo("Asia/Shanghai")


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of November 2026, local time, in UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=ZONE).astimezone(UTC)


class Seed:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.count = 0

    async def person(self, telegram_id: int, name: str) -> int:
        async with self.services.db.write() as tx:
            return await people.insert(
                tx, telegram_id=telegram_id, display_name=name, language="en", now=local(1, 0)
            )

    async def file(
        self, at: datetime, category: str, urgency: str, station: str, officer: int
    ) -> int:
        self.count += 1
        async with self.services.db.write() as tx:
            return await referrals.insert(
                tx,
                now=at,
                ref=f"R{self.count:04d}",
                station_id=station,
                officer_id=officer,
                category=category,
                urgency=urgency,
                status="offered",
                person_name=CANARY_NAME,
                person_phone=CANARY_PHONE,
                place=CANARY_PLACE,
                summary=CANARY_SUMMARY,
            )

    async def escalate(self, rid: int, level: int, at: datetime) -> None:
        async with self.services.db.write() as tx:
            assert await referrals.set_escalation(
                tx,
                rid,
                seen_next_action_at=None,
                level=level,
                rounds=0,
                held=False,
                next_action_at=None,
                now=at,
            )

    async def accept(
        self, rid: int, worker: int, at: datetime, *, kind: str = "worker", by: int | None = None
    ) -> None:
        async with self.services.db.write() as tx:
            offer = await offers.insert(tx, rid, worker, at, kind=kind, assigned_by=by)
            assert await offers.settle(tx, offer, OfferState.ACCEPTED, at)
            assert await referrals.try_accept(tx, rid, worker, at, cap=99)
            await referrals.add_event(
                tx,
                rid,
                now=at,
                actor_id=worker,
                from_status=Status.OFFERED,
                to_status=Status.ACCEPTED,
            )

    async def decline(self, rid: int, worker: int, at: datetime, reason: str) -> None:
        async with self.services.db.write() as tx:
            offer = await offers.insert(tx, rid, worker, at)
            assert await offers.settle(tx, offer, OfferState.DECLINED, at, reason)

    async def move(
        self,
        rid: int,
        from_status: Status,
        to_status: Status,
        at: datetime,
        actor: int,
        **columns: object,
    ) -> None:
        async with self.services.db.write() as tx:
            assert await referrals.transition(
                tx,
                rid,
                from_status=from_status,
                to_status=to_status,
                now=at,
                actor_id=actor,
                reason="Canary reason" if to_status is Status.RETURNED else None,
                columns=columns or None,
            )

    async def link(self, rid: int, kind: str, at: datetime, answer: str | None) -> None:
        async with self.services.db.write() as tx:
            link = await linkages.add(
                tx,
                rid,
                resource_id=None,
                kind=kind,
                name="Canary Service",
                now=at,
                follow_up_at=at + timedelta(days=7),
            )
            if answer is not None:
                assert await linkages.answer(tx, link, answer, at + timedelta(days=7))


@pytest.fixture
async def services(config: Config) -> AsyncIterator[Services]:
    db = await open_database(config)
    try:
        yield Services(config=config, db=db, clock=FakeClock(local(20, 12)))
    finally:
        await db.close()


async def seed_week(services: Services) -> None:
    """The week counted by hand in the tests below (R1..R10, see each line)."""
    s = Seed(services)
    officer = await s.person(101, "Officer Wang")
    li = await s.person(201, "Worker Li")
    zhao = await s.person(202, "Worker Zhao")
    chen = await s.person(301, "Coordinator Chen")
    # R8: Sunday 1 November, before the week; accepted by Zhao that night.
    r8 = await s.file(local(1, 23), "family_dispute", "urgent", "tianping", officer)
    await s.accept(r8, zhao, local(1, 23, 10))
    # R10: Monday 07:30 local (Sunday 23:30 UTC): in the week, at night; 10 minutes.
    r10 = await s.file(local(2, 7, 30), "other", "immediate", "xietu", officer)
    await s.accept(r10, zhao, local(2, 7, 40))
    # R1: Monday 10:00, by day; 12 minutes; closed as resolved.
    r1 = await s.file(local(2, 10), "family_dispute", "urgent", "tianping", officer)
    await s.accept(r1, li, local(2, 10, 12))
    await s.move(r1, Status.ACCEPTED, Status.CLOSED, local(3, 9), li, outcome="resolved")
    # R2: Monday 23:30, night; escalated to the on-duty coordinator; 20 minutes.
    r2 = await s.file(local(2, 23, 30), "domestic_violence", "immediate", "tianping", officer)
    await s.escalate(r2, 2, local(2, 23, 45))
    await s.accept(r2, zhao, local(2, 23, 50))
    # R3: Tuesday 02:00, night; nobody ever accepts it.
    await s.file(local(3, 2), "mental_health", "immediate", "xietu", officer)
    # R4: Wednesday 20:00, night; level 1; accepted Thursday 09:00 (after the night's
    # 08:00 end: 780 minutes), then returned to the police.
    r4 = await s.file(local(4, 20), "family_dispute", "routine", "xietu", officer)
    await s.escalate(r4, 1, local(4, 21))
    await s.accept(r4, li, local(5, 9))
    await s.link(r4, "legal", local(5, 10), None)
    await s.move(r4, Status.ACCEPTED, Status.RETURNED, local(5, 11), li)
    # R5: Thursday 14:00, by day; declined twice, then withdrawn by the officer.
    r5 = await s.file(local(5, 14), "juvenile", "urgent", "tianping", officer)
    await s.decline(r5, li, local(5, 14, 2), "busy")
    await s.decline(r5, zhao, local(5, 14, 3), "conflict")
    await s.move(r5, Status.OFFERED, Status.WITHDRAWN, local(5, 14, 5), officer)
    # R6: Saturday 19:00, night; withdrawn at 19:30 (not "unanswered at the night's end").
    r6 = await s.file(local(7, 19), "elderly", "routine", "tianping", officer)
    await s.move(r6, Status.OFFERED, Status.WITHDRAWN, local(7, 19, 30), officer)
    # R7: Sunday 12:00, by day; Zhao accepts at 12:30 (first acceptance: 30 minutes) and
    # returns it; it is offered again and coordinator Chen assigns it to Li, who takes
    # it at 15:00 (referrals.accepted_at now says 15:00); closed as linked.
    r7 = await s.file(local(8, 12), "family_dispute", "urgent", "tianping", officer)
    await s.accept(r7, zhao, local(8, 12, 30))
    await s.move(r7, Status.ACCEPTED, Status.RETURNED, local(8, 13), zhao)
    await s.move(r7, Status.RETURNED, Status.OFFERED, local(8, 13, 1), chen)
    await s.accept(r7, li, local(8, 15), kind="coordinator", by=chen)
    await s.link(r7, "medical", local(8, 16), "yes")
    await s.move(r7, Status.ACCEPTED, Status.CLOSED, local(8, 17), li, outcome="linked")
    # R9: Monday 9 November 00:30 local (still the 8th in UTC): after the week.
    await s.file(local(9, 0, 30), "family_dispute", "urgent", "tianping", officer)


def table(report: Report, key: str) -> Table:
    return next(t for t in report.tables if t.key == key)


def rows(report: Report, key: str) -> dict[object, object]:
    """A two-column table as {label: value}."""
    return {row[0]: row[1] for row in table(report, key).rows}


async def test_figures_equal_the_hand_counted_week(services: Services) -> None:
    await seed_week(services)
    report = await reports.figures(
        services, date(2026, 11, 2), date(2026, 11, 8), (), per_worker=True
    )
    assert report.stations == ("*",)
    assert set(table(report, "by_category_station").rows) == {
        ("domestic_violence", "tianping", 1),
        ("elderly", "tianping", 1),
        ("family_dispute", "tianping", 2),
        ("family_dispute", "xietu", 1),
        ("juvenile", "tianping", 1),
        ("mental_health", "xietu", 1),
        ("other", "xietu", 1),
    }
    assert rows(report, "by_urgency") == {"immediate": 3, "urgent": 3, "routine": 2}
    hours = {h: n for h, n in rows(report, "by_hour").items() if n}
    assert hours == {"02": 1, "07": 1, "10": 1, "12": 1, "14": 1, "19": 1, "20": 1, "23": 1}
    assert len(table(report, "by_hour").rows) == 24
    assert rows(report, "by_weekday") == {
        "0": 3, "1": 1, "2": 1, "3": 1, "4": 0, "5": 1, "6": 1
    }  # fmt: skip
    assert rows(report, "day_night") == {"day": 3, "night": 5}

    timing = {
        (u, w): (n, med, p90) for u, w, n, med, p90 in table(report, "time_to_acceptance").rows
    }
    assert timing[("urgent", "day")] == (2, 21.0, 30.0)
    assert timing[("immediate", "night")] == (2, 15.0, 20.0)
    assert timing[("routine", "night")] == (1, 780.0, 780.0)
    assert timing[("routine", "day")] == (0, None, None)

    assert rows(report, "answered_at_level") == {"0": 3, "1": 1, "2": 1, "3": 0}
    assert rows(report, "coordinator_assignments") == {"accepted": 1}
    assert rows(report, "declines_by_reason") == {
        "busy": 1, "off_shift": 0, "lacks_skill": 0, "conflict": 1, "other": 0
    }  # fmt: skip
    assert rows(report, "unanswered_at_night_end") == {"immediate": 1, "urgent": 0, "routine": 1}
    assert rows(report, "closed_by_outcome") == {"linked": 1, "resolved": 1}
    assert rows(report, "returned_withdrawn") == {"returned": 1, "withdrawn": 2}
    assert set(table(report, "linkages").rows) == {("legal", "waiting", 1), ("medical", "yes", 1)}
    assert table(report, "per_worker").rows == (("Worker Li", 3, 0), ("Worker Zhao", 3, 1))
    assert dict(report.headline)["Referrals"] == 8
    assert dict(report.headline)["Share filed at night (%)"] == 62.5
    assert dict(report.headline)["Unanswered when the night ended"] == 2
    # No personal data: not a name, phone, place, summary, typed reason or service name.
    text = repr(report)
    for canary in (CANARY_NAME, CANARY_PHONE, CANARY_PLACE, CANARY_SUMMARY, "Canary"):
        assert canary not in text


async def test_a_station_and_no_workers_table(services: Services) -> None:
    await seed_week(services)
    report = await reports.figures(
        services, date(2026, 11, 2), date(2026, 11, 8), ("xietu",), per_worker=False
    )
    assert report.stations == ("xietu",)
    assert rows(report, "by_urgency") == {"immediate": 2, "urgent": 0, "routine": 1}
    assert rows(report, "day_night") == {"day": 0, "night": 3}
    assert "per_worker" not in {t.key for t in report.tables}


async def test_suppress_hides_one_and_two_keeps_zero_and_three(services: Services) -> None:
    await seed_week(services)
    report = await reports.figures(
        services, date(2026, 11, 2), date(2026, 11, 8), (), per_worker=False
    )
    hidden = suppress(report, 3)
    assert rows(hidden, "by_urgency") == {"immediate": 3, "urgent": 3, "routine": "<3"}
    assert rows(hidden, "answered_at_level") == {"0": 3, "1": "<3", "2": "<3", "3": 0}
    timing = {(u, w): (n, med) for u, w, n, med, _ in table(hidden, "time_to_acceptance").rows}
    assert timing[("urgent", "day")] == ("<3", 21.0)  # minutes are not counts
    assert rows(suppress(report, 5), "by_urgency")["immediate"] == "<5"


def test_buckets_are_hours_unless_the_zone_or_the_night_is_off_the_hour() -> None:
    from datetime import time

    from bot.domain.figures import step_minutes

    week = (date(2026, 11, 2), date(2026, 11, 8))
    assert step_minutes(*week, ZONE, time(18), time(8)) == 60
    assert step_minutes(*week, ZONE, time(18, 30), time(8)) == 30
    assert step_minutes(*week, ZoneInfo("Asia/Kathmandu"), time(18), time(8)) == 15
