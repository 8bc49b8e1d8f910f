"""What the benchmarks share: a deployment in a temporary folder, people, percentiles."""

from __future__ import annotations

import statistics
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from telegram.constants import ParseMode
from telegram.ext import Application, Defaults

from bot.app import PLACEHOLDER_TOKEN
from bot.clock import FakeClock
from bot.domain.draft import Draft
from bot.domain.referral import AgeBandId, CategoryId, Consent, Urgency
from bot.sandbox import FakeTelegram, Phone
from bot.sandbox.world import ONE_STATION, World, world
from bot.telegram_link import ChatRateLimiter

T = TypeVar("T")

WEEKDAY_10AM = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # Thursday 10:00 in Shanghai

CONFIG = (
    """
timezone = "Asia/Shanghai"
default_language = "en"

[telegram]
bot_username = "bench_bot"

[database]
path = "bench.sqlite3"

[privacy]
key_file = "bench.key"

[backup]
keep = 0

[cases]
max_open_per_worker = 100

"""
    + ONE_STATION
)


class LiveClock(FakeClock):
    """Real time, for benchmarks that measure lateness against the wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@asynccontextmanager
async def deployment(
    clock: FakeClock | None = None, *, background: bool = False
) -> AsyncIterator[World]:
    """A deployment in a temporary folder; ``background``: the sender runs in its own
    task as in production (a person's action returns once the bot answered them),
    else each action returns once everything it caused was sent."""
    with tempfile.TemporaryDirectory(prefix="referral-bench-") as folder:
        path = Path(folder) / "config.toml"
        path.write_text(CONFIG, encoding="utf-8")
        async with world(path, clock=clock or FakeClock(WEEKDAY_10AM), background=background) as w:
            yield w


@asynccontextmanager
async def limits_on(
    set_up: Callable[[Path, FakeClock, FakeTelegram], Awaitable[T]],
    *,
    background: bool = False,
    round_trip: float = 0.0,
) -> AsyncIterator[tuple[World, T]]:
    """A deployment made by ``set_up`` without limits (not measured), then started again
    with the fake keeping Telegram's limits and the bot's real ChatRateLimiter. The fake
    starts counting at that moment, so the limiter need not start cautious as after a
    real restart (its first second is not what is measured)."""
    with tempfile.TemporaryDirectory(prefix="referral-bench-") as folder:
        config_path = Path(folder) / "config.toml"
        config_path.write_text(CONFIG, encoding="utf-8")
        clock = FakeClock(WEEKDAY_10AM)
        telegram = FakeTelegram(clock=clock.now)
        made = await set_up(config_path, clock, telegram)
        telegram.enforce_limits()
        telegram.round_trip = round_trip
        limiter = ChatRateLimiter(after_previous_run=False)
        async with world(
            config_path, clock=clock, telegram=telegram, rate_limiter=limiter, background=background
        ) as w:
            yield w, made


async def enrol(w: World, user_id: int, role: str) -> Phone:
    args = ("--station", "tianping") if role == "officer" else ("--team", "xuhui-sw")
    code = await w.invite("--role", role, *args)
    phone = w.phone(user_id, f"{role} {user_id}")
    await phone.send(f"/start {code}")
    if role != "officer":
        await phone.send("/available")
    return phone


async def up_to_review(officer: Phone, marker: str) -> None:
    """Fill a referral on the officer's phone up to the review card (not submitted)."""
    await officer.send("/new")
    await officer.tap("Family dispute")
    await officer.tap("None of these")
    await officer.tap("Urgent")
    await officer.send("Market street 1")
    await officer.tap("Adult (18–59)")
    await officer.tap("No phone: visit only")
    await officer.tap("The person agrees to be contacted")
    await officer.send(f"{marker}: neighbours quarrel in the stairwell")
    await officer.tap("Skip: no incident number")


async def at_review(
    w: World, workers: int, officers: int, *, first_worker: int = 200
) -> list[Phone]:
    """``workers`` social workers on duty, and ``officers`` officers each at the review
    card of a referral not yet submitted (marked ``Bench-<n>``); the officers' phones."""
    for number in range(workers):
        await enrol(w, first_worker + number, "social_worker")
    phones = [await enrol(w, 1000 + number, "officer") for number in range(officers)]
    for number, phone in enumerate(phones):
        await up_to_review(phone, f"Bench-{number}")
    return phones


def urgent_draft(summary: str) -> Draft:
    """A complete draft, as the filing screens would leave it."""
    return Draft(
        category=CategoryId("family_dispute"),
        safety_answered=True,
        urgency=Urgency.URGENT,
        place="Market street 1",
        age_band=AgeBandId("18_59"),
        no_phone=True,
        consent=Consent.PERSON_AGREES,
        summary=summary,
    )


FILING_UPDATES = 11  # the updates up_to_review sends, plus the Submit tap


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def median(values: list[float]) -> float:
    return statistics.median(values)


def bare_app(telegram: FakeTelegram, *, html: bool = False) -> Application:  # type: ignore[type-arg]
    """A bare python-telegram-bot application on ``telegram``: the baselines' bot.
    ``html``: its texts are HTML, as the referral bot's are (the fake then checks their
    markup, as Telegram does, and that is part of each call)."""
    builder = Application.builder().token(PLACEHOLDER_TOKEN)
    if html:
        builder = builder.defaults(Defaults(parse_mode=ParseMode.HTML))
    return builder.request(telegram.request).get_updates_request(telegram.request).build()
