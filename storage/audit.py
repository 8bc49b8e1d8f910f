"""The append-only audit log (the database refuses updates and deletes).

Each row is also written to the log once its transaction commits, so an operator
following the log sees every state change with its referral reference. Audit rows hold
references, ids, codes and counts, never personal data, so that is safe to log.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.db import Conn, Row, after_commit, fetch_all, fetch_one
from storage.timefmt import from_db, to_db

_log = logging.getLogger("referral_bot.audit")


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor_telegram_id: int | None
    actor_person_id: int | None
    action: str
    subject: str | None
    detail: str | None


async def record(
    conn: Conn,
    *,
    now: datetime,
    action: str,
    actor_telegram_id: int | None = None,
    actor_person_id: int | None = None,
    subject: str | None = None,
    detail: str | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO audit_log (at, actor_telegram_id, actor_person_id, action, subject, detail)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (to_db(now), actor_telegram_id, actor_person_id, action, subject, detail),
    )
    fields = {"action": action, "ref": subject, "person": actor_person_id}
    line = f"{action} {subject or '-'} by person {actor_person_id}" + (
        f" ({detail})" if detail else ""
    )
    after_commit(conn, lambda: _log.info("%s", line, extra=fields))


async def count_since(conn: Conn, *, actor_telegram_id: int, action: str, since: datetime) -> int:
    row = await fetch_one(
        conn,
        "SELECT count(*) FROM audit_log WHERE actor_telegram_id = ? AND action = ? AND at >= ?",
        (actor_telegram_id, action, to_db(since)),
    )
    return int(row[0]) if row else 0


async def entries(
    conn: Conn, *, action: str | None = None, subject: str | None = None
) -> list[AuditEntry]:
    rows = await fetch_all(
        conn,
        "SELECT * FROM audit_log WHERE (? IS NULL OR action = ?) AND (? IS NULL OR subject = ?)"
        " ORDER BY id",
        (action, action, subject, subject),
    )
    return [_entry(r) for r in rows]


async def entries_about(conn: Conn, subjects: Sequence[str]) -> list[AuditEntry]:
    """Rows about any of ``subjects``, oldest first. One referral is written about under
    several names: its reference, and ``referral:ID`` or ``offer:ID`` where a refused
    tap named only what the button carried."""
    if not subjects:
        return []
    marks = ",".join("?" * len(subjects))
    rows = await fetch_all(
        conn,
        f"SELECT * FROM audit_log WHERE subject IN ({marks}) ORDER BY id",  # noqa: S608
        list(subjects),
    )
    return [_entry(r) for r in rows]


def _entry(r: Row) -> AuditEntry:
    return AuditEntry(
        at=from_db(r["at"]),
        actor_telegram_id=r["actor_telegram_id"],
        actor_person_id=r["actor_person_id"],
        action=r["action"],
        subject=r["subject"],
        detail=r["detail"],
    )
