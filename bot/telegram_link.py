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

:class:`ChatRateLimiter` adds to PTB's :class:`~telegram.ext.AIORateLimiter` (about 30
messages a second overall, 20 a minute per group) Telegram's advice of about one
message a second per private chat, with a burst of three so a reveal (details, pin,
case card) is not held back.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import NetworkError, TimedOut
from telegram.ext import AIORateLimiter
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


def _never_sent(exc: Exception) -> bool:
    """The request never left (no connection, or no free connection): safe to repeat."""
    text = str(exc)
    return any(cause in text for cause in ("ConnectError", "ConnectTimeout", "Pool timeout"))


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


class ChatRateLimiter(AIORateLimiter):
    """PTB's limiter plus about one message a second per private chat (burst of 3)."""

    def __init__(self) -> None:
        super().__init__(max_retries=0)
        self._chats: dict[int, AsyncLimiter] = {}

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Any,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = data.get("chat_id")
        if endpoint == "answerCallbackQuery" or not isinstance(chat_id, int) or chat_id <= 0:
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
        limiter = self._chats.setdefault(chat_id, AsyncLimiter(3, 3))
        async with limiter:
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
