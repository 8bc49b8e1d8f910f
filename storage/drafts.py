"""Officers' unfinished referrals: one row per officer, the draft itself as JSON.

The JSON holds personal data (a name, a phone, what happened); it is read and written
here and never logged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.draft import Draft
from storage.db import Conn, fetch_one
from storage.sealing import seal, unseal
from storage.timefmt import from_db, to_db


@dataclass(frozen=True)
class StoredDraft:
    """A draft with the message that currently shows it (its "card") and its last change."""

    person_id: int
    draft: Draft
    card_message_id: int | None
    updated_at: datetime
    # The data column exactly as read (sealed), with ``updated_at`` the version that
    # :func:`put_if_unchanged` checks is still there; None for a draft not read back.
    stored_data: str | None = field(default=None, repr=False, compare=False)


async def get(conn: Conn, person_id: int) -> StoredDraft | None:
    row = await fetch_one(
        conn,
        "SELECT person_id, data, card_message_id, updated_at FROM drafts WHERE person_id = ?",
        (person_id,),
    )
    if row is None:
        return None
    return StoredDraft(
        person_id=row["person_id"],
        draft=Draft.from_json(unseal(conn, "drafts", "data", row["data"]) or "{}"),
        card_message_id=row["card_message_id"],
        updated_at=from_db(row["updated_at"]),
        stored_data=row["data"],
    )


async def put(
    conn: Conn, person_id: int, draft: Draft, card_message_id: int | None, now: datetime
) -> StoredDraft:
    """Insert or replace the officer's draft (an officer has at most one); the draft as
    stored (once the caller's transaction commits)."""
    sealed = seal(conn, "drafts", "data", draft.to_json())
    await conn.execute(
        "INSERT INTO drafts (person_id, token, data, card_message_id, updated_at)"
        " VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (person_id) DO UPDATE SET token = excluded.token, data = excluded.data,"
        " card_message_id = excluded.card_message_id, updated_at = excluded.updated_at",
        (person_id, draft.token, sealed, card_message_id, to_db(now)),
    )
    return StoredDraft(person_id, draft, card_message_id, now, sealed)


async def put_if_unchanged(
    conn: Conn, before: StoredDraft, draft: Draft, now: datetime
) -> StoredDraft | None:
    """Save ``draft`` over ``before`` in one statement if the row is still exactly as
    ``before`` was read; None if it changed (or went) meanwhile.

    The sealed data is the version: sealing draws a fresh random IV each time, so two
    saves never store the same text (without a key the JSON is compared: the same text
    is the same draft, and a change computed from it is the change to make)."""
    if before.stored_data is None:
        return None
    sealed = seal(conn, "drafts", "data", draft.to_json())
    cursor = await conn.execute(
        "UPDATE drafts SET token = ?, data = ?, updated_at = ?"
        " WHERE person_id = ? AND token = ? AND data = ? AND card_message_id IS ?"
        " AND updated_at = ?",
        (
            draft.token,
            sealed,
            to_db(now),
            before.person_id,
            before.draft.token,
            before.stored_data,
            before.card_message_id,
            to_db(before.updated_at),
        ),
    )
    if cursor.rowcount != 1:
        return None
    return StoredDraft(before.person_id, draft, before.card_message_id, now, sealed)


async def set_card(
    conn: Conn, person_id: int, token: str, card_message_id: int, now: datetime
) -> bool:
    """Point the draft at a newly sent card; False if the draft is gone or was replaced."""
    cursor = await conn.execute(
        "UPDATE drafts SET card_message_id = ?, updated_at = ? WHERE person_id = ? AND token = ?",
        (card_message_id, to_db(now), person_id, token),
    )
    return cursor.rowcount == 1


async def card_of(conn: Conn, person_id: int, token: str) -> int | None:
    """The message showing the draft ``token`` (None if none does, or no such draft)."""
    row = await fetch_one(
        conn,
        "SELECT card_message_id FROM drafts WHERE person_id = ? AND token = ?",
        (person_id, token),
    )
    return row["card_message_id"] if row else None


async def delete(conn: Conn, person_id: int, token: str | None = None) -> bool:
    """Remove the draft (only the one with ``token`` if given); True if one was removed."""
    if token is None:
        cursor = await conn.execute("DELETE FROM drafts WHERE person_id = ?", (person_id,))
    else:
        cursor = await conn.execute(
            "DELETE FROM drafts WHERE person_id = ? AND token = ?", (person_id, token)
        )
    return cursor.rowcount == 1


async def delete_untouched_since(conn: Conn, cutoff: datetime) -> int:
    """Remove every draft last changed before ``cutoff`` (retention of personal data)."""
    cursor = await conn.execute("DELETE FROM drafts WHERE updated_at < ?", (to_db(cutoff),))
    return cursor.rowcount
