"""Notices are written to the outbox in the transaction that decides them.

They are due at once. The commit rings the services' bell, and the one sender
(``handlers/sender.py``) sends them, each person's in the order written, with backoff
between failed attempts; a handler sends only what is addressed to the person in front
of it (:func:`claim` with ``in_front``). A sender's claim (its lease) belongs to the
running process: when the bot starts, what an earlier run claimed and never finished
is due at once (:func:`release`). A crash after a send but before it is marked can
repeat that one message: rare, bounded, and better than a lost escalation. A person
who blocked the bot is not retried.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from bot.domain.people import Person
from bot.services import Services
from bot.services.notices import Notice, NoticeKind
from storage import outbox, people
from storage.db import Conn, after_commit

_KINDS = frozenset(kind.value for kind in NoticeKind)
LEASE = timedelta(minutes=2)  # a claimed row is left alone this long (one sender at a time)
MAX_ATTEMPTS = 20
# An earlier notice to the same person holds later ones back while it is due within
# this long (a retry coming soon); a longer wait (backoff grows to an hour) does not.
HOLD = timedelta(seconds=30)


async def enqueue(tx: Conn, services: Services, notices: list[Notice]) -> list[Notice]:
    """Write ``notices`` in the caller's transaction; return them with their outbox ids.
    The sender hears of them once the transaction commits."""
    now = services.clock.now()
    if notices:
        after_commit(tx, services.bell.ring)
    written = []
    for notice in notices:
        outbox_id = await outbox.insert(
            tx,
            kind=notice.kind.value,
            recipient_id=notice.recipient.id,
            referral_id=notice.referral_id,
            offer_id=notice.offer_id,
            message_id=notice.message_id,
            values=notice.values,
            now=now,
            first_attempt=now,
        )
        written.append(replace(notice, outbox_id=outbox_id, written_at=now))
    return written


async def release(services: Services) -> int:
    """Every notice no sender is still working on is due now, for whoever sends next.

    Called when a run starts, before anything is handled (an earlier run's claims
    belonged to a process that is gone; one bot runs on a database, it holds a
    lock), and when a run stops gracefully, after its last send (so what a planned stop
    left behind does not depend on which program, or which version, starts next).
    Returns how many were released."""
    async with services.db.write() as tx:
        return await outbox.release(tx, services.clock.now())


async def due(services: Services) -> list[Notice]:
    """What is still waiting to be sent and may be tried now."""
    now = services.clock.now()
    rows = await outbox.due(services.db.reader, now, now - LEASE, now + HOLD)
    return await _notices(services, rows)


async def next_attempt(services: Services) -> datetime | None:
    """When the earliest notice waiting for a retry falls due (None: none waits)."""
    return await outbox.next_attempt(services.db.reader)


async def behind(services: Services, notice: Notice) -> list[Notice]:
    """The next notice to the same person that was waiting for ``notice`` (just sent):
    sent next by the same sender rather than left for the engine's next round.

    One at a time: the sender asks again after each, so a queue of n notices costs n
    small reads, not n reads of everything still queued (that was quadratic when fifty
    referrals were offered to the same worker at once)."""
    if notice.outbox_id is None:
        return []
    now = services.clock.now()
    rows = await outbox.behind(
        services.db.reader, notice.recipient.id, notice.outbox_id, now - LEASE, limit=1
    )
    return await _notices(services, rows, notice.recipient)


async def _notices(
    services: Services, rows: list[outbox.Pending], recipient: Person | None = None
) -> list[Notice]:
    """Notices for outbox ``rows``; ``recipient`` when they are all to that person.
    The recipients are read in one go: the sender reads everything due each time a
    commit rings, a burst of filings at once is many rows to few people."""
    recipients: dict[int, Person] = {}
    if recipient is None:
        recipients = await people.by_ids(services.db.reader, {row.recipient_id for row in rows})
    found = []
    for row in rows:
        person = recipient or recipients.get(row.recipient_id)
        if person is None or row.kind not in _KINDS:
            # A kind this version does not know was written by a newer one (a rollback
            # after an upgrade): left for that version, not a reason to send nothing.
            continue
        found.append(
            Notice(
                NoticeKind(row.kind),
                person,
                row.referral_id,
                offer_id=row.offer_id,
                message_id=row.message_id,
                values=row.values,
                outbox_id=row.id,
                attempts=row.attempts,
                written_at=row.created_at,
            )
        )
    return found


async def claim(services: Services, notice: Notice, *, in_front: bool = False) -> bool:
    """Take the notice for sending now; False if someone else sends (or sent) it, or an
    earlier notice to the same person must go first. ``in_front``: the person is in
    front of the bot, waiting for this answer: it goes before what the sender still has
    queued for them (offers of other referrals, say)."""
    if notice.outbox_id is None:
        return True
    now = services.clock.now()
    async with services.db.statement() as conn:  # one UPDATE: atomic by itself
        return await outbox.claim(
            conn, notice.outbox_id, now, now - LEASE, now + HOLD, in_order=not in_front
        )


async def postpone(services: Services, notice: Notice, until: datetime) -> None:
    """Not tried now (Telegram asked for quiet in that chat): due again at ``until``."""
    if notice.outbox_id is None:
        return
    async with services.db.statement() as conn:
        await outbox.postpone(conn, notice.outbox_id, until, services.clock.now() - LEASE)


async def sent(services: Services, notice: Notice) -> None:
    if notice.outbox_id is None:
        return
    async with services.db.statement() as conn:
        await outbox.mark_sent(conn, notice.outbox_id, services.clock.now())


async def failed(
    services: Services,
    notice: Notice,
    error: str,
    *,
    permanent: bool,
    retry_after: timedelta | None = None,
) -> None:
    """Try again later (when Telegram said to, else 1, 2, 4 … minutes, at most an hour
    apart), or give up."""
    if notice.outbox_id is None:
        return
    now = services.clock.now()
    async with services.db.statement() as conn:
        if permanent or notice.attempts + 1 >= MAX_ATTEMPTS:
            await outbox.mark_dead(conn, notice.outbox_id, now, error)
        else:
            backoff = retry_after or timedelta(minutes=min(60, 2**notice.attempts))
            await outbox.retry_at(conn, notice.outbox_id, now + backoff, error)
