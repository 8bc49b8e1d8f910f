"""What paging did for a referral, and how paging stands overall, in the words people
read them: the morning handover's and the escalation card's "paged 03:12 (Chen: call,
SMS), acknowledged 03:14 by call (Chen)", and /status's counts.

Only coordinators' display names and times leave here: never an address (a phone
number stays sealed in ``contact_methods``), never a referral's details.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.paging import Channel
from bot.services import Services
from storage import contact_methods, pages, people

# The order channels are named in, whatever order the pages went in.
_ORDER = (Channel.VOICE, Channel.SMS, Channel.WEBHOOK)


@dataclass(frozen=True)
class Paged:
    """One person paged about the referral, and on which channels."""

    name: str
    channels: tuple[Channel, ...]


@dataclass(frozen=True)
class OnIt:
    """One person's "I'm on it": when, and how ("call" or "telegram")."""

    name: str
    at: datetime
    via: str


@dataclass(frozen=True)
class PageTrail:
    """A referral's paging in one line's worth. ``first_sent``: when the provider first
    took a page (None: none taken yet); ``waiting``: some page is still to be tried."""

    ref: str
    first_sent: datetime | None
    waiting: bool
    paged: tuple[Paged, ...]
    on_it: tuple[OnIt, ...]


async def of_referral(services: Services, referral_id: int, ref: str) -> PageTrail | None:
    """The referral's paging; None when it paged nobody (the usual case by day)."""
    reader = services.db.reader
    records = await pages.of_referral(reader, referral_id)
    if not records:
        return None
    names: dict[int, str] = {}

    async def name(person_id: int) -> str:
        if person_id not in names:
            found = await people.by_id(reader, person_id)
            names[person_id] = found.display_name if found else "?"
        return names[person_id]

    sent = [r for r in records if r.sent_at is not None]
    shown = sent or records  # who was paged; or, before any page went, who is to be
    channels: dict[int, set[Channel]] = {}
    for record in shown:
        channels.setdefault(record.person_id, set()).add(record.channel)
    paged = tuple(
        [
            Paged(await name(pid), tuple(c for c in _ORDER if c in kinds))
            for pid, kinds in channels.items()
        ]
    )
    on_it = tuple(
        [
            OnIt(await name(ack.person_id), ack.at, ack.via)
            for ack in await pages.acknowledgements(reader, referral_id)
        ]
    )
    first = min((r.sent_at for r in sent if r.sent_at is not None), default=None)
    waiting = any(r.sent_at is None and r.given_up_at is None for r in records)
    return PageTrail(ref, first, waiting, paged, on_it)


@dataclass(frozen=True)
class PagingHealth:
    """Paging for /status: the channels configured, the pages of the last day, and the
    contact methods a provider refused (by whose, for the administrators)."""

    channels: tuple[Channel, ...]  # live by configuration (the doctor tries them)
    waiting: int
    sent: int  # in the last day
    given_up: int  # in the last day
    failing: tuple[tuple[str, Channel], ...]  # (display name, channel), by name


async def health(services: Services) -> PagingHealth:
    settings, reader = services.config.paging, services.db.reader
    channels: list[Channel] = []
    if settings.twilio:
        channels += [Channel.VOICE, Channel.SMS]
    if settings.webhook:
        channels.append(Channel.WEBHOOK)
    now = services.clock.now()
    counts = await pages.counts(reader, now - timedelta(days=1))
    failing = []
    for person_id, kind in await contact_methods.failing(reader):
        found = await people.by_id(reader, person_id)
        failing.append((found.display_name if found else "?", Channel(kind.value)))
    return PagingHealth(
        channels=tuple(channels),
        waiting=counts.waiting,
        sent=counts.sent,
        given_up=counts.given_up,
        failing=tuple(sorted(failing)),
    )
