"""The stages' content (needs, goals, contacts), the lines typed after crisis follow-ups
and the plan's review timer.

Every ``body`` is sealed (see :mod:`storage.sealing`); retention deletes the rows with
the referral's other sealed values.
"""

from __future__ import annotations

import json
from datetime import datetime

from bot.domain.case_work import CaseWork, Contact, ContactMode, FollowUpNote, Goal, Need
from storage.db import Conn, fetch_all, fetch_one
from storage.referrals import WORKING_STATUSES
from storage.sealing import seal, unseal
from storage.timefmt import from_db, to_db

_OVERDUE = f"SELECT r.id, r.assignee_id FROM case_reviews v JOIN referrals r ON r.id = v.referral_id WHERE v.reminded_at IS NOT NULL AND v.reminded_at <= ? AND v.reviewed_at IS NULL AND v.escalated_at IS NULL AND r.assignee_id IS NOT NULL AND r.status IN {WORKING_STATUSES}"  # noqa: S608, E501 - fixed names
_REMINDED = f"SELECT r.id, v.reminded_at FROM case_reviews v JOIN referrals r ON r.id = v.referral_id WHERE v.reminded_at IS NOT NULL AND v.reviewed_at IS NULL AND r.assignee_id IS NOT NULL AND r.status IN {WORKING_STATUSES}"  # noqa: S608, E501 - fixed names
_DUE = f"SELECT r.id, r.assignee_id FROM case_reviews v JOIN referrals r ON r.id = v.referral_id WHERE v.reminded_at IS NULL AND v.review_at <= ? AND r.assignee_id IS NOT NULL AND r.status IN {WORKING_STATUSES}"  # noqa: S608, E501 - fixed names


def _body(conn: Conn, stored: str) -> str:
    return unseal(conn, "case_work", "body", stored) or ""


async def load(conn: Conn, referral_id: int) -> CaseWork:
    rows = await fetch_all(
        conn,
        "SELECT id, kind, body, created_at FROM case_work WHERE referral_id = ? ORDER BY id",
        (referral_id,),
    )
    needs: frozenset[Need] = frozenset()
    goals: list[Goal] = []
    contacts: list[Contact] = []
    notes: list[FollowUpNote] = []
    for row in rows:
        body = _body(conn, row["body"])
        if row["kind"] == "needs" and body:
            needs = frozenset(Need(v) for v in json.loads(body) if v in Need._value2member_map_)
        elif row["kind"] == "goal" and body:
            goals.append(Goal(row["id"], body))
        elif row["kind"] == "contact" and body:
            data = json.loads(body)
            contacts.append(
                Contact(
                    id=row["id"],
                    mode=ContactMode(data["mode"]),
                    at=from_db(row["created_at"]),
                    with_whom=data.get("with") or None,
                )
            )
        elif row["kind"] == "follow_up" and body:
            data = json.loads(body)
            at = from_db(row["created_at"])
            notes.append(FollowUpNote(hours=int(data["hours"]), at=at, line=data["line"]))
    review = await fetch_one(
        conn,
        "SELECT review_at, reminded_at, reviewed_at FROM case_reviews WHERE referral_id = ?",
        (referral_id,),
    )
    return CaseWork(
        needs=needs,
        goals=tuple(goals),
        contacts=tuple(contacts),
        review_at=from_db(review["review_at"]) if review else None,
        follow_ups=tuple(sorted(notes, key=lambda note: note.hours)),
        review_pending=bool(
            review and review["reminded_at"] is not None and review["reviewed_at"] is None
        ),
    )


async def _add(conn: Conn, referral_id: int, kind: str, body: str, by: int, now: datetime) -> int:
    cursor = await conn.execute(
        "INSERT INTO case_work (referral_id, kind, body, author_id, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (referral_id, kind, seal(conn, "case_work", "body", body), by, to_db(now)),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def set_needs(
    conn: Conn, referral_id: int, needs: frozenset[Need], by: int, now: datetime
) -> None:
    body = json.dumps(sorted(n.value for n in needs))
    await conn.execute(
        "DELETE FROM case_work WHERE referral_id = ? AND kind = 'needs'", (referral_id,)
    )
    await _add(conn, referral_id, "needs", body, by, now)


async def add_goal(conn: Conn, referral_id: int, goal: str, by: int, now: datetime) -> None:
    await _add(conn, referral_id, "goal", goal, by, now)


async def replace_goal(conn: Conn, referral_id: int, goal_id: int, goal: str) -> bool:
    """A goal of this referral's plan, reworded; False if there is no such goal."""
    cursor = await conn.execute(
        "UPDATE case_work SET body = ? WHERE id = ? AND referral_id = ? AND kind = 'goal'",
        (seal(conn, "case_work", "body", goal), goal_id, referral_id),
    )
    return cursor.rowcount == 1


async def remove_goal(conn: Conn, referral_id: int, goal_id: int) -> bool:
    """A goal of this referral's plan, removed; False if there is no such goal."""
    cursor = await conn.execute(
        "DELETE FROM case_work WHERE id = ? AND referral_id = ? AND kind = 'goal'",
        (goal_id, referral_id),
    )
    return cursor.rowcount == 1


async def add_contact(
    conn: Conn, referral_id: int, mode: ContactMode, by: int, now: datetime
) -> int:
    return await _add(conn, referral_id, "contact", json.dumps({"mode": mode.value}), by, now)


