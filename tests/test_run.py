"""``referral-bot run`` as a service manager runs it: start, poll, stop on SIGTERM.

A tiny Bot API stand-in on loopback answers the few calls start-up and polling make,
so the real program, long polling and signal handling are exercised without Telegram.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

BOT_USER = {"id": 42, "is_bot": True, "first_name": "Referral", "username": "referral_test_bot"}


class _StandIn(ThreadingHTTPServer):
    def __init__(self, token_ok: bool) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.token_ok = token_ok
        self.methods: list[str] = []
        self.polling = threading.Event()


class _Handler(BaseHTTPRequestHandler):
    server: _StandIn

    def do_POST(self) -> None:
        method = self.path.rsplit("/", 1)[-1]
        length = int(self.headers.get("Content-Length", 0))
        self.rfile.read(length)
        self.server.methods.append(method)
        if not self.server.token_ok:
            self._reply(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
            return
        if method == "getUpdates":
            self.server.polling.set()
            self._reply(200, {"ok": True, "result": []})
            return
        result: object = BOT_USER if method == "getMe" else True
        self._reply(200, {"ok": True, "result": result})

    def _reply(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def stand_in(request: pytest.FixtureRequest) -> Iterator[_StandIn]:
    server = _StandIn(token_ok=getattr(request, "param", True))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _start(config_path: Path, server: _StandIn) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REFERRAL_BOT_")}
    env["REFERRAL_BOT_TELEGRAM__TOKEN"] = "123:abc"
    env["REFERRAL_BOT_TELEGRAM__BASE_URL"] = f"http://127.0.0.1:{server.server_port}/bot"
    return subprocess.Popen(  # noqa: S603 - our own program
        [sys.executable, "-m", "bot", "run", "--config", str(config_path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_run_polls_then_stops_cleanly_on_sigterm(config_path: Path, stand_in: _StandIn) -> None:
    process = _start(config_path, stand_in)
    try:
        assert stand_in.polling.wait(timeout=60), "the bot never started polling"
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert "stopped" in stderr
    assert {"getMe", "setMyCommands", "getUpdates"} <= set(stand_in.methods)
    assert (config_path.parent / "bot.sqlite3").exists()


@pytest.mark.parametrize("stand_in", [False], indirect=True)
def test_a_refused_token_is_one_line_exit_2(config_path: Path, stand_in: _StandIn) -> None:
    process = _start(config_path, stand_in)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "Telegram refused the bot token" in stderr
    assert "Traceback" not in stderr
