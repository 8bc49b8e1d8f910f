"""The README's example report picture: ``python -m bot.reports.example PATH``.

A made-up but realistic month (November 2026, two stations, 200 referrals: more in the
evening and at night, most accepted within minutes, some climbing the escalation, a
few never answered, closures, returns, withdrawals and linkages) is written into a
throw-away database with the storage functions the bot itself uses, and the picture is
drawn from it exactly as ``referral-bot report --format png`` would: the figures with
small counts hidden (:func:`bot.services.report_files.outgoing`, no per-worker table)
and :func:`bot.services.report_files.render` in English.

Deterministic: a fixed random seed and a fixed clock, so running it again gives the
same picture (matplotlib writes no date into a PNG). No personal data is made up: the
referrals carry no name, phone, place or text at all.
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.clock import FakeClock
from bot.config import Config, load_config
from bot.domain.referral import DeclineReason, Outcome, Resource, Status
from bot.services import Services, open_database, report_files
from bot.services.report_files import Format
from storage import linkages, offers, people, referrals
from storage.db import Conn
from storage.offers import OfferState

SEED = 18  # the number; any fixed seed gives a stable picture
REFERRALS = 200
START, END = date(2026, 11, 1), date(2026, 11, 30)
ZONE = ZoneInfo("Asia/Shanghai")

CONFIG = """
timezone = "Asia/Shanghai"
default_language = "en"

[database]
path = "example.sqlite3"

[[stations]]
id = "tianping"
name_zh = "天平路派出所"
name_zh_hant = "天平路警署"
name_en = "Tianping Road"

[[stations]]
id = "xietu"
name_zh = "斜土路派出所"
name_zh_hant = "斜土路警署"
name_en = "Xietu Road"

