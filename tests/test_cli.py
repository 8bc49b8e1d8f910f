"""The command line as an admin uses it: clear lines and exit codes, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot import cli
from storage import audit
from storage.db import Database, migrations

ROOT = Path(__file__).parent.parent


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``referral-bot ARGS`` as installed by the README's command, in a clean environment."""
    script = Path(sys.executable).with_name("referral-bot")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("REFERRAL_BOT_")}
    return subprocess.run(  # noqa: S603 - our own script
        [str(script), *args],
        capture_output=True,
        text=True,
        env={**clean, **(env or {})},
        timeout=60,
        check=False,
    )


def test_example_config_passes_check_config() -> None:
    result = run_cli("check-config", str(ROOT / "config.example.toml"))
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout and "stations: 2" in result.stdout


def test_python_dash_m_bot_is_the_same_program() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert "check-config" in result.stdout and "invite" in result.stdout


def test_invalid_config_exits_1_naming_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[telegram]\ntokn = "x"\n', encoding="utf-8")
    result = run_cli("check-config", str(bad))
    assert result.returncode == 1
    assert "unknown key 'telegram.tokn'" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_without_token_is_one_line_exit_2(config_path: Path) -> None:
    result = run_cli("run", "--config", str(config_path))
    assert result.returncode == 2
    assert "no bot token" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreadable_config_is_one_line_exit_2(tmp_path: Path) -> None:
    result = run_cli("init-db", "--config", str(tmp_path / "missing.toml"))
    assert result.returncode == 2
    assert "no such configuration file" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unwritable_database_is_one_line_exit_2(config_path: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    result = run_cli(
        "init-db",
        "--config",
        str(config_path),
        env={"REFERRAL_BOT_DATABASE__PATH": str(blocker / "db.sqlite3")},
    )
    assert result.returncode == 2
    assert "cannot open the database" in result.stderr
    assert "Traceback" not in result.stderr


def test_init_db_creates_the_database(config_path: Path) -> None:
    result = run_cli("init-db", "--config", str(config_path))
    assert result.returncode == 0, result.stderr
    assert f"schema version {len(migrations())}" in result.stdout
    assert (config_path.parent / "bot.sqlite3").exists()


async def test_invite_prints_code_and_link(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["invite", "--config", str(config_path), "--role", "officer", "--station", "tianping"]
    assert await cli.amain(args) == 0
    out = capsys.readouterr().out
    code = next(line.split()[-1] for line in out.splitlines() if line.startswith("code:"))
    assert f"https://t.me/referral_test_bot?start={code}" in out
    assert "(Asia/Shanghai)" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--role", "officer"], "needs a station"),
        (["--role", "officer", "--station", "atlantis"], "unknown station 'atlantis'"),
        (["--role", "social_worker", "--team", "xuhui-sw", "--expires", "soon"], "duration"),
    ],
)
async def test_invite_with_bad_arguments_is_explained(
    config_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    assert await cli.amain(["invite", "--config", str(config_path), *extra]) == 1
    assert message in capsys.readouterr().err


async def test_backup_copies_and_never_overwrites(
    config_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await cli.amain(["invite", "--config", str(config_path), "--role", "admin"])
    destination = tmp_path / "backup.sqlite3"
    assert await cli.amain(["backup", "--config", str(config_path), str(destination)]) == 0
    async with await Database.open(destination) as copy:
        assert await copy.schema_version() == len(migrations())
    assert await cli.amain(["backup", "--config", str(config_path), str(destination)]) == 1
    assert "already exists" in capsys.readouterr().err
    async with await Database.open(config_path.parent / "bot.sqlite3") as db:
        exported = await audit.entries(db.reader, action="database.exported")
    assert [entry.detail for entry in exported] == [str(destination)]  # once: the refusal is not


async def test_deactivating_somebody_unknown_is_explained(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await cli.amain(["deactivate", "--config", str(config_path), "12345"]) == 1
    assert "nobody with Telegram id 12345" in capsys.readouterr().err


def test_json_logs_are_one_object_a_line(config_path: Path) -> None:
    text = config_path.read_text(encoding="utf-8")
    config_path.write_text(text + '\n[privacy]\nkey_file = "k.key"\n', encoding="utf-8")
    result = run_cli("--log-format", "json", "init-db", "--config", str(config_path))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert [line["logger"] for line in lines] == ["referral_bot.privacy"]
    assert lines[0]["level"] == "WARNING" and "wrote a new key" in lines[0]["message"]
