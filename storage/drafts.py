"""Officers' unfinished referrals: one row per officer, the draft itself as JSON.

The draft is stored in two parts (migration 0019): the officer's choices in clear, and
the personal fields (``PERSONAL_FIELDS``: a name, a phone, a place and its coordinates,
what happened, the police incident number) sealed in ``data``, so
that a tap on a choice does not encrypt anything again. They are read and written
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
    # The row's write count as read: :func:`put_if_unchanged` saves only over that
    # version. None for a draft not read back.
    version: int | None = field(default=None, repr=False, compare=False)
    # The personal fields as stored (sealed) and the JSON they seal: a change that left
    # them as they were stores the same sealed text again instead of sealing anew.
    sealed: str | None = field(default=None, repr=False, compare=False)
    personal: str | None = field(default=None, repr=False, compare=False)


async def get(conn: Conn, person_id: int) -> StoredDraft | None:
    row = await fetch_one(
        conn,
        "SELECT person_id, data, choices, version, card_message_id, updated_at FROM drafts"
        " WHERE person_id = ?",
        (person_id,),
    )
    if row is None:
        return None
    personal = unseal(conn, "drafts", "data", row["data"]) or "{}"
    whole = row["choices"] == "{}"  # written before the split: everything in data
    return StoredDraft(
        person_id=row["person_id"],
        draft=Draft.from_parts(row["choices"], personal),
        card_message_id=row["card_message_id"],
        updated_at=from_db(row["updated_at"]),
        version=row["version"],
        sealed=None if whole else row["data"],
        personal=None if whole else personal,
    )


def _sealed(conn: Conn, before: StoredDraft | None, personal: str) -> str:
    """The personal fields to store: the text already stored when they are unchanged."""
    if before is not None and before.sealed is not None and before.personal == personal:
        return before.sealed
    sealed = seal(conn, "drafts", "data", personal)
    assert sealed is not None
    return sealed


async def put(
    conn: Conn,
    person_id: int,
    draft: Draft,
    card_message_id: int | None,
    now: datetime,
    *,
    before: StoredDraft | None = None,
) -> StoredDraft:
    """Insert or replace the officer's draft (an officer has at most one); the draft as
    stored (once the caller's transaction commits). ``before``: the row as the caller's
    transaction read it, whose sealed personal fields are reused if unchanged."""
    choices, personal = draft.split_json()
    sealed = _sealed(conn, before, personal)
    row = await fetch_one(
        conn,
        "INSERT INTO drafts (person_id, token, data, choices, version, card_message_id,"
        " updated_at) VALUES (?, ?, ?, ?, 0, ?, ?)"
        " ON CONFLICT (person_id) DO UPDATE SET token = excluded.token, data = excluded.data,"
        " choices = excluded.choices, version = drafts.version + 1,"
        " card_message_id = excluded.card_message_id, updated_at = excluded.updated_at"
        " RETURNING version",
        (person_id, draft.token, sealed, choices, card_message_id, to_db(now)),
    )
    assert row is not None
    return StoredDraft(person_id, draft, card_message_id, now, row["version"], sealed, personal)


async def put_if_unchanged(
    conn: Conn, before: StoredDraft, draft: Draft, now: datetime
) -> StoredDraft | None:
    """Save ``draft`` over ``before`` in one statement if the row is still exactly as
    ``before`` was read (the same version, token, card and time); None if it changed (or
    went) meanwhile. Every write of the row counts its version up, so a stale ``before``
    never matches (a draft begun again has a new token, and its version starts again)."""
    if before.version is None:
        return None
    choices, personal = draft.split_json()
    sealed = _sealed(conn, before, personal)
    cursor = await conn.execute(
        "UPDATE drafts SET token = ?, data = ?, choices = ?, version = version + 1,"
        " updated_at = ? WHERE person_id = ? AND version = ? AND token = ?"
        " AND card_message_id IS ? AND updated_at = ?",
        (
            draft.token,
            sealed,
            choices,
            to_db(now),
            before.person_id,
            before.version,
            before.draft.token,
            before.card_message_id,
            to_db(before.updated_at),
        ),
    )
    if cursor.rowcount != 1:
        return None
    return StoredDraft(
        before.person_id, draft, before.card_message_id, now, before.version + 1, sealed, personal
    )


async def set_card(
    conn: Conn, person_id: int, token: str, card_message_id: int, now: datetime
) -> bool:
    """Point the draft at a newly sent card; False if the draft is gone or was replaced."""
    cursor = await conn.execute(
        "UPDATE drafts SET card_message_id = ?, updated_at = ?, version = version + 1"
        " WHERE person_id = ? AND token = ?",
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
