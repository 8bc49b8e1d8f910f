"""Invite codes, stored as hashes."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from bot.domain.people import Role, Scope
from storage.db import Conn, fetch_one
from storage.timefmt import from_db, to_db


@dataclass(frozen=True)
class StoredInvite:
    id: int
    scope: Scope
    display_name: str | None
    expires_at: datetime
    used_at: datetime | None


async def insert(
    conn: Conn,
    *,
    code_hash: str,
    scope: Scope,
    display_name: str | None,
    created_by: int | None,
    now: datetime,
    expires_at: datetime,
    request_key: str | None = None,
) -> int | None:
    """Store an invite; None if ``request_key`` already made one (a double tap)."""
    try:
        cursor = await conn.execute(
            "INSERT INTO invites (code_hash, role, station_id, team_id, display_name,"
            " created_by, created_at, expires_at, request_key)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                code_hash,
                scope.role.value,
                scope.station_id,
                scope.team_id,
                display_name,
                created_by,
                to_db(now),
                to_db(expires_at),
                request_key,
            ),
        )
    except sqlite3.IntegrityError:
        if request_key is not None and await _has_request_key(conn, request_key):
            return None
        raise
    return cursor.lastrowid


async def _has_request_key(conn: Conn, request_key: str) -> bool:
    row = await fetch_one(conn, "SELECT 1 FROM invites WHERE request_key = ?", (request_key,))
    return row is not None


async def by_hash(conn: Conn, code_hash: str) -> StoredInvite | None:
    row = await fetch_one(conn, "SELECT * FROM invites WHERE code_hash = ?", (code_hash,))
    if row is None:
        return None
    return StoredInvite(
        id=row["id"],
        scope=Scope(Role(row["role"]), row["station_id"], row["team_id"]),
        display_name=row["display_name"],
        expires_at=from_db(row["expires_at"]),
        used_at=from_db(row["used_at"]) if row["used_at"] else None,
    )


async def mark_used(conn: Conn, invite_id: int, person_id: int, now: datetime) -> None:
    await conn.execute(
        "UPDATE invites SET used_by = ?, used_at = ? WHERE id = ?",
        (person_id, to_db(now), invite_id),
    )
