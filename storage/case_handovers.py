"""A worker's request that a colleague take over an open case, and its answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from storage.db import Conn, Row, fetch_all, fetch_one
from storage.referrals import WORKING_STATUSES
from storage.sealing import seal, unseal
from storage.timefmt import from_db, to_db


class HandoverState(StrEnum):
    OPEN = "open"  # asked; the holder keeps the case until the colleague answers
    TAKEN = "taken"
    REFUSED = "refused"
    CANCELLED = "cancelled"  # the case moved on otherwise (closed, returned, deactivated)


@dataclass(frozen=True)
class Handover:
    id: int
    referral_id: int
    from_id: int
    to_id: int
    reason: str
    state: HandoverState
    created_at: datetime
    card_message_id: int | None
    remind_at: datetime | None = None
    offer_chat_id: int | None = None  # the colleague's request card, once sent
    offer_message_id: int | None = None


def _handover(conn: Conn, row: Row) -> Handover:
    return Handover(
        id=row["id"],
        referral_id=row["referral_id"],
        from_id=row["from_id"],
        to_id=row["to_id"],
        reason=unseal(conn, "case_handovers", "reason", row["reason"]) or "",
        state=HandoverState(row["state"]),
        created_at=from_db(row["created_at"]),
        card_message_id=row["card_message_id"],
        remind_at=from_db(row["remind_at"]) if row["remind_at"] else None,
        offer_chat_id=row["offer_chat_id"],
        offer_message_id=row["offer_message_id"],
    )


async def insert(
    conn: Conn,
    *,
    referral_id: int,
    from_id: int,
    to_id: int,
    reason: str,
    now: datetime,
    remind_at: datetime,
    card_message_id: int | None,
) -> int:
    cursor = await conn.execute(
        "INSERT INTO case_handovers (referral_id, from_id, to_id, reason, created_at,"
        " remind_at, card_message_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            referral_id,
            from_id,
            to_id,
            seal(conn, "case_handovers", "reason", reason),
            to_db(now),
            to_db(remind_at),
            card_message_id,
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def by_id(conn: Conn, handover_id: int) -> Handover | None:
    row = await fetch_one(conn, "SELECT * FROM case_handovers WHERE id = ?", (handover_id,))
    return _handover(conn, row) if row else None


async def ids_of_referral(conn: Conn, referral_id: int) -> list[int]:
    """Every handover request ever made for the referral (the audit trail reads the
    refusals recorded under each)."""
    rows = await fetch_all(
        conn, "SELECT id FROM case_handovers WHERE referral_id = ? ORDER BY id", (referral_id,)
    )
    return [row["id"] for row in rows]


async def open_of_referral(conn: Conn, referral_id: int) -> Handover | None:
    row = await fetch_one(
        conn,
        "SELECT * FROM case_handovers WHERE referral_id = ? AND state = 'open'"
        " ORDER BY id DESC LIMIT 1",
        (referral_id,),
    )
    return _handover(conn, row) if row else None


async def settle(conn: Conn, handover_id: int, state: HandoverState, now: datetime) -> bool:
    """Answer an open request once; False if it was answered already (a double tap)."""
    cursor = await conn.execute(
        "UPDATE case_handovers SET state = ?, responded_at = ?, remind_at = NULL"
        " WHERE id = ? AND state = 'open'",
        (state.value, to_db(now), handover_id),
    )
    return cursor.rowcount == 1


async def cancel_open_of(conn: Conn, referral_id: int, now: datetime) -> list[Handover]:
    """Close the open request of a referral that moved on otherwise; returns it."""
    found = await open_of_referral(conn, referral_id)
    if found is not None:
        await settle(conn, found.id, HandoverState.CANCELLED, now)
    return [found] if found else []


async def record_offer_card(conn: Conn, handover_id: int, chat_id: int, message_id: int) -> None:
    """Remember where the colleague's request card is, so a withdrawal can edit it."""
    await conn.execute(
        "UPDATE case_handovers SET offer_chat_id = ?, offer_message_id = ? WHERE id = ?",
        (chat_id, message_id, handover_id),
    )


