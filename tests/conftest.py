"""Shared fixtures: a deployment's config file and its database, per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Config, load_config

ADMIN_ID = 9_000_001

CONFIG_TOML = f"""
timezone = "Asia/Shanghai"
default_language = "zh_Hans"
admins = [{ADMIN_ID}]

[telegram]
bot_username = "referral_test_bot"

[database]
path = "bot.sqlite3"

[cases]
max_open_per_worker = 4

[[stations]]
id = "tianping"
name_zh = "天平路派出所"
name_en = "Tianping Road Station"

[[stations]]
id = "xietu"
name_zh = "斜土路派出所"
name_en = "Xietu Road Station"

[[teams]]
id = "xuhui-sw"
name_zh = "徐汇区社工站"
name_en = "Xuhui Social Work Station"
stations = ["tianping", "xietu"]
"""


@pytest.fixture
def config_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # A developer's shell may carry REFERRAL_BOT_* variables; tests must not see them.
    for name in list(os.environ):
        if name.startswith("REFERRAL_BOT_"):
            monkeypatch.delenv(name)
    # Nor systemd's, if the tests run in a unit: the bot would notify the test's manager.
    for name in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "config.toml"
    path.write_text(CONFIG_TOML, encoding="utf-8")
    return path


@pytest.fixture
def config(config_path: Path) -> Config:
    return load_config(config_path)


@pytest.fixture(autouse=True)
def no_unexpected_errors(
    request: pytest.FixtureRequest, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    """A handler that crashes fails the test, even if the person saw a polite apology."""
    yield
    if request.node.get_closest_marker("expect_errors"):
        return
    records = caplog.get_records("setup") + caplog.get_records("call")
    errors = [r for r in records if r.name == "referral_bot.errors"]
    assert errors == [], f"unexpected errors in handlers: {[r.getMessage() for r in errors]}"
