"""Start-up that a stop request can interrupt, and start-up calls that get no answer.

Telegram sometimes answers ``getMe`` and then hangs. Each call the start-up needs
(``getMe``, ``deleteWebhook``, ``setWebhook``) is then tried three times with a read
timeout each (:class:`~bot.telegram_link.RetryingRequest`), some 17 seconds in all.
Two things must hold meanwhile:

* SIGTERM (a service manager stopping or restarting the bot) is acted on at once, not
  after those tries: a restart waits behind the old process, and systemd kills it
  outright after its own timeout. So the signal is listened to from the very start, and
  each of those calls runs with :func:`unless_stopped`.
* When the tries are used up, the operator reads one line naming the call that got no
  answer, and the process exits 2 (cannot run), as for every other start-up failure,
  rather than a traceback and exit 1: :class:`NoAnswer`, turned into that line by
  :mod:`bot.cli.serving`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import TypeVar

from telegram.error import InvalidToken, NetworkError

T = TypeVar("T")


class Stopped(Exception):
    """A stop was asked for before the start-up call finished (it was cancelled)."""


class NoAnswer(Exception):
    """A call the start-up needs failed (timed out, or no connection) after its tries."""

    def __init__(self, method: str, base_url: str, cause: Exception) -> None:
        super().__init__(
            f"Telegram did not answer {method} at {base_url} ({cause or type(cause).__name__});"
            " is it reachable from here?"
        )
        self.method = method


async def unless_stopped(work: Awaitable[T], stop: asyncio.Event) -> T:
    """``work``'s result, unless ``stop`` is set first: then ``work`` is cancelled and
    :class:`Stopped` raised."""
    task = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task  # let it close what it opened before going on
    if task.cancelled():
        raise Stopped
    return task.result()


async def start_up_call(
    work: Awaitable[T], stop: asyncio.Event, *, method: str, base_url: str
) -> T:
    """One call the start-up needs: :class:`Stopped` on a stop request, :class:`NoAnswer`
    when Telegram could not be reached (a refused token is left to the caller)."""
    try:
        return await unless_stopped(work, stop)
    except InvalidToken:
        raise
    except NetworkError as exc:  # TimedOut is one
        raise NoAnswer(method, base_url, exc) from None
