"""Messages taken in the last day (see migration 0010)."""

from __future__ import annotations

from datetime import datetime

from storage.db import Conn
from storage.timefmt import to_db


async def take(conn: Conn, chat_id: int, message_id: int, sent_at: datetime, now: datetime) -> bool:
    """Record the message as taken; False if it was taken before. One statement, atomic
    by itself: it runs for every message anyone types, so it needs no transaction
    around it (the forgetting is :func:`forget_seen_before`'s, on a timer)."""
    cursor = await conn.execute(
        "INSERT INTO seen_messages (chat_id, message_id, sent_at, seen_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        (chat_id, message_id, to_db(sent_at), to_db(now)),
    )
    return cursor.rowcount == 1


async def forget_seen_before(conn: Conn, cutoff: datetime) -> int:
    """Forget the messages taken before ``cutoff``; how many."""
    cursor = await conn.execute("DELETE FROM seen_messages WHERE seen_at < ?", (to_db(cutoff),))
    return cursor.rowcount
