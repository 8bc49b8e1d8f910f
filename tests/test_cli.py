"""The command line as an admin uses it: clear lines and exit codes, never a traceback."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import cli
from bot.clock import Clock, SystemClock
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
    assert "name_zh_hant" not in result.stdout  # every example name has its Traditional form


def test_check_config_names_what_has_no_traditional_name(config_path: Path) -> None:
    """A missing name_zh_hant is a warning, not a failure: the Simplified name is shown."""
    text = config_path.read_text(encoding="utf-8").replace(
        'name_zh = "天平路派出所"', 'name_zh = "天平路派出所"\nname_zh_hant = "天平路警署"'
    )
    config_path.write_text(text, encoding="utf-8")
    result = run_cli("check-config", str(config_path))
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stdout.splitlines() if "name_zh_hant" in line]
    assert len(warnings) == 2, result.stdout
    assert "station 'xietu';" in warnings[0] and "tianping" not in warnings[0]
    assert "team 'xuhui-sw';" in warnings[1]
    assert "繁體中文" in warnings[0]


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


def _commands() -> argparse._SubParsersAction[argparse.ArgumentParser]:
    [action] = [a for a in cli._parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return action


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    return dict(_commands().choices)


def test_every_option_the_help_names_is_taken() -> None:
    """`legal-hold --help` offered ``--on``, which was refused as unknown. Both the
    command's own help and its line in ``referral-bot --help`` are checked."""
    lines = {choice.dest: choice.help or "" for choice in _commands()._choices_actions}
    for name, parser in _subcommands().items():
        taken = {s for a in parser._actions for s in a.option_strings}
        named = set(re.findall(r"--[a-z][a-z-]*", parser.format_help() + lines[name]))
        assert named <= taken, (name, named - taken)


def test_time_warp_is_not_offered_in_production_help() -> None:
    text = _subcommands()["run"].format_help()
    assert "--webhook" in text
    assert not {"--time-warp", "--time-origin", "--start-at"} & set(re.findall(r"--[a-z-]+", text))


def _clock(config_path: Path, *args: str) -> Clock:
    return cli._run_clock(cli._parser().parse_args(["run", "--config", str(config_path), *args]))


def test_a_demo_starts_at_the_bot_time_it_names(config_path: Path) -> None:
    """``--start-at`` is local time in the config's zone (Asia/Shanghai, UTC+8)."""
    clock = _clock(config_path, "--time-warp", "30", "--start-at", "2026-12-05 23:30")
    start = datetime(2026, 12, 5, 15, 30, tzinfo=UTC)
    assert start <= clock.now() < start + timedelta(minutes=1)
    at_real_speed = _clock(config_path, "--start-at", "2026-12-05 23:30")
    assert start <= at_real_speed.now() < start + timedelta(seconds=5)
    assert isinstance(_clock(config_path), SystemClock)


def test_a_restart_with_the_same_origin_carries_on_from_the_named_start(
    config_path: Path,
) -> None:
    origin = str(time.time() - 10)  # the first start, ten real seconds ago
    clock = _clock(
        config_path, "--time-warp", "30", "--time-origin", origin, "--start-at", "2026-12-05 23:30"
    )
    start = datetime(2026, 12, 5, 15, 30, tzinfo=UTC)
    assert start + timedelta(minutes=5) <= clock.now() < start + timedelta(minutes=6)


def test_a_bad_start_at_is_explained(config_path: Path) -> None:
    with pytest.raises(cli.CliError, match="YYYY-MM-DD HH:MM"):
        _clock(config_path, "--time-warp", "30", "--start-at", "23:30")
    with pytest.raises(cli.CliError, match="--time-origin needs"):
        _clock(config_path, "--time-origin", "0")
