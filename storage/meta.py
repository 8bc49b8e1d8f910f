"""Small facts about the deployment itself, as key and value."""

from __future__ import annotations

from storage.db import Conn, fetch_one


async def get(conn: Conn, key: str) -> str | None:
    row = await fetch_one(conn, "SELECT value FROM meta WHERE key = ?", (key,))
    return str(row["value"]) if row else None


async def put(conn: Conn, key: str, value: str) -> None:
    await conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
