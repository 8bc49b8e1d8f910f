"""/report in chat (issue 18): a coordinator or an administrator taps a period and
receives the report's picture and spreadsheet; everyone else is refused.

Through the real bot on the strict fake Bot API (which checks sendPhoto/sendDocument
as Telegram does) and a fake clock: Wednesday 9 December 2026, 10:00 in Shanghai.
Referrals are written with the storage functions the services use (canary personal
data in every one: none of it may reach a file).
"""

from __future__ import annotations

import asyncio
import html
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from telegram import Bot, Update
from telegram.error import BadRequest

from bot import polling
from bot.clock import FakeClock
from bot.i18n import Translator
from bot.sandbox import FakeTelegram, Phone
from bot.sandbox.fake_telegram.calls import Upload
from bot.sandbox.fake_telegram.flood import FloodLimits
from bot.sandbox.fake_telegram.seen import SeenMessage
from bot.sandbox.http import BotApiServer
from bot.sandbox.world import World, world
from bot.services import Services, report_deliveries
from handlers import jobs, report
from handlers.context import BotContext
from storage import people, referrals
from storage import report_deliveries as files_table
from storage.db import fetch_all
from tests.conftest import ADMIN_ID, CONFIG_TOML
from tests.stories import (
    CANARY_NAME,
    CANARY_PHONE,
    CANARY_PLACE,
    CANARY_SUMMARY,
    enrol,
    station,
)

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 9, 10, 0, tzinfo=ZONE).astimezone(UTC)  # Wednesday
HANT = Translator("zh_Hant")
EN = Translator("en")
PNG = b"\x89PNG\r\n\x1a\n"

TWO_TEAMS = CONFIG_TOML.replace(
    'stations = ["tianping", "xietu"]',
    'stations = ["tianping"]\n\n[[teams]]\nid = "xietu-sw"\nname_zh = "斜土社工站"\n'
    'name_en = "Xietu Social Work"\nstations = ["xietu"]',
)


def at(month: int, day: int, hour: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=ZONE).astimezone(UTC)


async def seed(services: Services, *filed: tuple[datetime, str]) -> None:
    """Referrals filed at (moment, station) by one officer, left on offer."""
    async with services.db.write() as tx:
        officer = await people.insert(
            tx, telegram_id=77_000, display_name="Seed officer", language="en", now=at(10, 1)
        )
        for number, (moment, station) in enumerate(filed):
            await referrals.insert(
                tx,
                now=moment,
                ref=f"R-S{number:03d}",
                station_id=station,
                officer_id=officer,
                category="family_dispute",
                urgency="routine",
                status="offered",
                person_name=CANARY_NAME,
                person_phone=CANARY_PHONE,
                place=CANARY_PLACE,
                summary=CANARY_SUMMARY,
            )


async def coordinator(w: World, language: str = "zh-hk", team: str = "xuhui-sw") -> Phone:
    return await enrol(
        w, 300, "Coord Chen", "--role", "coordinator", "--team", team, language=language
    )


def book(phone: Phone) -> openpyxl.Workbook:
    [document] = [m for m in phone.files if m.kind == "document"]
    assert document.file is not None
    return openpyxl.load_workbook(io.BytesIO(document.file.content))


def cells(sheet: object) -> list[object]:
    return [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]  # type: ignore[attr-defined]


async def audit_rows(services: Services, action: str) -> list[str]:
    rows = await fetch_all(
        services.db.reader, "SELECT detail FROM audit_log WHERE action = ?", (action,)
    )
    return [str(r["detail"]) for r in rows]


async def made(w: World) -> None:
    """Wait for the reports being made outside their updates, then let the sender send."""
    tasks = set(w.app.bot_data.get(report.TASKS, ()))
    if tasks:
        await asyncio.gather(*tasks)
    await w.settle()


async def stored_files(services: Services) -> int:
    return await files_table.count(services.db.reader)


