"""``referral-bot report`` as an administrator runs it for the bureau and the funders:
a week of referrals counted by hand (tests/test_report_figures.py) written as a
workbook, a zip of CSVs or a picture; small counts hidden, no per-worker table, the
stations asked for only, one audit line per file; every mistake one line, never a
traceback.
"""

from __future__ import annotations

import csv
import getpass
import io
import os
import sqlite3
import zipfile
from pathlib import Path

import openpyxl
import pytest

from bot import cli
from bot.cli import report as report_cli
from bot.clock import FakeClock
from bot.config import Config
from bot.i18n import Translator
from bot.reports import example
from bot.reports.picture import cjk_font
from bot.services import Services, open_database
from storage import audit
from storage.db import Database
from tests.stories import CANARY_NAME, CANARY_PHONE, CANARY_PLACE, CANARY_SUMMARY
from tests.test_report_figures import local, seed_week

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
WEEK = ["--from", "2026-11-02", "--to", "2026-11-08"]
BOM = b"\xef\xbb\xbf"


@pytest.fixture
async def seeded(config: Config, config_path: Path) -> Path:
    """The hand-counted week in the configured database; the config file's path."""
    db = await open_database(config)
    try:
        await seed_week(Services(config=config, db=db, clock=FakeClock(local(20, 12))))
    finally:
        await db.close()
    return config_path


