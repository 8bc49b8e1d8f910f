"""The outbox: notices waiting to be sent, written with the change that caused them.

Telegram notices are rows of channel ``telegram``; pages (voice, SMS, webhook) share the
table and its claim/backoff columns but are read by :mod:`storage.pages`: every query
here names the channel, so the Telegram sender never takes a page."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from storage.db import Conn, Row, fetch_all
from storage.sealing import seal, unseal
from storage.timefmt import from_db, to_db

# People read their chat top to bottom: "accepted" must not arrive before "filed". So a
# notice waits while an earlier one to the same person is being sent, or will be tried
# again soon (before the caller's horizon). An earlier one that failed and waits longer
# for its retry (backoff grows to an hour) does not hold back what came after it: a new
# escalation must not wait an hour behind an old "first contact" notice.


@dataclass(frozen=True)
class Pending:
    id: int
    kind: str
    recipient_id: int
    referral_id: int | None
    offer_id: int | None
    message_id: int | None
    values: dict[str, str]
    attempts: int
    created_at: datetime


async def insert(
    conn: Conn,
    *,
    kind: str,
    recipient_id: int,
    referral_id: int | None,
    offer_id: int | None,
    message_id: int | None,
    values: dict[str, str],
    now: datetime,
    first_attempt: datetime,
) -> int:
    cursor = await conn.execute(
        "INSERT INTO outbox (kind, recipient_id, referral_id, offer_id, message_id, vals,"
        " created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            kind,
            recipient_id,
            referral_id,
            offer_id,
            message_id,
            # Most notices carry no values: "{}" says nothing about anyone, and sealing
            # it cost an encryption per message. (Still asked with None, so that a
            # connection without its sealer fails here too.)
            seal(conn, "outbox", "vals", json.dumps(values, ensure_ascii=False) if values else None)
            or "{}",
            to_db(now),
            to_db(first_attempt),
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def due(
    conn: Conn, now: datetime, lease_expired: datetime, horizon: datetime, limit: int = 200
) -> list[Pending]:
    """Notices not yet sent whose (next) attempt time has come and that no sender holds,
    in the order written; a notice waits while an earlier one to the same person is held
    by a sender or due again before ``horizon`` (see the note above Pending)."""
    rows = await fetch_all(
        conn,
        "SELECT * FROM outbox o WHERE sent_at IS NULL AND dead_at IS NULL"
        " AND next_attempt_at <= :now AND (claimed_at IS NULL OR claimed_at < :lease)"
        " AND channel = 'telegram'"
        " AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.recipient_id = o.recipient_id"
        " AND e.id < o.id AND e.sent_at IS NULL AND e.dead_at IS NULL"
        " AND e.channel = 'telegram'"
        " AND ((e.next_attempt_at > :now AND e.next_attempt_at <= :horizon)"
        " OR e.claimed_at >= :lease))"
        " ORDER BY id LIMIT :limit",
        {
            "now": to_db(now),
            "lease": to_db(lease_expired),
            "horizon": to_db(horizon),
            "limit": limit,
        },
    )
    return [_pending(conn, r) for r in rows]


async def behind(
    conn: Conn, recipient_id: int, after_id: int, lease_expired: datetime, limit: int = 1
) -> list[Pending]:
    """Notices to the same person written after ``after_id`` and still unsent (they were
    waiting for it), in order."""
    rows = await fetch_all(
        conn,
        "SELECT * FROM outbox WHERE recipient_id = ? AND id > ? AND sent_at IS NULL"
        " AND dead_at IS NULL AND (claimed_at IS NULL OR claimed_at < ?)"
        " AND channel = 'telegram' ORDER BY id LIMIT ?",
        (recipient_id, after_id, to_db(lease_expired), limit),
    )
    return [_pending(conn, r) for r in rows]


async def waiting_about(conn: Conn, recipient_id: int, kind: str) -> set[int]:
    """The referrals that unsent notices of ``kind`` to the person are about."""
    rows = await fetch_all(
        conn,
        "SELECT referral_id FROM outbox WHERE recipient_id = ? AND kind = ?"
        " AND sent_at IS NULL AND dead_at IS NULL AND referral_id IS NOT NULL"
        " AND channel = 'telegram'",
        (recipient_id, kind),
    )
    return {r["referral_id"] for r in rows}


async def values_about_offer(conn: Conn, referral_id: int, offer_id: int) -> dict[str, str]:
    """The values of the latest notice written about ``offer_id`` (the notice that drew
    its card), {} if none. Found through the referral's index: sent rows are kept."""
    rows = await fetch_all(
        conn,
        "SELECT vals FROM outbox WHERE referral_id = ? AND offer_id = ? ORDER BY id DESC LIMIT 1",
        (referral_id, offer_id),
    )
    if not rows:
        return {}
    values: dict[str, str] = json.loads(unseal(conn, "outbox", "vals", rows[0]["vals"]) or "{}")
    return values


def _pending(conn: Conn, r: Row) -> Pending:
    return Pending(
        id=r["id"],
        kind=r["kind"],
        recipient_id=r["recipient_id"],
        referral_id=r["referral_id"],
        offer_id=r["offer_id"],
        message_id=r["message_id"],
        values=json.loads(unseal(conn, "outbox", "vals", r["vals"]) or "{}"),
        attempts=r["attempts"],
        created_at=from_db(r["created_at"]),
    )


