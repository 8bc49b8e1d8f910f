"""The operator's commands: restore (never under a running bot), one bot per database."""

from __future__ import annotations

import contextlib
import io
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import cli
from bot.clock import FakeClock
from bot.engine import backup
from bot.sandbox import FakeTelegram
from bot.sandbox.http import BotApiServer
from bot.sandbox.world import world
from handlers.context import BotContext
from handlers.jobs import escalation_round
from storage import audit, lock
from storage.sealing import new_key
from tests.conftest import ADMIN_ID
from tests.stories import draft, file, station
from tests.test_cli import run_cli
from tests.test_report_picture import NOTO, Fontconfig


def _invites(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM invites").fetchone()[0])


def _audit(db: Path, action: str) -> list[str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT detail FROM audit_log WHERE action = ?", (action,))
        return [row[0] for row in rows]


def test_restore_puts_the_backup_back_and_keeps_what_was_there(
    config_path: Path, tmp_path: Path
) -> None:
    db = config_path.parent / "bot.sqlite3"
    config = ["--config", str(config_path)]
    assert run_cli("invite", "--role", "admin", *config).returncode == 0
    backup = tmp_path / "monday.sqlite3"
    assert run_cli("backup", str(backup), *config).returncode == 0
    assert run_cli("invite", "--role", "admin", *config).returncode == 0  # after the backup
    assert _invites(db) == 2

    result = run_cli("restore", str(backup), *config)
    assert result.returncode == 0, result.stderr
    assert _invites(db) == 1
    kept = list(config_path.parent.glob("bot.sqlite3.before-restore-*"))
    assert len(kept) == 1 and _invites(kept[0]) == 2
    assert _audit(db, "database.restored") == [str(backup)]


def test_restore_refuses_while_the_bot_runs_and_refuses_what_is_no_backup(
    config_path: Path, tmp_path: Path
) -> None:
    db = config_path.parent / "bot.sqlite3"
    config = ["--config", str(config_path)]
    assert run_cli("invite", "--role", "admin", *config).returncode == 0
    backup = tmp_path / "copy.sqlite3"
    assert run_cli("backup", str(backup), *config).returncode == 0
    with lock.exclusive(db):  # as the running bot holds it
        busy = run_cli("restore", str(backup), *config)
        second = run_cli("run", *config, env={"REFERRAL_BOT_TELEGRAM__TOKEN": "1:x"})
    assert busy.returncode == 2 and "stop it first" in busy.stderr
    assert second.returncode == 2 and "another referral-bot is running" in second.stderr
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database", encoding="utf-8")
    refused = run_cli("restore", str(junk), *config)
    assert refused.returncode == 1 and "not a database of this bot" in refused.stderr
    assert _invites(db) == 1 and not list(db.parent.glob("*.before-restore-*"))
    assert "Traceback" not in busy.stderr + second.stderr + refused.stderr


async def test_a_daily_backup_is_made_once_a_day_and_the_newest_are_kept(
    config_path: Path,
) -> None:
    text = config_path.read_text(encoding="utf-8")
    config_path.write_text(text + '\n[backup]\nkeep = 2\nat = "03:30"\n', encoding="utf-8")
    clock = FakeClock(datetime(2026, 11, 26, 19, 29, tzinfo=UTC))  # 03:29 in Shanghai
    async with world(config_path, clock=clock) as w:
        assert await backup.tick(w.services) is None  # not yet
        clock.advance(timedelta(minutes=2))
        made = await backup.tick(w.services)
        assert made is not None and made.parent == config_path.parent / "backups"
        assert await backup.tick(w.services) is None  # once a day, restarts included
        for _ in range(3):
            clock.advance(timedelta(days=1))
            assert await backup.tick(w.services) is not None
        kept = sorted((config_path.parent / "backups").glob("referral-bot-*.sqlite3"))
        assert [p.name for p in kept] == [
            "referral-bot-20261129-033100.sqlite3",
            "referral-bot-20261130-033100.sqlite3",
        ]
        assert _invites(kept[-1]) == 0  # a real database: it opens and has the tables
        exported = await audit.entries(w.services.db.reader, action="database.exported")
        assert len(exported) == 4


async def _doctor(config_path: Path) -> tuple[int, list[str]]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = await cli.amain(["doctor", "--config", str(config_path)])
    return code, out.getvalue().splitlines()


def _with_token(config_path: Path, base_url: str) -> None:
    text = config_path.read_text(encoding="utf-8")
    config_path.write_text(
        text.replace(
            "[telegram]", f'[telegram]\ntoken = "1:doctor"\nbase_url = "{base_url}"'
        ).replace("[database]", '[privacy]\nkey_file = "referral.key"\n\n[database]'),
        encoding="utf-8",
    )


async def test_doctor_passes_a_healthy_deployment_and_names_each_fault(
    config_path: Path,
) -> None:
    telegram = FakeTelegram(bot_username="tianping_bot")
    server = BotApiServer(telegram)
    await server.start()
    try:
        code, lines = await _doctor(config_path)  # no token, no key, no database
        assert code == 1
        assert [line.split(":")[0] for line in lines if line.startswith("FAIL")] == [
            "FAIL  database",
            "FAIL  key",
            "FAIL  token",
        ]

        _with_token(config_path, server.base_url)
        async with world(config_path) as w:  # first start: database and key made
            await station(w, {"Li Na": ()})
            await file(w, draft("family_dispute"))
        code, lines = await _doctor(config_path)
        assert code == 0, lines
        # WARN only for the report pictures' Chinese font, which this machine may lack.
        assert all(line.startswith(("ok  ", "info", "WARN  report pictures")) for line in lines)
        assert any("@tianping_bot" in line for line in lines)

        (config_path.parent / "referral.key").write_text(new_key() + "\n")  # the wrong key
        telegram.fail_next("getMe", status=401, description="Unauthorized")
        code, lines = await _doctor(config_path)
        assert code == 1
        assert [line for line in lines if line.startswith("FAIL")] == [
            "FAIL  key: it does not open the personal data in the database",
            "FAIL  token: Telegram refused it; check it with @BotFather",
        ]
    finally:
        await server.close()


async def test_doctor_names_the_report_pictures_fonts_or_warns_without_failing(
    config_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fontconfig = Fontconfig(tmp_path / "fontconfig", monkeypatch)  # no Chinese font yet
    config_path.write_text(
        config_path.read_text(encoding="utf-8").replace(
            "[database]", '[privacy]\nkey_file = "referral.key"\n\n[database]'
        ),
        encoding="utf-8",
    )
    async with world(config_path):  # database and key made: only the token fails
        pass
    code, lines = await _doctor(config_path)
    assert (
        "WARN  report pictures: no Chinese font found by fontconfig (fc-list :lang=zh);"
        " pictures are drawn in English. Install one (Debian/Ubuntu: apt install"
        " fonts-noto-cjk): the next picture uses it, no restart needed."
    ) in lines
    assert [line.split(":")[0] for line in lines if line.startswith("FAIL")] == ["FAIL  token"]
    assert code == 1  # the token, not the font

    fontconfig.install(NOTO)  # after matplotlib listed its fonts: found all the same
    _, lines = await _doctor(config_path)
    assert (
        "ok    report pictures: Chinese fonts Noto Sans CJK SC (zh_Hans),"
        " Noto Sans CJK HK (zh_Hant)"
    ) in lines


async def test_status_tells_an_admin_how_the_bot_is_doing(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": (), "Zhou Min": ()})
        admin = w.phone(ADMIN_ID, "Admin")
        await admin.send("/start")
        s.workers["Zhou Min"].block()
        await file(w, draft("family_dispute"))  # Zhou's card is refused: given up
        w.clock.advance(timedelta(minutes=5))
        await admin.send("/status")
        assert "Engine: no round yet." in admin.last.plain
        await escalation_round(BotContext(w.app))
        w.clock.advance(timedelta(minutes=2))
        await admin.send("/status")
        lines = admin.last.plain.splitlines()
    assert lines[0] == "🩺 Status"
    assert lines[1] == "Running for 7 min."
    assert lines[2] == "Engine: last round 2 min ago."
    assert lines[3].startswith("Outbox: 0 waiting (oldest —); 1 given up in the last day.")
    assert lines[4] == "Cannot be reached: Zhou Min."
    assert lines[5].startswith("Database: ") and lines[5].endswith(" MiB.")


def test_restore_rescues_a_damaged_database_and_keeps_the_wreck(
    config_path: Path, tmp_path: Path
) -> None:
    db = config_path.parent / "bot.sqlite3"
    config = ["--config", str(config_path)]
    assert run_cli("invite", "--role", "admin", *config).returncode == 0
    backup = tmp_path / "good.sqlite3"
    assert run_cli("backup", str(backup), *config).returncode == 0
    db.write_bytes(b"this is not a database any more" * 100)  # the disk went bad
    result = run_cli("restore", str(backup), *config)
    assert result.returncode == 0, result.stderr
    assert _invites(db) == 1
    kept = list(config_path.parent.glob("bot.sqlite3.before-restore-*"))
    assert [p.read_bytes()[:8] for p in kept] == [b"this is "]
    assert not list(config_path.parent.glob("*.restoring"))
