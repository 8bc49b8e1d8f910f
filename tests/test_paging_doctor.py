"""The operator's side of paging: ``doctor`` says which channels are live, start-up
says once and plainly when Twilio refuses the credentials (and goes on, on Telegram),
and ``check-config`` names a half-configured ``[paging]``.

Twilio is the strict fake on loopback (:mod:`bot.sandbox.fake_twilio`); start-up is
the real program in a child process against the fake Bot API, read on its stderr as
an operator (or journald) reads it. The auth token is never in anything said.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import doctor
from bot.clock import SystemClock
from bot.sandbox.fake_telegram import FakeTelegram
from bot.sandbox.fake_twilio import FakeTwilio
from bot.sandbox.http import BotApiServer
from tests.test_cli import run_cli

GUARD = 60  # seconds: only turns a hang into a failure
SID = "AC" + "0123456789abcdef" * 2
TOKEN = "twilio-auth-token-for-tests"
WRONG = "a-token-from-another-account"
SECRET = "gateway-shared-secret-for-tests"


def _with_paging(config_path: Path, base_url: str, *, public_url: bool = True) -> None:
    text = config_path.read_text(encoding="utf-8")
    extra = 'public_url = "https://bot.example.org"\n' if public_url else ""
    config_path.write_text(
        text + f'\n[paging]\nbase_url = "{base_url}"\naccount_sid = "{SID}"\n'
        f'from_number = "+85230001234"\n{extra}',
        encoding="utf-8",
    )


def about_paging(lines: list[str]) -> list[str]:
    return [line for line in lines if line[6:].startswith("paging:")]


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilio]:
    fake = FakeTwilio(SID, TOKEN, SystemClock())
    await fake.start()
    yield fake
    await fake.close()


async def test_doctor_says_twilio_is_live_or_refused_or_unreachable(
    config_path: Path, twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, lines = await doctor.examine(config_path)
    assert about_paging(lines) == ["info  paging: off (Telegram only)"]

    _with_paging(config_path, twilio.base_url)
    monkeypatch.setenv("REFERRAL_BOT_PAGING__AUTH_TOKEN", TOKEN)
    _, lines = await doctor.examine(config_path)
    assert about_paging(lines) == ["ok    paging: Twilio live (calls, SMS)"]
    assert twilio.account_reads == 1 and twilio.log == []  # asked, nothing sent

    monkeypatch.setenv("REFERRAL_BOT_PAGING__AUTH_TOKEN", WRONG)
    ok, lines = await doctor.examine(config_path)
    assert not ok
    assert about_paging(lines) == [
        "FAIL  paging: Twilio refused the credentials (401): check"
        " REFERRAL_BOT_PAGING__AUTH_TOKEN and account_sid"
    ]
    assert WRONG not in "\n".join(lines)

    twilio.status = "suspended"
    monkeypatch.setenv("REFERRAL_BOT_PAGING__AUTH_TOKEN", TOKEN)
    _, lines = await doctor.examine(config_path)
    assert about_paging(lines) == ["FAIL  paging: the Twilio account is suspended"]

    where = twilio.base_url
    await twilio.close()  # nobody listens there any more
    ok, lines = await doctor.examine(config_path)
    assert not ok
    assert about_paging(lines) == [f"FAIL  paging: cannot reach Twilio at {where}: ConnectError"]
    assert TOKEN not in "\n".join(lines)


async def test_doctor_names_what_is_missing_and_the_gateway(
    config_path: Path, twilio: FakeTwilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_paging(config_path, twilio.base_url, public_url=False)
    with config_path.open("a", encoding="utf-8") as out:
        out.write('webhook_url = "https://gateway.example.org/pages?agency=1"\n')
    _, lines = await doctor.examine(config_path)
    assert about_paging(lines) == [
        "FAIL  paging: Twilio is not used: REFERRAL_BOT_PAGING__AUTH_TOKEN not set",
        "FAIL  paging: webhook gateway without a secret (REFERRAL_BOT_PAGING__WEBHOOK_SECRET)",
    ]
    assert twilio.requests == 0

    monkeypatch.setenv("REFERRAL_BOT_PAGING__AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("REFERRAL_BOT_PAGING__WEBHOOK_SECRET", SECRET)
    _, lines = await doctor.examine(config_path)
    assert about_paging(lines) == [
        "FAIL  paging: Twilio live (SMS); calls cannot be answered with a keypress:"
        " set paging.public_url",
        "ok    paging: webhook gateway https://gateway.example.org configured"
        " (not tried: every post is a page)",
    ]
    said = "\n".join(lines)
    assert TOKEN not in said and SECRET not in said


async def test_a_refused_twilio_token_is_one_line_at_start_up_and_the_bot_runs(
    config_path: Path, twilio: FakeTwilio
) -> None:
    """The real ``run``: one line on stderr that says who is not paged; then it polls
    Telegram as usual and stops cleanly on SIGTERM."""
    telegram = FakeTelegram()
    api = BotApiServer(telegram)
    await api.start()
    _with_paging(config_path, twilio.base_url, public_url=False)  # no keypress server
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERRAL_BOT_")}
    env |= {
        "REFERRAL_BOT_TELEGRAM__TOKEN": "123:abc",
        "REFERRAL_BOT_TELEGRAM__BASE_URL": api.base_url,
        "REFERRAL_BOT_PAGING__AUTH_TOKEN": WRONG,
    }
    process = await asyncio.create_subprocess_exec(
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
    said: list[str] = []

    async def until(text: str) -> None:
        assert process.stderr is not None
        while not any(text in line for line in said):
            line = await process.stderr.readline()
            assert line, f"the bot ended before saying {text!r}: {said}"
            said.append(line.decode())

    try:
        await asyncio.wait_for(until("starting; stop with Ctrl+C or SIGTERM"), GUARD)
        process.send_signal(signal.SIGTERM)
        rest = await asyncio.wait_for(process.communicate(), GUARD)
        said += rest[1].decode().splitlines(keepends=True)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await api.close()
    assert process.returncode == 0, "".join(said)
    about = [line for line in said if "Twilio" in line]
    assert len(about) == 1, said
    assert " ERROR " in about[0]
    assert (
        "paging: Twilio refused the credentials (401): check REFERRAL_BOT_PAGING__AUTH_TOKEN"
        " and account_sid; the coordinators are NOT paged by call or SMS until it is fixed;"
        " pages wait and are retried, Telegram works"
    ) in about[0]
    assert twilio.account_reads == 1
    assert "Traceback" not in "".join(said)
    assert WRONG not in "".join(said) and TOKEN not in "".join(said)
    assert any("stopped" in line for line in said)


def test_check_config_names_a_half_configured_paging(tmp_path: Path) -> None:
    path = tmp_path / "paging.toml"
    path.write_text(
        f'[paging]\naccount_sid = "{SID}"\nfrom_number = "+85230001234"\n'
        'webhook_url = "https://gateway.example.org/pages"\n',
        encoding="utf-8",
    )
    result = run_cli("check-config", str(path), env={"REFERRAL_BOT_PAGING__AUTH_TOKEN": TOKEN})
    assert result.returncode == 0, result.stderr
    paging = [line.strip() for line in result.stdout.splitlines() if "paging:" in line]
    assert paging == [
        "paging: Twilio calls and SMS",
        "warning: paging: calls without paging.public_url cannot be acknowledged by pressing 1"
        " (Twilio has nowhere to post the keypress)",
        "warning: paging: webhook_url without a secret (REFERRAL_BOT_PAGING__WEBHOOK_SECRET);"
        " nothing is posted to the gateway",
    ]
    assert TOKEN not in result.stdout + result.stderr

    result = run_cli("check-config", str(path))  # no token in this shell
    assert "warning: paging: Twilio needs REFERRAL_BOT_PAGING__AUTH_TOKEN too;" in result.stdout

    path.write_text('[paging]\nfrom_number = "021 5555 1234"\n', encoding="utf-8")
    result = run_cli("check-config", str(path))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{path}: paging.from_number: '021 5555 1234' is not an E.164 number:"
        " + and the country code, digits only (e.g. +85230001234)"
    ]


def test_the_example_config_says_paging_is_off() -> None:
    result = run_cli("check-config", str(Path(__file__).parent.parent / "config.example.toml"))
    assert "  paging: off (Telegram only)" in result.stdout.splitlines()
