"""Crisis follow-up prompts (see bot/services/follow_ups.py): one row per prompt sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import Conn, fetch_all
from storage.timefmt import from_db, to_db

STEPS = frozenset({"reminded_at", "escalated_at"})


@dataclass(frozen=True)
class FollowUp:
    referral_id: int
    hours: int
    prompted_at: datetime
    reminded_at: datetime | None
    escalated_at: datetime | None
    done_at: datetime | None
    done_by: int | None = None  # None with done_at: superseded, never sent


def _when(text: str | None) -> datetime | None:
    return from_db(text) if text is not None else None


async def of(conn: Conn, referral_id: int) -> dict[int, FollowUp]:
    """The referral's prompts so far, by their hours."""
    rows = await fetch_all(
        conn, "SELECT * FROM follow_ups WHERE referral_id = ? ORDER BY hours", (referral_id,)
    )
    return {
        r["hours"]: FollowUp(
            r["referral_id"],
            r["hours"],
            from_db(r["prompted_at"]),
            _when(r["reminded_at"]),
            _when(r["escalated_at"]),
            _when(r["done_at"]),
            r["done_by"],
        )
        for r in rows
    }


async def prompt(conn: Conn, referral_id: int, hours: int, now: datetime) -> bool:
    """Record the prompt as sent; False if it already was."""
    cursor = await conn.execute(
        "INSERT OR IGNORE INTO follow_ups (referral_id, hours, prompted_at) VALUES (?, ?, ?)",
        (referral_id, hours, to_db(now)),
    )
    return cursor.rowcount == 1


async def stamp(conn: Conn, referral_id: int, hours: int, column: str, now: datetime) -> bool:
    """Stamp a reminder step once; False if already stamped or already followed up."""
    if column not in STEPS:
        raise ValueError(column)
    cursor = await conn.execute(
        f"UPDATE follow_ups SET {column} = ? WHERE referral_id = ? AND hours = ?"  # noqa: S608
        f" AND {column} IS NULL AND done_at IS NULL",
        (to_db(now), referral_id, hours),
    )
    return cursor.rowcount == 1


async def done(conn: Conn, referral_id: int, hours: int, by: int, now: datetime) -> bool:
    """The holder followed up; False if it was already recorded (or never prompted)."""
    cursor = await conn.execute(
        "UPDATE follow_ups SET done_at = ?, done_by = ?"
        " WHERE referral_id = ? AND hours = ? AND done_at IS NULL",
        (to_db(now), by, referral_id, hours),
    )
    return cursor.rowcount == 1


async def superseded(conn: Conn, referral_id: int, hours: int, now: datetime) -> None:
    """A prompt never sent because a later one fell due too, or because its time passed
    longer ago than the grace: recorded as settled, with no one as having followed up,
    so it is never sent (nor reminded, nor told to the coordinators)."""
    await conn.execute(
        "INSERT OR IGNORE INTO follow_ups (referral_id, hours, prompted_at, done_at)"
        " VALUES (?, ?, ?, ?)",
        (referral_id, hours, to_db(now), to_db(now)),
    )