async def test_a_coordinator_in_traditional_chinese_gets_last_month_as_a_picture_and_a_workbook(
    config_path: Path,
) -> None:
    clock = FakeClock(NOW)
    async with world(config_path, clock=clock) as w:
        await seed(w.services, (at(11, 3), "tianping"), (at(10, 20), "tianping"))
        chen = await coordinator(w)
        await chen.send("/report")
        assert chen.last.plain == HANT("Which period should the report cover?")
        await chen.tap(HANT("Last month"))
        assert (
            HANT(
                "⏳ Preparing the report for {period}: a picture with the headline figures "
                "and a spreadsheet follow in a moment.",
                period="2026-11-01 – 2026-11-30",
            )
            in chen.texts
        )  # at once, before the report is made
        await made(w)
        assert HANT(SENT) in chen.texts  # the same card, once the files are sent
        photo, document = chen.files
        assert photo.kind == "photo" and document.kind == "document"
        assert photo.file is not None and photo.file.content.startswith(PNG)
        assert photo.file.filename == "report-2026-11-01-2026-11-30.png"
        assert (
            HANT("<b>📊 Report {period}</b>", period="2026-11-01 – 2026-11-30")
            .replace("<b>", "")
            .replace("</b>", "")
            in photo.plain
        )
        assert (
            html.unescape(HANT("{figure}: {value}", figure=HANT("Referrals"), value="<3"))
            in photo.plain
        )  # the headline, its one referral hidden as "<3"
        assert document.file is not None and document.file.filename.endswith(".xlsx")
        workbook = book(chen)
        table = workbook[HANT("Referrals by category and station")]  # tabs in its words
        assert "<3" in cells(table)  # one referral: too few to show
        assert len(table._charts) == 1  # type: ignore[attr-defined]
        everything = " ".join(str(c) for s in workbook.worksheets for c in cells(s))
        for canary in (CANARY_NAME, CANARY_PHONE, CANARY_PLACE, "CanarySummary"):
            assert canary not in everything
        exported = await audit_rows(w.services, "report.exported")
        assert sorted(d.split()[0] for d in exported) == ["png", "xlsx"]
        assert all("via chat" in d for d in exported)
        assert await stored_files(w.services) == 0  # sent: the bytes are not kept


async def test_this_week_is_monday_to_today_and_an_empty_one_still_reports(
    config_path: Path,
) -> None:
    async with world(config_path, clock=FakeClock(NOW)) as w:
        chen = await coordinator(w, language="en")
        await chen.send("/report")
        await chen.tap("This week")
        await made(w)
        photo, _ = chen.files
        assert "📊 Report 2026-12-07 – 2026-12-09" in photo.plain
        assert "Referrals: 0" in photo.plain


async def test_a_month_chosen_from_the_picker(config_path: Path) -> None:
    async with world(config_path, clock=FakeClock(NOW)) as w:
        await seed(w.services, (at(10, 5), "xietu"), (at(11, 5), "xietu"))
        chen = await coordinator(w, language="en")
        await chen.send("/report")
        await chen.tap("Choose a month")
        labels = chen.last.button_labels()
        assert labels[:3] == ["2026-12", "2026-11", "2026-10"]
        assert labels[11] == "2026-01" and labels[-1] == "⬅ Back"
        await chen.tap("2026-10")
        await made(w)
        photo, document = chen.files
        assert "2026-10-01 – 2026-10-31" in photo.plain and "Referrals: <3" in photo.plain
        assert document.file is not None
        assert document.file.filename == "report-2026-10-01-2026-10-31.xlsx"


async def test_a_coordinator_counts_only_their_stations_and_an_admin_all(
    tmp_path: Path,
) -> None:
    config_path = tmp_path / "config.toml"
    config_path.write_text(TWO_TEAMS, encoding="utf-8")
    async with world(config_path, clock=FakeClock(NOW)) as w:
        await seed(w.services, *[(at(11, d), "tianping") for d in range(1, 5)])
        await seed_more(w.services, *[(at(11, d), "xietu") for d in range(1, 6)])
        chen = await coordinator(w, language="en")
        await chen.send("/report")
        await chen.tap("Last month")
        await made(w)
        photo, _ = chen.files
        assert "Referrals: 4" in photo.plain
        assert "Stations: Tianping Road Station" in photo.plain
        shown = cells(book(chen)["Referrals by category and"])  # the title, cut to 31
        assert "Tianping Road Station" in shown and "Xietu Road Station" not in shown
        boss = w.phone(ADMIN_ID, "Boss", language="en")
        await boss.send("/report")
        await boss.tap("Last month")
        await made(w)
        photo, _ = boss.files
        assert "Referrals: 9" in photo.plain and "Stations: All stations" in photo.plain


