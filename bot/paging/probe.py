"""Is Twilio usable with these credentials? One read-only request, for ``doctor`` and
for start-up, so a wrong token is said once, plainly, before a night needs it.

The request is Twilio's documented Account resource: ``GET
/2010-04-01/Accounts/{AccountSid}.json`` with HTTP basic auth (the account SID and its
auth token). It changes nothing and costs nothing; Twilio answers 200 with the account
(its ``status``: ``active``, ``suspended`` or ``closed``) or 401 (error 20003) when the
SID and token do not belong together.

The webhook gateway has no such request: its protocol (:mod:`bot.paging.gateway`) is
one signed POST per page, and a gateway would take any signed POST as a page to send
(an SMS to someone), so nothing is sent to it before a real page.

What is said never holds the token, and of the URL only its scheme and host.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from bot.config import PagingSettings

ACCOUNT = "/2010-04-01/Accounts/{sid}.json"
TIMEOUT = 5.0  # seconds: start-up waits for this at most, then goes on without it
REFUSED = (
    "Twilio refused the credentials (401): check REFERRAL_BOT_PAGING__AUTH_TOKEN and account_sid"
)


@dataclass(frozen=True)
class Answer:
    """What Twilio said: ``live``, or why not (``problem``, one line, no secret)."""

    live: bool
    problem: str = ""
    refused: bool = False  # the credentials, not the network: nothing will be paged


def host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def missing(paging: PagingSettings) -> list[str]:
    """The Twilio settings absent, when some are given (empty: complete, or none)."""
    token = paging.auth_token.get_secret_value() if paging.auth_token else ""
    given = {
        "account_sid": bool(paging.account_sid),
        "REFERRAL_BOT_PAGING__AUTH_TOKEN": bool(token),
        "from_number": bool(paging.from_number),
    }
    if not any(given.values()):
        return []
    return [name for name, present in given.items() if not present]


async def twilio(paging: PagingSettings, *, wait: float = TIMEOUT) -> Answer:
    """Ask Twilio for the account (``paging.twilio`` must be true)."""
    assert paging.account_sid and paging.auth_token
    url = paging.base_url.rstrip("/") + ACCOUNT.format(sid=paging.account_sid)
    auth = httpx.BasicAuth(paging.account_sid, paging.auth_token.get_secret_value())
    where = host(paging.base_url)
    try:
        async with httpx.AsyncClient(timeout=wait) as client:
            answer = await client.get(url, auth=auth)
    except httpx.TimeoutException:
        return Answer(False, f"cannot reach Twilio at {where}: no answer in {wait:g} s")
    except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
        return Answer(False, f"cannot reach Twilio at {where}: {type(exc).__name__}")
    if answer.status_code in (401, 403):
        return Answer(False, REFUSED.replace("401", str(answer.status_code)), refused=True)
    if answer.status_code != 200:
        return Answer(False, f"Twilio at {where} answers HTTP {answer.status_code}")
    try:
        status = str(answer.json().get("status", "active"))
    except (ValueError, AttributeError):
        status = "active"
    if status != "active":
        return Answer(False, f"the Twilio account is {status}", refused=True)
    return Answer(True)