[[teams]]
id = "xuhui-sw"
name_zh = "徐汇区社工站"
name_zh_hant = "徐匯區社工站"
name_en = "Xuhui Social Work Station"
stations = ["tianping", "xietu"]
"""

# How often each thing happens, roughly as a busy urban station sees it.
CATEGORIES = {
    "family_dispute": 30,
    "neighbour_dispute": 16,
    "domestic_violence": 11,
    "juvenile": 10,
    "elderly": 9,
    "mental_health": 8,
    "rental_dispute": 7,
    "consumer_dispute": 4,
    "other": 5,
}
URGENCIES = {"immediate": 15, "urgent": 45, "routine": 40}
STATIONS = {"tianping": 60, "xietu": 40}
# Filed by hour of the local day: quiet mornings, busy evenings and late nights.
HOURS = [3, 2, 2, 1, 1, 1, 2, 3, 4, 5, 5, 5, 4, 4, 5, 5, 6, 7, 9, 10, 10, 9, 7, 5]


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


async def seed_month(services: Services, rng: random.Random) -> None:
    """200 referrals over November 2026, in one transaction."""
    first = datetime(2026, 10, 31, tzinfo=UTC)
    async with services.db.write() as tx:
        officers = [
            await people.insert(
                tx, telegram_id=100 + n, display_name=f"Officer {n}", language="en", now=first
            )
            for n in range(1, 5)
        ]
        workers = [
            await people.insert(
                tx, telegram_id=200 + n, display_name=f"Worker {n}", language="en", now=first
            )
            for n in range(1, 7)
        ]
        coordinator = await people.insert(
            tx, telegram_id=301, display_name="Coordinator", language="en", now=first
        )
        for number in range(1, REFERRALS + 1):
            await _one(tx, rng, number, officers, workers, coordinator)


async def _one(
    tx: Conn,
    rng: random.Random,
    number: int,
    officers: list[int],
    workers: list[int],
    coordinator: int,
) -> None:
    day = rng.randint(1, 30)
    hour = rng.choices(range(24), weights=HOURS)[0]
    filed = datetime(2026, 11, day, hour, rng.randint(0, 59), tzinfo=ZONE).astimezone(UTC)
    night = hour >= 18 or hour < 8
    urgency = _pick(rng, URGENCIES)
    officer = rng.choice(officers)
    rid = await referrals.insert(
        tx,
        now=filed,
        ref=f"X{number:04d}",
        station_id=_pick(rng, STATIONS),
        officer_id=officer,
        category=_pick(rng, CATEGORIES),
        urgency=urgency,
        status="offered",
    )
    fate = rng.random()
    if fate < 0.06:  # withdrawn by the officer before anyone answered
        await referrals.transition(
            tx,
            rid,
            from_status=Status.OFFERED,
            to_status=Status.WITHDRAWN,
            now=filed + timedelta(minutes=rng.randint(10, 60)),
            actor_id=officer,
        )
        return
    if fate < 0.10:  # nobody ever took it: the gap the bot exists to close
        return
    # Minutes to acceptance: fast by day, slower at night, slowest for routine cases.
    scale = {"immediate": 6, "urgent": 15, "routine": 45}[urgency] * (2.5 if night else 1)
    minutes = max(1, round(rng.expovariate(1 / scale)))
    at = filed
    for _ in range(rng.choices((0, 1, 2), weights=(75, 20, 5))[0]):
        at += timedelta(minutes=rng.randint(1, max(1, minutes - 1)))
        offer = await offers.insert(tx, rid, rng.choice(workers), at)
        reason = rng.choice([r.value for r in DeclineReason])
        await offers.settle(tx, offer, OfferState.DECLINED, at, reason)
    accepted = filed + timedelta(minutes=minutes)
    level = 0 if minutes < 15 else 1 if minutes < 40 else 2 if minutes < 90 else 3
    if level:
        await referrals.set_escalation(
            tx,
            rid,
            seen_next_action_at=None,
            level=level,
            rounds=0,
            held=False,
            next_action_at=None,
            now=filed + timedelta(minutes=minutes / 2),
        )
    worker = rng.choice(workers)
    assigned = level == 3
    offer = await offers.insert(
        tx,
        rid,
        worker,
        accepted,
        kind="coordinator" if assigned else "worker",
        assigned_by=coordinator if assigned else None,
    )
    await offers.settle(tx, offer, OfferState.ACCEPTED, accepted)
    await referrals.try_accept(tx, rid, worker, accepted, cap=999)
    await referrals.add_event(
        tx,
        rid,
        now=accepted,
        actor_id=worker,
        from_status=Status.OFFERED,
        to_status=Status.ACCEPTED,
    )
    ending = rng.random()
    later = accepted + timedelta(days=rng.randint(1, 10))
    if ending < 0.08:
        await referrals.transition(
            tx,
            rid,
            from_status=Status.ACCEPTED,
            to_status=Status.RETURNED,
            now=later,
            actor_id=worker,
            reason="police matter",
        )
    elif ending < 0.70:
        outcome = rng.choices(list(Outcome), weights=(45, 30, 10, 10, 5))[0]
        if outcome is Outcome.LINKED:
            kind = rng.choice(
                [Resource.GOVERNMENT, Resource.COMMUNITY, Resource.MEDICAL, Resource.LEGAL]
            )
            link = await linkages.add(
                tx,
                rid,
                resource_id=None,
                kind=kind.value,
                name="",
                now=later,
                follow_up_at=later + timedelta(days=7),
            )
            if rng.random() < 0.7:
                answer = rng.choices(("yes", "partly", "no"), weights=(6, 2, 1))[0]
                await linkages.answer(tx, link, answer, later + timedelta(days=7))
        await referrals.transition(
            tx,
            rid,
            from_status=Status.ACCEPTED,
            to_status=Status.CLOSED,
            now=later,
            actor_id=worker,
            columns={"outcome": outcome.value},
        )


async def make() -> bytes:
    """Seed a throw-away database in a temporary folder; the picture's PNG bytes."""
    with tempfile.TemporaryDirectory(prefix="referral-bot-example-") as folder:
        config_path = Path(folder) / "config.toml"
        config_path.write_text(CONFIG, encoding="utf-8")
        config: Config = load_config(config_path)
        db = await open_database(config)
        try:
            services = Services(
                config=config, db=db, clock=FakeClock(datetime(2026, 12, 1, 1, tzinfo=UTC))
            )
            await seed_month(services, random.Random(SEED))  # noqa: S311 - made-up data
            report = await report_files.outgoing(services, START, END, (), per_worker=False)
        finally:
            await db.close()
    return report_files.render(report, Format.PNG, "en", config).content


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m bot.reports.example PATH.png", file=sys.stderr)
        return 2
    Path(args[0]).write_bytes(asyncio.run(make()))
    print(f"example report picture written to {args[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