async def seed_more(services: Services, *filed: tuple[datetime, str]) -> None:
    async with services.db.write() as tx:
        officer = await people.insert(
            tx, telegram_id=77_001, display_name="Seed officer 2", language="en", now=at(10, 1)
        )
        for number, (moment, station) in enumerate(filed):
            await referrals.insert(
                tx,
                now=moment,
                ref=f"R-T{number:03d}",
                station_id=station,
                officer_id=officer,
                category="neighbour_dispute",
                urgency="urgent",
                status="offered",
                person_name=CANARY_NAME,
                person_phone=CANARY_PHONE,
                place=CANARY_PLACE,
                summary=CANARY_SUMMARY,
            )


@pytest.mark.parametrize(
    "role",
    [
        ("--role", "officer", "--station", "tianping"),
        ("--role", "social_worker", "--team", "xuhui-sw"),
    ],
)
async def test_an_officer_or_a_worker_is_refused_politely_and_it_is_audited(
    config_path: Path, role: tuple[str, ...]
) -> None:
    async with world(config_path, clock=FakeClock(NOW)) as w:
        someone = await enrol(w, 150, "Someone", *role, language="zh-hk")
        await someone.send("/report")
        assert someone.last.plain == HANT("Sorry, that is not something your role can do here.")
        assert someone.files == []
        refused = await fetch_all(
            w.services.db.reader, "SELECT detail FROM audit_log WHERE action = 'action.refused'"
        )
        assert [r["detail"] for r in refused] == ["command:/report"]
        stranger = w.phone(160, "Stranger")
        await stranger.send("/report")
        assert stranger.files == [] and "only people who have been invited" in stranger.last.plain


async def test_a_forged_month_is_refused_and_audited(config_path: Path) -> None:
    async with world(config_path, clock=FakeClock(NOW)) as w:
        chen = await coordinator(w, language="en")
        await chen.send("/report")
        card = chen.last.message_id
        for forged in ("rp:0123abcd:m:202511", "rp:0123abcd:m:202701"):  # 13 months back, ahead
            answer = await chen.tap_data(forged, message_id=card)
            assert answer.text == "This button is no longer active." and answer.show_alert
        answer = await chen.tap_data("rp:0123abcd:w:202611", message_id=card)  # no such form
        assert answer.text == "This button is no longer active."
        assert chen.files == []
        refused = await fetch_all(
            w.services.db.reader, "SELECT detail FROM audit_log WHERE action = 'action.refused'"
        )
        assert len(refused) == 2


async def test_a_second_tap_makes_no_second_report(config_path: Path) -> None:
    async with world(config_path, clock=FakeClock(NOW)) as w:
        chen = await coordinator(w, language="en")
        await chen.send("/report")
        card = chen.last
        data = card.button("Last month")
        assert data is not None and data.callback_data is not None
        await chen.tap("Last month")
        await made(w)
        answer = await chen.tap_data(data.callback_data, message_id=card.message_id)
        assert answer.text == "This report is already on its way."
        assert len(chen.files) == 2
        assert len(await audit_rows(w.services, "report.exported")) == 2


