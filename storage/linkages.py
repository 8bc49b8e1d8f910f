"""Linkages to services (see bot/services/linkages.py): one row per service linked.

The service's ``name`` is sealed (see :mod:`storage.sealing`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import Conn, Row, fetch_all, fetch_one
from storage.sealing import seal, unseal
from storage.timefmt import from_db, to_db

STEPS = frozenset({"asked_at", "reminded_at", "escalated_at"})


@dataclass(frozen=True)
class Linkage:
    id: int
    referral_id: int
    kind: str
    name: str
    created_at: datetime
    follow_up_at: datetime
    asked_at: datetime | None
    reminded_at: datetime | None
    escalated_at: datetime | None
    answer: str | None
    resource_id: int | None = None  # the directory entry; None for a typed name


def _when(text: str | None) -> datetime | None:
    return from_db(text) if text is not None else None


def _linkage(conn: Conn, row: Row) -> Linkage:
    return Linkage(
        row["id"],
        row["referral_id"],
        row["kind"],
        unseal(conn, "linkages", "name", row["name"]) or "",
        from_db(row["created_at"]),
        from_db(row["follow_up_at"]),
        _when(row["asked_at"]),
        _when(row["reminded_at"]),
        _when(row["escalated_at"]),
        row["answer"],
        row["resource_id"],
    )


async def add(
    conn: Conn,
    referral_id: int,
    *,
    resource_id: int | None,
    kind: str,
    name: str,
    now: datetime,
    follow_up_at: datetime,
) -> int:
    cursor = await conn.execute(
        "INSERT INTO linkages (referral_id, resource_id, kind, name, created_at, follow_up_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            referral_id,
            resource_id,
            kind,
            seal(conn, "linkages", "name", name),
            to_db(now),
            to_db(follow_up_at),
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def of(conn: Conn, referral_id: int) -> list[Linkage]:
    """The referral's linkages, oldest first."""
    rows = await fetch_all(
        conn, "SELECT * FROM linkages WHERE referral_id = ? ORDER BY id", (referral_id,)
    )
    return [_linkage(conn, r) for r in rows]


async def waiting_same(
    conn: Conn, referral_id: int, *, resource_id: int | None, kind: str, name: str
) -> bool:
    """Whether the case already holds an unanswered linkage to the same service: the
    same directory entry, or the same kind and typed name (a double tap, a name sent
    twice). The name is sealed, so it is compared once read."""
    for link in await of(conn, referral_id):
        if link.answer is not None:
            continue
        if resource_id is not None and link.resource_id == resource_id:
            return True
        typed = resource_id is None and link.resource_id is None
        if typed and link.kind == kind and link.name.casefold() == name.casefold():
            return True
    return False


async def any_waiting(conn: Conn, referral_id: int) -> bool:
    """Whether a linkage of the case waits for its follow-up answer: the case is waiting
    on a service (and that follow-up asks, reminds and escalates), not forgotten."""
    row = await fetch_one(
        conn, "SELECT 1 FROM linkages WHERE referral_id = ? AND answer IS NULL", (referral_id,)
    )
    return row is not None


async def by_id(conn: Conn, linkage_id: int) -> Linkage | None:
    row = await fetch_one(conn, "SELECT * FROM linkages WHERE id = ?", (linkage_id,))
    return _linkage(conn, row) if row is not None else None


async def stamp(conn: Conn, linkage_id: int, column: str, now: datetime) -> bool:
    """Stamp a follow-up step once; False if already stamped or already answered."""
    if column not in STEPS:
        raise ValueError(column)
    cursor = await conn.execute(
        f"UPDATE linkages SET {column} = ? WHERE id = ?"  # noqa: S608 - a fixed name
        f" AND {column} IS NULL AND answer IS NULL",
        (to_db(now), linkage_id),
    )
    return cursor.rowcount == 1


async def answer(conn: Conn, linkage_id: int, answer: str, now: datetime) -> bool:
    """Record the follow-up's answer; False if it already has one."""
    cursor = await conn.execute(
        "UPDATE linkages SET answer = ?, answered_at = ? WHERE id = ? AND answer IS NULL",
        (answer, to_db(now), linkage_id),
    )
    return cursor.rowcount == 1


async def restart(conn: Conn, linkage_id: int) -> None:
    """Clear an unanswered follow-up's steps, so it is asked again (of a new holder)."""
    await conn.execute(
        "UPDATE linkages SET asked_at = NULL, reminded_at = NULL, escalated_at = NULL"
        " WHERE id = ? AND answer IS NULL",
        (linkage_id,),
    )


async def remove(conn: Conn, referral_id: int, linkage_id: int) -> bool:
    """Delete a linkage recorded by mistake; False if it is another case's, already
    answered or already gone (an answered follow-up is a record, not a mistake)."""
    cursor = await conn.execute(
        "DELETE FROM linkages WHERE id = ? AND referral_id = ? AND answer IS NULL",
        (linkage_id, referral_id),
    )
    return cursor.rowcount == 1
