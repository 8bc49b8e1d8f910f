"""Verification codes of phone numbers (see migration 0032): stored as a salted HMAC,
never in clear. They go with their number; the limits of new codes and wrong codes
count :mod:`storage.code_events`, which stay."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import Conn, fetch_one
from storage.timefmt import from_db, to_db


@dataclass(frozen=True)
class PhoneCode:
    id: int
    method_id: int
    salt: str
    code_hash: str
    tries_left: int
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None

    def __repr__(self) -> str:  # neither the salt nor the hash in logs
        return f"PhoneCode(id={self.id}, method_id={self.method_id}, tries={self.tries_left})"


async def add(
    conn: Conn,
    *,
    person_id: int,
    method_id: int,
    salt: str,
    code_hash: str,
    tries: int,
    now: datetime,
    expires_at: datetime,
) -> int:
    """A new code for the number of ``method_id``; the earlier ones of it stop working."""
    await conn.execute(
        "UPDATE phone_codes SET tries_left = 0 WHERE method_id = ? AND used_at IS NULL",
        (method_id,),
    )
    cursor = await conn.execute(
        "INSERT INTO phone_codes (person_id, method_id, salt, code_hash, tries_left,"
        " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (person_id, method_id, salt, code_hash, tries, to_db(now), to_db(expires_at)),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def latest(conn: Conn, method_id: int) -> PhoneCode | None:
    """The newest code of the number of ``method_id``."""
    row = await fetch_one(
        conn, "SELECT * FROM phone_codes WHERE method_id = ? ORDER BY id DESC LIMIT 1", (method_id,)
    )
    if row is None:
        return None
    return PhoneCode(
        id=row["id"],
        method_id=row["method_id"],
        salt=row["salt"],
        code_hash=row["code_hash"],
        tries_left=row["tries_left"],
        created_at=from_db(row["created_at"]),
        expires_at=from_db(row["expires_at"]),
        used_at=from_db(row["used_at"]) if row["used_at"] else None,
    )


async def wrong(conn: Conn, code_id: int) -> int:
    """One try used; the tries left."""
    await conn.execute(
        "UPDATE phone_codes SET tries_left = max(tries_left - 1, 0) WHERE id = ?", (code_id,)
    )
    row = await fetch_one(conn, "SELECT tries_left FROM phone_codes WHERE id = ?", (code_id,))
    return int(row[0]) if row else 0


async def used(conn: Conn, code_id: int, now: datetime) -> bool:
    """The code was right: used (once; False if it already was)."""
    cursor = await conn.execute(
        "UPDATE phone_codes SET used_at = ?, tries_left = 0 WHERE id = ? AND used_at IS NULL",
        (to_db(now), code_id),
    )
    return cursor.rowcount == 1


async def move(conn: Conn, from_method: int, to_method: int) -> None:
    """The number's codes follow it to another of its methods (a channel removed)."""
    await conn.execute(
        "UPDATE phone_codes SET method_id = ? WHERE method_id = ?", (to_method, from_method)
    )
