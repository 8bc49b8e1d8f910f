"""What the limits of ``/phone``'s verification codes count (see migration 0034): the
codes sent and the wrong codes typed, by person and by number, kept when the number is
removed so that removing and adding it again starts nothing afresh.

A number is known here only by its key (:func:`number_key`), an HMAC keyed with this
deployment's own secret: never the number itself.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from enum import StrEnum

from storage import meta
from storage.db import Conn, fetch_one
from storage.timefmt import to_db

KEY = "phone_limit_key"  # meta: the secret of the numbers' keys (made by migration 0034)
KEPT = timedelta(days=1)  # no limit looks further back


class Event(StrEnum):
    SENT = "sent"  # a code was written to be sent
    WRONG = "wrong"  # a wrong code was typed


async def number_key(conn: Conn, address: str) -> str:
    """HMAC-SHA256 of the E.164 number keyed with the deployment's secret: the same
    number gives the same key, whoever typed it, and the key does not give the number
    back without the secret."""
    secret = await meta.get(conn, KEY)
    if secret is None:  # a database made before the migration wrote it: cannot happen
        raise RuntimeError("meta phone_limit_key is missing")
    return hmac.new(bytes.fromhex(secret), address.encode(), hashlib.sha256).hexdigest()


async def record(conn: Conn, person_id: int, event: Event, key: str, now: datetime) -> None:
    """One code sent or one wrong code; rows older than :data:`KEPT` go."""
    await conn.execute("DELETE FROM code_events WHERE at < ?", (to_db(now - KEPT),))
    await conn.execute(
        "INSERT INTO code_events (person_id, event, number_key, at) VALUES (?, ?, ?, ?)",
        (person_id, event.value, key, to_db(now)),
    )


async def by_person(conn: Conn, person_id: int, event: Event, since: datetime) -> int:
    """The person's events of this kind since ``since``, whatever number they were for."""
    row = await fetch_one(
        conn,
        "SELECT count(*) FROM code_events WHERE person_id = ? AND event = ? AND at > ?",
        (person_id, event.value, to_db(since)),
    )
    return int(row[0]) if row else 0


async def by_number(conn: Conn, key: str, event: Event, since: datetime) -> int:
    """Events of this kind for the number of ``key`` since ``since``, by anyone."""
    row = await fetch_one(
        conn,
        "SELECT count(*) FROM code_events WHERE number_key = ? AND event = ? AND at > ?",
        (key, event.value, to_db(since)),
    )
    return int(row[0]) if row else 0
