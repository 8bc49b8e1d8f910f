"""A fake agency gateway on loopback: takes the bot's signed page posts
(:mod:`bot.paging.gateway`), strictly: a wrong or missing ``X-Signature`` is 401, a
body without the documented fields 400. Keeps a :attr:`log` of what it took, drops a
repeat of an ``Idempotency-Key`` it has seen (answers 200, logs it once), and can be
told to fail (:meth:`fail_next`), hang (:meth:`hang_next`) or refuse an address
(:meth:`refuse`: 422, "no such person", the contract's refusal)."""

from __future__ import annotations

import asyncio
import json
import socket
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import tornado.web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from bot.clock import Clock
from bot.paging.gateway import IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, valid

FIELDS = ("page_id", "reference", "category", "urgency", "text", "language", "address", "sent_at")


@dataclass(frozen=True)
class Received:
    payload: dict[str, Any]
    at: datetime


class FakeGateway:
    def __init__(self, secret: str, clock: Clock) -> None:
        self.secret, self.clock = secret, clock
        self.log: list[Received] = []
        self.repeats = 0  # posts dropped as repeats of a page already taken
        self.failures: list[int] = []
        self.hangs = 0
        self.refused: set[str] = set()
        self._server: HTTPServer | None = None
        self._sockets: list[socket.socket] = []
        self._closed = asyncio.Event()

    def fail_next(self, status: int = 503, times: int = 1) -> None:
        self.failures += [status] * times

    def hang_next(self, times: int = 1) -> None:
        self.hangs += times

    def refuse(self, address: str) -> None:
        self.refused.add(address)

    async def start(self) -> None:
        self._sockets = bind_sockets(0, "127.0.0.1")
        self._server = HTTPServer(tornado.web.Application([(r"/pages", _Pages, {"fake": self})]))
        self._server.add_sockets(self._sockets)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sockets[0].getsockname()[1]}/pages"

    async def close(self) -> None:
        self._closed.set()
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()

    async def answer(self, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if self.hangs:
            self.hangs -= 1
            await self._closed.wait()
            return 503, {}
        if not valid(self.secret, body, headers.get(SIGNATURE_HEADER, "")):
            return 401, {"error": "bad signature"}
        if not headers.get(TIMESTAMP_HEADER, "").isdigit():
            return 400, {"error": "no timestamp"}
        if self.failures:
            status = self.failures.pop(0)
            return status, {"error": "unavailable"}
        payload = json.loads(body)
        if any(field not in payload for field in FIELDS):
            return 400, {"error": "missing fields"}
        if payload["page_id"] != headers.get(IDEMPOTENCY_HEADER):
            return 400, {"error": "Idempotency-Key differs from page_id"}
        if payload["address"] in self.refused:
            return 422, {"error": "no such person"}
        if any(r.payload["page_id"] == payload["page_id"] for r in self.log):
            self.repeats += 1
            return 200, {"id": payload["page_id"], "repeat": True}
        self.log.append(Received(payload, self.clock.now()))
        return 200, {"id": payload["page_id"]}


class _Pages(tornado.web.RequestHandler):
    def initialize(self, fake: FakeGateway) -> None:
        self.fake = fake

    def check_xsrf_cookie(self) -> None:
        return

    async def post(self) -> None:
        status, answer = await self.fake.answer(self.request.body, dict(self.request.headers))
        self.set_status(status)
        self.write(answer)
