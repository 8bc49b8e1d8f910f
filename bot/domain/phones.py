"""A person's own phone number for pages (``/phone``), in the domain's words.

On ``/phone`` a number is one thing, with the channels the person chose for it (a call,
an SMS, or both); underneath it is one contact method per channel, with the same
address (:class:`~bot.domain.paging.ContactMethod`). This module groups the methods
back into numbers, reads what a person typed into an E.164 number, masks a number for
showing it, and holds the rules of the verification codes. Nothing here knows
Telegram, SQL or a provider.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

import phonenumbers

from bot.domain.paging import ContactKind, ContactMethod

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=10)
CODE_TRIES = 5
# New codes for one person: at most one a minute, five an hour and ten a day (each is
# an SMS the agency pays for, and a way to bother whoever owns a number typed by
# mistake); and to one number, by everyone, at most five an hour. Counted across
# numbers removed and added again.
NEW_CODE_EVERY = timedelta(minutes=1)
CODES_PER_HOUR = 5
CODES_PER_DAY = 10
CODES_PER_NUMBER_HOUR = 5
# Wrong codes one person may type in an hour, across all their codes: a new code does
# not bring new guesses.
WRONG_PER_HOUR = 5
PHONE_KINDS = (ContactKind.VOICE, ContactKind.SMS)


class Channels(StrEnum):
    """How the person wants to be reached on a number."""

    CALL = "call"
    SMS = "sms"
    BOTH = "both"

    @property
    def kinds(self) -> tuple[ContactKind, ...]:
        if self is Channels.CALL:
            return (ContactKind.VOICE,)
        if self is Channels.SMS:
            return (ContactKind.SMS,)
        return PHONE_KINDS


class Status(StrEnum):
    VERIFIED = "verified"
    WAITING = "waiting"  # for the code sent to it
    FAILING = "failing"  # the provider refused it since it was verified


@dataclass(frozen=True)
class PhoneNumber:
    """One number of a person, as ``/phone`` shows it. ``id`` is its first method's id
    (what its buttons carry); ``address`` is personal data: shown to its owner only,
    masked, never logged."""

    id: int
    address: str
    methods: tuple[ContactMethod, ...]
    # Waiting for a code whose SMS could not be sent before the code expired.
    code_lost: bool = False

    @property
    def channels(self) -> Channels:
        kinds = {m.kind for m in self.methods}
        if kinds == {ContactKind.VOICE}:
            return Channels.CALL
        if kinds == {ContactKind.SMS}:
            return Channels.SMS
        return Channels.BOTH

    @property
    def failing_error(self) -> str | None:
        return next((m.failing_error or "" for m in self.methods if m.failing_since), None)

    @property
    def status(self) -> Status:
        if self.failing_error is not None:
            return Status.FAILING
        if all(m.verified_at is not None for m in self.methods):
            return Status.VERIFIED
        return Status.WAITING

    @property
    def masked(self) -> str:
        return masked(self.address)

    def __repr__(self) -> str:  # the address stays out of logs and tracebacks
        return f"PhoneNumber(id={self.id}, status={self.status.value})"


def numbers(methods: list[ContactMethod]) -> list[PhoneNumber]:
    """The person's call and SMS methods grouped by number, in the order first added."""
    grouped: dict[str, list[ContactMethod]] = {}
    for method in sorted(methods, key=lambda m: m.id):
        if method.kind in PHONE_KINDS:
            grouped.setdefault(method.address, []).append(method)
    return [PhoneNumber(ms[0].id, address, tuple(ms)) for address, ms in grouped.items()]


def parse_number(text: str, region: str) -> str | None:
    """The E.164 form of a typed number ("6123 4567" with region HK → "+85261234567"),
    or None if it is not a possible, valid number. ``phonenumbers`` is Google's
    libphonenumber: the standard reading of numbers as people write them."""
    if len(text) > 40:
        return None
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def example(region: str) -> tuple[str, str]:
    """A mobile number of ``region`` as people write it there, and with its country
    code: for the question's "for example"."""
    number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if number is None:
        return "+852 6123 4567", "+852 6123 4567"
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    world = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return national, world


def masked(address: str) -> str:
    """All but the last four digits hidden: "••••4567"."""
    return "••••" + address[-4:]


def new_code() -> str:
    """Six random digits, from the operating system's randomness."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(salt: str, code: str) -> str:
    """What is stored instead of the code: HMAC-SHA256 of it keyed with its own random
    salt. Six digits are few, so the hash alone would not hide a code for long; what
    protects it is that it lives ten minutes, allows five tries, and is never stored or
    logged in clear."""
    return hmac.new(bytes.fromhex(salt), code.encode(), hashlib.sha256).hexdigest()


def code_matches(salt: str, stored: str, typed: str) -> bool:
    return hmac.compare_digest(code_hash(salt, typed), stored)


def typed_code(text: str) -> str | None:
    """The six digits in what the person typed ("123 456" too), or None."""
    digits = "".join(text.split()).replace("-", "")
    if len(digits) == CODE_DIGITS and digits.isascii() and digits.isdigit():
        return digits
    return None