@pytest.fixture(autouse=True)
def os_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Who runs the command: the audit line names the OS account (there is no person).
    After ``tmp_path``: pytest names its temporary folder after the same account."""
    monkeypatch.setattr(getpass, "getuser", lambda: "admin-wang")
    return "admin-wang"


async def report(config_path: Path, *args: str) -> int:
    argv = ["report", "--config", str(config_path), *args]
    return await cli.amain(argv, clock=FakeClock(local(20, 12)))


async def exports(config_path: Path) -> list[str]:
    async with await Database.open(config_path.parent / "bot.sqlite3") as db:
        return [e.detail or "" for e in await audit.entries(db.reader, action="report.exported")]


def summary(archive: zipfile.ZipFile) -> dict[str, str]:
    text = archive.read("summary.csv").decode("utf-8-sig")
    return {row[0]: row[1] for row in csv.reader(io.StringIO(text))}


async def test_a_workbook_has_a_sheet_and_chart_per_table_small_counts_hidden_no_workers(
    seeded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "week.xlsx"
    assert await report(seeded, *WEEK, "--format", "xlsx", "--output", str(out)) == 0
    line = capsys.readouterr().out.strip()
    assert line == (
        f"report for 2026-11-02 to 2026-11-08, all stations, in zh_Hans (xlsx) written to {out}"
    )
    book = openpyxl.load_workbook(out)
    zh = Translator("zh_Hans")  # the config's default language, tabs named in it
    assert book.sheetnames[0] == zh("Summary")
    workers = zh("Cases taken and night call-outs per worker")
    assert workers not in book.sheetnames  # the file leaves the agency: no staff names
    by_category, by_urgency = zh("Referrals by category and station"), zh("Referrals by urgency")
    assert {by_category, by_urgency, zh("Referrals by hour of day")} <= set(book.sheetnames)
    assert book[zh("Summary")]["A1"].value == "转介统计报告"
    assert len(book[by_urgency]._charts) == 1
    assert len(book[by_category]._charts) == 1
    urgency = {row[0]: row[1] for row in book[by_urgency].iter_rows(min_row=3, values_only=True)}
    # 3 urgent are shown; the 2 routine referrals read "<3", and one more is hidden
    # ("x"), or the headline's 8 less 3 and 3 would tell them.
    assert sorted(urgency.values(), key=str) == [3, "<3", "x"]
    assert await exports(seeded) == ["xlsx via cli stations * by OS user admin-wang"]


async def test_a_csv_zip_is_one_csv_per_table_with_a_bom_and_no_personal_data(
    seeded: Path, tmp_path: Path
) -> None:
    out = tmp_path / "week.zip"
    code = await report(seeded, *WEEK, "--format", "csv", "--language", "en", "--output", str(out))
    assert code == 0
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        contents = {name: archive.read(name) for name in names}
        assert summary(archive)["Referrals"] == "8"
    assert names[0] == "summary.csv"
    assert "by_urgency.csv" in names and "per_worker.csv" not in names
    assert all(content.startswith(BOM) for content in contents.values())
    category = contents["by_category_station.csv"].decode("utf-8-sig")
    assert "Family dispute,Tianping Road Station,<3" in category.splitlines()
    everything = b"".join(contents.values()).decode("utf-8-sig")
    for canary in (CANARY_NAME, CANARY_PHONE, CANARY_PLACE, CANARY_SUMMARY, "Worker Li"):
        assert canary not in everything


async def test_a_station_limits_the_counts_and_the_file_goes_where_asked(
    seeded: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert await report(seeded, *WEEK, "--format", "csv", "--station", "xietu") == 0
    default = tmp_path / "report-2026-11-02-2026-11-08.zip"
    assert str(default) in capsys.readouterr().out
    with zipfile.ZipFile(default) as archive:
        lines = archive.read("by_category_station.csv").decode("utf-8-sig").splitlines()
        urgency = archive.read("by_urgency.csv").decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + 3  # xietu: R10 other, R3 mental health, R4 family dispute
    # One each: with nothing shown beside them, the three "<3" become "x" (suppress).
    assert all(line.endswith(",斜土路派出所,x") for line in lines[1:])
    assert [line.split(",")[1] for line in urgency[1:]] == ["<3", "0", "<3"]  # 2, 0, 1
    folder = tmp_path / "reports"
    folder.mkdir()
    assert await report(seeded, *WEEK, "--format", "png", "--output", str(folder)) == 0
    picture = (folder / "report-2026-11-02-2026-11-08.png").read_bytes()
    said = capsys.readouterr().out
    if cjk_font() is None:  # the picture is in English, and the line says so
        assert "in en (no Chinese font installed: see doctor) (png)" in said
    assert picture.startswith(PNG_MAGIC)
    assert await exports(seeded) == [
        "csv via cli stations xietu by OS user admin-wang",
        "png via cli stations * by OS user admin-wang",
    ]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--from", "2026-11-31", "--to", "2026-11-30", "--format", "xlsx"], 1,
         "--from '2026-11-31' is not a date such as 2026-11-01"),
        (["--from", "2026-12-01", "--to", "2026-11-30", "--format", "xlsx"], 1,
         "--from 2026-12-01 is after --to 2026-11-30"),
        ([*WEEK, "--format", "xlsx", "--station", "xietu", "atlantis"], 1,
         "unknown station 'atlantis'; known: tianping, xietu"),
        ([*WEEK, "--format", "pdf"], 1, "unknown format 'pdf'; use one of xlsx, csv, png"),
        ([*WEEK, "--format", "csv", "--language", "fr"], 1,
         "unknown language 'fr'; use one of en, zh_Hans, zh_Hant"),
        ([*WEEK, "--format", "csv", "--output", "/nonexistent/folder/week.zip"], 2,
         "cannot write /nonexistent/folder/week.zip: No such file or directory"),
        # No traceback for a period no report is for (the year 9999 overflowed, a
        # century of days ran for minutes); next year is the clock's 2026 plus one.
        (["--from", "2026-11-01", "--to", "9999-12-31", "--format", "xlsx"], 1,
         "--to 9999-12-31 is out of range: a report covers days from 2000-01-01 to 2027-12-31"),
        (["--from", "0001-01-01", "--to", "2026-11-30", "--format", "xlsx"], 1,
         "--from 0001-01-01 is out of range: a report covers days from 2000-01-01 to 2027-12-31"),
        (["--from", "1900-01-01", "--to", "2100-12-31", "--format", "png"], 1,
         "--from 1900-01-01 is out of range: a report covers days from 2000-01-01 to 2027-12-31"),
        (["--from", "2016-11-01", "--to", "2026-11-01", "--format", "csv"], 1,
         "2016-11-01 to 2026-11-01 is longer than 10 years; ask for 10 years at most"),
    ],
)  # fmt: skip
async def test_each_mistake_is_one_line_and_no_file_and_no_audit(
    seeded: Path, capsys: pytest.CaptureFixture[str], args: list[str], code: int, message: str
) -> None:
    assert await report(seeded, *args) == code
    captured = capsys.readouterr()
    assert captured.err == f"referral-bot: {message}\n"
    assert captured.out == ""
    assert await exports(seeded) == []


async def test_an_existing_file_is_replaced_only_with_force(
    seeded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "week.xlsx"
    out.write_bytes(b"the bureau's copy")
    assert await report(seeded, *WEEK, "--format", "xlsx", "--output", str(out)) == 1
    assert capsys.readouterr().err == (
        f"referral-bot: {out} already exists; give --force to replace it\n"
    )
    assert out.read_bytes() == b"the bureau's copy"
    assert await report(seeded, *WEEK, "--format", "xlsx", "--output", str(out), "--force") == 0
    assert openpyxl.load_workbook(out).sheetnames[0] == "概要"
    assert await exports(seeded) == ["xlsx via cli stations * by OS user admin-wang"]


async def test_ten_years_is_a_report(seeded: Path, tmp_path: Path) -> None:
    out = tmp_path / "decade.csv.zip"
    args = ["--from", "2016-11-09", "--to", "2026-11-08", "--format", "csv", "--language", "en"]
    assert await report(seeded, *args, "--output", str(out)) == 0
    with zipfile.ZipFile(out) as archive:
        # Every referral seeded: the week's 8 and the one filed on the night before it.
        assert summary(archive)["Referrals"] == "9"


async def test_the_file_is_written_before_the_lock_and_appears_only_once_audited(
    seeded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "week.xlsx"
    seen: list[str] = []
    sizes: list[int] = []
    write = Database.write

    def locked(self: Database):  # type: ignore[no-untyped-def]
        beside = [p for p in tmp_path.iterdir() if p.name.startswith(".week.xlsx.")]
        sizes.extend(p.stat().st_size for p in beside)
        seen.append(f"lock taken, {len(beside)} file beside, target there: {out.exists()}")
        return write(self)

    monkeypatch.setattr(Database, "write", locked)
    assert await report(seeded, *WEEK, "--format", "xlsx", "--output", str(out)) == 0
    # The file was written before the database's write lock was taken (the lock is held
    # for the audit line only), and put in place after the line was committed.
    assert seen == ["lock taken, 1 file beside, target there: False"]
    assert sizes == [out.stat().st_size]
    umask = os.umask(0o022)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # as any file written here
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".week")] == []
    assert openpyxl.load_workbook(out).sheetnames[0] == "概要"  # zh_Hans "Summary"


async def test_a_failed_audit_line_leaves_the_old_file_and_no_new_one(
    seeded: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "week.xlsx"
    out.write_bytes(b"the bureau's copy")

    async def refused(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(report_cli.report_files, "record_export", refused)
    assert await report(seeded, *WEEK, "--format", "xlsx", "--output", str(out), "--force") == 2
    assert capsys.readouterr().err == (
        "referral-bot: cannot record the export in the audit log (database is locked);"
        " no file written\n"
    )
    assert out.read_bytes() == b"the bureau's copy"  # not truncated, not replaced
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".week")] == []
    assert await exports(seeded) == []


def test_the_readme_picture_script_draws_a_png(tmp_path: Path) -> None:
    out = tmp_path / "example.png"
    assert example.main([str(out)]) == 0
    assert out.read_bytes().startswith(PNG_MAGIC)
