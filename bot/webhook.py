"""Webhook mode: Telegram posts each update to us instead of us asking for it.

For a server that can take HTTPS requests (behind a reverse proxy such as nginx, which
holds the certificate and forwards to ``webhook_listen:webhook_port``). Every post must
carry the secret token set with the webhook, so nobody else can feed the bot updates.

An update is answered ``200`` only after it has been handled: if the bot dies half-way,
Telegram posts it again, and the handlers take it safely (see bot/services/intake.py),
as with polling (bot/polling.py). Updates from one chat are handled one at a time, in
the order they arrive. The webhook stays set when the bot stops, so Telegram keeps the
updates that come in meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
from collections import defaultdict
from collections.abc import Sequence
from urllib.parse import urlsplit

import tornado.web
from telegram import Update
from tornado.httpserver import HTTPServer

from bot import polling
from bot.stopping import Stopped, start_up_call
from handlers.context import BotApp

log = logging.getLogger("referral_bot.webhook")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
STOP_GRACE = 30.0  # seconds to let updates being handled finish when stopping
SECRET = re.compile(r"^[A-Za-z0-9_-]{16,256}$")  # Telegram allows 1-256; we ask for 16+


class WebhookError(ValueError):
    """The webhook settings cannot work; the message says which and why."""


class _InFlight:
    """Posts being handled, so stopping waits for them (their updates are marked taken)."""

    def __init__(self) -> None:
        self.count = 0
        self.stopping = False
        self.idle = asyncio.Event()
        self.idle.set()

    def enter(self) -> None:
        self.count += 1
        self.idle.clear()

    def leave(self) -> None:
        self.count -= 1
        if self.count == 0:
            self.idle.set()


class _Updates(tornado.web.RequestHandler):
    def initialize(
        self,
        app: BotApp,
        secret: str,
        locks: dict[int | None, asyncio.Lock],
        flight: _InFlight,
    ) -> None:
        self.app, self.secret, self.locks, self.flight = app, secret, locks, flight

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("refused a webhook post without the right secret token")
            self.set_status(403)
            return
        try:
            update = Update.de_json(json.loads(self.request.body), self.app.bot)
        except (ValueError, TypeError, KeyError):
            self.set_status(400)
            return
        if self.flight.stopping:
            self.set_status(503)  # Telegram posts it again once we are back
            return
        chat = update.effective_chat
        self.flight.enter()
        try:
            async with self.locks[chat.id if chat else None]:
                await polling.handle(self.app, [update])
        finally:
            self.flight.leave()
        self.set_status(200)


def check(url: str | None, secret: str | None) -> tuple[str, str]:
    """(the path to serve, the secret), or a WebhookError saying what to set."""
    if not url:
        raise WebhookError("set telegram.webhook_url (https://…) to use --webhook")
    if not secret or not SECRET.match(secret):
        raise WebhookError(
            "set REFERRAL_BOT_TELEGRAM__WEBHOOK_SECRET to 16-256 letters, digits, _ or -"
        )
    return urlsplit(url).path or "/", secret


async def serve(
    app: BotApp,
    stop: asyncio.Event,
    allowed_updates: Sequence[str],
    *,
    url: str,
    secret: str,
    listen: str,
    port: int,
    ready: asyncio.Event | None = None,
    base_url: str = "",
) -> None:
    """Set the webhook, serve it until ``stop`` is set, then stop serving; ``ready`` is
    set once posts are taken. ``base_url`` (Telegram's, without the token) names where
    Telegram was asked if it does not answer."""
    path, secret = check(url, secret)
    locks: dict[int | None, asyncio.Lock] = defaultdict(asyncio.Lock)
    flight = _InFlight()
    routes = {"app": app, "secret": secret, "locks": locks, "flight": flight}
    web = tornado.web.Application([(re.escape(path), _Updates, routes)])
    server = HTTPServer(web)
    server.listen(port, address=listen)
    try:
        try:
            await start_up_call(
                app.bot.set_webhook(
                    url, allowed_updates=list(allowed_updates), secret_token=secret
                ),
                stop,
                method="setWebhook",
                base_url=base_url,
            )
        except Stopped:  # asked to stop while Telegram had not answered (bot/stopping.py)
            return
        log.info("serving the webhook on %s:%s%s", listen, port, path)
        if ready is not None:
            ready.set()
        await stop.wait()
    finally:
        flight.stopping = True
        server.stop()  # no new connections
        with contextlib.suppress(TimeoutError):  # let posts being handled finish
            await asyncio.wait_for(flight.idle.wait(), STOP_GRACE)
        await server.close_all_connections()
