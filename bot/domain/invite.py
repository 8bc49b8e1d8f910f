"""Invite codes: how a person is enrolled with a role and a scope.

A code is 12 characters from an alphabet without look-alikes (no 0/O, 1/I), about 60
bits of randomness: read aloud over a phone at night and typed without mistakes, yet
not guessable within the 5 tries per hour a person gets. Only its hash is stored.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from bot.domain.people import Scope, ScopeError

__all__ = ["Scope", "ScopeError"]

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
MAX_FAILED_TRIES_PER_HOUR = 5
DEFAULT_LIFETIME = timedelta(hours=72)
MAX_LIFETIME = timedelta(days=30)
_DURATION = re.compile(r"^\s*(\d{1,4})\s*([mhdw])\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise(code: str) -> str:
    """What a person typed, as stored: upper case, without spaces or dashes."""
    return re.sub(r"[\s-]", "", code).upper()


def code_hash(code: str) -> str:
    return hashlib.sha256(normalise(code).encode("ascii", "replace")).hexdigest()


def parse_lifetime(text: str) -> timedelta:
    """``72h``, ``3d``, ``90m``, ``1w``; between one minute and 30 days."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration like 72h, 3d, 90m or 1w")
    lifetime = timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})
    if not timedelta(minutes=1) <= lifetime <= MAX_LIFETIME:
        raise ValueError("an invite must last between 1 minute and 30 days")
    return lifetime


def looks_like_code(text: str) -> bool:
    """A message that is probably an invite code typed by hand rather than via the link."""
    candidate = normalise(text)
    return len(candidate) == CODE_LENGTH and all(ch in ALPHABET for ch in candidate)


def invite_link(bot_username: str, code: str) -> str:
    """The deep link Telegram turns into ``/start <code>`` for the person who opens it."""
    return f"https://t.me/{bot_username}?start={code}"
