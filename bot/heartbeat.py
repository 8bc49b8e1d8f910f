"""The heartbeat: an outside service hears from the bot after each completed engine round.

A bot that is down or stuck cannot say so itself; the escalations it would have sent
simply do not happen. So after each escalation round that completed, the bot requests
``[health] heartbeat_url`` (a dead man's switch in the style of Healthchecks.io: a
request to ``<url>`` is "alive", one to ``<url>/fail`` is "failing"), and the outside
service alerts someone when the requests stop coming. A stuck round never completes,
so no request goes out; a round that raised sends ``<url>/fail`` (the service alerts at
once rather than after its grace time).

The ping never holds up or breaks a round: it runs in a task of its own with a short
timeout, at most one at a time, and at most one per ``heartbeat_every`` seconds (of
real time, see :func:`~bot.clock.real_wait`), except that a change between alive and
failing goes out at once. A ping that fails is logged once per outage (the engine goes
round every two seconds, the log should not) and its recovery once.

The URL names the check and is as good as a password to it: only its host is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx

from bot.clock import Clock, real_wait

log = logging.getLogger("referral_bot.heartbeat")

TIMEOUT = 5.0  # seconds one ping may take; a slower service misses that ping, no more
ALIVE, FAILING = "", "/fail"  # what follows the configured URL


def host(url: str) -> str:
    """What may be logged or shown of the heartbeat URL: its scheme and host."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def describe(exc: Exception) -> str:
    """Why a request failed, without the URL (httpx puts it in its messages)."""
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    return type(exc).__name__


class Heartbeat:
    """Pings ``url`` after rounds; see the module's docstring. ``client``: for tests
    (httpx's MockTransport), else one of its own, closed by :meth:`close`."""

    def __init__(
        self,
        url: str,
        every: timedelta,
        clock: Clock,
        *,
        client: httpx.AsyncClient | None = None,
        timeout: float = TIMEOUT,
    ) -> None:
        self.url = url.rstrip("/")
        self.every = every
        self._clock = clock
        self._client = client or httpx.AsyncClient(timeout=timeout, follow_redirects=True)
        self._own_client = client is None
        self._last: tuple[str, datetime] | None = None  # what was pinged last, and when
        self._task: asyncio.Task[None] | None = None
        self._failing = False  # the last ping was not taken: said once, until one is

    def round_completed(self) -> None:
        """An escalation round completed: the bot is alive."""
        self._ping(ALIVE)

    def round_failed(self) -> None:
        """An escalation round raised: the bot runs but cannot do its work."""
        self._ping(FAILING)

    def _ping(self, kind: str) -> None:
        if self._task is not None and not self._task.done():
            return  # one at a time: a service that hangs gets no pile of requests
        now = self._clock.now()
        if self._last is not None:
            last_kind, at = self._last
            if last_kind == kind and real_wait(self._clock, now - at) < self.every:
                return
        self._last = (kind, now)
        self._task = asyncio.get_running_loop().create_task(self._send(kind), name="heartbeat")

    async def _send(self, kind: str) -> None:
        try:
            response = await self._client.post(
                self.url + kind, content=b"referral-bot: escalation round"
            )
            response.raise_for_status()
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            if not self._failing:
                self._failing = True
                log.warning(
                    "the heartbeat at %s was not taken (%s); the bot goes on and tries "
                    "again every %d s",
                    host(self.url),
                    describe(exc),
                    self.every.total_seconds(),
                )
            return
        if self._failing:
            self._failing = False
            log.info("the heartbeat at %s is taken again", host(self.url))

    async def settle(self) -> None:
        """Wait for the ping under way, if any (tests; closing)."""
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def close(self) -> None:
        """The last ping finishes (within its timeout); the client is closed."""
        await self.settle()
        if self._own_client:
            await self._client.aclose()
