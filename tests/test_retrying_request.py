"""Which failed sends are repeated at once: only those that never left.

The exceptions are built the way PTB 22's HTTPXRequest raises them (``TimedOut`` or
``NetworkError`` raised ``from`` the httpx error), so the tests do not depend on the
wording of PTB's messages.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.telegram_link import RetryingRequest, _never_sent

SEND = "https://api.telegram.org/bot123:x/sendMessage"


def _raised_from(outer: Exception, cause: BaseException) -> Exception:
    try:
        raise outer from cause
    except Exception as exc:
        return exc


def _ptb(cause: httpx.HTTPError) -> Exception:
    """What HTTPXRequest.do_request raises for ``cause`` (see its source)."""
    if isinstance(cause, httpx.PoolTimeout):
        return _raised_from(TimedOut("Pool timeout: ... Request was *not* sent"), cause)
    if isinstance(cause, httpx.TimeoutException):
        return _raised_from(TimedOut(), cause)
    return _raised_from(NetworkError(f"httpx.{type(cause).__name__}: {cause}"), cause)


@pytest.mark.parametrize(
    "cause", [httpx.ConnectError("refused"), httpx.ConnectTimeout(""), httpx.PoolTimeout("")]
)
def test_a_request_that_never_left_is_recognised_by_its_cause(cause: httpx.HTTPError) -> None:
    assert _never_sent(_ptb(cause))


@pytest.mark.parametrize(
    "cause", [httpx.ReadTimeout(""), httpx.WriteTimeout(""), httpx.RemoteProtocolError("")]
)
def test_a_request_that_may_have_arrived_is_not(cause: httpx.HTTPError) -> None:
    assert not _never_sent(_ptb(cause))


def test_the_words_alone_do_not_count() -> None:
    """A message that merely mentions a connection error (say, quoting Telegram) is no
    evidence that nothing was sent."""
    assert not _never_sent(NetworkError("httpx.ConnectError: but raised without a cause"))
    assert not _never_sent(TimedOut("Pool timeout"))


def test_the_cause_is_found_however_deep_in_the_chain() -> None:
    inner = _raised_from(OSError("network down"), httpx.ConnectError("refused"))
    assert _never_sent(_raised_from(NetworkError("wrapped twice"), inner))
    looped = NetworkError("loop")
    looped.__context__ = looped  # a chain that loops back ends the search
    assert not _never_sent(looped)


class _Failing(BaseRequest):
    """Fails the first call with ``error``, then answers 200."""

    def __init__(self, error: Exception) -> None:
        self.error: Exception | None = error
        self.calls = 0

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

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
        self.calls += 1
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        return 200, b'{"ok": true, "result": true}'


async def _no_pause(_: float) -> None:
    pass


async def test_a_send_whose_connection_timed_out_is_repeated_at_once() -> None:
    """PTB words a ConnectTimeout as a bare "Timed out": matched on text, it was never
    repeated here and waited for the outbox's backoff instead."""
    inner = _Failing(_ptb(httpx.ConnectTimeout("")))
    request = RetryingRequest(inner, pause=_no_pause)
    assert await request.do_request(SEND, "POST") == (200, b'{"ok": true, "result": true}')
    assert inner.calls == 2


async def test_a_send_whose_answer_timed_out_is_left_to_the_outbox() -> None:
    inner = _Failing(_ptb(httpx.ReadTimeout("")))
    request = RetryingRequest(inner, pause=_no_pause)
    with pytest.raises(TimedOut):
        await request.do_request(SEND, "POST")
    assert inner.calls == 1
