"""Who was offered which referral, when, and what became of each offer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.domain.referral import Status
from storage.db import Conn, Row, fetch_all, fetch_one
from storage.sealing import seal, unseal
from storage.timefmt import from_db, to_db


class OfferState(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    TAKEN = "taken"  # somebody else accepted first
    WITHDRAWN = "withdrawn"  # the officer withdrew the referral
    EXPIRED = "expired"


@dataclass(frozen=True)
class Offer:
    id: int
    referral_id: int
    person_id: int
    offered_at: datetime
    state: OfferState
    reason: str | None
    chat_id: int | None
    message_id: int | None
    kind: str = "worker"  # or "coordinator": an escalation card
    note: str | None = None  # the decliner's own words, for "other reason" (sealed)
    # An assignment (a worker's offer a coordinator made): who made it. The assignee
    # answers "I take it" or "I can't" (their typed reason is the sealed ``note``).
    assigned_by: int | None = None

    @property
    def assigned(self) -> bool:
        return self.assigned_by is not None


def _offer(conn: Conn, row: Row) -> Offer:
    return Offer(
        id=row["id"],
        referral_id=row["referral_id"],
        person_id=row["person_id"],
        offered_at=from_db(row["offered_at"]),
        state=OfferState(row["state"]),
        reason=row["reason"],
        chat_id=row["chat_id"],
        message_id=row["message_id"],
        kind=row["kind"],
        note=unseal(conn, "offers", "note", row["note"]),
        assigned_by=row["assigned_by"],
    )


async def insert(
    conn: Conn,
    referral_id: int,
    person_id: int,
    now: datetime,
    *,
    kind: str = "worker",
    assigned_by: int | None = None,
) -> int:
    cursor = await conn.execute(
        "INSERT INTO offers (referral_id, person_id, offered_at, kind, assigned_by)"
        " VALUES (?, ?, ?, ?, ?)",
        (referral_id, person_id, to_db(now), kind, assigned_by),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def by_id(conn: Conn, offer_id: int) -> Offer | None:
    row = await fetch_one(conn, "SELECT * FROM offers WHERE id = ?", (offer_id,))
    return _offer(conn, row) if row else None


async def of_referral(conn: Conn, referral_id: int) -> list[Offer]:
    rows = await fetch_all(
        conn, "SELECT * FROM offers WHERE referral_id = ? ORDER BY id", (referral_id,)
    )
    return [_offer(conn, r) for r in rows]


async def settle(
    conn: Conn, offer_id: int, state: OfferState, now: datetime, reason: str | None = None
) -> bool:
    """Close one open offer; False if it was no longer open (a double tap)."""
    cursor = await conn.execute(
        "UPDATE offers SET state = ?, responded_at = ?, reason = ? WHERE id = ? AND state = 'open'",
        (state.value, to_db(now), reason, offer_id),
    )
    return cursor.rowcount == 1


async def add_note(conn: Conn, offer_id: int, person_id: int, reason: str, note: str) -> bool:
    """Keep the decliner's typed words on their declined offer (sealed); False unless
    the offer is ``person_id``'s and was declined for ``reason``."""
    cursor = await conn.execute(
        "UPDATE offers SET note = ? WHERE id = ? AND person_id = ? AND state = 'declined'"
        " AND reason = ?",
        (seal(conn, "offers", "note", note), offer_id, person_id, reason),
    )
    return cursor.rowcount == 1


async def refuse_assignment(
    conn: Conn,
    offer_id: int,
    person_id: int,
    reason: str | None,
    now: datetime,
    *,
    code: str = "cannot",
) -> bool:
    """The assignee's "I can't", with their typed reason (sealed); False unless the
    assignment is ``person_id``'s and still open (a double tap, or taken meanwhile).
    ``code`` "left" (no typed reason): the assignee was deactivated before answering."""
    cursor = await conn.execute(
        "UPDATE offers SET state = 'declined', responded_at = ?, reason = ?, note = ?"
        " WHERE id = ? AND person_id = ? AND assigned_by IS NOT NULL AND state = 'open'",
        (to_db(now), code, seal(conn, "offers", "note", reason), offer_id, person_id),
    )
    return cursor.rowcount == 1


async def open_assignments_to(conn: Conn, person_id: int) -> list[Offer]:
    """Assignments still waiting for ``person_id``'s "I take it" or "I can't"."""
    rows = await fetch_all(
        conn,
        "SELECT * FROM offers WHERE person_id = ? AND assigned_by IS NOT NULL"
        " AND state = 'open' ORDER BY id",
        (person_id,),
    )
    return [_offer(conn, r) for r in rows]


async def settle_all_open(
    conn: Conn, referral_id: int, state: OfferState, now: datetime
) -> list[Offer]:
    """Close every open offer of a referral; returns them so their cards can be edited."""
    still_open = [o for o in await of_referral(conn, referral_id) if o.state is OfferState.OPEN]
    await conn.execute(
        "UPDATE offers SET state = ?, responded_at = ? WHERE referral_id = ? AND state = 'open'",
        (state.value, to_db(now), referral_id),
    )
    return still_open


async def record_card(conn: Conn, offer_id: int, chat_id: int, message_id: int) -> bool:
    """Remember where the card is; True while its referral is still on offer (the status
    comes back with the update: one statement, and no reading of the whole referral)."""
    row = await fetch_one(
        conn,
        "UPDATE offers SET chat_id = ?, message_id = ? WHERE id = ? RETURNING"
        " (SELECT status FROM referrals r WHERE r.id = offers.referral_id) AS status",
        (chat_id, message_id, offer_id),
    )
    return row is not None and row["status"] == Status.OFFERED.value
