"""The outbox: notices waiting to be sent, written with the change that caused them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from storage.db import Conn, fetch_all
from storage.sealing import seal, unseal
from storage.timefmt import from_db, to_db


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
            seal(conn, json.dumps(values, ensure_ascii=False)),
            to_db(now),
            to_db(first_attempt),
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def due(
    conn: Conn, now: datetime, lease_expired: datetime, limit: int = 200
) -> list[Pending]:
    """Notices not yet sent whose (next) attempt time has come and that no sender holds,
    in the order written."""
    rows = await fetch_all(
        conn,
        "SELECT * FROM outbox WHERE sent_at IS NULL AND dead_at IS NULL"
        " AND next_attempt_at <= ? AND (claimed_at IS NULL OR claimed_at < ?)"
        " ORDER BY id LIMIT ?",
        (to_db(now), to_db(lease_expired), limit),
    )
    return [
        Pending(
            id=r["id"],
            kind=r["kind"],
            recipient_id=r["recipient_id"],
            referral_id=r["referral_id"],
            offer_id=r["offer_id"],
            message_id=r["message_id"],
            values=json.loads(unseal(conn, r["vals"]) or "{}"),
            attempts=r["attempts"],
            created_at=from_db(r["created_at"]),
        )
        for r in rows
    ]


async def claim(conn: Conn, outbox_id: int, now: datetime, lease_expired: datetime) -> bool:
    """Take the row for sending; False if it was sent, given up, or another sender holds it."""
    cursor = await conn.execute(
        "UPDATE outbox SET claimed_at = ? WHERE id = ? AND sent_at IS NULL AND dead_at IS NULL"
        " AND (claimed_at IS NULL OR claimed_at < ?)",
        (to_db(now), outbox_id, to_db(lease_expired)),
    )
    return cursor.rowcount == 1


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
    await conn.execute(
        "UPDATE outbox SET dead_at = ?, attempts = attempts + 1, last_error = ?"
        " WHERE id = ? AND sent_at IS NULL",
        (to_db(now), error[:200], outbox_id),
    )
