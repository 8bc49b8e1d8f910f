"""The messages that showed a case's details, so they can be hidden again later."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import Conn, Row, fetch_all, fetch_one
from storage.timefmt import to_db


@dataclass(frozen=True)
class ShownDetails:
    id: int
    referral_id: int
    ref: str
    language: str  # the worker's, for the words left in the message's place
    chat_id: int
    message_id: int
    location_message_id: int | None
    case_ended: bool  # closed or returned to police since it was shown, or handed on
    handed_on: bool = False  # the case is no longer this chat's person's (a handover)


async def insert(
    conn: Conn,
    *,
    referral_id: int,
    chat_id: int,
    message_id: int,
    location_message_id: int | None,
    now: datetime,
) -> int:
    cursor = await conn.execute(
        "INSERT INTO reveals (referral_id, chat_id, message_id, location_message_id, sent_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (referral_id, chat_id, message_id, location_message_id, to_db(now)),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def set_location(conn: Conn, reveal_id: int, message_id: int) -> None:
    await conn.execute(
        "UPDATE reveals SET location_message_id = ? WHERE id = ?", (message_id, reveal_id)
    )


async def shown_since(conn: Conn, referral_id: int, chat_id: int, since: datetime) -> bool:
    row = await fetch_one(
        conn,
        "SELECT 1 FROM reveals WHERE referral_id = ? AND chat_id = ? AND sent_at >= ?",
        (referral_id, chat_id, to_db(since)),
    )
    return row is not None


async def due(
    conn: Conn, *, shown_before: datetime | None, at_case_end: bool, limit: int = 100
) -> list[ShownDetails]:
    """Details still on show that were sent before ``shown_before`` (None: no time limit),
    or, with ``at_case_end``, whose case has ended for the chat's person: closed,
    returned, or handed over to someone else (the case is not theirs any more)."""
    cutoff = to_db(shown_before) if shown_before is not None else None
    rows = await fetch_all(
        conn,
        "SELECT v.id, v.referral_id, r.ref, p.language, v.chat_id, v.message_id,"
        " v.location_message_id, r.status IN ('closed', 'returned') AS closed,"
        " r.assignee_id IS NOT p.id AS handed_on"
        " FROM reveals v JOIN referrals r ON r.id = v.referral_id"
        " JOIN people p ON p.telegram_id = v.chat_id"
        " WHERE v.hidden_at IS NULL"
        " AND ((? IS NOT NULL AND v.sent_at <= ?)"
        " OR (? AND (r.status IN ('closed', 'returned') OR r.assignee_id IS NOT p.id)))"
        " ORDER BY v.id LIMIT ?",
        (cutoff, cutoff, at_case_end, limit),
    )
    return [_shown(row) for row in rows]


def _shown(row: Row) -> ShownDetails:
    return ShownDetails(
        id=row["id"],
        referral_id=row["referral_id"],
        ref=row["ref"],
        language=row["language"],
        chat_id=row["chat_id"],
        message_id=row["message_id"],
        location_message_id=row["location_message_id"],
        case_ended=bool(row["closed"]) or bool(row["handed_on"]),
        handed_on=bool(row["handed_on"]) and not bool(row["closed"]),
    )


async def mark_hidden(conn: Conn, reveal_id: int, now: datetime) -> None:
    await conn.execute(
        "UPDATE reveals SET hidden_at = ? WHERE id = ? AND hidden_at IS NULL",
        (to_db(now), reveal_id),
    )


async def pins_due(conn: Conn, *, shown_before: datetime, limit: int = 100) -> list[ShownDetails]:
    """Location pins still on show, sent before ``shown_before``, whose details are not
    hidden yet (their case has not ended)."""
    rows = await fetch_all(
        conn,
        "SELECT v.id, v.referral_id, r.ref, p.language, v.chat_id, v.message_id,"
        " v.location_message_id, 0 AS closed, 0 AS handed_on"
        " FROM reveals v JOIN referrals r ON r.id = v.referral_id"
        " JOIN people p ON p.telegram_id = v.chat_id"
        " WHERE v.hidden_at IS NULL AND v.location_message_id IS NOT NULL"
        " AND v.pin_hidden_at IS NULL AND v.sent_at <= ? ORDER BY v.id LIMIT ?",
        (to_db(shown_before), limit),
    )
    return [_shown(row) for row in rows]


async def mark_pin_hidden(conn: Conn, reveal_id: int, now: datetime) -> None:
    await conn.execute(
        "UPDATE reveals SET pin_hidden_at = ? WHERE id = ? AND pin_hidden_at IS NULL",
        (to_db(now), reveal_id),
    )
