"""The fake Bot API over HTTP on loopback, for the bot running as a real process.

Tests that kill the bot (``kill -9``) and start it again need it in its own process,
talking HTTP as it does to Telegram. :class:`BotApiServer` answers PTB's requests
(``POST /bot<token>/<method>``, form-encoded, or multipart when it uploads a file)
from a :class:`FakeTelegram` living in the test's own event loop, where people's
phones act; their actions reach the bot through ``getUpdates`` like real updates.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from bot.sandbox.fake_telegram.calls import Upload
from bot.sandbox.fake_telegram.server import FakeTelegram, _Timeout

# PTB sends strings as they are and everything else as JSON; these stay strings even
# when they look like numbers ("13800138000" typed as a message is text, not a number).
_TEXT_PARAMETERS = frozenset(
    {
        "text",
        "caption",
        "callback_query_id",
        "url",
        "description",
        "short_description",
        "parse_mode",
        "language_code",
        "secret_token",
        "title",
        "address",
    }
)


def decode_form(body: bytes) -> dict[str, Any]:
    """Form fields as PTB meant them: JSON values decoded, text left as text."""
    params: dict[str, Any] = {}
    for name, raw in parse_qsl(body.decode("utf-8"), keep_blank_values=True):
        if name in _TEXT_PARAMETERS:
            params[name] = raw
            continue
        try:
            params[name] = json.loads(raw)
        except ValueError:
            params[name] = raw
    return params


def decode_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """A multipart form (sendPhoto, sendDocument): files as :class:`Upload`, the other
    fields as :func:`decode_form` reads them."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1")
    form = BytesParser(policy=HTTP).parsebytes(head + body)
    params: dict[str, Any] = {}
    for part in form.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        raw = part.get_payload(decode=True)
        data = raw if isinstance(raw, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            params[name] = Upload(filename, data, part.get_content_type())
            continue
        text = data.decode("utf-8")
        if name in _TEXT_PARAMETERS:
            params[name] = text
            continue
        try:
            params[name] = json.loads(text)
        except ValueError:
            params[name] = text
    return params


class BotApiServer:
    """Serve ``fake`` on 127.0.0.1; :attr:`base_url` is what the bot's config needs."""

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() first"
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/bot"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while await self._one_request(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the bot was killed, or closed the connection
        finally:
            self._connections.discard(task)
            writer.close()

    async def _one_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        request_line = await reader.readline()
        if not request_line:
            return False
        _, path, _ = request_line.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        kind = headers.get("content-type", "")
        if kind.startswith("application/json"):
            params = json.loads(body or b"{}")
        elif kind.startswith("multipart/"):
            params = decode_multipart(kind, body)
        else:
            params = decode_form(body)
        try:
            status, answer = await self.fake.handle(path.rsplit("/", 1)[-1], params)
        except _Timeout:
            return False  # the answer is lost: the bot's request times out or fails
        await _respond_raw(writer, status, answer)
        return True


async def _respond(writer: asyncio.StreamWriter, status: int, body: dict[str, Any]) -> None:
    await _respond_raw(writer, status, json.dumps(body).encode())


async def _respond_raw(writer: asyncio.StreamWriter, status: int, body: bytes) -> None:
    head = (
        f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    writer.write(head.encode("latin-1") + body)
    await writer.drain()
