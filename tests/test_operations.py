"""The operator's commands: restore (never under a running bot), one bot per database."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.engine import backup
from bot.sandbox.world import world
from storage import audit, lock
from tests.test_cli import run_cli


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