async def test_a_flood_wait_delays_the_spreadsheet_and_it_goes_later_byte_for_byte(
    config_path: Path,
) -> None:
    clock = FakeClock(NOW)
    telegram = FakeTelegram(clock=clock.now)
    ticker = [0.0]
    telegram.enforce_limits(FloodLimits(), clock=lambda: ticker[0])
    async with world(config_path, clock=clock, telegram=telegram) as w:
        chen = await coordinator(w, language="en")  # welcome message: one call
        ticker[0] += 10  # the chat's allowance back
        await chen.send("/report")
        await chen.tap("Last month")  # the card's edit, the photo, then the document: 429
        await made(w)
        assert [m.kind for m in chen.files] == ["photo"]
        assert telegram.too_many["private"] >= 1
        refused = [c for c in telegram.refused if c.method == "sendDocument"]
        assert refused and isinstance(refused[0].params["document"], Upload)
        assert await stored_files(w.services) == 1  # the spreadsheet waits, bytes and all
        ticker[0] += 60
        clock.advance(timedelta(minutes=1))
        await w.settle()
        _, document = chen.files
        assert document.file is not None
        assert document.file.content == refused[0].params["document"].content
        assert await stored_files(w.services) == 0


async def made_unsent(w: World) -> None:
    """Wait for the reports being made, and send nothing (a crash right after)."""
    tasks = set(w.app.bot_data.get(report.TASKS, ()))
    if tasks:
        await asyncio.gather(*tasks)


async def test_a_restart_between_the_commit_and_the_send_sends_each_file_once(
    config_path: Path,
) -> None:
    clock = FakeClock(NOW)
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        chen = await coordinator(w, language="en")
        await chen.send("/report")
        telegram.after_update = None  # the process dies before the sender sends anything
        await chen.tap("Last month")
        await made_unsent(w)
        assert chen.files == []
        assert await stored_files(w.services) == 2
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await w.settle()
        assert [m.kind for m in chen.files] == ["photo", "document"]
        assert await stored_files(w.services) == 0
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await w.settle()
        assert len(chen.files) == 2


SENT = "✅ Sent: the picture and the spreadsheet are below."
SORRY = (
    "Sorry, the report could not be made this time. Please try again; if it keeps "
    "failing, tell your administrator."
)


def shown(phone: Phone, message_id: int) -> SeenMessage:
    """The message as the phone shows it now (after any edits)."""
    return next(m for m in phone.messages if m.message_id == message_id)


class Held:
    """The report's rendering, held until the test lets it go."""

    def __init__(self) -> None:
        self.go = asyncio.Event()
        self.started = asyncio.Event()
        self.real = report_deliveries.render_both

    async def __call__(self, *args: object) -> object:
        self.started.set()
        await self.go.wait()
        return await self.real(*args)  # type: ignore[arg-type]


