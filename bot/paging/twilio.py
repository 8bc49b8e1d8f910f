"""Twilio's REST API over httpx: a call and an SMS, and the signature on its callbacks.

No ``twilio`` package: both requests are form POSTs with HTTP basic auth (the account
SID and its auth token), documented as the Calls resource
(``POST /2010-04-01/Accounts/{AccountSid}/Calls.json`` with ``To``, ``From`` and
``Twiml`` or ``Url``, optionally ``StatusCallback``) and the Messages resource
(``…/Messages.json`` with ``To``, ``From``, ``Body``). Twilio answers 201 with JSON
holding the resource's ``sid``; an error is JSON with ``code`` and ``message`` and a
4xx or 5xx status.

Only the errors in :data:`REFUSED_CODES` are about the person's number and raise
:class:`Refused` (the number is then marked failing and its owner told). Every other
4xx (a ``From`` that cannot send, a trial account, a 404 from a wrong ``base_url``, a
code not listed) is the deployment's mistake, :class:`Misconfigured`: one mistake must
not mark every coordinator's number failing. 401/403 are the credentials, also
:class:`Misconfigured` (``doctor`` and the start-up probe name them).

Neither resource takes an idempotency key, so the SID is kept on the page's row when
Twilio answers, and a page whose earlier request may have reached Twilio is first looked
for with the resources' list form (:meth:`Twilio.made_since`), as documented for the
Calls and Messages list resources: ``GET …/Calls.json?To=…&From=…&StartTime>=YYYY-MM-DD``
(calls that started on or after midnight UTC of that date) and
``GET …/Messages.json?To=…&From=…&DateSent>=YYYY-MM-DD``, newest first, ``PageSize``
at most 1000, the records under ``calls`` or ``messages`` and the next page's path in
``next_page_uri`` (null on the last page). Dates are RFC 2822
(``Wed, 26 Nov 2026 02:00:00 +0000``). See :mod:`bot.paging.sender` for how the
sender matches them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from bot.paging.providers import Misconfigured, Refused, Unavailable

API = "/2010-04-01/Accounts/{sid}/{resource}.json"
# The list filters on or after a date (a query key "StartTime>" whose value is the date:
# "StartTime>=2026-11-26" on the wire), and the key of the records in the answer.
SINCE_FILTER = {"Calls": "StartTime>", "Messages": "DateSent>"}
RECORDS = {"Calls": "calls", "Messages": "messages"}
MAX_LIST_PAGES = 5  # a person is paged a few times a night, not hundreds


@dataclass(frozen=True)
class Made:
    """A call or message Twilio lists, as far as matching it to a page needs. ``body``:
    a message's text; None for a call (the Call resource does not return its TwiML)."""

    sid: str
    to: str
    from_: str
    created: datetime
    body: str | None


