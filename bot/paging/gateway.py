"""A signed POST to the agency's own gateway (an SMS gateway, a dispatch system).

The request: ``POST {webhook_url}`` with a JSON body::

    {"page_id": "<the page's token>", "reference": "R-…", "category": "…",
     "urgency": "…", "text": "<the page as the person reads it>",
     "language": "zh_Hant", "address": "<the person's id at the gateway>",
     "sent_at": "2026-11-26T02:00:00Z"}

and the headers ``X-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes, keyed
by the shared secret>``, ``X-Timestamp`` (the same moment, Unix seconds; the body's
``sent_at`` is signed with it, so a receiver can refuse old replays) and
``Idempotency-Key: <page_id>``: a page sent again after a crash (see
:mod:`bot.paging.sender`) carries the same key, so the gateway can drop the repeat.

The answer, the gateway's side of the contract: a 2xx is taken (a JSON ``{"id": …}``
is kept); **422 means "this address is refused"** (no such person, or they cannot be
reached there): the contact method is marked failing and its owner and the
coordinators are told. Any other 4xx (400, 401, 403, 404, …) is taken as the
deployment's mistake (a wrong URL, secret or payload), not the person's: nobody's
address is marked failing, the page is tried again later and the administrators are
told once. A 5xx, 429 or a timeout is tried again later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import httpx

from bot.paging.providers import Misconfigured, Refused, Unavailable

SIGNATURE_HEADER = "X-Signature"
TIMESTAMP_HEADER = "X-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
REFUSED_STATUS = 422  # the only answer that marks an address failing


def sign(secret: str, body: bytes) -> str:
    """The ``X-Signature`` value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def valid(secret: str, body: bytes, given: str) -> bool:
    """Whether ``given`` signs ``body`` (constant time): for receivers and the fake."""
    return hmac.compare_digest(sign(secret, body).encode(), given.encode())


class Gateway:
    def __init__(
        self, http: httpx.AsyncClient, *, url: str, secret: str, timeout: float = 10.0
    ) -> None:
        self._http, self._url, self._secret, self._timeout = http, url, secret, timeout

    async def post(self, payload: dict[str, Any], now: datetime) -> str | None:
        """Send one page; returns the gateway's id for it if it gives one."""
        body = json.dumps(
            {**payload, "sent_at": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")},
            ensure_ascii=False,
            sort_keys=True,
        ).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self._secret, body),
            TIMESTAMP_HEADER: str(int(now.timestamp())),
            IDEMPOTENCY_HEADER: str(payload["page_id"]),
        }
        try:
            answer = await self._http.post(
                self._url, content=body, headers=headers, timeout=self._timeout
            )
        except httpx.TimeoutException:
            raise Unavailable("gateway timeout") from None
        except httpx.HTTPError as exc:
            raise Unavailable(f"gateway {type(exc).__name__}") from None
        if answer.status_code >= 500 or answer.status_code == 429:
            raise Unavailable(f"gateway http {answer.status_code}")
        if answer.status_code == REFUSED_STATUS:
            raise Refused(f"gateway http {answer.status_code}")
        if answer.status_code >= 400:  # our URL, secret or payload, not their address
            raise Misconfigured(f"gateway http {answer.status_code}")
        try:
            found = answer.json().get("id")
        except (ValueError, AttributeError):
            return None
        return str(found) if found is not None else None
