"""A bot that says when it is down: the heartbeat and systemd's notifications.

A real HTTP server on loopback stands in for the heartbeat service (Healthchecks.io),
and a unix datagram socket bound by the test stands in for systemd. The engine's rounds
run through the bot's real jobs (APScheduler's executor) on a fake clock, or, for the
start and stop, the real ``run`` in this process against the HTTP fake Bot API. No test
waits for time to pass: the waits here are for something to arrive, bounded.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot import doctor
from bot.cli.serving import _start_and_serve_until
from bot.clock import FakeClock, SystemClock
from bot.config import load_config
from bot.engine import escalation
from bot.heartbeat import Heartbeat
from bot.sandbox.fake_telegram import FakeTelegram
from bot.sandbox.http import BotApiServer
from bot.sandbox.world import World, world
from bot.services import Services
from bot.services.notices import Notice
from bot.systemd import Notifier
from handlers import jobs
from handlers.context import BotContext
from tests.test_engine_watch import busy_night, run_jobs

GUARD = 30  # seconds: only turns a hang into a failure
THURSDAY_2340 = datetime(2026, 11, 26, 15, 40, tzinfo=UTC)  # 23:40 in Shanghai
CHECK = "/ping/0c3e-check"


class _Service(ThreadingHTTPServer):
    """The heartbeat service: records each request's method and path."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[str] = []
        self.status = 200
        self.arrived = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}{CHECK}"

    def paths(self) -> list[str]:
        return [request.split(" ", 1)[1].removeprefix(CHECK) or "/" for request in self.requests]


class _Handler(BaseHTTPRequestHandler):
    server: _Service

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.requests.append(f"POST {self.path}")
        self.send_response(self.server.status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"OK")
        self.server.arrived.set()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def service() -> Iterator[_Service]:
    server = _Service()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def systemd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[socket.socket]:
    """systemd's notification socket, with a two-minute watchdog (WatchdogSec=120)."""
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.setblocking(False)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    monkeypatch.setenv("WATCHDOG_USEC", "120000000")
    yield sock
    sock.close()


def received(sock: socket.socket) -> list[str]:
    """The messages that have arrived (each sent before the call that sent it returned)."""
    messages = []
    while True:
        try:
            messages.append(sock.recv(4096).decode())
        except BlockingIOError:
            return messages


def _with_heartbeat(config_path: Path, url: str) -> None:
    text = config_path.read_text(encoding="utf-8")
    config_path.write_text(
        text + f'\n[health]\nheartbeat_url = "{url}"\nheartbeat_every = 60\n', encoding="utf-8"
    )


def _heartbeat(w: World) -> Heartbeat:
    heartbeat = w.app.bot_data[jobs.HEARTBEAT]
    assert isinstance(heartbeat, Heartbeat)
    return heartbeat


async def go_round(w: World, span: timedelta) -> None:
    """The bot's jobs for ``span`` of fake time; each ping sent is waited for as it
    goes (the bot does not wait for it, the test does, to read the service's log)."""
    step = timedelta(seconds=2)
    for _ in range(int(span / step)):
        await run_jobs(w, step)
        await _heartbeat(w).settle()


@pytest.fixture
async def night(
    config_path: Path, service: _Service, systemd: socket.socket
) -> AsyncIterator[World]:
    _with_heartbeat(config_path, service.url)
    async with world(config_path, clock=FakeClock(THURSDAY_2340)) as w:
        await busy_night(w)
        yield w


async def test_completed_rounds_ping_at_most_once_a_minute_and_feed_the_watchdog(
    night: World, service: _Service, systemd: socket.socket
) -> None:
    await go_round(night, timedelta(seconds=2))  # the first round
    assert service.paths() == ["/"]
    assert received(systemd) == ["WATCHDOG=1"]
    await go_round(night, timedelta(seconds=56))  # 28 more rounds within the minute
    assert service.paths() == ["/"]
    assert received(systemd) == []  # within half of WatchdogSec
    await go_round(night, timedelta(minutes=5))
    assert service.paths() == ["/"] * 6  # one a minute
    assert received(systemd) == ["WATCHDOG=1"] * 5  # one every 60 s, half of 120