# Twilio's errors about the recipient, as its error dictionary describes them
# (https://www.twilio.com/docs/api/errors/<code>): an allowlist, since the same HTTP 400
# carries the account's own problems too. Not 21408 ("permission to send an SMS has not
# been enabled for the region"): that is the account's Geo Permissions, so one account
# not yet enabled for Hong Kong would mark every coordinator's number failing.
REFUSED_CODES: dict[int, str] = {
    21211: "invalid 'To' phone number",
    21214: "'To' phone number cannot be reached",
    21217: "phone number does not appear to be valid (calls)",
    21610: "the recipient replied STOP (unsubscribed)",
    21612: "the 'To' number is not reachable by SMS",
    21614: "the 'To' number is not a valid mobile number",
    13223: "invalid phone number format (calls)",
    13224: "Twilio does not support calling this number, or it is invalid",
    13225: "forbidden (high-risk) phone number (calls)",
}


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

    @property
    def from_number(self) -> str:
        """The number calls and messages come from (what a listed one must be from)."""
        return self._from

    async def call(self, to: str, twiml: str, *, status_callback: str | None = None) -> str:
        """Start a call to ``to`` speaking ``twiml``; returns the call's SID."""
        form = {"To": to, "From": self._from, "Twiml": twiml}
        if status_callback:
            form["StatusCallback"] = status_callback
        return await self._create("Calls", form)

    async def sms(self, to: str, body: str) -> str:
        """Send ``body`` to ``to``; returns the message's SID."""
        return await self._create("Messages", {"To": to, "From": self._from, "Body": body})

    async def made_since(self, resource: str, to: str, since: datetime) -> list[Made]:
        """The calls (``resource`` "Calls") or messages ("Messages") from our number to
        ``to`` that Twilio lists as started or sent on or after ``since``'s date (UTC),
        newest first. Raises :class:`Unavailable` when Twilio cannot say."""
        url: str | None = self._base + API.format(sid=self._sid, resource=resource)
        params: dict[str, str] | None = {
            "To": to,
            "From": self._from,
            SINCE_FILTER[resource]: since.astimezone(UTC).date().isoformat(),
            "PageSize": "50",
        }
        found: list[Made] = []
        for _ in range(MAX_LIST_PAGES):
            if url is None:
                break
            data = await self._list_page(url, params)
            for record in data.get(RECORDS[resource]) or []:
                made = _made(record)
                if made is not None:
                    found.append(made)
            following = data.get("next_page_uri")
            url = self._base + following if isinstance(following, str) and following else None
            params = None  # the next page's path carries the filters
        return found

    async def _list_page(self, url: str, params: dict[str, str] | None) -> dict[str, Any]:
        try:
            answer = await self._http.get(
                url, params=params, auth=self._auth, timeout=self._timeout
            )
        except httpx.TimeoutException:
            raise Unavailable("twilio list timeout") from None
        except httpx.HTTPError as exc:
            raise Unavailable(f"twilio list {type(exc).__name__}") from None
        if answer.status_code != 200:
            # Never a refusal of the person's number: we only asked what was made.
            code = _error_code(answer)
            raise Unavailable(f"twilio list http {answer.status_code} {code or ''}".strip())
        try:
            data = answer.json()
        except ValueError:
            raise Unavailable("twilio list answer not JSON") from None
        if not isinstance(data, dict):
            raise Unavailable("twilio list answer not an object")
        return data

    async def _create(self, resource: str, form: dict[str, str]) -> str:
        url = self._base + API.format(sid=self._sid, resource=resource)
        try:
            answer = await self._http.post(url, data=form, auth=self._auth, timeout=self._timeout)
        except httpx.TimeoutException:
            raise Unavailable("twilio timeout") from None
        except httpx.HTTPError as exc:
            raise Unavailable(f"twilio {type(exc).__name__}") from None
        if answer.status_code >= 500 or answer.status_code == 429:
            raise Unavailable(f"twilio http {answer.status_code}", answered=True)
        if answer.status_code >= 400:
            code = _error_code(answer)
            if code in REFUSED_CODES:
                raise Refused(f"twilio {code}")
            # Our credentials, account, From number or URL: nobody's number is at fault,
            # and Twilio answered, so it made nothing (the next try need not ask).
            raise Misconfigured(
                f"twilio http {answer.status_code} {code or ''}".strip(), answered=True
            )
        try:
            sid = answer.json()["sid"]
        except (ValueError, KeyError, TypeError):
            raise Unavailable("twilio answer without a sid") from None
        return str(sid)


def _made(record: Any) -> Made | None:
    """One listed record, or None if it lacks what matching needs."""
    if not isinstance(record, dict):
        return None
    try:
        created = parsedate_to_datetime(str(record["date_created"]))
    except (KeyError, TypeError, ValueError):
        return None
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    sid, to, sender = record.get("sid"), record.get("to"), record.get("from")
    if not (isinstance(sid, str) and isinstance(to, str) and isinstance(sender, str)):
        return None
    body = record.get("body")
    return Made(sid, to, sender, created, body if isinstance(body, str) else None)


def _error_code(answer: httpx.Response) -> int | None:
    """Twilio's error code (e.g. 21211), never its message (it can quote the number)."""
    try:
        code = answer.json().get("code")
    except (ValueError, AttributeError):
        return None
    return code if isinstance(code, int) and not isinstance(code, bool) else None


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
