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
(:func:`serve`), in polling and webhook mode alike, only when Twilio is configured.
"""

from __future__ import annotations

import asyncio
import logging

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
            await paging_service.acknowledged(self.services, page.id, via="call")
            log.info("page %s for %s acknowledged by call", page.id, page.content.ref)
            self.write(twiml.acknowledged(language, english=config.english))
            return
        category, urgency = self.names(language, page.content)
        text = page_text(page.content.ref, category, urgency, language)
        action = (config.public_url or "") + GATHER_PATH.format(token=page.token)
        self.write(twiml.call(text, language, action, english=config.english))


def application(services: Services, names: Names) -> tornado.web.Application:
    return tornado.web.Application([(ROUTE, _Gather, {"services": services, "names": names})])


async def serve(
    services: Services,
    names: Names,
    stop: asyncio.Event,
    *,
    ready: asyncio.Event | None = None,
) -> None:
    """Serve :func:`application` on ``[paging] listen:port`` until ``stop`` is set."""
    config = services.config.paging
    server = HTTPServer(application(services, names))
    server.listen(config.port, address=config.listen)
    log.info("taking Twilio's keypresses on %s:%s", config.listen, config.port)
    try:
        if ready is not None:
            ready.set()
        await stop.wait()
    finally:
        server.stop()
        await server.close_all_connections()
