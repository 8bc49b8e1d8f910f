"""8. The accountability report on a busy district's year: 100,000 referrals filed over
twelve months at five stations, and the report for the whole year, every station, with
the per-worker table (what an administrator's yearly report asks of the database).
Seconds for ``bot.services.reports.figures``, median of three runs; target under 2 s.

The rows are written with bench-only SQL (the fastest way to have a year of them), in
the mix a district's year leaves: categories and urgencies, day and night, acceptances
(some handed back and accepted again), declines, escalation levels, coordinator
assignments and holds, first contacts (some declined there), closes, returns and
withdrawals, linkages and their follow-ups, and attendance in person."""

from __future__ import annotations

import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import CONFIG
from bot.clock import FakeClock
from bot.config import load_config
from bot.services import Services, open_database, reports
from storage.timefmt import to_db

REFERRALS = 100_000
FIRST, LAST = date(2025, 12, 1), date(2026, 11, 30)  # local days, Asia/Shanghai
STATIONS = ("tianping", "xietu", "hunan", "kangjian", "fenglin")
WORKERS, COORDINATORS, OFFICERS = 40, 4, 60

EXTRA_STATIONS = "".join(
    f'\n[[stations]]\nid = "{s}"\nname_zh = "{s}"\nname_en = "{s}"\n' for s in STATIONS[1:]
)


def _config_text() -> str:
    """The benchmarks' deployment with four more stations in its one team."""
    return (
        CONFIG.replace(
            'stations = ["tianping"]', f"stations = {list(STATIONS)!r}".replace("'", '"')
        )
        + EXTRA_STATIONS
    )


