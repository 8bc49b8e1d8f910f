"""A fake Twilio REST API on loopback, strict where Twilio is, for tests and the sandbox.

It plays the three resources the bot uses, ``POST /2010-04-01/Accounts/{sid}/Calls.json``
and ``…/Messages.json``, and the Account itself (``GET /2010-04-01/Accounts/{sid}.json``,
the dry-run ``doctor`` and start-up make: 200 with the account, its ``status`` settable
as :attr:`status`). All three want HTTP basic auth with the account SID and auth token
(401 and error 20003 otherwise); the first two check the required fields (``To``,
``From``, and ``Twiml`` or ``Url`` for a call, ``Body`` for a message: 400 and error
21201 …), E.164 numbers (error 21211 for ``To``), and answer 201
with JSON holding a fresh ``sid`` (``CA…`` or ``SM…``).
It keeps a :attr:`log` of what it accepted, and can be told to fail: a 5xx
(:meth:`fail_next`), no answer at all until closed (:meth:`hang_next`, so the bot's
request times out), or a refused number (:meth:`refuse`, Twilio's 4xx error JSON).
:meth:`hold_next` holds the next create request until :meth:`release` (the crash
harness kills the bot meanwhile), having made the call or message first or not:
Twilio accepted it and the answer was lost, or it never got there.

It lists what it made as Twilio's list resources do (``GET …/Calls.json``,
``…/Messages.json``): the filters ``To``, ``From``, ``StartTime``/``StartTime>``/
``StartTime<`` for calls and ``DateSent``/``DateSent>``/``DateSent<`` for messages
(dates only, ``YYYY-MM-DD`` UTC; anything else is 400, as is an unknown filter),
newest first, ``PageSize`` (1–1000, default 50) and ``Page``/``PageToken``, the
records under ``calls`` or ``messages`` beside ``page``, ``page_size``, ``start``,
``end``, ``uri``, ``first_page_uri``, ``next_page_uri`` and ``previous_page_uri``
(null at the ends). Its calls are dialled at once (``start_time`` is the creation
time) and its messages sent at once (``date_sent`` likewise).

:meth:`press` plays a person pressing a key on a call: it reads the call's
``<Gather action=…>`` and POSTs ``Digits`` there, signed with ``X-Twilio-Signature``
as Twilio does.
"""

from __future__ import annotations

import asyncio
import base64
import re
import secrets
import socket
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

import httpx
import tornado.web
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from bot.clock import Clock
from bot.paging.twilio import signature

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


@dataclass(frozen=True)
class Sent:
    """A call or a message the fake accepted."""

    kind: str  # "call" or "sms"
    sid: str
    to: str
    body: str  # the message's text, or the call's TwiML
    at: datetime
    from_: str = ""

    @property
    def spoken(self) -> str:
        """What the person hears or reads: the message, or the text of each ``<Say>``
        of the call (SSML such as ``<say-as>`` inside it kept as its words), one a line.
        The TwiML must be well-formed XML, as Twilio requires."""
        if self.kind != "call":
            return self.body
        root = ElementTree.fromstring(self.body)  # noqa: S314 - the bot's own TwiML
        return "\n".join("".join(say.itertext()) for say in root.iter("Say"))