async def recent_contact(
    conn: Conn, referral_id: int, mode: ContactMode, by: int, since: datetime
) -> int | None:
    """The id of a contact made this way by ``by`` on this referral at or after
    ``since`` (the mode is sealed, so it is read row by row), or None."""
    for row in await fetch_all(
        conn,
        "SELECT id, body FROM case_work WHERE referral_id = ? AND kind = 'contact' "
        "AND author_id = ? AND created_at >= ? ORDER BY id DESC",
        (referral_id, by, to_db(since)),
    ):
        if json.loads(_body(conn, row["body"]) or "{}").get("mode") == mode.value:
            return int(row["id"])
    return None


async def contact_with(conn: Conn, referral_id: int, contact_id: int, with_whom: str) -> bool:
    """Add "with whom" to a logged contact of this referral; False if there is none."""
    row = await fetch_one(
        conn,
        "SELECT body FROM case_work WHERE id = ? AND referral_id = ? AND kind = 'contact'",
        (contact_id, referral_id),
    )
    if row is None:
        return False
    data = json.loads(_body(conn, row["body"]) or "{}")
    data["with"] = with_whom
    await conn.execute(
        "UPDATE case_work SET body = ? WHERE id = ?",
        (seal(conn, "case_work", "body", json.dumps(data)), contact_id),
    )
    return True


async def note_follow_up(
    conn: Conn, referral_id: int, hours: int, line: str, by: int, now: datetime
) -> None:
    """The line typed after the crisis follow-up due ``hours`` after first contact (a
    row of kind ``follow_up``, sealed like the stages' text and erased with the case).
    One line per follow-up: a second replaces the first."""
    for row in await fetch_all(
        conn,
        "SELECT id, body FROM case_work WHERE referral_id = ? AND kind = 'follow_up'",
        (referral_id,),
    ):
        if json.loads(_body(conn, row["body"]) or "{}").get("hours") == hours:
            await conn.execute("DELETE FROM case_work WHERE id = ?", (row["id"],))
    await _add(conn, referral_id, "follow_up", json.dumps({"hours": hours, "line": line}), by, now)


async def set_review(conn: Conn, referral_id: int, review_at: datetime) -> None:
    """A new review date; its reminder (and, unanswered, the coordinators' notice) is
    sent again when it falls due."""
    await conn.execute(
        "INSERT INTO case_reviews (referral_id, review_at, reminded_at) VALUES (?, ?, NULL) "
        "ON CONFLICT (referral_id) DO UPDATE SET review_at = excluded.review_at, "
        "reminded_at = NULL, reviewed_at = NULL, escalated_at = NULL",
        (referral_id, to_db(review_at)),
    )


async def clear_review(conn: Conn, referral_id: int) -> None:
    """The plan's review date is gone (the case went back to assessment): nothing is
    reminded, nobody is told; the next plan gets a date of its own."""
    await conn.execute("DELETE FROM case_reviews WHERE referral_id = ?", (referral_id,))


async def reviews_reminded(conn: Conn) -> list[tuple[int, datetime]]:
    """(referral id, when reminded) of working cases whose review was reminded and not
    marked done: the service restarts those reminded to an earlier holder."""
    rows = await fetch_all(conn, _REMINDED)
    return [(row[0], from_db(row[1])) for row in rows]


async def restart_review(conn: Conn, referral_id: int) -> None:
    """The case changed hands after its review was reminded: the chain starts again for
    the new holder (reminded, then the coordinators after the wait)."""
    await conn.execute(
        "UPDATE case_reviews SET reminded_at = NULL, escalated_at = NULL "
        "WHERE referral_id = ? AND reviewed_at IS NULL",
        (referral_id,),
    )


async def reviews_due(conn: Conn, now: datetime) -> list[tuple[int, int]]:
    """(referral id, holder id) of working cases whose review date passed, unreminded."""
    rows = await fetch_all(conn, _DUE, (to_db(now),))
    return [(row[0], row[1]) for row in rows]


async def stamp_review(conn: Conn, referral_id: int, now: datetime) -> bool:
    """Stamp the review reminder as sent; False if it already was (sent once)."""
    cursor = await conn.execute(
        "UPDATE case_reviews SET reminded_at = ? WHERE referral_id = ? AND reminded_at IS NULL",
        (to_db(now), referral_id),
    )
    return cursor.rowcount == 1


async def mark_reviewed(conn: Conn, referral_id: int, now: datetime) -> bool:
    """The reminded review is done: its chain stops. False if none was waiting."""
    cursor = await conn.execute(
        "UPDATE case_reviews SET reviewed_at = ? "
        "WHERE referral_id = ? AND reminded_at IS NOT NULL AND reviewed_at IS NULL",
        (to_db(now), referral_id),
    )
    return cursor.rowcount == 1


async def reviews_overdue(conn: Conn, reminded_before: datetime) -> list[tuple[int, int]]:
    """(referral id, holder id) of working cases whose review was reminded before
    ``reminded_before`` and not marked done, the coordinators not told yet."""
    rows = await fetch_all(conn, _OVERDUE, (to_db(reminded_before),))
    return [(row[0], row[1]) for row in rows]


async def stamp_overdue(conn: Conn, referral_id: int, now: datetime) -> bool:
    """Stamp the coordinators' notice as sent; False if it already was (sent once)."""
    cursor = await conn.execute(
        "UPDATE case_reviews SET escalated_at = ? "
        "WHERE referral_id = ? AND escalated_at IS NULL AND reviewed_at IS NULL",
        (to_db(now), referral_id),
    )
    return cursor.rowcount == 1


async def erase(conn: Conn, referral_id: int) -> None:
    """Retention: the review timer goes with the case (the sealed rows go by the
    registry in :mod:`storage.sealing`)."""
    await conn.execute("DELETE FROM case_reviews WHERE referral_id = ?", (referral_id,))
