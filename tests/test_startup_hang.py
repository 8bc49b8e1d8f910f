"""Starting while Telegram hangs: the real program, as a process, against the HTTP fake
Bot API made to answer ``getMe`` and then nothing (or nothing at all).

What an operator sees is what is checked: the exit code, one readable line on stderr
(no traceback), and how long the process takes to act on SIGTERM (a service manager
waits for it, and a restart waits behind it). Every wait here is bounded.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import pytest
from telegram.request import HTTPXRequest

from bot import cli
from bot.clock import SystemClock
from bot.config import load_config
from bot.sandbox.fake_telegram import ApiCall, FakeTelegram
from bot.sandbox.http import BotApiServer

# Everything the bot asks of Telegram after getMe while starting.
AFTER_GET_ME = ("deleteWebhook", "getUpdates", "setMyCommands", "deleteMyCommands")


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeTelegram, BotApiServer]]:
    fake = FakeTelegram()
    server = BotApiServer(fake)
    await server.start()
    try:
        yield fake, server
    finally:
        for method in ("getMe", *AFTER_GET_ME):
            fake.hang(method).set()  # let the fake's own waits end
        await server.close()


async def _start(config_path: Path, base_url: str) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERRAL_BOT_")}
    env["REFERRAL_BOT_TELEGRAM__TOKEN"] = "123:abc"
    env["REFERRAL_BOT_TELEGRAM__BASE_URL"] = base_url
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--config",
        str(config_path),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def _asked(fake: FakeTelegram, method: str, limit: float = 60) -> None:
    """Wait until the bot has asked ``method`` (a hung call wakes no watcher of the fake,
    so its list of calls is looked at every 50 ms, for at most ``limit`` seconds)."""
    deadline = time.monotonic() + limit
    while not any(call.method == method for call in fake.calls):
        assert time.monotonic() < deadline, f"the bot never asked {method}"
        await asyncio.sleep(0.05)


def _hang(fake: FakeTelegram, methods: Iterable[str]) -> None:
    for method in methods:
        fake.hang(method)


async def _finish(process: asyncio.subprocess.Process, limit: float) -> tuple[int, str, float]:
    """Wait for the process to end (at most ``limit`` seconds): its exit code, stderr and
    how long it took."""
    started = time.monotonic()
    try:
        assert process.stderr is not None
        stderr = await asyncio.wait_for(process.stderr.read(), limit)
        code = await asyncio.wait_for(process.wait(), limit)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return code, stderr.decode(), time.monotonic() - started


def _methods(calls: list[ApiCall]) -> list[str]:
    return [call.method for call in calls]


async def test_delete_webhook_timing_out_is_one_line_and_exit_2(
    config_path: Path, fake: tuple[FakeTelegram, BotApiServer]
) -> None:
    telegram, server = fake
    _hang(telegram, ["deleteWebhook"])
    process = await _start(config_path, server.base_url)
    code, stderr, _ = await _finish(process, 90)
    assert code == 2, stderr
    assert "Traceback" not in stderr
    problems = [line for line in stderr.splitlines() if line.startswith("referral-bot:")]
    assert len(problems) == 1, stderr
    assert "Telegram did not answer" in problems[0]
    assert "deleteWebhook" in problems[0]
    assert "getUpdates" not in _methods(telegram.calls)


@pytest.mark.parametrize(
    "hung",
    [("deleteWebhook",), AFTER_GET_ME, ("getMe",)],
    ids=["deleteWebhook", "everything-after-getMe", "getMe"],
)
async def test_sigterm_while_telegram_hangs_at_start_up_stops_at_once(
    config_path: Path, fake: tuple[FakeTelegram, BotApiServer], hung: tuple[str, ...]
) -> None:
    telegram, server = fake
    _hang(telegram, hung)
    process = await _start(config_path, server.base_url)
    await _asked(telegram, hung[0])
    process.send_signal(signal.SIGTERM)
    code, stderr, took = await _finish(process, 30)
    assert took < 2.0, f"took {took:.1f} s to stop"
    assert code == 0, stderr
    assert "Traceback" not in stderr
    assert "stopped" in stderr


async def test_a_refused_token_leaves_no_connection_open(
    config_path: Path,
    fake: tuple[FakeTelegram, BotApiServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PTB's ``shutdown`` does nothing for an application whose ``initialize`` failed;
    the bot closes its HTTP clients itself (a supervisor restarting it on a bad token
    would otherwise leak a connection pool per try in a long-lived process)."""
    telegram, server = fake
    telegram.fail_next("getMe", status=401, description="Unauthorized")
    made: list[HTTPXRequest] = []

    class Recorded(HTTPXRequest):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr("bot.app.HTTPXRequest", Recorded)
    monkeypatch.setenv("REFERRAL_BOT_TELEGRAM__TOKEN", "123:abc")
    monkeypatch.setenv("REFERRAL_BOT_TELEGRAM__BASE_URL", server.base_url)
    config = load_config(config_path)
    with pytest.raises(cli.CliError, match="Telegram refused the bot token"):
        await cli._start_and_serve(config, SystemClock(), webhook=False)
    assert len(made) == 2  # sending, and polling
    assert all(request._client.is_closed for request in made)
