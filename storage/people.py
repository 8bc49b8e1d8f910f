"""People and their roles."""

from __future__ import annotations

from datetime import datetime

from bot.domain.people import Person, Role
from storage.db import Conn, Row, fetch_all, fetch_one
from storage.timefmt import to_db

_SELECT = """
SELECT p.*, (SELECT group_concat(role) FROM person_roles r WHERE r.person_id = p.id) AS roles
FROM people p
"""


def _person(row: Row) -> Person:
    roles = row["roles"] or ""
    return Person(
        id=row["id"],
        telegram_id=row["telegram_id"],
        display_name=row["display_name"],
        roles=frozenset(Role(r) for r in roles.split(",") if r),
        station_id=row["station_id"],
        team_id=row["team_id"],
        language=row["language"],
        active=bool(row["active"]),
        reachable=bool(row["reachable"]),
        on_duty=bool(row["on_duty"]),
    )


async def by_telegram_id(conn: Conn, telegram_id: int) -> Person | None:
    row = await fetch_one(conn, _SELECT + " WHERE p.telegram_id = ?", (telegram_id,))
    return _person(row) if row else None


async def by_id(conn: Conn, person_id: int) -> Person | None:
    row = await fetch_one(conn, _SELECT + " WHERE p.id = ?", (person_id,))
    return _person(row) if row else None


async def all_people(conn: Conn) -> list[Person]:
    return [_person(row) for row in await fetch_all(conn, _SELECT + " ORDER BY p.id")]


async def insert(
    conn: Conn, *, telegram_id: int, display_name: str, language: str | None, now: datetime
) -> int:
    cursor = await conn.execute(
        "INSERT INTO people (telegram_id, display_name, language, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (telegram_id, display_name, language, to_db(now), to_db(now)),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def grant(
    conn: Conn,
    person_id: int,
    role: Role,
    *,
    station_id: str | None,
    team_id: str | None,
    now: datetime,
) -> None:
    """Add a role; a station or team given replaces the person's current one."""
    await conn.execute(
        "INSERT OR IGNORE INTO person_roles (person_id, role, granted_at) VALUES (?, ?, ?)",
        (person_id, role.value, to_db(now)),
    )
    await conn.execute(
        "UPDATE people SET station_id = COALESCE(?, station_id), team_id = COALESCE(?, team_id),"
        " active = 1, updated_at = ? WHERE id = ?",
        (station_id, team_id, to_db(now), person_id),
    )


async def set_display_name(conn: Conn, person_id: int, name: str, now: datetime) -> None:
    await conn.execute(
        "UPDATE people SET display_name = ?, updated_at = ? WHERE id = ?",
        (name, to_db(now), person_id),
    )


async def set_language(conn: Conn, person_id: int, language: str, now: datetime) -> None:
    await conn.execute(
        "UPDATE people SET language = ?, updated_at = ? WHERE id = ?",
        (language, to_db(now), person_id),
    )


async def set_active(conn: Conn, person_id: int, active: bool, now: datetime) -> None:
    await conn.execute(
        "UPDATE people SET active = ?, updated_at = ? WHERE id = ?",
        (int(active), to_db(now), person_id),
    )