async def last_taken(conn: Conn, referral_id: int) -> Handover | None:
    """The newest request about a case that a colleague took (who had it before)."""
    row = await fetch_one(
        conn,
        "SELECT * FROM case_handovers WHERE referral_id = ? AND state = 'taken'"
        " ORDER BY id DESC LIMIT 1",
        (referral_id,),
    )
    return _handover(conn, row) if row else None


async def open_to(conn: Conn, person_id: int) -> list[Handover]:
    """Open requests waiting for ``person_id``'s answer."""
    rows = await fetch_all(
        conn,
        "SELECT * FROM case_handovers WHERE to_id = ? AND state = 'open' ORDER BY id",
        (person_id,),
    )
    return [_handover(conn, r) for r in rows]


async def due(conn: Conn, now: datetime, limit: int = 100) -> list[Handover]:
    """Open requests whose answer is overdue (their reminder falls due)."""
    rows = await fetch_all(
        conn,
        "SELECT * FROM case_handovers WHERE remind_at IS NOT NULL AND remind_at <= ?"
        " AND state = 'open' ORDER BY remind_at LIMIT ?",
        (to_db(now), limit),
    )
    return [_handover(conn, r) for r in rows]


async def reminded(conn: Conn, handover_id: int, seen_remind_at: datetime) -> bool:
    """Clear the reminder, only if nobody else did (a tick and a restart never both fire)."""
    cursor = await conn.execute(
        "UPDATE case_handovers SET remind_at = NULL WHERE id = ? AND remind_at = ?",
        (handover_id, to_db(seen_remind_at)),
    )
    return cursor.rowcount == 1


# The referral changes hands. Here rather than in storage/referrals.py: only a handover
# moves an open case between holders, and both are conditional on the holder the
# service saw, so a double tap or a race moves it once.


# What a change of holder starts again. The reminders of the old holder's clocks go
# (the new holder is reminded on their own clock); the attendance at the scene goes too
# (the old holder's "On my way" and "Arrived" are not the new holder's), unless it is
# over: questioning ended, or the police were told they may leave.
_NEW_CLOCKS = (
    "contact_reminded_at = NULL, contact_escalated_at = NULL,"
    " arrival_reminded_at = NULL, arrival_escalated_at = NULL,"
    " stale_reminded_at = NULL"
)
_UNFINISHED = "questioning_ended_at IS NULL AND (police_answer IS NULL OR police_answer <> 'leave')"
_NEW_ATTENDANCE = ", ".join(
    f"{column} = CASE WHEN {_UNFINISHED} THEN NULL ELSE {column} END"
    for column in ("on_way_at", "eta_minutes", "arrived_at", "police_answer", "police_answered_at")
)


async def move_case(
    conn: Conn, referral_id: int, *, from_id: int, to_id: int, now: datetime
) -> bool:
    """``to_id`` holds the open case now, at the same case-work step, with its clocks
    running from now (see :data:`_NEW_CLOCKS`)."""
    cursor = await conn.execute(
        f"UPDATE referrals SET assignee_id = ?, holder_since = ?, updated_at = ?, {_NEW_CLOCKS},"  # noqa: S608
        f" {_NEW_ATTENDANCE}"
        f" WHERE id = ? AND assignee_id = ? AND status IN {WORKING_STATUSES}",
        (to_id, to_db(now), to_db(now), referral_id, from_id),
    )
    return cursor.rowcount == 1


async def back_on_offer(
    conn: Conn,
    referral_id: int,
    *,
    from_id: int,
    level: int,
    next_action_at: datetime,
    now: datetime,
) -> bool:
    """The open case is nobody's again: on offer at the coordinators' level, with the
    escalation clock running from there (it reminds them until someone takes it). The
    old holder's clocks and unfinished attendance go with her."""
    cursor = await conn.execute(
        "UPDATE referrals SET status = 'offered', assignee_id = NULL, holder_since = NULL,"  # noqa: S608
        f" level = ?, rounds = 0, held = 0, next_action_at = ?, updated_at = ?, {_NEW_CLOCKS},"
        f" {_NEW_ATTENDANCE}"
        f" WHERE id = ? AND assignee_id = ? AND status IN {WORKING_STATUSES}",
        (level, to_db(next_action_at), to_db(now), referral_id, from_id),
    )
    return cursor.rowcount == 1