async def claim(
    conn: Conn,
    outbox_id: int,
    now: datetime,
    lease_expired: datetime,
    horizon: datetime,
    *,
    in_order: bool = True,
) -> bool:
    """Take the row for sending; False if it was sent, given up, another sender holds it,
    or (``in_order``) an earlier notice to the same person goes first (see the note
    above Pending). Telegram rows only: pages are the page sender's
    (:mod:`storage.pages`)."""
    cursor = await conn.execute(
        "UPDATE outbox AS o SET claimed_at = :now WHERE id = :id AND sent_at IS NULL"
        " AND dead_at IS NULL AND (claimed_at IS NULL OR claimed_at < :lease)"
        " AND channel = 'telegram'"
        " AND (NOT :in_order OR NOT EXISTS (SELECT 1 FROM outbox e"
        " WHERE e.recipient_id = o.recipient_id AND e.channel = 'telegram'"
        " AND e.id < o.id AND e.sent_at IS NULL AND e.dead_at IS NULL"
        " AND (e.next_attempt_at <= :horizon OR e.claimed_at >= :lease)))",
        {
            "now": to_db(now),
            "id": outbox_id,
            "lease": to_db(lease_expired),
            "horizon": to_db(horizon),
            "in_order": in_order,
        },
    )
    return cursor.rowcount == 1


async def release(conn: Conn, now: datetime) -> int:
    """Make due at ``now`` every unsent row no sender has finished with: those never
    attempted and those a sender had claimed (its lease). Only for the start of a run
    (the process those belonged to is gone) and the end of a graceful one (its last
    send has finished).
    Rows waiting for a retry after a failure keep their backoff, and a page (another
    channel) written for later keeps its time (a rate limit's wait, a planned minute).
    Returns how many rows were released."""
    cursor = await conn.execute(
        "UPDATE outbox SET next_attempt_at = MIN(next_attempt_at, :now), claimed_at = NULL"
        " WHERE sent_at IS NULL AND dead_at IS NULL"
        " AND ((attempts = 0 AND next_attempt_at > :now AND channel = 'telegram')"
        " OR claimed_at IS NOT NULL)",
        {"now": to_db(now)},
    )
    return cursor.rowcount


async def postpone(conn: Conn, outbox_id: int, at: datetime, lease_expired: datetime) -> None:
    """Due again at ``at``; not an attempt (nothing was tried). Left alone while someone
    holds it (a handler sending it to the person in front)."""
    await conn.execute(
        "UPDATE outbox SET next_attempt_at = MAX(next_attempt_at, ?)"
        " WHERE id = ? AND sent_at IS NULL AND (claimed_at IS NULL OR claimed_at < ?)",
        (to_db(at), outbox_id, to_db(lease_expired)),
    )


async def next_attempt(conn: Conn) -> datetime | None:
    """The earliest next attempt of an unsent row."""
    rows = await fetch_all(
        conn,
        "SELECT MIN(next_attempt_at) AS at FROM outbox WHERE sent_at IS NULL AND dead_at IS NULL"
        " AND channel = 'telegram'",
    )
    return from_db(rows[0]["at"]) if rows and rows[0]["at"] else None


async def mark_sent(conn: Conn, outbox_id: int, now: datetime) -> None:
    await conn.execute(
        "UPDATE outbox SET sent_at = ?, attempts = attempts + 1 WHERE id = ? AND sent_at IS NULL",
        (to_db(now), outbox_id),
    )


async def retry_at(conn: Conn, outbox_id: int, at: datetime, error: str) -> None:
    await conn.execute(
        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?,"
        " claimed_at = NULL WHERE id = ? AND sent_at IS NULL",
        (to_db(at), error[:200], outbox_id),
    )


async def mark_dead(conn: Conn, outbox_id: int, now: datetime, error: str) -> None:
    """Given up. A /phone verification code's row forgets its code: it will never be
    sent, and a code kept (sealed or not) is a code someone could read."""
    await conn.execute(
        "UPDATE outbox SET dead_at = ?, attempts = attempts + 1, last_error = ?,"
        " vals = CASE WHEN kind = 'phone_code' THEN '{}' ELSE vals END"
        " WHERE id = ? AND sent_at IS NULL",
        (to_db(now), error[:200], outbox_id),
    )


@dataclass(frozen=True)
class Depth:
    waiting: int
    oldest: datetime | None  # when the longest-waiting notice was written
    given_up: int  # since the time asked about


async def depth(conn: Conn, given_up_since: datetime) -> Depth:
    # Three small reads by index (the outbox keeps every notice it ever sent). Telegram
    # notices only: pages are counted apart (storage.pages.counts), and one dropped
    # because it was no longer needed is not a person the bot cannot reach.
    rows = await fetch_all(
        conn,
        "SELECT (SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND dead_at IS NULL"
        " AND channel = 'telegram') AS waiting, (SELECT MIN(created_at) FROM outbox"
        " WHERE sent_at IS NULL AND dead_at IS NULL AND channel = 'telegram') AS oldest,"
        " (SELECT COUNT(*) FROM outbox WHERE dead_at IS NOT NULL AND dead_at >= ?"
        " AND channel = 'telegram') AS given_up",
        (to_db(given_up_since),),
    )
    row = rows[0]
    oldest = from_db(row["oldest"]) if row["oldest"] else None
    return Depth(row["waiting"], oldest, row["given_up"])