class _Rows:
    """Every table's rows for one year, built in memory, then inserted at once."""

    def __init__(self, categories: list[str], seed: int = 18) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - a repeatable mix, not a secret
        self.categories = categories
        self.referrals: list[tuple[Any, ...]] = []
        self.events: list[tuple[Any, ...]] = []
        self.offers: list[tuple[Any, ...]] = []
        self.outbox: list[tuple[Any, ...]] = []
        self.linkages: list[tuple[Any, ...]] = []

    def year(self, first_person: int) -> None:
        start = datetime(2025, 11, 30, 16, tzinfo=UTC)  # 1 December 2025, 00:00 local
        seconds = int((datetime(2026, 11, 30, 16, tzinfo=UTC) - start).total_seconds())
        officers = range(first_person, first_person + OFFICERS)
        workers = range(first_person + OFFICERS, first_person + OFFICERS + WORKERS)
        coordinators = range(
            first_person + OFFICERS + WORKERS, first_person + OFFICERS + WORKERS + COORDINATORS
        )
        # Ids in filing order, as the bot gives them.
        filed = sorted(self.rng.randrange(seconds) for _ in range(REFERRALS))
        for rid, second in enumerate(filed, start=1):
            self._one(rid, start + timedelta(seconds=second), officers, workers, coordinators)

    def _one(
        self, rid: int, filed: datetime, officers: range, workers: range, coordinators: range
    ) -> None:
        rng = self.rng
        minutes = lambda low, high: timedelta(minutes=rng.uniform(low, high))  # noqa: E731
        urgency = rng.choices(("immediate", "urgent", "routine"), (2, 5, 3))[0]
        adult = int(rng.random() < 0.05)
        co_response = int(not adult and rng.random() < 0.1)
        at_scene = int(not adult and not co_response and rng.random() < 0.05)
        consultation = int(rng.random() < 0.04)
        officer = rng.choice(officers)
        worker = rng.choice(workers)
        self.events.append((rid, to_db(filed), officer, None, "offered"))
        if rng.random() < 0.05:  # routine outside hours, or a coordinator's hold
            kind = "held" if rng.random() < 0.8 else "held_by_coordinator"
            self.outbox.append((kind, officer, rid, to_db(filed)))
        for _ in range(rng.choices((0, 1, 2), (6, 3, 1))[0]):  # declines before acceptance
            declined = filed + minutes(1, 10)
            reason = rng.choice(("busy", "off_shift", "lacks_skill", "conflict", None))
            self.offers.append(
                (rid, rng.choice(workers), to_db(filed), "declined", to_db(declined), reason, None)
            )
        status, accepted, contacted, closed, outcome, arrived = (
            "offered",
            None,
            None,
            None,
            None,
            None,
        )
        level, consent = rng.choices((0, 1, 2, 3), (70, 20, 8, 2))[0], None
        questioning = None
        if rng.random() < 0.04:
            status, closed = "withdrawn", filed + minutes(5, 60)
            self.events.append((rid, to_db(closed), officer, "offered", "withdrawn"))
        elif rng.random() < 0.93:
            accepted = filed + minutes(1, 240 if urgency == "routine" else 40)
            assigned = rng.random() < 0.05
            if assigned and rng.random() < 0.3:  # the first assignee could not take it
                self.offers.append(
                    (
                        rid,
                        rng.choice(workers),
                        to_db(filed),
                        "declined",
                        to_db(filed),
                        rng.choice(("cannot", "left")),
                        rng.choice(coordinators),
                    )
                )
            self.offers.append(
                (
                    rid,
                    worker,
                    to_db(filed),
                    "accepted",
                    to_db(accepted),
                    None,
                    rng.choice(coordinators) if assigned else None,
                )
            )
            actor = rng.choice(coordinators) if assigned else worker
            self.events.append((rid, to_db(accepted), actor, "offered", "accepted"))
            status, holder = "accepted", worker
            if rng.random() < 0.03:  # handed back, accepted again by a colleague
                back = accepted + minutes(5, 30)
                holder = rng.choice(workers)
                again = back + minutes(5, 60)
                self.events.append((rid, to_db(back), worker, "accepted", "offered"))
                self.offers.append((rid, holder, to_db(back), "accepted", to_db(again), None, None))
                self.events.append((rid, to_db(again), holder, "offered", "accepted"))
            if adult or co_response or at_scene:
                if adult and rng.random() < 0.3:
                    questioning = accepted + minutes(30, 120)
                if rng.random() < 0.9:
                    arrived = accepted + minutes(10, 80)
            fate = rng.random()
            if fate < 0.85:
                contacted = accepted + minutes(5, 180 if urgency != "routine" else 2000)
                if rng.random() < 0.04:  # declined at first contact
                    status, closed, outcome, consent = (
                        "closed",
                        contacted,
                        "client_declined",
                        "declined",
                    )
                    self.events.append((rid, to_db(contacted), holder, "accepted", "closed"))
                else:
                    status = "contacted"
                    self.events.append((rid, to_db(contacted), holder, "accepted", "contacted"))
                    if rng.random() < 0.7:
                        closed = contacted + minutes(60, 20000)
                        outcome = rng.choice(("resolved", "linked", "unreachable", "transferred"))
                        status = "closed"
                        self.events.append((rid, to_db(closed), holder, "contacted", "closed"))
                        if outcome == "linked" or rng.random() < 0.1:
                            answer = rng.choice(("yes", "partly", "no", "declined", None))
                            self.linkages.append(
                                (
                                    rid,
                                    rng.choice(("legal", "medical", "shelter", "ngo")),
                                    to_db(closed),
                                    answer,
                                )
                            )
            elif fate < 0.9:
                status, closed = "returned", accepted + minutes(30, 600)
                self.events.append((rid, to_db(closed), holder, "accepted", "returned"))
        if consultation:
            consent = "declined"
        self.referrals.append(
            (
                rid,
                f"R-{rid:07d}",
                rng.choice(STATIONS),
                officer,
                rng.choice(self.categories),
                urgency,
                co_response,
                status,
                worker if accepted else None,
                to_db(filed),
                to_db(filed),
                _db(accepted),
                _db(contacted),
                _db(closed),
                outcome,
                level,
                consent,
                consultation,
                adult,
                at_scene,
                _db(arrived),
                _db(questioning),
                _db(accepted),
            )
        )


def _db(moment: datetime | None) -> str | None:
    return to_db(moment) if moment is not None else None


async def _fill(config_path: Path) -> None:
    config = load_config(config_path)
    db = await open_database(config)
    rows = _Rows([c.id for c in config.categories])
    try:
        async with db.write() as tx:
            people = [
                (1000 + n, f"Person {n}", "en", "2025", "2025")
                for n in range(OFFICERS + WORKERS + COORDINATORS)
            ]
            await tx.executemany(
                "INSERT INTO people (telegram_id, display_name, language, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?)",
                people,
            )
            first = (await (await tx.execute("SELECT MIN(id) FROM people")).fetchone())[0]
            rows.year(first)
            await tx.executemany(
                "INSERT INTO referrals (id, ref, station_id, officer_id, category, urgency,"
                " co_response, status, assignee_id, created_at, updated_at, accepted_at,"
                " contacted_at, closed_at, outcome, level, consent, consultation,"
                " appropriate_adult_now, at_scene, arrived_at, questioning_at, holder_since)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows.referrals,
            )
            await tx.executemany(
                "INSERT INTO referral_events (referral_id, at, actor_id, from_status, to_status)"
                " VALUES (?, ?, ?, ?, ?)",
                sorted(rows.events, key=lambda e: (e[1], e[0])),
            )
            await tx.executemany(
                "INSERT INTO offers (referral_id, person_id, offered_at, state, responded_at,"
                " reason, assigned_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows.offers,
            )
            await tx.executemany(
                "INSERT INTO outbox (kind, recipient_id, referral_id, created_at,"
                " next_attempt_at, sent_at) VALUES (?, ?, ?, ?, ?4, ?4)",
                rows.outbox,
            )
            await tx.executemany(
                "INSERT INTO linkages (referral_id, kind, name, created_at, follow_up_at,"
                " answer) VALUES (?, ?, '', ?3, ?3, ?)",
                rows.linkages,
            )
            await _as_a_deployment_keeps_them(tx, first)
    finally:
        await db.close()


