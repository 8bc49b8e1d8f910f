"""The monthly report (issue 18): on the 1st at 09:00 (Shanghai) each administrator
receives last month's report, in their language, once, across restarts and downtime.

The engine's tick is run as the bot's job runs it, on a fake clock, and what each
administrator's phone shows is read from the strict fake Bot API.
"""

from __future__ import annotations

import html
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from bot.clock import FakeClock
from bot.engine import monthly_report
from bot.i18n import Translator
from bot.sandbox import FakeTelegram, Phone
from bot.sandbox.world import World, world
from bot.services import people as people_service
from tests.conftest import ADMIN_ID, CONFIG_TOML
from tests.stories import enrol
from tests.test_report_chat import at, audit_rows, seed, stored_files

ZONE = ZoneInfo("Asia/Shanghai")
HANT = Translator("zh_Hant")
NOVEMBER = "2026-11-01 – 2026-11-30"


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of December 2026, local time, in UTC."""
    return datetime(2026, 12, day, hour, minute, tzinfo=ZONE).astimezone(UTC)


async def tick(w: World) -> None:
    await monthly_report.tick(w.services)
    await w.settle()


async def admins(w: World) -> tuple[Phone, Phone]:
    """The configured admin (Traditional Chinese: enrolled on first writing) and an
    invited one (English)."""
    boss = w.phone(ADMIN_ID, "Boss Ho", language="zh-hk")
    await boss.send("/help")
    li = await enrol(w, 400, "Admin Li", "--role", "admin", language="en")
    return boss, li


async def test_sent_at_nine_on_the_first_once_in_each_admins_language(
    config_path: Path,
) -> None:
    clock = FakeClock(local(1, 8, 59))
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await seed(w.services, (at(11, 3), "tianping"), (at(10, 30), "xietu"))
        boss, li = await admins(w)
        await tick(w)
        assert boss.files == [] and li.files == []  # 08:59: not yet
        clock.advance(timedelta(minutes=1))
        await tick(w)
        photo, document = boss.files
        assert photo.kind == "photo" and document.kind == "document"
        assert HANT("Stations: {stations}", stations=HANT("All stations")) in photo.plain
        assert (
            NOVEMBER in photo.plain
            and html.unescape(HANT("{figure}: {value}", figure=HANT("Referrals"), value="<3"))
            in photo.plain
        )
        assert document.file is not None
        book = openpyxl.load_workbook(io.BytesIO(document.file.content))
        assert "per_worker" not in book.sheetnames  # administrators: no names of workers
        english_photo, _ = li.files
        assert NOVEMBER in english_photo.plain and "Referrals: <3" in english_photo.plain
        exported = await audit_rows(w.services, "report.exported")
        assert len(exported) == 4 and all("via monthly" in d for d in exported)
        assert await stored_files(w.services) == 0
        clock.advance(timedelta(hours=3))
        await tick(w)
        assert len(boss.files) == 2
    async with world(config_path, clock=clock, telegram=telegram) as w:  # a restart
        await tick(w)
        assert len(boss.files) == 2 and len(li.files) == 2
        assert len(await audit_rows(w.services, "report.exported")) == 4


async def test_a_bot_down_over_the_first_sends_it_on_the_second(config_path: Path) -> None:
    clock = FakeClock(local(1, 8, 0))
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        boss, _ = await admins(w)
        await tick(w)
    clock.advance(timedelta(days=1, hours=2))  # back on the 2nd at 10:00
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await tick(w)
        await tick(w)
        photo, _ = boss.files
        assert NOVEMBER in photo.plain


async def test_more_than_a_week_late_it_is_not_sent(config_path: Path) -> None:
    clock = FakeClock(local(8, 9, 0))  # the 8th at 09:00: seven days after
    async with world(config_path, clock=clock) as w:
        boss, _ = await admins(w)
        await tick(w)
        assert boss.files == []


async def test_unreachable_admins_do_not_stop_the_others(config_path: Path) -> None:
    """The configured admin never wrote to the bot (no one to send to); one admin
    blocked it (the sender records them unreachable; their files are not kept)."""
    clock = FakeClock(local(1, 9, 0))
    async with world(config_path, clock=clock) as w:
        li = await enrol(w, 400, "Admin Li", "--role", "admin", language="en")
        wu = await enrol(w, 401, "Admin Wu", "--role", "admin", language="en")
        wu.block()
        await tick(w)
        assert len(li.files) == 2 and wu.files == []
        blocked = await people_service.find(w.services, 401)
        assert blocked is not None and not blocked.reachable
        assert await stored_files(w.services) == 0


async def test_nothing_goes_when_the_monthly_report_is_off(tmp_path: Path) -> None:
    config_path = tmp_path / "config.toml"
    config_path.write_text(CONFIG_TOML + "\n[reports]\nmonthly = false\n", encoding="utf-8")
    async with world(config_path, clock=FakeClock(local(1, 9, 30))) as w:
        boss, _ = await admins(w)
        await tick(w)
        assert boss.files == []


async def test_an_admin_who_starts_the_bot_on_the_second_still_gets_it_once(
    config_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Nobody had started the bot by the 1st at 09:00: the month is not spent. The
    configured admin who writes on the 2nd gets it then, once; an admin still never
    reached when the week has passed is a warning, logged once."""
    clock = FakeClock(local(1, 9, 0))
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await tick(w)  # no administrator to send to yet
        clock.advance(timedelta(days=1))
        boss = w.phone(ADMIN_ID, "Boss Ho", language="zh-hk")
        await boss.send("/help")  # the 2nd: the configured admin starts the bot
        await tick(w)
        photo, _ = boss.files
        assert NOVEMBER in photo.plain
        li = await enrol(w, 400, "Admin Li", "--role", "admin", language="en")
        clock.advance(timedelta(days=6, minutes=1))  # the 8th, 09:01: the week has passed
        await tick(w)
        await tick(w)
        assert len(boss.files) == 2 and li.files == []
    warned = [r for r in caplog.records if "never reached" in r.getMessage()]
    assert len(warned) == 1 and "Admin Li" not in warned[0].getMessage()


async def test_an_upgrade_after_the_old_version_sent_the_month_sends_nothing_again(
    config_path: Path,
) -> None:
    """The versions before the per-administrator key remembered the month as a whole
    once they had sent it to every administrator: read as "sent to everyone"."""
    clock = FakeClock(local(3, 10))  # within the catch-up week
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        boss, li = await admins(w)
        await people_service.remember(w.services, "monthly_report:2026-11", local(1, 9).isoformat())
        await tick(w)
        clock.advance(timedelta(days=1))
        await tick(w)
        assert boss.files == [] and li.files == []