async def test_an_officer_is_answered_while_a_coordinators_report_is_being_made(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The poller handles a batch (the coordinator's tap, an officer's /whoami) and
    asks for the next only when the whole batch is done: the tap must not make the
    report inside its update."""
    held = Held()
    monkeypatch.setattr(report_deliveries, "render_both", held)
    async with world(config_path, clock=FakeClock(NOW)) as w:
        s = await station(w, {"Li Na": ()})
        chen = await coordinator(w, language="en")
        await chen.send("/report")
        card = chen.last
        data = card.button("Last month")
        assert data is not None and data.callback_data is not None
        said = len(s.officer.texts)
        updates = [
            Update.de_json(_tap(9001, chen, card.message_id, data.callback_data), w.app.bot),
            Update.de_json(_whoami(9002, s.officer.chat_id), w.app.bot),
        ]
        await polling.handle(w.app, updates)  # returns: the next getUpdates may go
        await held.started.wait()
        assert not held.go.is_set()  # the report is still being made
        assert len(s.officer.texts) == said + 1  # the officer was answered meanwhile
        assert chen.files == [] and chen.last.plain.startswith("⏳ Preparing the report")
        assert chen.last.buttons == []
        held.go.set()
        await made(w)
        assert [m.kind for m in chen.files] == ["photo", "document"]
        assert shown(chen, card.message_id).plain == SENT  # the card, edited after the files
        assert shown(chen, card.message_id).buttons == []


def _tap(update_id: int, phone: Phone, message_id: int, data: str) -> dict[str, object]:
    person = {"id": phone.chat_id, "is_bot": False, "first_name": "Coord"}
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"q{update_id}",
            "from": person,
            "chat_instance": "x",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": 1_764_136_800,
                "chat": {"id": phone.chat_id, "type": "private", "first_name": "Coord"},
                "from": {"id": 1, "is_bot": True, "first_name": "Bot"},
                "text": "Which period should the report cover?",
            },
        },
    }


def _whoami(update_id: int, chat_id: int) -> dict[str, object]:
    person = {"id": chat_id, "is_bot": False, "first_name": "Officer"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": 5000 + update_id,
            "date": 1_764_136_800,
            "chat": {"id": chat_id, "type": "private", "first_name": "Officer"},
            "from": person,
            "text": "/whoami",
            "entities": [{"type": "bot_command", "offset": 0, "length": 7}],
        },
    }


async def test_one_report_at_a_time_per_person(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = Held()
    monkeypatch.setattr(report_deliveries, "render_both", held)
    async with world(config_path, clock=FakeClock(NOW)) as w:
        chen = await coordinator(w, language="en")
        await chen.send("/report")
        await chen.tap("Last month")
        await chen.send("/report")  # a second card while the first report is on its way
        answer = await chen.tap("This week")
        assert answer.text == "This report is already on its way."
        held.go.set()
        await made(w)
        assert len(chen.files) == 2
        assert len(await audit_rows(w.services, "report.exported")) == 2


async def test_a_crash_between_the_request_and_the_files_makes_the_report_once_after_restart(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock(NOW)
    telegram = FakeTelegram(clock=clock.now)
    held = Held()
    monkeypatch.setattr(report_deliveries, "render_both", held)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        chen = await coordinator(w, language="en")
        await chen.send("/report")
        card = chen.last.message_id
        await chen.tap("Last month")
        await held.started.wait()
        for task in set(w.app.bot_data[report.TASKS]):
            task.cancel()  # the process dies while the report is being made
        await asyncio.gather(*w.app.bot_data[report.TASKS], return_exceptions=True)
        assert chen.files == [] and await stored_files(w.services) == 0
    monkeypatch.undo()
    for _ in range(2):  # a restart, then another: the report is made once
        async with world(config_path, clock=clock, telegram=telegram) as w:
            await jobs._report_requests(BotContext(w.app))  # the job's run at the start
            await w.settle()
            assert [m.kind for m in chen.files] == ["photo", "document"]
            assert shown(chen, card).plain == SENT


@pytest.mark.expect_errors
async def test_a_failed_report_says_sorry_and_gives_the_buttons_back(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object) -> object:
        raise RuntimeError(CANARY_NAME)  # an exception that quotes personal data

    monkeypatch.setattr(report_deliveries, "render_both", broken)
    async with world(config_path, clock=FakeClock(NOW)) as w:
        chen = await coordinator(w, language="en")
        await chen.send("/report")
        card = chen.last.message_id
        await chen.tap("Last month")
        await made(w)
        assert chen.files == []
        assert shown(chen, card).plain == SORRY
        assert shown(chen, card).button_labels() == ["This week", "Last month", "Choose a month"]
        assert "RuntimeError" in caplog.text and CANARY_NAME not in caplog.text
        monkeypatch.undo()
        await chen.tap("Last month", message=shown(chen, card))  # trying again works
        await made(w)
        assert [m.kind for m in chen.files] == ["photo", "document"]
        assert shown(chen, card).plain == SENT


async def test_a_file_waiting_for_a_coordinator_who_was_deactivated_is_not_sent(
    config_path: Path,
) -> None:
    clock = FakeClock(NOW)
    telegram = FakeTelegram(clock=clock.now)
    ticker = [0.0]
    telegram.enforce_limits(FloodLimits(), clock=lambda: ticker[0])
    async with world(config_path, clock=clock, telegram=telegram) as w:
        chen = await coordinator(w, language="en")
        ticker[0] += 10
        await chen.send("/report")
        await chen.tap("Last month")
        await made(w)
        assert [m.kind for m in chen.files] == ["photo"]  # the spreadsheet: a flood wait
        assert (await w.cli("deactivate", str(chen.chat_id)))[0] == 0
        ticker[0] += 60
        clock.advance(timedelta(minutes=1))
        await w.settle()
        assert [m.kind for m in chen.files] == ["photo"]  # never reaches them
        assert await stored_files(w.services) == 0  # given up: the file is gone


async def test_the_fake_checks_uploads_as_telegram_does(config_path: Path) -> None:
    """A caption over 1024 characters, broken HTML in it, a picture too large: refused."""
    async with world(config_path, clock=FakeClock(NOW)) as w:
        chen = await coordinator(w, language="en")
        bot: Bot = w.app.bot
        tiny = PNG + b"\x00\x00\x00\rIHDR" + (40).to_bytes(4, "big") + (30).to_bytes(4, "big")
        sent = await bot.send_photo(chen.chat_id, tiny, caption="<b>ok</b>", filename="a.png")
        assert sent.photo[-1].width == 40 and chen.files[-1].plain == "ok"
        with pytest.raises(BadRequest, match="caption is too long"):
            await bot.send_photo(chen.chat_id, tiny, caption="x" * 1025)
        with pytest.raises(BadRequest, match=r"(?i)can.t parse entities"):
            await bot.send_document(chen.chat_id, b"data", caption="<b>open", filename="a.bin")
        huge = PNG + b"\x00\x00\x00\rIHDR" + (9000).to_bytes(4, "big") + (2000).to_bytes(4, "big")
        with pytest.raises(BadRequest, match=r"(?i)photo_invalid_dimensions"):
            await bot.send_photo(chen.chat_id, huge)
        with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
            await bot.send_photo(chen.chat_id, b"not a picture")
        document = await bot.send_document(chen.chat_id, b"hello", filename="a.txt")
        assert document.document is not None and document.document.file_name == "a.txt"
        assert chen.files[-1].file is not None and chen.files[-1].file.content == b"hello"


async def test_uploads_reach_the_fake_over_http_as_well() -> None:
    """The bot as a real process talks multipart HTTP: the sandbox server reads files."""
    fake = FakeTelegram()
    server = BotApiServer(fake)
    await server.start()
    try:
        ann = fake.user(501, "Ann")
        await ann.send("hello")  # no application attached: queued for getUpdates
        async with Bot("1:token", base_url=server.base_url) as bot:
            await bot.send_document(
                ann.chat_id,
                b"\x00bytes",
                filename="r.xlsx",
                caption="<b>Nov</b>",
                parse_mode="HTML",
            )
        [document] = ann.files
        assert document.file is not None and document.file.content == b"\x00bytes"
        assert document.file.filename == "r.xlsx" and document.plain == "Nov"
    finally:
        await server.close()


# -- the card and the files checked again (review rev18c) ----------------------------------------


async def test_a_coordinator_who_lost_the_role_before_the_report_was_made_is_told(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Their request waits (a crash while rendering); the role goes; the restarted bot
    makes nothing and the card says the report is no longer theirs, without buttons."""
    clock = FakeClock(NOW)
    telegram = FakeTelegram(clock=clock.now)
    held = Held()
    monkeypatch.setattr(report_deliveries, "render_both", held)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        chen = await coordinator(w, language="en")
        await chen.send("/report")
        card = chen.last.message_id
        await chen.tap("Last month")
        await held.started.wait()
        for task in set(w.app.bot_data[report.TASKS]):
            task.cancel()
        await asyncio.gather(*w.app.bot_data[report.TASKS], return_exceptions=True)
        async with w.services.db.write() as tx:
            await tx.execute("DELETE FROM person_roles WHERE role = 'coordinator'")
    monkeypatch.undo()
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await jobs._report_requests(BotContext(w.app))
        await w.settle()
        assert chen.files == []
        assert shown(chen, card).plain.startswith("Sorry, this report is no longer available")
        assert not shown(chen, card).buttons


def _quiet_after_the_picture(telegram: FakeTelegram) -> list[float]:
    """Telegram's flood limits on a clock the test moves: the spreadsheet waits."""
    ticker = [0.0]
    telegram.enforce_limits(FloodLimits(), clock=lambda: ticker[0])
    return ticker


async def _let_the_rest_go(w: World, clock: FakeClock, ticker: list[float]) -> None:
    for _ in range(2):
        ticker[0] += 60
        clock.advance(timedelta(minutes=1))
        await w.settle()


async def test_the_card_says_only_the_picture_arrived_when_the_spreadsheet_was_refused(
    config_path: Path,
) -> None:
    clock = FakeClock(NOW)
    telegram = FakeTelegram(clock=clock.now)
    ticker = _quiet_after_the_picture(telegram)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        chen = await coordinator(w, language="en")
        ticker[0] += 10
        await chen.send("/report")
        card = chen.last.message_id
        await chen.tap("Last month")
        await made(w)
        assert [m.kind for m in chen.files] == ["photo"]  # the spreadsheet waits
        assert (await w.cli("deactivate", str(chen.chat_id)))[0] == 0
        await _let_the_rest_go(w, clock, ticker)
        assert [m.kind for m in chen.files] == ["photo"]
        said = shown(chen, card).plain
        assert said == "✅ Sent: the picture is below. The spreadsheet could not be sent.", said


async def test_an_admin_made_a_teams_coordinator_no_longer_gets_every_station(
    config_path: Path,
) -> None:
    """The files were written for an administrator (every station); before the
    spreadsheet goes, they become one team's coordinator: it is refused, and the card
    says so."""
    clock = FakeClock(NOW)
    telegram = FakeTelegram(clock=clock.now)
    ticker = _quiet_after_the_picture(telegram)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await seed(w.services, (at(11, 3), "tianping"))
        li = await enrol(w, 400, "Admin Li", "--role", "admin", language="en")
        ticker[0] += 10
        await li.send("/report")
        card = li.last.message_id
        await li.tap("Last month")
        await made(w)
        assert [m.kind for m in li.files] == ["photo"]
        assert "Stations: All stations" in li.files[0].plain
        async with w.services.db.write() as tx:
            await tx.execute(
                "UPDATE person_roles SET role = 'coordinator', team_id = 'xuhui-sw'"
                " WHERE role = 'admin' AND person_id = (SELECT id FROM people"
                " WHERE telegram_id = 400)"
            )
        await _let_the_rest_go(w, clock, ticker)
        assert [m.kind for m in li.files] == ["photo"]
        assert "The spreadsheet could not be sent" in shown(li, card).plain


async def test_a_coordinator_moved_to_another_team_gets_no_file_of_the_old_one(
    tmp_path: Path,
) -> None:
    config_path = tmp_path / "config.toml"
    config_path.write_text(TWO_TEAMS, encoding="utf-8")
    clock = FakeClock(NOW)
    telegram = FakeTelegram(clock=clock.now)
    ticker = _quiet_after_the_picture(telegram)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        chen = await coordinator(w, language="en")
        ticker[0] += 10
        await chen.send("/report")
        card = chen.last.message_id
        await chen.tap("Last month")
        await made(w)
        assert [m.kind for m in chen.files] == ["photo"]
        async with w.services.db.write() as tx:
            await tx.execute(
                "UPDATE person_roles SET team_id = 'xietu-sw' WHERE role = 'coordinator'"
            )
        await _let_the_rest_go(w, clock, ticker)
        assert [m.kind for m in chen.files] == ["photo"]
        assert "The spreadsheet could not be sent" in shown(chen, card).plain


async def test_a_failure_while_making_logs_where_without_the_message(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object) -> object:
        raise ValueError(CANARY_NAME)

    monkeypatch.setattr(report_deliveries, "render_both", broken)
    async with world(config_path, clock=FakeClock(NOW)) as w:
        chen = await coordinator(w, language="en")
        await chen.send("/report")
        await chen.tap("Last month")
        await made(w)
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.endswith("deliveries"))
    assert "ValueError" in logged and "report_deliveries.py" in logged, logged
    assert CANARY_NAME not in caplog.text
