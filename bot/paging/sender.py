"""The page sender: takes due pages (outbox rows of channel voice, sms, webhook) and
hands each to its provider, once.

Like the Telegram sender (``handlers/sender.py``) it is woken by the outbox bell when a
commit writes a page, looks again when the earliest retry falls due (and every
:data:`LOOK_EVERY` in any case), and in tests and the sandbox sends only when asked to
:meth:`PageSender.settle`.

A verification code of ``/phone`` (outbox kind ``phone_code``) is an SMS it sends too,
without the rate limit (see :meth:`PageSender._code`). For each page, in order:

1. **Claim** it (a lease of :data:`LEASE`): one ``UPDATE`` that only one sender wins.
   A page no longer wanted (its referral was accepted, assigned or withdrawn since it
   was written, or its person said "I'm on it") is given up here, not sent: checked
   at send time, in one place, rather than cancelled by every way a referral is taken.
2. **Rate limit**: if the person was paged on this channel less than
   ``[paging] rate_limit_seconds`` ago, the page waits until then (it is not dropped).
3. **Send** it; then **mark it sent** with the provider's id (Twilio's SID) in one
   statement. A 5xx, 429, timeout or lost connection is tried again after
   :data:`FIRST_RETRY`, doubling, at most :data:`MAX_RETRY` apart, and given up after
   :data:`MAX_ATTEMPTS`; a refusal of the address (Twilio's 4xx such as 21211 or 21614,
   the gateway's 4xx) marks the contact method failing and the page dead in one
   transaction, then calls the ``on_refused`` hook (telling the coordinators is built on
   it, with :data:`~bot.services.notices.NoticeKind.CONTACT_FAILING`). Any other 4xx
   is the deployment's mistake (:class:`~bot.paging.providers.Misconfigured`: a From
   number that cannot send, a trial account, a wrong URL): retried like a 5xx, nobody's
   number marked; one ``ERROR`` line per outage (until the provider takes a request
   again) and the ``on_misconfigured`` hook once (the administrators are told, with
   :data:`~bot.services.notices.NoticeKind.PAGING_MISCONFIGURED`). The outage is this
   process's memory: after a restart, a mistake not yet fixed is said once more.

Never twice for one row: a page marked sent is never claimed again, by this process or
by the next one after a crash. The window between the provider accepting a request and
the row being marked sent (a kill -9, a lost answer, a timeout) is closed per provider:

* **Twilio** (calls, SMS) takes no idempotency key, so the sender remembers, before
  each request, when it went (``page_tried_at``, kept across restarts; cleared when
  Twilio answers with an error, which makes nothing). A page that has such a time is
  never sent blindly again: once
  :data:`RECONCILE_AFTER` has passed since that first request (Twilio has then dialled
  the call or sent the message, so its list shows it), the sender asks Twilio's list
  of calls or messages (:meth:`~bot.paging.twilio.Twilio.made_since`) for one from our
  number to the person's, created since that moment (less :data:`SKEW` for the two
  clocks), whose SID no other page holds, and for an SMS with the very text this page
  says (the Call resource returns no field of ours, so a call matches by number and
  time). Found: the page is marked sent with that SID, and nothing is sent. Not found:
  it is sent. Twilio not answering the question: tried again later, never sent blind.
* **The gateway** receives the same ``Idempotency-Key`` (the page's token) on every
  try and drops a repeat.

What stays: two in-doubt pages to one person on one channel can swap SIDs (each is
matched to a call that was made, so both were made), and a call Twilio made but lists
only after :data:`RECONCILE_AFTER` (its queue held it longer) would be made again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import httpx

from bot.clock import real_wait
from bot.domain import phones
from bot.domain.paging import Channel, ContactMethod, Page, PageContent
from bot.paging import twiml
from bot.paging.gateway import Gateway
from bot.paging.providers import Misconfigured, Refused, Unavailable
from bot.paging.text import code_text, page_text
from bot.paging.twilio import Made, Twilio
from bot.services import Services
from bot.services import paging as paging_service
from storage import contact_methods, people
from storage import outbox as outbox_table
from storage import pages as pages_table

log = logging.getLogger("referral_bot.paging")

LEASE = timedelta(minutes=2)  # longer than any request's timeout
LOOK_EVERY = timedelta(seconds=5)
FIRST_RETRY = timedelta(seconds=15)
MAX_RETRY = timedelta(minutes=5)  # a page is urgent: never more than this apart
MAX_ATTEMPTS = 12
# Reconciling: ask Twilio no sooner than this after the first request (it lists a call
# once dialled, a message once sent), and accept records created this much before it
# (Twilio's clock and ours differ a little).
RECONCILE_AFTER = timedelta(minutes=1)
SKEW = timedelta(minutes=2)
GATHER_PATH = "/paging/twilio/gather/{token}"

# (reader's language, what the page is about) → (category name, urgency name), in that
# language: the labels live with the handlers (handlers/paging.py gives this).
Names = Callable[[str, PageContent], tuple[str, str]]
# Called after a refusal is recorded: the page, and the method now failing.
OnRefused = Callable[[Page, ContactMethod], Awaitable[None]]
# Called once per outage when a provider refuses the deployment's own requests: the
# provider ("twilio" or "gateway") and its error code (no number, no token).
OnMisconfigured = Callable[[str, str], Awaitable[None]]


def backoff(attempts: int) -> timedelta:
    """The wait before try ``attempts + 1`` (``attempts`` earlier failures)."""
    wait: timedelta = FIRST_RETRY * (2 ** min(attempts, 16))
    return min(MAX_RETRY, wait)


class PageSender:
    """See the module docstring. ``twilio``/``gateway`` None: that channel is not
    configured (its pages wait, and a line says why)."""

    def __init__(
        self,
        services: Services,
        *,
        names: Names,
        twilio: Twilio | None = None,
        gateway: Gateway | None = None,
        on_refused: OnRefused | None = None,
        on_misconfigured: OnMisconfigured | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.services = services
        self._http = http  # the providers' client, if this sender owns it
        self.names = names
        self.twilio = twilio
        self.gateway = gateway
        self.on_refused = on_refused
        self.on_misconfigured = on_misconfigured
        self._outages: set[str] = set()  # providers refusing the deployment's requests
        self._bell = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._lock = asyncio.Lock()  # one round at a time (settle beside the task)
        services.bell.listen(self._bell.set)

    # -- running -------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._serve(), name="page-sender")

    async def stop(self) -> None:
        """Take nothing more; the page being sent finishes (its row is then marked)."""
        self._stopping = True
        self._bell.set()
        if self._task is not None:
            await self._task
            self._task = None

    async def close(self) -> None:
        """Close the providers' HTTP client (if it was handed over)."""
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def settle(self) -> None:
        """Send every page due now (tests, the sandbox); what waits for a retry or the
        rate limit stays for later."""
        tried: set[int] = set()
        while True:
            taken = await self._round(tried)
            if not taken:
                return

    async def _serve(self) -> None:
        while not self._stopping:
            self._bell.clear()
            try:
                await self._round()
            except Exception as exc:  # the database failing: look again later
                log.error("could not read the pages: %s", type(exc).__name__)
            await self._wait()

    async def _wait(self) -> None:
        if self._bell.is_set():
            return
        wait = LOOK_EVERY
        with contextlib.suppress(Exception):
            at = await pages_table.next_attempt(self.services.db.reader)
            now = self.services.clock.now()
            if at is not None:
                wait = max(min(wait, at - now), timedelta(0))
        with contextlib.suppress(TimeoutError):
            seconds = real_wait(self.services.clock, wait).total_seconds()
            await asyncio.wait_for(self._bell.wait(), max(seconds, 0.01))

    async def _round(self, tried: set[int] | None = None) -> int:
        now = self.services.clock.now()
        async with self._lock:
            due = await pages_table.due(self.services.db.reader, now, now - LEASE)
            if tried is not None:
                due = [p for p in due if p.id not in tried]
                tried.update(p.id for p in due)
            for page in due:
                if self._stopping and self._task is not None:
                    break
                try:
                    await self._one(page)
                except Exception as exc:
                    log.error("could not send page %s: %s", page.id, type(exc).__name__)
            return len(due)

    # -- one page ------------------------------------------------------------------------

    async def _one(self, page: Page) -> None:
        services, now = self.services, self.services.clock.now()
        async with services.db.statement() as conn:
            if not await pages_table.claim(conn, page.id, now, now - LEASE):
                return  # sent, given up, or another sender has it
        if page.code is not None:
            await self._code(page)  # a code SMS sent twice is harmless: no reconciling
            return
        method = await contact_methods.by_id(services.db.reader, page.contact_method_id)
        person = await people.by_id(services.db.reader, page.person_id)
        # An earlier request may have reached the provider: ask before anything else (a
        # page that was made is recorded as sent, even if no longer wanted now).
        if (
            page.tried_at is not None
            and method is not None
            and person is not None
            and await self._reconciled(page, method, person.language)
        ):
            return
        if not await paging_service.still_wanted(services, page):
            await self._dead(page, pages_table.NO_LONGER_NEEDED)  # taken, or they are on it
            return
        limit = timedelta(seconds=services.config.paging.rate_limit_seconds)
        last = await pages_table.last_sent(services.db.reader, page.person_id, page.channel)
        if last is not None and now < last + limit:
            async with services.db.statement() as conn:
                await pages_table.wait_until(conn, page.id, last + limit)
            return
        if method is None or person is None or method.failing_since is not None:
            await self._dead(page, "no usable contact method")
            return
        tried_at = services.clock.now()
        async with services.db.statement() as conn:
            await pages_table.trying(conn, page.id, tried_at)
        try:
            provider_id = await self._send(page, method, person.language)
        except Refused as exc:
            await self._refused(page, method, exc.code)
        except Misconfigured as exc:
            await self._misconfigured(_provider(page.channel), exc.code)
            async with services.db.statement() as conn:  # refused: it made nothing
                await pages_table.untried(conn, page.id, tried_at)
            await self._retry(page, exc.code)
        except Unavailable as exc:
            log.warning("page %s for %s not sent yet: %s", page.id, page.content.ref, exc.code)
            if exc.answered:  # it made nothing: the next try need not ask
                async with services.db.statement() as conn:
                    await pages_table.untried(conn, page.id, tried_at)
            await self._retry(page, exc.code)
        else:
            self._recovered(_provider(page.channel))
            async with services.db.statement() as conn:
                await pages_table.mark_sent(conn, page.id, services.clock.now(), provider_id)
            log.info("paged by %s for %s (page %s)", page.channel, page.content.ref, page.id)

    async def _code(self, page: Page) -> None:
        """A verification code's SMS (``/phone``): not a page, so no rate limit, and it
        goes to a failing number too (typing the number again is how it is checked
        again). A refusal marks the number failing, which ``/phone`` shows its owner; no
        one else is told. Neither the code nor the number is logged.

        Not sent once its code has expired (it would be no use, and a text at an odd
        hour): given up, which blanks the code in the row, and ``/phone`` tells its owner
        it could not be sent."""
        services = self.services
        expires = page.created_at + phones.CODE_LIFETIME  # no retry goes past it
        if services.clock.now() >= expires:
            log.warning("verification code %s given up: its code expired unsent", page.id)
            await self._dead(page, "code expired")
            return
        method = await contact_methods.by_id(services.db.reader, page.contact_method_id)
        person = await people.by_id(services.db.reader, page.person_id)
        if method is None or person is None or page.code is None:
            await self._dead(page, "no such number")
            return
        if self.twilio is None:
            log.warning("verification code %s not sent: twilio not configured", page.id)
            await self._retry(page, "twilio not configured", until=expires)
            return
        try:
            sid = await self.twilio.sms(method.address, code_text(page.code, person.language))
        except Refused as exc:
            log.warning("verification code %s refused by the provider: %s", page.id, exc.code)
            async with services.db.write() as tx:
                await outbox_table.mark_dead(tx, page.id, services.clock.now(), exc.code)
                await contact_methods.mark_failing(tx, method.id, services.clock.now(), exc.code)
        except Misconfigured as exc:
            await self._misconfigured("twilio", exc.code)
            await self._retry(page, exc.code, until=expires)
        except Unavailable as exc:
            log.warning("verification code %s not sent yet: %s", page.id, exc.code)
            await self._retry(page, exc.code, until=expires)
        else:
            self._recovered("twilio")
            async with services.db.statement() as conn:
                await pages_table.mark_sent(conn, page.id, services.clock.now(), sid)
            log.info("verification code sent by sms (row %s)", page.id)

    async def _reconciled(self, page: Page, method: ContactMethod, language: str) -> bool:
        """For a page tried before (see the module docstring): True when the sender is
        done with it for now: found at Twilio and marked sent, or the question waits
        (too soon to ask, or Twilio did not answer). False: send it."""
        if page.channel is Channel.WEBHOOK or self.twilio is None or page.tried_at is None:
            return False  # the gateway drops a repeat by its Idempotency-Key
        services, now = self.services, self.services.clock.now()
        if now < page.tried_at + RECONCILE_AFTER:
            async with services.db.statement() as conn:
                await pages_table.wait_until(conn, page.id, page.tried_at + RECONCILE_AFTER)
            return True
        resource = "Messages" if page.channel is Channel.SMS else "Calls"
        try:
            listed = await self.twilio.made_since(resource, method.address, page.tried_at - SKEW)
        except Unavailable as exc:
            log.warning("page %s: cannot ask twilio: %s", page.id, exc.code)
            await self._retry(page, exc.code)
            return True
        found = await self._match(page, method, language, listed)
        if found is None:
            return False
        async with services.db.statement() as conn:
            await pages_table.mark_sent(conn, page.id, services.clock.now(), found.sid)
        log.info(
            "page %s for %s was made before a restart: found at twilio, not sent again",
            page.id,
            page.content.ref,
        )
        return True

    async def _match(
        self, page: Page, method: ContactMethod, language: str, listed: list[Made]
    ) -> Made | None:
        """The oldest listed call or message that is this page's (see the module
        docstring), or None."""
        assert self.twilio is not None and page.tried_at is not None
        since = page.tried_at - SKEW
        text = None
        if page.channel is Channel.SMS:
            category, urgency = self.names(language, page.content)
            text = page_text(page.content.ref, category, urgency, language)
        candidates = [
            made
            for made in listed
            if made.to == method.address
            and made.from_ == self.twilio.from_number
            and made.created >= since
            and (text is None or made.body == text)
        ]
        held = await pages_table.held_provider_ids(
            self.services.db.reader, [made.sid for made in candidates]
        )
        mine = [made for made in candidates if made.sid not in held]
        return min(mine, key=lambda made: made.created) if mine else None

    async def _send(self, page: Page, method: ContactMethod, language: str) -> str | None:
        """Hand the page to its provider; the provider's id for it (a SID)."""
        config = self.services.config.paging
        category, urgency = self.names(language, page.content)
        text = page_text(page.content.ref, category, urgency, language)
        if page.channel is Channel.WEBHOOK:
            if self.gateway is None:
                raise Unavailable("gateway not configured")
            payload = {
                "page_id": page.token,
                "reference": page.content.ref,
                "category": category,
                "urgency": urgency,
                "text": text,
                "language": language,
                "address": method.address,
            }
            return await self.gateway.post(payload, self.services.clock.now())
        if self.twilio is None:
            raise Unavailable("twilio not configured")
        if page.channel is Channel.SMS:
            return await self.twilio.sms(method.address, text)
        action = (config.public_url or "") + GATHER_PATH.format(token=page.token)
        call = twiml.call(text, language, action, english=config.english, ref=page.content.ref)
        return await self.twilio.call(method.address, call)

    async def _retry(self, page: Page, error: str, until: datetime | None = None) -> None:
        """Tried again after the backoff; no later than ``until`` (a code's expiry, when
        it is given up), so nobody waits on a row that can no longer be sent."""
        services, now = self.services, self.services.clock.now()
        at = now + backoff(page.attempts)
        if until is not None:
            at = min(at, until)
        async with services.db.statement() as conn:
            if page.attempts + 1 >= MAX_ATTEMPTS:
                await outbox_table.mark_dead(conn, page.id, now, error)
            else:
                await outbox_table.retry_at(conn, page.id, at, error)

    async def _dead(self, page: Page, error: str) -> None:
        async with self.services.db.statement() as conn:
            await outbox_table.mark_dead(conn, page.id, self.services.clock.now(), error)

    async def _misconfigured(self, provider: str, code: str) -> None:
        """The provider refuses the deployment's requests: said once per outage."""
        if provider in self._outages:
            return
        self._outages.add(provider)
        log.error(
            "paging: %s refuses the bot's requests (%s): a deployment setting (account,"
            " From number, URL or secret), not anyone's number; nobody is paged by it"
            " until it is fixed; pages are retried",
            provider,
            code,
        )
        if self.on_misconfigured is not None:
            try:
                await self.on_misconfigured(provider, code)
            except Exception as exc:  # the admins not told: the log line stands
                log.error("could not tell the administrators: %s", type(exc).__name__)

    def _recovered(self, provider: str) -> None:
        if provider in self._outages:
            self._outages.discard(provider)
            log.info("paging: %s takes the bot's requests again", provider)

    async def _refused(self, page: Page, method: ContactMethod, code: str) -> None:
        """The address was refused: the method is failing, the page dead, in one go."""
        services, now = self.services, self.services.clock.now()
        log.warning("page %s for %s refused by the provider: %s", page.id, page.content.ref, code)
        async with services.db.write() as tx:
            await outbox_table.mark_dead(tx, page.id, now, code)
            first = await contact_methods.mark_failing(tx, method.id, now, code)
        if first and self.on_refused is not None:
            failing = await contact_methods.by_id(services.db.reader, method.id)
            await self.on_refused(page, failing or method)


def _provider(channel: Channel) -> str:
    return "gateway" if channel is Channel.WEBHOOK else "twilio"
