"""The bot's line to Telegram: brief failures are tried again, flood limits are kept.

Telegram answers 5xx now and then, asks a bot to slow down with 429 and a
``retry_after``, and a network can time out. :class:`RetryingRequest` retries those a
few times within the same call, so a handler's reply or an offer card survives a
single bad moment; what still fails is raised to the caller (the outbox then tries again
later, with backoff).

A send that timed out may or may not have reached Telegram. It is **not** repeated
here: a ``sendMessage`` repeated blindly can show a person the same message twice.
The outbox repeats it later (at-least-once), because a lost escalation is worse than
a duplicated one; edits, deletions and reads are repeated at once because doing them
twice changes nothing.

Answering a button tap too late (Telegram forgets a tap after a while, and after a
crash the same tap can be handed over again) is not an error worth stopping the
handler for: the tap's work is what matters, and the person's spinner has long gone.

:class:`ChatRateLimiter` keeps Telegram's flood limits read the strict way (the same
model the fake Bot API enforces in limits mode, ``bot/sandbox/fake_telegram/flood.py``
``FloodLimits``): at most 30 calls in any one second overall, at most 20 in any minute
per group, and per private chat a burst of three (a reveal: details, pin, case card)
then one a second.

**Who waits.** Pacing is for messages nobody is waiting for at this moment: offers,
notices, escalation cards, a backlog after a burst. Those are sent inside
:func:`paced` (the sender does that) and wait their turn. A reply to the person in
front of the bot (the tapped card redrawn, the next question) does not queue behind
them: a person taps at human speed, far inside the limits, and a spinner that stops a
second before the card changes invites a second tap. Paced sending leaves room for
replies (one call of each private chat's burst, two of the overall thirty), so a reply
goes at once in a chat the sender is draining; a reply of more calls than the chat's
burst allows (a long list, details with a map pin and a case card) waits for the
chat's limit like anything else, rather than earn a 429.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.ext import BaseRateLimiter
from telegram.request import BaseRequest, RequestData

SAFE_TO_REPEAT = frozenset(
    {
        "getMe",
        "getUpdates",
        "getChat",
        "getMyCommands",
        "setMyCommands",
        "deleteMyCommands",
        "editMessageText",
        "editMessageReplyMarkup",
        "deleteMessage",
        "deleteWebhook",
        "setWebhook",
    }
)
BRIEF_FAILURES = frozenset({500, 502, 503, 504})
MAX_WAIT = 5.0  # longer flood waits are left to the outbox rather than held in a handler


_TRUE = b'{"ok": true, "result": true}'


# httpx's errors for a request that never left: no connection was made, or none was free.
# PTB 22's HTTPXRequest raises TimedOut (the PoolTimeout and ConnectTimeout) or
# NetworkError (the ConnectError) ``from`` the httpx error, so the cause is in the chain.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _never_sent(exc: BaseException) -> bool:
    """The request never left (no connection, or no free connection): safe to repeat.

    Judged by the types in the exception's chain, not its text: PTB words a
    ConnectTimeout as a bare "Timed out", and a message can change between versions."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, _NOT_SENT):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _too_late(body: bytes) -> bool:
    text = body.decode("utf-8", "replace").lower()
    return "query is too old" in text or "query id is invalid" in text


