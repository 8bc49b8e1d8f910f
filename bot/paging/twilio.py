"""Twilio's REST API over httpx: a call and an SMS, and the signature on its callbacks.

No ``twilio`` package: both requests are form POSTs with HTTP basic auth (the account
SID and its auth token), documented as the Calls resource
(``POST /2010-04-01/Accounts/{AccountSid}/Calls.json`` with ``To``, ``From`` and
``Twiml`` or ``Url``, optionally ``StatusCallback``) and the Messages resource
(``…/Messages.json`` with ``To``, ``From``, ``Body``). Twilio answers 201 with JSON
holding the resource's ``sid``; an error is JSON with ``code`` and ``message`` and a
4xx or 5xx status.

Neither resource takes an idempotency key, so the SID is kept on the page's row when
Twilio answers (see :mod:`bot.paging.sender` for the window that leaves).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

import httpx

from bot.paging.providers import Refused, Unavailable

API = "/2010-04-01/Accounts/{sid}/{resource}.json"


class Twilio:
    """One account's calls and messages. ``http`` is shared (connection pooling)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        account_sid: str,
        auth_token: str,
        from_number: str,
        timeout: float = 10.0,
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._sid = account_sid
        self._auth = httpx.BasicAuth(account_sid, auth_token)
        self._from = from_number
        self._timeout = timeout

    async def call(self, to: str, twiml: str, *, status_callback: str | None = None) -> str:
        """Start a call to ``to`` speaking ``twiml``; returns the call's SID."""
        form = {"To": to, "From": self._from, "Twiml": twiml}
        if status_callback:
            form["StatusCallback"] = status_callback
        return await self._create("Calls", form)

    async def sms(self, to: str, body: str) -> str:
        """Send ``body`` to ``to``; returns the message's SID."""
        return await self._create("Messages", {"To": to, "From": self._from, "Body": body})

    async def _create(self, resource: str, form: dict[str, str]) -> str:
        url = self._base + API.format(sid=self._sid, resource=resource)
        try:
            answer = await self._http.post(url, data=form, auth=self._auth, timeout=self._timeout)
        except httpx.TimeoutException:
            raise Unavailable("twilio timeout") from None
        except httpx.HTTPError as exc:
            raise Unavailable(f"twilio {type(exc).__name__}") from None
        if answer.status_code >= 500 or answer.status_code == 429:
            raise Unavailable(f"twilio http {answer.status_code}")
        if answer.status_code >= 400:
            code = _error_code(answer)
            if answer.status_code in (401, 403):
                # Our credentials, not the person's number: nothing to mark failing.
                raise Unavailable(f"twilio http {answer.status_code} {code}".strip())
            raise Refused(f"twilio {code or answer.status_code}")
        try:
            sid = answer.json()["sid"]
        except (ValueError, KeyError, TypeError):
            raise Unavailable("twilio answer without a sid") from None
        return str(sid)


def _error_code(answer: httpx.Response) -> str:
    """Twilio's error code (e.g. 21211), never its message (it can quote the number)."""
    try:
        code = answer.json().get("code")
    except (ValueError, AttributeError):
        return ""
    return str(code) if isinstance(code, int) else ""


def signature(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """Twilio's ``X-Twilio-Signature`` for a POST to ``url`` with form ``params``.

    As Twilio documents its request validation: take the full URL Twilio requested
    (scheme, host, path and query), append each POST parameter's name and value,
    sorted by name, with no separators; sign with HMAC-SHA1 keyed by the auth token;
    encode the digest in base64."""
    data = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def valid_signature(auth_token: str, url: str, params: Mapping[str, str], given: str) -> bool:
    """Whether ``given`` is the signature of this request (compared in constant time)."""
    return hmac.compare_digest(signature(auth_token, url, params).encode(), given.encode())