async def test_a_stuck_engine_stops_the_pings_and_the_watchdog(
    night: World, service: _Service, systemd: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    await go_round(night, timedelta(minutes=1))
    before, _ = service.paths(), received(systemd)
    stuck, release = asyncio.Event(), asyncio.Event()
    real_tick = escalation.tick

    async def stuck_tick(services: Services) -> list[Notice]:
        stuck.set()
        await release.wait()  # a lock never released, a call that never returns
        return await real_tick(services)

    monkeypatch.setattr(escalation, "tick", stuck_tick)
    round_ = asyncio.create_task(jobs.escalation_round(BotContext(night.app)))
    await stuck.wait()
    await go_round(night, timedelta(minutes=10))  # the regular job keeps firing
    # Nothing goes out: the service alerts after its grace time, systemd kills the bot
    # after WatchdogSec (and Restart=on-failure starts it again).
    assert service.paths() == before
    assert received(systemd) == []

    monkeypatch.setattr(escalation, "tick", real_tick)
    release.set()
    await round_
    await _heartbeat(night).settle()
    assert service.paths() == [*before, "/"]  # alive again: at once
    assert received(systemd) == ["WATCHDOG=1"]


@pytest.mark.expect_errors
async def test_a_failing_round_sends_fail_and_no_watchdog(
    night: World,
    service: _Service,
    systemd: socket.socket,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await go_round(night, timedelta(seconds=2))
    assert service.paths() == ["/"]
    received(systemd)
    real_tick = escalation.tick

    async def failing_tick(services: Services) -> list[Notice]:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(escalation, "tick", failing_tick)
    await go_round(night, timedelta(minutes=3))  # each round's error is logged, as before
    # At once (alive → failing), then once a minute while the rounds keep failing.
    assert service.paths() == ["/", "/fail", "/fail", "/fail"]
    assert received(systemd) == ["STATUS=escalation round failed: OperationalError"]

    monkeypatch.setattr(escalation, "tick", real_tick)
    await go_round(night, timedelta(seconds=2))
    assert service.paths()[-1] == "/"
    assert received(systemd) == ["WATCHDOG=1", "STATUS=escalation rounds complete again"]


async def test_a_service_that_refuses_pings_is_logged_once_per_outage(
    night: World, service: _Service, caplog: pytest.LogCaptureFixture
) -> None:
    service.status = 503
    caplog.set_level(logging.INFO, logger="referral_bot.heartbeat")
    await go_round(night, timedelta(minutes=5))
    assert len(service.paths()) == 5  # tried once a minute, not every round
    lines = [r.getMessage() for r in caplog.records if r.name == "referral_bot.heartbeat"]
    assert len(lines) == 1
    assert lines[0].startswith("the heartbeat at http://127.0.0.1:")
    assert lines[0].endswith(
        " was not taken (HTTP 503); the bot goes on and tries again every 60 s"
    )
    assert CHECK not in lines[0]  # the URL's path names the check: as good as a password
    service.status = 200
    await go_round(night, timedelta(minutes=1))
    lines = [r.getMessage() for r in caplog.records if r.name == "referral_bot.heartbeat"]
    assert lines[1:] == [f"the heartbeat at http://127.0.0.1:{service.server_port} is taken again"]


async def test_run_says_ready_pings_after_rounds_and_says_stopping(
    config_path: Path,
    service: _Service,
    systemd: socket.socket,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The real ``run`` (its JobQueue, its polling) in this process: READY=1 once it
    polls, WATCHDOG=1 and a ping after its first round, STOPPING=1 when stopped."""
    telegram = FakeTelegram()
    server = BotApiServer(telegram)
    await server.start()
    _with_heartbeat(config_path, service.url)
    monkeypatch.setenv("REFERRAL_BOT_TELEGRAM__TOKEN", "123:abc")
    monkeypatch.setenv("REFERRAL_BOT_TELEGRAM__BASE_URL", server.base_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    messages: list[str] = []

    async def until(message: str) -> None:
        while message not in messages:
            messages.append((await loop.sock_recv(systemd, 4096)).decode())

    bot = asyncio.create_task(
        _start_and_serve_until(stop, load_config(config_path), SystemClock(), webhook=False)
    )
    try:
        await asyncio.wait_for(until("READY=1\nSTATUS=polling Telegram; engine running"), GUARD)
        await asyncio.wait_for(until("WATCHDOG=1"), GUARD)
        assert await asyncio.to_thread(service.arrived.wait, GUARD)
        assert service.paths()[0] == "/"
        stop.set()
        await asyncio.wait_for(bot, GUARD)
        await asyncio.wait_for(until("STOPPING=1\nSTATUS=stopping"), GUARD)
    finally:
        stop.set()
        await server.close()
    assert messages[0] == "STATUS=starting"


async def test_doctor_says_whether_the_heartbeat_answers_and_systemd_listens(
    config_path: Path,
    service: _Service,
    systemd: socket.socket,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def lines_about(lines: list[str], check: str) -> list[str]:
        return [line for line in lines if line[6:].startswith(check + ":")]

    monkeypatch.delenv("NOTIFY_SOCKET")
    _, lines = await doctor.examine(config_path)
    assert lines_about(lines, "heartbeat") == [
        "info  heartbeat: not configured ([health] heartbeat_url):"
        " nobody outside hears if the bot is down"
    ]
    assert lines_about(lines, "systemd") == [
        "info  systemd: no NOTIFY_SOCKET here: readiness and watchdog are sent only under"
        " Type=notify"
    ]

    _with_heartbeat(config_path, service.url)
    monkeypatch.setenv("NOTIFY_SOCKET", str(systemd.getsockname()))
    _, lines = await doctor.examine(config_path)
    where = f"http://127.0.0.1:{service.server_port}"
    assert lines_about(lines, "heartbeat") == [
        f"ok    heartbeat: {where} answers; pinged after engine rounds, at most every 60 s"
    ]
    assert service.paths() == ["/log"]  # recorded by the service, not a sign of life
    assert lines_about(lines, "systemd") == [
        f"ok    systemd: notification active ({systemd.getsockname()}), watchdog every 120 s"
    ]

    service.status = 404
    _, lines = await doctor.examine(config_path)
    assert lines_about(lines, "heartbeat") == [f"FAIL  heartbeat: {where} answers HTTP 404"]
    service.server_close()  # nobody listens there any more
    ok, lines = await doctor.examine(config_path)
    assert not ok
    assert lines_about(lines, "heartbeat")[0].startswith(
        f"FAIL  heartbeat: {where} does not answer"
    )


def test_abstract_socket_names_and_no_socket() -> None:
    clock = FakeClock(THURSDAY_2340)
    name = f"referral-bot-test-{id(clock)}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.setblocking(False)
        notifier = Notifier.from_environment(clock, {"NOTIFY_SOCKET": "@" + name})
        notifier.ready("polling Telegram")
        notifier.alive()  # no WATCHDOG_USEC: no watchdog pings
        assert received(sock) == ["READY=1\nSTATUS=polling Telegram"]
    quiet = Notifier.from_environment(clock, {"WATCHDOG_USEC": "120000000"})
    assert not quiet.active
    quiet.ready("x")  # nothing to send to, nothing raised
    quiet.alive()
    other = Notifier.from_environment(
        clock, {"NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "1", "WATCHDOG_PID": "1"}
    )
    assert other.watchdog is None  # the watchdog is another process's
