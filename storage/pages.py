"""Pages: outbox rows of channel voice, sms or webhook (see migration 0030).

They share the outbox's claim (a lease), backoff and dead columns with Telegram
notices, so a page is written in the transaction that decides it and sent once; the
queries here take only pages, those in :mod:`storage.outbox` only Telegram rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot.domain.paging import Acknowledgement, Channel, Page, PageContent, PageRecord
from storage.db import Conn, Row, fetch_all, fetch_one
from storage.sealing import seal, unseal
from storage.timefmt import from_db, to_db

KIND = "page"  # the outbox kind of every page (the channel says which)
CODE_KIND = "phone_code"  # a verification code's SMS (/phone), sent by the page sender
# The page sender's reason for a page it dropped unsent because nobody needs it now.
NO_LONGER_NEEDED = "no longer needed"


async def insert(
    conn: Conn,
    *,
    person_id: int,
    channel: Channel,
    contact_method_id: int,
    referral_id: int | None,
    content: PageContent,
    token: str,
    now: datetime,
    first_attempt: datetime,
) -> int:
    """Write a page in the caller's transaction; returns its outbox id."""
    if channel is Channel.TELEGRAM:
        raise ValueError("a page goes by voice, sms or webhook")
    values = {"ref": content.ref, "category": content.category, "urgency": content.urgency}
    cursor = await conn.execute(
        "INSERT INTO outbox (kind, channel, contact_method_id, recipient_id, referral_id,"
        " vals, page_token, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            KIND,
            channel.value,
            contact_method_id,
            person_id,
            referral_id,
            seal(conn, "outbox", "vals", json.dumps(values, ensure_ascii=False)),
            token,
            to_db(now),
            to_db(first_attempt),
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def insert_code(
    conn: Conn, *, person_id: int, contact_method_id: int, code: str, now: datetime
) -> int:
    """Write a verification code's SMS in the caller's transaction; returns its outbox
    id. The code is in ``vals``, sealed like every row's, and erased once sent."""
    cursor = await conn.execute(
        "INSERT INTO outbox (kind, channel, contact_method_id, recipient_id, vals,"
        " created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            CODE_KIND,
            Channel.SMS.value,
            contact_method_id,
            person_id,
            seal(conn, "outbox", "vals", json.dumps({"code": code})),
            to_db(now),
            to_db(now),
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def move_codes(conn: Conn, from_method: int, to_method: int) -> None:
    """A number's method is going (call only now, say): its code SMS still waiting go
    to the method kept for the same number, so the code still arrives."""
    await conn.execute(
        "UPDATE outbox SET contact_method_id = ? WHERE contact_method_id = ? AND kind = ?"
        " AND sent_at IS NULL AND dead_at IS NULL",
        (to_method, from_method, CODE_KIND),
    )


async def code_given_up(conn: Conn, method_ids: list[int]) -> bool:
    """Whether the newest verification code's SMS to these methods (one number's) was
    given up unsent: ``/phone`` then says so, and a new code can be asked for."""
    if not method_ids:
        return False
    row = await fetch_one(
        conn,
        "SELECT sent_at, dead_at FROM outbox WHERE kind = ? AND contact_method_id IN"
        " (SELECT value FROM json_each(?)) ORDER BY id DESC LIMIT 1",
        (CODE_KIND, json.dumps(method_ids)),
    )
    return row is not None and row["sent_at"] is None and row["dead_at"] is not None


_PAGE = "SELECT * FROM outbox WHERE channel <> 'telegram'"


async def due(conn: Conn, now: datetime, lease_expired: datetime, limit: int = 50) -> list[Page]:
    """Pages not sent or given up, due by ``now``, held by no sender, oldest first."""
    rows = await fetch_all(
        conn,
        _PAGE + " AND sent_at IS NULL AND dead_at IS NULL AND next_attempt_at <= ?"
        " AND (claimed_at IS NULL OR claimed_at < ?) ORDER BY id LIMIT ?",
        (to_db(now), to_db(lease_expired), limit),
    )
    return [_page(conn, row) for row in rows]


async def next_attempt(conn: Conn) -> datetime | None:
    """When the earliest unsent page falls due."""
    row = await fetch_one(
        conn,
        "SELECT MIN(next_attempt_at) AS at FROM outbox WHERE channel <> 'telegram'"
        " AND sent_at IS NULL AND dead_at IS NULL",
    )
    return from_db(row["at"]) if row and row["at"] else None


async def claim(conn: Conn, page_id: int, now: datetime, lease_expired: datetime) -> bool:
    """Take the page for sending (the lease); False if sent, dead, or held."""
    cursor = await conn.execute(
        "UPDATE outbox SET claimed_at = ? WHERE id = ? AND channel <> 'telegram'"
        " AND sent_at IS NULL AND dead_at IS NULL AND (claimed_at IS NULL OR claimed_at < ?)",
        (to_db(now), page_id, to_db(lease_expired)),
    )
    return cursor.rowcount == 1


async def mark_sent(conn: Conn, page_id: int, now: datetime, provider_id: str | None) -> None:
    """Sent: the provider accepted it (``provider_id``: its SID, kept for the record).
    A verification code's row forgets the code: it has done its work."""
    await conn.execute(
        "UPDATE outbox SET sent_at = ?, provider_id = ?, attempts = attempts + 1,"
        " claimed_at = NULL, vals = CASE WHEN kind = 'phone_code' THEN '{}' ELSE vals END"
        " WHERE id = ? AND sent_at IS NULL",
        (to_db(now), provider_id, page_id),
    )


async def trying(conn: Conn, page_id: int, now: datetime) -> None:
    """A request for the page is about to go to its provider: remember when (migration
    0033), so that whoever tries it next, in this run or after a crash, first asks the
    provider whether it was made. (An earlier time is replaced: the sender asked about
    it, and nothing was made, before trying again.)"""
    await conn.execute("UPDATE outbox SET page_tried_at = ? WHERE id = ?", (to_db(now), page_id))


async def untried(conn: Conn, page_id: int, tried_at: datetime) -> None:
    """The provider answered that request with an error: nothing was made, nothing to
    ask about (unless a later request has been stamped since)."""
    await conn.execute(
        "UPDATE outbox SET page_tried_at = NULL WHERE id = ? AND page_tried_at = ?",
        (page_id, to_db(tried_at)),
    )


async def held_provider_ids(conn: Conn, provider_ids: list[str]) -> set[str]:
    """Which of ``provider_ids`` (SIDs) a page already holds as what was sent for it."""
    if not provider_ids:
        return set()
    marks = ", ".join("?" for _ in provider_ids)
    rows = await fetch_all(
        conn,
        f"SELECT provider_id FROM outbox WHERE channel <> 'telegram' AND provider_id IN ({marks})",  # noqa: S608 - placeholders only
        tuple(provider_ids),
    )
    return {row["provider_id"] for row in rows}


async def wait_until(conn: Conn, page_id: int, at: datetime) -> None:
    """Not tried now (the person's rate limit): due at ``at``, claim released, no attempt."""
    await conn.execute(
        "UPDATE outbox SET next_attempt_at = ?, claimed_at = NULL WHERE id = ? AND sent_at IS NULL",
        (to_db(at), page_id),
    )


async def last_sent(conn: Conn, person_id: int, channel: Channel) -> datetime | None:
    """When the person was last paged on ``channel`` (the rate limit; a verification
    code's SMS is not a page and does not count)."""
    row = await fetch_one(
        conn,
        "SELECT MAX(sent_at) AS at FROM outbox WHERE recipient_id = ? AND channel = ?"
        " AND sent_at IS NOT NULL AND kind = ?",
        (person_id, channel.value, KIND),
    )
    return from_db(row["at"]) if row and row["at"] else None


async def by_id(conn: Conn, page_id: int) -> Page | None:
    row = await fetch_one(conn, _PAGE + " AND id = ?", (page_id,))
    return _page(conn, row) if row else None


async def by_token(conn: Conn, token: str) -> Page | None:
    row = await fetch_one(conn, _PAGE + " AND page_token = ?", (token,))
    return _page(conn, row) if row else None


async def acknowledge(conn: Conn, page_id: int, now: datetime, via: str) -> bool:
    """Record the first acknowledgement of the page; False if it already had one."""
    cursor = await conn.execute(
        "UPDATE outbox SET acknowledged_at = ?, acknowledged_via = ?"
        " WHERE id = ? AND channel <> 'telegram' AND acknowledged_at IS NULL",
        (to_db(now), via, page_id),
    )
    return cursor.rowcount == 1


def _page(conn: Conn, row: Row) -> Page:
    values = json.loads(unseal(conn, "outbox", "vals", row["vals"]) or "{}")
    return Page(
        id=row["id"],
        person_id=row["recipient_id"],
        channel=Channel(row["channel"]),
        contact_method_id=row["contact_method_id"] or 0,
        referral_id=row["referral_id"],
        content=PageContent(
            ref=values.get("ref", ""),
            category=values.get("category", ""),
            urgency=values.get("urgency", ""),
        ),
        token=row["page_token"] or "",
        attempts=row["attempts"],
        created_at=from_db(row["created_at"]),
        acknowledged_at=from_db(row["acknowledged_at"]) if row["acknowledged_at"] else None,
        acknowledged_via=row["acknowledged_via"],
        code=values.get("code") if row["kind"] == CODE_KIND else None,
        tried_at=from_db(row["page_tried_at"]) if row["page_tried_at"] else None,
    )


# -- a referral's pages and acknowledgements ("I'm on it", migration 0031) -------------


async def acknowledge_referral(
    conn: Conn, referral_id: int, person_id: int, now: datetime, via: str
) -> bool:
    """Record that ``person_id`` is on ``referral_id``; False if they had said so."""
    cursor = await conn.execute(
        "INSERT OR IGNORE INTO page_acknowledgements (referral_id, person_id, acknowledged_at,"
        " via) VALUES (?, ?, ?, ?)",
        (referral_id, person_id, to_db(now), via),
    )
    return cursor.rowcount == 1


async def acknowledgements(conn: Conn, referral_id: int) -> list[Acknowledgement]:
    """Who said they are on ``referral_id``, first first."""
    rows = await fetch_all(
        conn,
        "SELECT * FROM page_acknowledgements WHERE referral_id = ?"
        " ORDER BY acknowledged_at, person_id",
        (referral_id,),
    )
    return [
        Acknowledgement(row["person_id"], from_db(row["acknowledged_at"]), row["via"])
        for row in rows
    ]


async def has_acknowledged(conn: Conn, referral_id: int, person_id: int) -> bool:
    row = await fetch_one(
        conn,
        "SELECT 1 FROM page_acknowledgements WHERE referral_id = ? AND person_id = ?",
        (referral_id, person_id),
    )
    return row is not None


async def paged_people(conn: Conn, referral_id: int) -> set[int]:
    """Everyone a page about ``referral_id`` was written to (sent or not)."""
    rows = await fetch_all(
        conn,
        "SELECT DISTINCT recipient_id FROM outbox WHERE channel <> 'telegram' AND referral_id = ?",
        (referral_id,),
    )
    return {row["recipient_id"] for row in rows}


async def of_referral(conn: Conn, referral_id: int) -> list[PageRecord]:
    """The referral's pages, oldest first, each with its person's acknowledgement (for
    /status and the morning handover: "paged 03:12, acknowledged 03:14 by call")."""
    rows = await fetch_all(
        conn,
        "SELECT o.id, o.recipient_id, o.channel, o.created_at, o.sent_at, o.dead_at,"
        " a.acknowledged_at, a.via FROM outbox o LEFT JOIN page_acknowledgements a"
        " ON a.referral_id = o.referral_id AND a.person_id = o.recipient_id"
        " WHERE o.channel <> 'telegram' AND o.referral_id = ? ORDER BY o.id",
        (referral_id,),
    )
    return [
        PageRecord(
            page_id=row["id"],
            person_id=row["recipient_id"],
            channel=Channel(row["channel"]),
            written_at=from_db(row["created_at"]),
            sent_at=from_db(row["sent_at"]) if row["sent_at"] else None,
            given_up_at=from_db(row["dead_at"]) if row["dead_at"] else None,
            acknowledged_at=from_db(row["acknowledged_at"]) if row["acknowledged_at"] else None,
            acknowledged_via=row["via"],
        )
        for row in rows
    ]


@dataclass(frozen=True)
class Counts:
    """Pages for /status: waiting to be sent, and sent or given up since a moment
    (a /phone verification code's SMS is not a page and is not counted).
    A page dropped because nobody needed it any more (the referral was taken, or its
    person said they are on it: the page sender's "no longer needed") is not given up."""

    waiting: int
    sent: int
    given_up: int


async def counts(conn: Conn, since: datetime) -> Counts:
    row = await fetch_one(
        conn,
        "SELECT"
        " SUM(CASE WHEN sent_at IS NULL AND dead_at IS NULL THEN 1 ELSE 0 END) AS waiting,"
        " SUM(CASE WHEN sent_at >= ? THEN 1 ELSE 0 END) AS sent,"
        " SUM(CASE WHEN sent_at IS NULL AND dead_at >= ? AND last_error IS NOT ?"
        " THEN 1 ELSE 0 END) AS given_up"
        " FROM outbox WHERE channel <> 'telegram' AND kind <> ?",
        (to_db(since), to_db(since), NO_LONGER_NEEDED, CODE_KIND),
    )
    if row is None:
        return Counts(0, 0, 0)
    return Counts(row["waiting"] or 0, row["sent"] or 0, row["given_up"] or 0)
