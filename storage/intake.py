"""Messages taken in the last day (see migration 0010)."""

from __future__ import annotations

from datetime import datetime

from storage.db import Conn
from storage.timefmt import to_db


async def take(
    conn: Conn,
    chat_id: int,
    message_id: int,
    sent_at: datetime,
    now: datetime,
    keep_since: datetime,
) -> bool:
    """Record the message as taken; False if it was taken before. Forgets this chat's
    messages seen before ``keep_since``."""
    await conn.execute(
        "DELETE FROM seen_messages WHERE chat_id = ? AND seen_at < ?", (chat_id, to_db(keep_since))
    )
    cursor = await conn.execute(
        "INSERT INTO seen_messages (chat_id, message_id, sent_at, seen_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        (chat_id, message_id, to_db(sent_at), to_db(now)),
    )
    return cursor.rowcount == 1
