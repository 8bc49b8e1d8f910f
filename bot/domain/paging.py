"""Paging beyond Telegram, in the domain's words: contact methods and pages.

A Telegram message does not ring through a phone on Do Not Disturb at 03:00; a voice
call or an SMS does (issue 17). A person may have several contact methods; a page is
one attempt to reach them on one of those, carried by the outbox like every notice.
Nothing here knows Telegram, SQL or a provider.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class ContactKind(StrEnum):
    """How a contact method reaches the person."""

    VOICE = "voice"  # a phone call that speaks the page (Twilio)
    SMS = "sms"  # a text message (Twilio)
    WEBHOOK = "webhook"  # a signed post to the agency's own gateway or dispatch system


class GatewayState(StrEnum):
    """Whether the agency's gateway pages a person, as the person may be told it
    (``/phone``) without its address: none set, set and usable, or refused by it."""

    OFF = "off"
    ON = "on"
    FAILING = "failing"


class Channel(StrEnum):
    """The outbox row's channel: Telegram, or the contact method kind of a page."""

    TELEGRAM = "telegram"
    VOICE = "voice"
    SMS = "sms"
    WEBHOOK = "webhook"


# E.164: a plus, a country code not starting with 0, at most 15 digits in all.
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
# A person's id at the agency's gateway: short, printable, no spaces.
GATEWAY_ID = re.compile(r"^[A-Za-z0-9._:@+-]{1,64}$")


def valid_address(kind: ContactKind, address: str) -> bool:
    """Whether ``address`` can be one of ``kind``: an E.164 number for a call or SMS,
    a short id for the gateway."""
    pattern = GATEWAY_ID if kind is ContactKind.WEBHOOK else E164
    return bool(pattern.match(address))


@dataclass(frozen=True)
class ContactMethod:
    """One way to reach a person outside Telegram. ``address`` is personal data (a
    phone number): never logged, never shown to anyone but its owner."""

    id: int
    person_id: int
    kind: ContactKind
    address: str
    verified_at: datetime | None
    failing_since: datetime | None
    failing_error: str | None  # the provider's code ("twilio 21211"), no personal data
    created_at: datetime

    @property
    def usable(self) -> bool:
        """Verified and not refused by the provider since: worth paging."""
        return self.verified_at is not None and self.failing_since is None

    def __repr__(self) -> str:  # the address stays out of logs and tracebacks
        return (
            f"ContactMethod(id={self.id}, person_id={self.person_id}, kind={self.kind.value}, "
            f"verified={self.verified_at is not None}, failing={self.failing_since is not None})"
        )


@dataclass(frozen=True)
class PageContent:
    """All a page may say: the referral's reference, its category and urgency (ids,
    named in the reader's language at sending). No name, phone, place or summary: the
    type has no room for them."""

    ref: str
    category: str
    urgency: str


@dataclass(frozen=True)
class Page:
    """A page as the page sender takes it from the outbox."""

    id: int  # the outbox row
    person_id: int
    channel: Channel
    contact_method_id: int
    referral_id: int | None
    content: PageContent
    token: str  # unguessable, for the call's keypress URL
    attempts: int
    created_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_via: str | None = None
    # Set for a verification code's SMS (``/phone``) rather than a page: the code to
    # send (``content`` is then empty). Never in a repr, so never in a log line.
    code: str | None = field(default=None, repr=False)
    # When a sender first started a request to the provider for it without learning
    # that it was sent (a crash, a timeout): the provider may have made it.
    tried_at: datetime | None = None


@dataclass(frozen=True)
class Acknowledgement:
    """A person said "I'm on it" for a referral: no more pages for it go to them."""

    person_id: int
    at: datetime
    via: str  # "call" (pressed 1) or "telegram" (the button)


@dataclass(frozen=True)
class PageRecord:
    """One page of a referral as /status and the handover tell it."""

    page_id: int
    person_id: int
    channel: Channel
    written_at: datetime
    sent_at: datetime | None
    given_up_at: datetime | None  # dead: refused, or no longer needed, or retries spent
    acknowledged_at: datetime | None  # the person's acknowledgement of the referral
    acknowledged_via: str | None