class FakeTwilio:
    def __init__(self, account_sid: str, auth_token: str, clock: Clock) -> None:
        self.account_sid, self.auth_token, self.clock = account_sid, auth_token, clock
        self.log: list[Sent] = []
        self.failures: list[tuple[int, int]] = []  # (status, Twilio code) to answer next
        self.hangs = 0  # requests left unanswered next
        self.refused: dict[str, int] = {}  # number → Twilio error code
        self.status = "active"  # the account's, as the Account resource gives it
        self.account_reads = 0  # GETs of the Account resource (the dry-runs)
        self.requests = 0  # creates (POSTs) and Account reads; not the list GETs
        self.lists = 0  # list requests (GETs)
        self.list_failures: list[int] = []  # statuses to answer next list requests
        self.holding: list[bool] = []  # next creates to hold: made first, or not
        self.held = 0  # creates held so far
        self.held_made = 0  # of those, made before holding
        self.holding_now = asyncio.Event()  # a create is being held
        self._release = asyncio.Event()
        self._server: HTTPServer | None = None
        self._sockets: list[socket.socket] = []
        self._closed = asyncio.Event()

    # -- control ---------------------------------------------------------------------

    def fail_next(self, status: int = 503, times: int = 1, code: int = 20500) -> None:
        """Answer the next ``times`` requests ``status`` with Twilio's error ``code``
        (e.g. 400 with 21606: the From number cannot send SMS)."""
        self.failures += [(status, code)] * times

    def hang_next(self, times: int = 1) -> None:
        self.hangs += times

    def hold_next(self, *, made: bool) -> None:
        """Hold the next create request unanswered until :meth:`release`; ``made``:
        the call or message is made (logged) first, as when Twilio accepted it and the
        answer never reached the bot."""
        self.holding.append(made)

    def release(self) -> None:
        """Let held requests end (answered 503, to a bot that is usually gone)."""
        self._release.set()

    def refuse(self, number: str, code: int = 21211) -> None:
        """Refuse ``number`` as Twilio does (21211 invalid, 21614 not a mobile…)."""
        self.refused[number] = code

    @property
    def calls(self) -> list[Sent]:
        return [s for s in self.log if s.kind == "call"]

    @property
    def messages(self) -> list[Sent]:
        return [s for s in self.log if s.kind == "sms"]

    # -- serving ---------------------------------------------------------------------

    async def start(self) -> None:
        self._sockets = bind_sockets(0, "127.0.0.1")
        self._server = HTTPServer(
            tornado.web.Application(
                [
                    (r"/2010-04-01/Accounts/([^/]+)/(\w+)\.json", _Create, {"fake": self}),
                    (r"/2010-04-01/Accounts/([^/.]+)\.json", _Account, {"fake": self}),
                ]
            )
        )
        self._server.add_sockets(self._sockets)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._sockets[0].getsockname()[1]}"

    async def close(self) -> None:
        self._closed.set()
        self._release.set()
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()

    async def answer(
        self, account: str, resource: str, auth: str, form: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        """(status, JSON) for one request, as Twilio would answer it."""
        if (refused := await self._gate(account, auth)) is not None:
            return refused
        if resource not in ("Calls", "Messages"):
            return 404, _error(20404, "The requested resource was not found", 404)
        for field in ("To", "From", *(("Body",) if resource == "Messages" else ())):
            if not form.get(field):
                return 400, _error(
                    21201 if field == "To" else 21603, f"A '{field}' is required", 400
                )
        if resource == "Calls" and not (form.get("Twiml") or form.get("Url")):
            return 400, _error(21205, "Url or Twiml is required", 400)
        if not E164.match(form["From"]):
            return 400, _error(21212, "Invalid 'From' number", 400)
        to = form["To"]
        if not E164.match(to):
            return 400, _error(21211, f"The 'To' number {to} is not a valid phone number.", 400)
        if to in self.refused:
            code = self.refused[to]
            return 400, _error(code, f"The 'To' number {to} cannot be reached.", 400)
        kind = "call" if resource == "Calls" else "sms"
        sid = ("CA" if kind == "call" else "SM") + secrets.token_hex(16)
        body = (form.get("Twiml") or form.get("Url", "")) if kind == "call" else form["Body"]
        made = Sent(kind, sid, to, body, self.clock.now(), form["From"])
        if self.holding:
            if self.holding.pop(0):
                self.log.append(made)
                self.held_made += 1
            self.held += 1
            self._release.clear()
            self.holding_now.set()
            try:
                await self._release.wait()
            finally:
                self.holding_now.clear()
            return 503, _error(20500, "Internal Server Error", 503)
        self.log.append(made)
        return 201, self._record(made)

    def _record(self, made: Sent) -> dict[str, Any]:
        """The resource as Twilio shows it (only the fields the bot may read, and a few)."""
        when = _rfc2822(made.at)
        record: dict[str, Any] = {
            "sid": made.sid,
            "account_sid": self.account_sid,
            "to": made.to,
            "from": made.from_,
            "status": "queued",
            "direction": "outbound-api",
            "date_created": when,
            "date_updated": when,
            "api_version": "2010-04-01",
        }
        resource = "Calls" if made.kind == "call" else "Messages"
        record["uri"] = f"/2010-04-01/Accounts/{self.account_sid}/{resource}/{made.sid}.json"
        if made.kind == "call":
            record["start_time"] = when
        else:
            record["body"] = made.body
            record["date_sent"] = when
        return record

    async def _gate(self, account: str, auth: str) -> tuple[int, dict[str, Any]] | None:
        """What every request to the fake meets first, as at Twilio: a hang the test
        asked for (never answered: the bot's request times out), the credentials, and
        the failures the test queued; None when the request goes on."""
        self.requests += 1
        if self.hangs:
            self.hangs -= 1
            await self._closed.wait()
            return 503, {}
        if not self._authorised(account, auth):
            return 401, _error(20003, "Authenticate", 401)
        if self.failures:
            status, code = self.failures.pop(0)
            return status, _error(code, "Internal Server Error", status)
        return None

    def listing(
        self, account: str, resource: str, auth: str, query: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        """(status, JSON) for a GET of a list resource, as Twilio would answer it."""
        self.lists += 1
        if self.list_failures:
            status = self.list_failures.pop(0)
            return status, _error(20500, "Internal Server Error", status)
        if not self._authorised(account, auth):
            return 401, _error(20003, "Authenticate", 401)
        if resource not in ("Calls", "Messages"):
            return 404, _error(20404, "The requested resource was not found", 404)
        kind, key = ("call", "calls") if resource == "Calls" else ("sms", "messages")
        when = "StartTime" if kind == "call" else "DateSent"
        known = {"To", "From", when, when + ">", when + "<", "PageSize", "Page", "PageToken"}
        if unknown := sorted(set(query) - known):
            return 400, _error(20001, f"Unknown parameter {unknown[0]}", 400)
        days: dict[str, date] = {}
        for name in (when, when + ">", when + "<"):
            if name in query:
                try:
                    days[name] = date.fromisoformat(query[name])
                except ValueError:
                    return 400, _error(20001, f"Invalid {name}", 400)
                if len(query[name]) != 10:
                    return 400, _error(20001, f"Invalid {name}", 400)
        try:
            size = int(query.get("PageSize", "50"))
            number = int(query.get("Page", "0"))
        except ValueError:
            return 400, _error(20001, "Invalid PageSize or Page", 400)
        if not 1 <= size <= 1000 or number < 0:
            return 400, _error(20001, "Invalid PageSize or Page", 400)
        if number > 0 and query.get("PageToken") != f"PT{number}":
            return 400, _error(20001, "Page needs the PageToken of next_page_uri", 400)

        def wanted(made: Sent) -> bool:
            day = made.at.astimezone(UTC).date()
            return (
                made.kind == kind
                and made.to == query.get("To", made.to)
                and made.from_ == query.get("From", made.from_)
                and (when not in days or day == days[when])
                and (when + ">" not in days or day >= days[when + ">"])
                and (when + "<" not in days or day <= days[when + "<"])
            )

        found = sorted(filter(wanted, self.log), key=lambda made: made.at, reverse=True)
        start = number * size
        records = [self._record(made) for made in found[start : start + size]]
        base = f"/2010-04-01/Accounts/{self.account_sid}/{resource}.json"
        filters = {k: v for k, v in query.items() if k not in ("Page", "PageToken", "PageSize")}

        def page_uri(page: int) -> str:
            token = {"PageToken": f"PT{page}"} if page else {}
            return base + "?" + urlencode({**filters, "PageSize": size, "Page": page, **token})

        more = start + size < len(found)
        return 200, {
            key: records,
            "page": number,
            "page_size": size,
            "start": start,
            "end": start + max(len(records) - 1, 0),
            "uri": page_uri(number),
            "first_page_uri": page_uri(0),
            "next_page_uri": page_uri(number + 1) if more else None,
            "previous_page_uri": page_uri(number - 1) if number > 0 else None,
        }

    async def account(self, account: str, auth: str) -> tuple[int, dict[str, Any]]:
        """(status, JSON) for ``GET /2010-04-01/Accounts/{account}.json``."""
        self.account_reads += 1
        if (refused := await self._gate(account, auth)) is not None:
            return refused
        return 200, {
            "sid": self.account_sid,
            "owner_account_sid": self.account_sid,
            "friendly_name": "referral-bot test account",
            "status": self.status,
            "type": "Full",
        }

    def _authorised(self, account: str, auth: str) -> bool:
        """HTTP basic auth with this account's SID and token, for this account."""
        expected = (
            "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        )
        return auth == expected and account == self.account_sid

    async def press(
        self, call: Sent, digits: str = "1", *, sign_with: str | None = None
    ) -> httpx.Response:
        """The person on ``call`` presses ``digits``: Twilio posts them to the Gather's
        action, signed (with ``sign_with`` instead of the auth token: a forgery)."""
        root = ElementTree.fromstring(call.body)  # noqa: S314 - the bot's own TwiML, in a test
        gather = root.find("Gather")
        assert gather is not None, "the call's TwiML has no <Gather>"
        action = gather.get("action", "")
        form = {
            "AccountSid": self.account_sid,
            "CallSid": call.sid,
            "Digits": digits,
            "To": call.to,
        }
        header = signature(sign_with or self.auth_token, action, form)
        async with httpx.AsyncClient() as http:
            return await http.post(action, data=form, headers={"X-Twilio-Signature": header})


def _rfc2822(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")


def _error(code: int, message: str, status: int) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


class _Create(tornado.web.RequestHandler):
    def initialize(self, fake: FakeTwilio) -> None:
        self.fake = fake

    def check_xsrf_cookie(self) -> None:
        return

    async def post(self, account: str, resource: str) -> None:
        form = {k: v[-1].decode() for k, v in self.request.body_arguments.items()}
        status, answer = await self.fake.answer(
            account, resource, self.request.headers.get("Authorization", ""), form
        )
        self.set_status(status)
        self.write(answer)

    async def get(self, account: str, resource: str) -> None:
        query = {k: v[-1].decode() for k, v in self.request.query_arguments.items()}
        status, answer = self.fake.listing(
            account, resource, self.request.headers.get("Authorization", ""), query
        )
        self.set_status(status)
        self.write(answer)


class _Account(tornado.web.RequestHandler):
    def initialize(self, fake: FakeTwilio) -> None:
        self.fake = fake

    async def get(self, account: str) -> None:
        status, answer = await self.fake.account(
            account, self.request.headers.get("Authorization", "")
        )
        self.set_status(status)
        self.write(answer)