def _retry_after(body: bytes) -> float | None:
    try:
        parameters = json.loads(body).get("parameters") or {}
        return float(parameters["retry_after"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


class RetryingRequest(BaseRequest):
    """Wraps another request object; see the module docstring for what is retried."""

    def __init__(
        self,
        inner: BaseRequest,
        *,
        attempts: int = 3,
        backoff: float = 0.5,
        pause: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._inner = inner
        self._attempts = attempts
        self._backoff = backoff
        self._pause = pause

    @property
    def read_timeout(self) -> float | None:
        return self._inner.read_timeout

    async def initialize(self) -> None:
        await self._inner.initialize()

    async def shutdown(self) -> None:
        await self._inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        for attempt in range(1, self._attempts + 1):
            last = attempt == self._attempts
            try:
                status, body = await self._inner.do_request(
                    url,
                    method,
                    request_data,
                    read_timeout=read_timeout,
                    write_timeout=write_timeout,
                    connect_timeout=connect_timeout,
                    pool_timeout=pool_timeout,
                )
            except (TimedOut, NetworkError) as exc:
                if last or not (api_method in SAFE_TO_REPEAT or _never_sent(exc)):
                    raise
                await self._pause(self._backoff * 2 ** (attempt - 1))
                continue
            repeatable = api_method in SAFE_TO_REPEAT or status != 504  # 504: it may have run
            if status in BRIEF_FAILURES and repeatable and not last:
                await self._pause(self._backoff * 2 ** (attempt - 1))
                continue
            if api_method == "answerCallbackQuery" and status == 400 and _too_late(body):
                return 200, _TRUE  # see the module docstring: a late answer is no failure
            if status == 429 and not last:
                wait = _retry_after(body)
                if wait is not None and wait <= MAX_WAIT:
                    await self._pause(wait)
                    continue
            return status, body
        raise AssertionError("unreachable: the last attempt returns or raises")


_PACED: ContextVar[bool] = ContextVar("paced", default=False)


@contextmanager
def paced() -> Iterator[None]:
    """Telegram calls made inside (and in tasks started inside) wait for their chat's
    turn under the flood limits: messages nobody is waiting for right now. Outside,
    a call is a reply to the person in front of the bot (see the module docstring)."""
    token = _PACED.set(True)
    try:
        yield
    finally:
        _PACED.reset(token)


Result = bool | dict[str, Any] | list[dict[str, Any]]
MIN_PAUSE = 0.001  # a wait is never shorter (a clock may land a hair before the mark)
KEEP_CHATS = 1024  # idle chats beyond this many are forgotten (nothing left to remember)


@dataclass
class _Chat:
    """One chat's state; requests to a chat go one at a time (``turn``), in order."""

    turn: asyncio.Lock = field(default_factory=asyncio.Lock)
    recent: deque[float] = field(default_factory=deque)  # groups: ends in the last minute
    tat: float = float("-inf")  # private chats: theoretical arrival time (GCRA)
    quiet_until: float = float("-inf")  # Telegram answered 429 for this chat
    # Calls let through and not yet counted in ``tat`` (a reply and a paced call can be
    # on their way to one chat at once): each takes a call of the burst meanwhile.
    in_flight: int = 0
    overdue: bool = False  # a paced call has waited past its due turn: replies leave it room


class ChatRateLimiter(BaseRateLimiter[None]):
    """Keeps Telegram's flood limits so that Telegram never has to answer 429.

    The model is the fake Bot API's (``FloodLimits``), and so are the defaults:

    * overall, at most ``per_second`` calls in any one-second window;
    * per group chat (negative id), at most ``group_per_minute`` in any minute;
    * per private chat, a token bucket of ``private_burst`` calls, one back every
      ``private_every`` seconds (GCRA: allowed at ``t >= tat - (burst - 1) * every``,
      then ``tat = max(tat, t) + every``).

    Telegram counts a call when it *arrives*, which the bot cannot see: somewhere between
    sending it and getting the answer. So each call is counted here at the moment its
    answer came back (never earlier than Telegram counted it), and while it is on its way
    it occupies a slot of the overall window. Calls to one chat go one at a time, in
    order, so Telegram sees them in the order they were allowed. With both, no sequence of
    calls this lets through can go beyond the model, whatever the network's delays (the
    cost: a slot stays taken for the call's round trip, so with 100 ms round trips the
    overall ceiling is about 30/1.1 a second). A 429 that still comes (another process on
    the same token) keeps that chat quiet for the time Telegram asked.

    Calls without a ``chat_id`` (``answerCallbackQuery``, ``getMe``, ``setMyCommands``)
    are not limited, as with PTB's ``AIORateLimiter``. ``clock`` (monotonic seconds) and
    ``sleep`` can be replaced, so tests run on virtual time.

    **A new limiter starts cautious** (``after_previous_run``, the default). Telegram's
    count goes on across a restart, but a new process knows nothing of what the last
    one sent (killed mid-burst, it may have used every limit a moment ago), and starting
    from zero earned a restarted bot several 429s. So the limiter behaves as if, at the
    moment it was made, every chat had just had its full burst and the overall second
    and each group's minute were full. That is exactly the worst the last run can have
    left, and it wears off by itself: a private chat's first reply waits at most
    ``private_every`` (1 s) after the start and its first paced message twice that
    (paced calls leave a call of the burst for replies), then the burst comes back as
    usual; the overall window is free after a second; a group waits up to a minute (the bot writes
    to private chats only). ``after_previous_run=False`` is for a limiter that knows
    nothing was sent before it (tests timing the model itself).
    """

    def __init__(
        self,
        *,
        per_second: int = 30,
        group_per_minute: int = 20,
        private_burst: int = 3,
        private_every: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        after_previous_run: bool = True,
        room_for_replies: bool = True,
    ) -> None:
        self.per_second = per_second
        # Paced calls leave this much for replies (module docstring, "Who waits").
        self._reply_burst = 1 if room_for_replies and private_burst > 1 else 0
        self._reply_slots = max(1, per_second // 15) if room_for_replies else 0
        self.group_per_minute = group_per_minute
        self.private_burst = private_burst
        self.private_every = private_every
        self._clock = clock
        self._sleep = sleep
        self._chats: dict[int | str, _Chat] = {}
        self._overall_turn = asyncio.Lock()  # waiters for an overall slot, first come first
        self._in_flight = 0
        self._recent: deque[float] = deque()  # ends of calls in the last second
        self._ended = asyncio.Event()
        # The worst the previous run can have left (see the class docstring): everything
        # used up at this moment. A chat first seen later starts from the same moment.
        self._made_at: float | None = None
        if after_previous_run:
            self._made_at = clock()
            self._recent.extend([self._made_at] * per_second)

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> Result:
        key = _chat_key(data.get("chat_id"))
        if key is None:
            return await callback(*args, **kwargs)
        chat = self._chat(key)
        if not _PACED.get():  # a reply to the person in front: not queued behind paced calls
            await self._chat_allows(key, chat, reply=True)
            return await self._call(key, chat, self.per_second, callback, args, kwargs)
        async with chat.turn:
            await self._chat_allows(key, chat)
            limit = self.per_second - self._reply_slots
            return await self._call(key, chat, limit, callback, args, kwargs)

    async def _call(
        self,
        key: int | str,
        chat: _Chat,
        overall: int,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
    ) -> Result:
        """Take an overall slot, make the call, and count it when its answer is back.
        The chat's allowance was taken already (``chat.in_flight``, by _chat_allows)."""
        try:
            await self._overall_slot(overall)
        except BaseException:
            chat.in_flight -= 1
            raise
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as exc:
            chat.quiet_until = self._clock() + _seconds(exc.retry_after)
            raise
        finally:
            ended = self._clock()
            chat.in_flight -= 1
            self._in_flight -= 1
            self._recent.append(ended)
            self._ended.set()
            if _is_group(key):
                chat.recent.append(ended)
            else:
                # Capped at an empty bucket: replies are not held to the pace, and a
                # person tapping fast must not push the chat's paced messages minutes on.
                full = ended + self.private_burst * self.private_every
                chat.tat = min(max(chat.tat, ended) + self.private_every, full)

    def _chat(self, key: int | str) -> _Chat:
        chat = self._chats.get(key)
        if chat is None:
            if len(self._chats) >= KEEP_CHATS:
                self._forget_idle()
            chat = self._chats[key] = _Chat()
            if self._made_at is not None:
                # Remembered after the last run's worst case (class docstring): in a
                # private chat a burst just spent, in a group a minute's worth just sent.
                # Both are no constraint any more once that much time has passed.
                if _is_group(key):
                    chat.recent.extend([self._made_at] * self.group_per_minute)
                else:
                    chat.tat = self._made_at + self.private_burst * self.private_every
        return chat

    def _forget_idle(self) -> None:
        now = self._clock()
        for key, chat in list(self._chats.items()):
            _expire(chat.recent, now - 60.0)
            idle = not chat.turn.locked() and not chat.recent
            if idle and chat.tat <= now and chat.quiet_until <= now:
                del self._chats[key]

    async def _chat_allows(self, key: int | str, chat: _Chat, *, reply: bool = False) -> None:
        """Wait until the chat's own limit lets one more call through.

        A ``reply`` may use the chat's whole burst (paced calls leave one call of it);
        it waits only when the person's own answers are more than the burst allows (a
        long list, details with a map pin and a case card in a chat the sender is
        draining): a reply waiting a second beats a 429 and the retries after it.
        Replies made while a paced call waits move its turn on by a second at most: a
        person tapping a second apart for minutes (a script) must not starve the
        messages queued for their chat."""
        latest: float | None = None
        while True:
            now = self._clock()
            if _is_group(key):
                _expire(chat.recent, now - 60.0)
                full = len(chat.recent) >= self.group_per_minute
                allowed_from = chat.recent[0] + 60.0 if full else now
            else:
                # Paced calls leave room for replies. One that has waited past
                # ``latest`` turns it round: replies leave room for it (not starved);
                # nobody goes beyond the limit.
                if not reply and latest is not None and now >= latest:
                    chat.overdue = True
                leave_room = chat.overdue if reply else not chat.overdue
                spare = self.private_burst - 1 - chat.in_flight
                spare -= self._reply_burst if leave_room else 0
                allowed_from = chat.tat - spare * self.private_every
                if latest is None and not reply:
                    latest = allowed_from + self.private_every
            self._too_quiet(chat, now)
            allowed_from = max(allowed_from, chat.quiet_until)
            if now >= allowed_from:
                chat.in_flight += 1  # taken now: no other call can pass on the same room
                if not reply:
                    chat.overdue = False
                return
            await self._sleep(max(allowed_from - now, MIN_PAUSE))

    def _too_quiet(self, chat: _Chat, now: float) -> None:
        """Telegram asked this chat for a long pause: the caller hears so at once and the
        outbox tries again then (sleeping would hold the sender's lane, or a handler)."""
        if chat.quiet_until - now > MAX_WAIT:
            raise RetryAfter(timedelta(seconds=math.ceil(chat.quiet_until - now)))

    async def _overall_slot(self, limit: int) -> None:
        """Wait for a place among ``limit`` calls of the last second (calls on their way
        count too), then take it. Paced calls queue for it first come first; a reply
        does not queue behind them (they wait for a lower limit than it does)."""
        if limit >= self.per_second:
            await self._take_slot(limit)
            return
        async with self._overall_turn:
            await self._take_slot(limit)

    async def _take_slot(self, limit: int) -> None:
        while True:
            now = self._clock()
            _expire(self._recent, now - 1.0)
            if self._in_flight + len(self._recent) < limit:
                self._in_flight += 1
                return
            if self._recent:
                await self._sleep(max(self._recent[0] + 1.0 - now, MIN_PAUSE))
            else:  # all on their way: the first to end frees a slot a second later
                self._ended.clear()
                await self._ended.wait()


def _chat_key(chat_id: object) -> int | str | None:
    """The chat a call is about: an integer id, or a public "@name" (a channel or group)."""
    if isinstance(chat_id, bool) or chat_id is None:
        return None
    if isinstance(chat_id, int):
        return chat_id
    text = str(chat_id)
    try:
        return int(text)
    except ValueError:
        return text


def _is_group(key: int | str) -> bool:
    return isinstance(key, str) or key < 0


def _seconds(wait: float | timedelta) -> float:
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


def _expire(window: deque[float], before: float) -> None:
    """Drop the times at or before ``before``: a window is the half-open (now - W, now]."""
    while window and window[0] <= before:
        window.popleft()