# Every kind of notice a referral's life leaves in the outbox, about ten a referral.
NOTICE_KINDS = (
    "filed", "offer", "offer_taken", "accepted", "reveal", "contacted",
    "remind_contact", "case_card", "closed", "linkage_follow_up",
)  # fmt: skip


async def _as_a_deployment_keeps_them(tx: Any, first: int) -> None:
    """The rows a real deployment keeps besides those the figures count (the reviewer's
    realistic year, issue 18): the personal columns filled to a sealed value's size, the
    offer waves (three more cards a referral, taken by the acceptance), the
    coordinators' escalation cards for 30 % of the referrals, the stage events after
    first contact (with a sealed reason), and some ten notices a referral of every
    kind. Without them the report's scans of offers, events and the outbox are cheap
    and the benchmark flatters it."""
    workers, coordinators = first + OFFICERS, first + OFFICERS + WORKERS
    await tx.execute(
        "UPDATE referrals SET person_name = hex(randomblob(40)),"
        " person_phone = hex(randomblob(40)), place = hex(randomblob(100)),"
        " summary = hex(randomblob(400)),"
        " closing_note = CASE WHEN status = 'closed' THEN hex(randomblob(150)) END"
    )
    await tx.execute(
        "INSERT INTO offers (referral_id, person_id, offered_at, state, responded_at)"
        " SELECT r.id, ?1 + (r.id * 7 + k.v) % ?2, r.created_at, 'taken', r.accepted_at"
        " FROM referrals r, (SELECT 1 v UNION SELECT 2 UNION SELECT 3) k",
        (workers, WORKERS),
    )
    await tx.execute(
        "INSERT INTO offers (referral_id, person_id, offered_at, state, responded_at, kind)"
        " SELECT id, ?1 + id % ?2, created_at, 'taken', accepted_at, 'coordinator'"
        " FROM referrals WHERE id % 10 < 3",
        (coordinators, COORDINATORS),
    )
    for before, after in (
        ("contacted", "assessment"),
        ("assessment", "plan"),
        ("plan", "intervention"),
    ):
        await tx.execute(
            "INSERT INTO referral_events (referral_id, at, actor_id, from_status, to_status,"
            " reason) SELECT id, contacted_at, assignee_id, ?, ?, hex(randomblob(60))"
            " FROM referrals WHERE contacted_at IS NOT NULL",
            (before, after),
        )
    kinds = " UNION ALL ".join(f"SELECT '{kind}' AS kind" for kind in NOTICE_KINDS)
    await tx.execute(
        "INSERT INTO outbox (kind, recipient_id, referral_id, created_at, next_attempt_at,"  # noqa: S608
        " sent_at, vals) SELECT k.kind, r.officer_id, r.id, r.created_at, r.created_at,"
        f" r.created_at, hex(randomblob(120)) FROM referrals r, ({kinds}) k"
    )


async def measure(runs: int = 3) -> tuple[float, int]:
    """(median seconds for the year's report, referrals counted in it)."""
    with tempfile.TemporaryDirectory(prefix="referral-bench-") as folder:
        config_path = Path(folder) / "config.toml"
        config_path.write_text(_config_text(), encoding="utf-8")
        await _fill(config_path)
        config = load_config(config_path)
        db = await open_database(config)
        try:
            services = Services(
                config=config, db=db, clock=FakeClock(datetime(2026, 12, 1, 4, tzinfo=UTC))
            )
            times, counted = [], 0
            for _ in range(runs):
                began = time.perf_counter()
                report = await reports.figures(services, FIRST, LAST, (), per_worker=True)
                times.append(time.perf_counter() - began)
                counted = int(dict(report.headline)["Referrals"])
        finally:
            await db.close()
    return sorted(times)[runs // 2], counted
