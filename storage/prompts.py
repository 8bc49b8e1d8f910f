"""Questions waiting for a typed answer, one per person, kept across restarts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from storage.db import Conn, fetch_one
from storage.sealing import seal, unseal
from storage.timefmt import from_db, to_db


@dataclass(frozen=True)
class Prompt:
    token: str
    purpose: str
    referral_id: int | None
    data: dict[str, str]
    card_message_id: int | None
    created_at: datetime


async def put(conn: Conn, person_id: int, prompt: Prompt) -> None:
    """Ask ``prompt``; it replaces any question still open for this person."""
    await conn.execute(
        "INSERT INTO prompts (person_id, token, purpose, referral_id, data, card_message_id,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (person_id) DO UPDATE SET"
        " token = excluded.token, purpose = excluded.purpose,"
        " referral_id = excluded.referral_id, data = excluded.data,"
        " card_message_id = excluded.card_message_id, created_at = excluded.created_at",
        (
            person_id,
            prompt.token,
            prompt.purpose,
            prompt.referral_id,
            seal(conn, "prompts", "data", json.dumps(prompt.data, ensure_ascii=False)),
            prompt.card_message_id,
            to_db(prompt.created_at),
        ),
    )


async def get(conn: Conn, person_id: int) -> Prompt | None:
    row = await fetch_one(conn, "SELECT * FROM prompts WHERE person_id = ?", (person_id,))
    if row is None:
        return None
    return Prompt(
        token=row["token"],
        purpose=row["purpose"],
        referral_id=row["referral_id"],
        data=json.loads(unseal(conn, "prompts", "data", row["data"]) or "{}"),
        card_message_id=row["card_message_id"],
        created_at=from_db(row["created_at"]),
    )


async def clear(conn: Conn, person_id: int, token: str | None = None) -> bool:
    """Remove the open question (only the one with ``token`` if given)."""
    if token is None:
        cursor = await conn.execute("DELETE FROM prompts WHERE person_id = ?", (person_id,))
    else:
        cursor = await conn.execute(
            "DELETE FROM prompts WHERE person_id = ? AND token = ?", (person_id, token)
        )
    return cursor.rowcount == 1


async def forget_older_than(conn: Conn, emptied: datetime, dropped: datetime) -> int:
    """Questions asked before ``emptied`` lose what they held (a typed name, a chosen
    outcome: personal data kept only while the question can be answered); those asked
    before ``dropped`` go altogether. Returns how many were emptied or dropped.

    The emptied row stays a while so that a late answer is told the question lapsed,
    rather than "I did not understand"."""
    emptied_rows = await conn.execute(
        "UPDATE prompts SET data = '{}' WHERE created_at < ? AND data != '{}'",
        (to_db(emptied),),
    )
    dropped_rows = await conn.execute("DELETE FROM prompts WHERE created_at < ?", (to_db(dropped),))
    return emptied_rows.rowcount + dropped_rows.rowcount
