"""What Twilio posts back to the bot: the keypress on a page's call.

``POST /paging/twilio/gather/{token}`` is the ``action`` of the call's ``<Gather>``
(:mod:`bot.paging.twiml`). ``{token}`` is the page's random token stored on its row
(not the row id), so the URL cannot be guessed from a page number. Every post must
carry a valid ``X-Twilio-Signature`` over the public URL Twilio requested
(``[paging] public_url`` + the path: behind a reverse proxy the request's own host is
not the one Twilio signed) and the form's parameters (see
:func:`bot.paging.twilio.signature`); anything else is answered 403 and changes
nothing. ``Digits=1`` records the acknowledgement and thanks the person in their
language; any other key says the page again.

The bot serves this on ``[paging] listen``:``port`` with its own small tornado server
(:class:`Keypresses`, bound before the bot reports ready), in polling and webhook mode
alike, only when Twilio is configured. A 1 pressed when the referral was already taken
records nothing and says so.
"""

from __future__ import annotations

import asyncio
import logging
import socket

import tornado.web
from tornado.httpserver import HTTPServer

from bot.paging import twiml
from bot.paging.sender import GATHER_PATH, Names
from bot.paging.text import page_text
from bot.paging.twilio import valid_signature
from bot.services import Services
from bot.services import paging as paging_service
from storage import people

log = logging.getLogger("referral_bot.paging")

SIGNATURE_HEADER = "X-Twilio-Signature"
ROUTE = GATHER_PATH.format(token=r"([A-Za-z0-9_-]{1,64})")  # noqa: S106 - a URL pattern
MAX_BODY = 16 * 1024  # Twilio's keypress form is well under 1 KiB
IDLE_SECONDS = 30


class _Gather(tornado.web.RequestHandler):
    def initialize(self, services: Services, names: Names) -> None:
        self.services, self.names = services, names

    def check_xsrf_cookie(self) -> None:  # Twilio signs its posts; no cookies here
        return

    async def post(self, token: str) -> None:
        config = self.services.config.paging
        secret = config.auth_token.get_secret_value() if config.auth_token else ""
        params = {
            name: values[-1].decode("utf-8", "replace")
            for name, values in self.request.body_arguments.items()
        }
        url = (config.public_url or "") + (self.request.uri or "")
        given = self.request.headers.get(SIGNATURE_HEADER, "")
        if not secret or not given or not valid_signature(secret, url, params, given):
            log.warning("refused a keypress post without a valid Twilio signature")
            self.set_status(403)
            return
        page = await paging_service.page_by_token(self.services, token)
        person = await people.by_id(self.services.db.reader, page.person_id) if page else None
        if page is None or person is None:
            self.set_status(404)
            return
        language = person.language
        self.set_header("Content-Type", "text/xml; charset=utf-8")
        if params.get("Digits") == "1":
            acked = await paging_service.acknowledged(self.services, page.id, via="call")
            if acked.taken:
                log.info("page %s for %s: 1 pressed, already taken", page.id, page.content.ref)
                self.write(twiml.already_taken_answer(language, english=config.english))
                return
            log.info("page %s for %s acknowledged by call", page.id, page.content.ref)
            self.write(twiml.acknowledged(language, english=config.english))
            return
        category, urgency = self.names(language, page.content)
        text = page_text(page.content.ref, category, urgency, language)
        action = (config.public_url or "") + GATHER_PATH.format(token=page.token)
        self.write(twiml.call(text, language, action, english=config.english, ref=page.content.ref))


def application(services: Services, names: Names) -> tornado.web.Application:
    return tornado.web.Application([(ROUTE, _Gather, {"services": services, "names": names})])


def server(services: Services, names: Names) -> HTTPServer:
    """The keypress server, not yet listening: bodies over :data:`MAX_BODY` are refused
    by tornado before anything is parsed (Twilio's keypress form is a few hundred
    bytes), and an idle connection is closed after :data:`IDLE_SECONDS`."""
    return HTTPServer(
        application(services, names),
        max_body_size=MAX_BODY,
        idle_connection_timeout=IDLE_SECONDS,
    )


class Keypresses:
    """The endpoint bound and serving: :meth:`bind` takes the port at once, before the
    bot reports ready, so a port already in use is said at start-up, not silently lost
    in a task; :meth:`serve` serves until ``stop`` is set."""

    def __init__(self, server: HTTPServer) -> None:
        self._server = server

    @classmethod
    def bind(cls, services: Services, names: Names) -> Keypresses:
        """Listen on ``[paging] listen:port``; an :class:`OSError` (the port in use, an
        address not on this host) is raised here, to the caller."""
        config = services.config.paging
        sockets = _bind(config.listen, config.port)
        http = server(services, names)
        http.add_sockets(sockets)
        log.info("taking Twilio's keypresses on %s:%s", config.listen, config.port)
        return cls(http)

    async def serve(self, stop: asyncio.Event) -> None:
        try:
            await stop.wait()
        finally:
            await self.close()

    async def close(self) -> None:
        self._server.stop()
        await self._server.close_all_connections()


def _bind(address: str, port: int) -> list[socket.socket]:
    """Listening sockets for ``address:port`` (each address it resolves to), as
    tornado's ``bind_sockets`` makes them, but closing what it opened when one cannot
    be bound (tornado's leaves that socket open)."""
    bound: list[socket.socket] = []
    try:
        for family, kind, proto, _, sockaddr in socket.getaddrinfo(
            address, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE
        ):
            sock = socket.socket(family, kind, proto)
            bound.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.setblocking(False)
            sock.bind(sockaddr)
            sock.listen(128)
    except BaseException:
        for sock in bound:
            sock.close()
        raise
    return bound
