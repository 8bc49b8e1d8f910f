"""Contact methods: how a person is paged outside Telegram (a phone number, a gateway id).

The address is sealed (personal data); everything else is plain so a coordinator's
list of who cannot be paged needs no key.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.paging import ContactKind, ContactMethod
from storage.db import Conn, Row, fetch_all, fetch_one
from storage.sealing import seal, unseal
from storage.timefmt import from_db, to_db


async def add(conn: Conn, person_id: int, kind: ContactKind, address: str, now: datetime) -> int:
    """A new, unverified method; returns its id."""
    cursor = await conn.execute(
        "INSERT INTO contact_methods (person_id, kind, address, created_at) VALUES (?, ?, ?, ?)",
        (person_id, kind.value, seal(conn, "contact_methods", "address", address), to_db(now)),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def verify(conn: Conn, method_id: int, now: datetime) -> bool:
    """Mark verified (the person typed the code sent to it); False if no such method."""
    cursor = await conn.execute(
        "UPDATE contact_methods SET verified_at = COALESCE(verified_at, ?) WHERE id = ?",
        (to_db(now), method_id),
    )
    return cursor.rowcount == 1


async def of_person(conn: Conn, person_id: int) -> list[ContactMethod]:
    """Every method of the person, oldest first."""
    rows = await fetch_all(
        conn, "SELECT * FROM contact_methods WHERE person_id = ? ORDER BY id", (person_id,)
    )
    return [_method(conn, row) for row in rows]


async def by_id(conn: Conn, method_id: int) -> ContactMethod | None:
    row = await fetch_one(conn, "SELECT * FROM contact_methods WHERE id = ?", (method_id,))
    return _method(conn, row) if row else None


async def mark_failing(conn: Conn, method_id: int, now: datetime, error: str) -> bool:
    """The provider refused it; True the first time (the moment to tell someone)."""
    cursor = await conn.execute(
        "UPDATE contact_methods SET failing_since = ?, failing_error = ?"
        " WHERE id = ? AND failing_since IS NULL",
        (to_db(now), error[:100], method_id),
    )
    return cursor.rowcount == 1


async def clear_failing(conn: Conn, method_id: int) -> None:
    await conn.execute(
        "UPDATE contact_methods SET failing_since = NULL, failing_error = NULL WHERE id = ?",
        (method_id,),
    )


async def readdress(conn: Conn, method_id: int, address: str, now: datetime) -> None:
    """Put ``address`` in place of the method's, verified now and no longer failing: an
    administrator set it (pages waiting for the method go to the new address)."""
    await conn.execute(
        "UPDATE contact_methods SET address = ?, verified_at = ?, failing_since = NULL,"
        " failing_error = NULL WHERE id = ?",
        (seal(conn, "contact_methods", "address", address), to_db(now), method_id),
    )


async def everyone(conn: Conn) -> list[ContactMethod]:
    """Every method of everybody, by person then oldest first (the administrator's list)."""
    rows = await fetch_all(conn, "SELECT * FROM contact_methods ORDER BY person_id, id")
    return [_method(conn, row) for row in rows]


async def remove(conn: Conn, method_id: int) -> None:
    """Delete the method; pages written for it keep their row, without the link."""
    await conn.execute(
        "UPDATE outbox SET contact_method_id = NULL WHERE contact_method_id = ?", (method_id,)
    )
    await conn.execute("DELETE FROM contact_methods WHERE id = ?", (method_id,))


async def remove_all(conn: Conn, person_id: int) -> None:
    """Every method of the person goes (their numbers with them)."""
    for method in await fetch_all(
        conn, "SELECT id FROM contact_methods WHERE person_id = ?", (person_id,)
    ):
        await remove(conn, method["id"])


def _method(conn: Conn, row: Row) -> ContactMethod:
    address = unseal(conn, "contact_methods", "address", row["address"])
    return ContactMethod(
        id=row["id"],
        person_id=row["person_id"],
        kind=ContactKind(row["kind"]),
        address=address or "",
        verified_at=from_db(row["verified_at"]) if row["verified_at"] else None,
        failing_since=from_db(row["failing_since"]) if row["failing_since"] else None,
        failing_error=row["failing_error"],
        created_at=from_db(row["created_at"]),
    )


async def failing(conn: Conn) -> list[tuple[int, ContactKind]]:
    """(person, kind) of every method a provider refused and nobody has entered again:
    no address, so /status needs no key and shows no number."""
    rows = await fetch_all(
        conn,
        "SELECT person_id, kind FROM contact_methods WHERE failing_since IS NOT NULL"
        " ORDER BY person_id, id",
    )
    return [(row["person_id"], ContactKind(row["kind"])) for row in rows]
