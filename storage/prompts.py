"""Questions waiting for a typed answer, one per person, kept across restarts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from storage.db import Conn, fetch_one
from storage.timefmt import from_db, to_db


@dataclass(frozen=True)
class Prompt:
    purpose: str
    referral_id: int | None
    data: dict[str, str]
    created_at: datetime


async def put(
    conn: Conn,
    person_id: int,
    purpose: str,
    *,
    referral_id: int | None,
    data: dict[str, str],
    now: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO prompts (person_id, purpose, referral_id, data, created_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (person_id) DO UPDATE SET"
        " purpose = excluded.purpose, referral_id = excluded.referral_id,"
        " data = excluded.data, created_at = excluded.created_at",
        (person_id, purpose, referral_id, json.dumps(data, ensure_ascii=False), to_db(now)),
    )


async def get(conn: Conn, person_id: int) -> Prompt | None:
    row = await fetch_one(conn, "SELECT * FROM prompts WHERE person_id = ?", (person_id,))
    if row is None:
        return None
    return Prompt(
        row["purpose"], row["referral_id"], json.loads(row["data"]), from_db(row["created_at"])
    )


async def clear(conn: Conn, person_id: int) -> None:
    await conn.execute("DELETE FROM prompts WHERE person_id = ?", (person_id,))
