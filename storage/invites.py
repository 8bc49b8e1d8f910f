"""Invite codes, stored as hashes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.people import Role
from storage.db import Conn, fetch_one
from storage.timefmt import from_db, to_db


@dataclass(frozen=True)
class StoredInvite:
    id: int
    role: Role
    station_id: str | None
    team_id: str | None
    display_name: str | None
    expires_at: datetime
    used_at: datetime | None


async def insert(
    conn: Conn,
    *,
    code_hash: str,
    role: Role,
    station_id: str | None,
    team_id: str | None,
    display_name: str | None,
    created_by: int | None,
    now: datetime,
    expires_at: datetime,
) -> int:
    cursor = await conn.execute(
        "INSERT INTO invites (code_hash, role, station_id, team_id, display_name, created_by,"
        " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            code_hash,
            role.value,
            station_id,
            team_id,
            display_name,
            created_by,
            to_db(now),
            to_db(expires_at),
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def by_hash(conn: Conn, code_hash: str) -> StoredInvite | None:
    row = await fetch_one(conn, "SELECT * FROM invites WHERE code_hash = ?", (code_hash,))
    if row is None:
        return None
    return StoredInvite(
        id=row["id"],
        role=Role(row["role"]),
        station_id=row["station_id"],
        team_id=row["team_id"],
        display_name=row["display_name"],
        expires_at=from_db(row["expires_at"]),
        used_at=from_db(row["used_at"]) if row["used_at"] else None,
    )


async def mark_used(conn: Conn, invite_id: int, person_id: int, now: datetime) -> bool:
    """Claim the invite; False if somebody else used it first (single use, atomically)."""
    cursor = await conn.execute(
        "UPDATE invites SET used_by = ?, used_at = ? WHERE id = ? AND used_at IS NULL",
        (person_id, to_db(now), invite_id),
    )
    return cursor.rowcount == 1
