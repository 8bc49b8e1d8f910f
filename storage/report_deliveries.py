"""Report files on their way to a chat, and the /report requests (made or waiting).

A file is kept only while the outbox notice that sends it (``outbox_id``) is neither
sent nor given up: :func:`forget_sent` deletes it afterwards, and :func:`sweep` deletes
whatever a crash between the send and that delete left behind.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime

from storage.db import Conn, fetch_all, fetch_one
from storage.timefmt import to_db


@dataclass(frozen=True)
class StoredFile:
    id: int
    format: str  # "png", "xlsx"
    filename: str
    content: bytes


async def insert(conn: Conn, *, fmt: str, filename: str, content: bytes, now: datetime) -> int:
    cursor = await conn.execute(
        "INSERT INTO report_files (format, filename, content, created_at) VALUES (?, ?, ?, ?)",
        (fmt, filename, content, to_db(now)),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def attach(conn: Conn, file_id: int, outbox_id: int) -> None:
    """The notice that sends the file (written after the file: it names the file)."""
    await conn.execute("UPDATE report_files SET outbox_id = ? WHERE id = ?", (outbox_id, file_id))


async def get(conn: Conn, file_id: int) -> StoredFile | None:
    row = await fetch_one(
        conn, "SELECT id, format, filename, content FROM report_files WHERE id = ?", (file_id,)
    )
    if row is None:
        return None
    return StoredFile(row["id"], row["format"], row["filename"], bytes(row["content"]))


_DONE = (
    "SELECT 1 FROM outbox o WHERE o.id = report_files.outbox_id"
    " AND (o.sent_at IS NOT NULL OR o.dead_at IS NOT NULL)"
)


async def forget_sent(conn: Conn, file_id: int) -> None:
    """Delete the file if its notice was sent or given up (else it is tried again)."""
    await conn.execute(f"DELETE FROM report_files WHERE id = ? AND EXISTS ({_DONE})", (file_id,))  # noqa: S608


async def sweep(conn: Conn) -> int:
    """Delete every file whose notice is done; how many."""
    cursor = await conn.execute(f"DELETE FROM report_files WHERE EXISTS ({_DONE})")  # noqa: S608
    return cursor.rowcount


async def sent_kinds(conn: Conn, outbox_ids: list[int]) -> set[str]:
    """The kinds of those outbox notices that were sent (not given up, not waiting)."""
    if not outbox_ids:
        return set()
    marks = ",".join("?" * len(outbox_ids))
    rows = await fetch_all(
        conn,
        f"SELECT kind FROM outbox WHERE id IN ({marks}) AND sent_at IS NOT NULL",  # noqa: S608
        tuple(outbox_ids),
    )
    return {str(r["kind"]) for r in rows}


async def count(conn: Conn) -> int:
    row = await fetch_one(conn, "SELECT COUNT(*) AS n FROM report_files")
    return int(row["n"]) if row else 0


@dataclass(frozen=True)
class Request:
    """A /report tap waiting for its report (``done_at`` NULL until it is made)."""

    token: str
    person_id: int
    start: date
    end: date
    stations: tuple[str, ...]
    language: str
    message_id: int | None


async def claim_request(conn: Conn, request: Request, now: datetime) -> bool:
    """Record the /report card's request; False if that card asked already."""
    try:
        await conn.execute(
            "INSERT INTO report_requests (token, person_id, made_at, start_day, end_day,"
            " stations, language, message_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                request.token,
                request.person_id,
                to_db(now),
                request.start.isoformat(),
                request.end.isoformat(),
                ",".join(request.stations),
                request.language,
                request.message_id,
            ),
        )
    except sqlite3.IntegrityError:
        return False
    return True


async def waiting_for(conn: Conn, person_id: int) -> bool:
    """A report asked for by this person is not made yet."""
    row = await fetch_one(
        conn,
        "SELECT 1 AS x FROM report_requests WHERE person_id = ? AND done_at IS NULL",
        (person_id,),
    )
    return row is not None


async def pending(conn: Conn) -> list[Request]:
    """The requests not made yet, oldest first."""
    rows = await fetch_all(
        conn,
        "SELECT token, person_id, start_day, end_day, stations, language, message_id"
        " FROM report_requests WHERE done_at IS NULL ORDER BY made_at, token",
    )
    return [
        Request(
            r["token"],
            r["person_id"],
            date.fromisoformat(r["start_day"]),
            date.fromisoformat(r["end_day"]),
            tuple(s for s in str(r["stations"]).split(",") if s),
            r["language"],
            r["message_id"],
        )
        for r in rows
    ]


async def finish(conn: Conn, token: str, now: datetime) -> bool:
    """Mark the request made; False if it was made (or dropped) already."""
    cursor = await conn.execute(
        "UPDATE report_requests SET done_at = ? WHERE token = ? AND done_at IS NULL",
        (to_db(now), token),
    )
    return cursor.rowcount == 1


async def drop(conn: Conn, token: str) -> bool:
    """Forget a request not made (it failed): its card may ask again."""
    cursor = await conn.execute(
        "DELETE FROM report_requests WHERE token = ? AND done_at IS NULL", (token,)
    )
    return cursor.rowcount == 1
