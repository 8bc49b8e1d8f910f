"""People and their roles (each role with its own scope)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.domain.people import Person, Role, Scope
from bot.domain.referral import Skill
from storage.db import Conn, Database, Row, after_commit, fetch_all
from storage.referrals import OPEN_CASES_OF
from storage.timefmt import from_db, to_db


async def _load(conn: Conn, rows: list[Row]) -> list[Person]:
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    marks = ",".join("?" * len(ids))
    grants = await fetch_all(
        conn,
        f"SELECT person_id, role, station_id, team_id FROM person_roles"  # noqa: S608
        f" WHERE person_id IN ({marks}) ORDER BY person_id, role",
        ids,
    )
    scopes: dict[int, list[Scope]] = {}
    for grant in grants:
        scopes.setdefault(grant["person_id"], []).append(
            Scope(Role(grant["role"]), grant["station_id"], grant["team_id"])
        )
    return [_person(row, scopes.get(row["id"], ())) for row in rows]


def _person(row: Row, scopes: Iterable[Scope]) -> Person:
    return Person(
        id=row["id"],
        telegram_id=row["telegram_id"],
        display_name=row["display_name"],
        scopes=tuple(scopes),
        language=row["language"],
        active=bool(row["active"]),
        reachable=bool(row["reachable"]),
        available=bool(row["available"]),
        away_until=from_db(row["away_until"]) if row["away_until"] else None,
    )


async def _with_roles(conn: Conn, where: str, params: Iterable[int]) -> list[Person]:
    """People with their roles in one read: the guard looks up the sender of every
    update and the sender every notice's recipient, so a second read for the roles
    would be paid on every update."""
    rows = await fetch_all(
        conn,
        "SELECT p.*, r.role AS grant_role, r.station_id AS grant_station,"  # noqa: S608
        " r.team_id AS grant_team FROM people AS p"
        " LEFT JOIN person_roles AS r ON r.person_id = p.id"
        f" WHERE {where} ORDER BY p.id, r.role",
        params,
    )
    grouped: dict[int, tuple[Row, list[Scope]]] = {}
    for row in rows:
        _, scopes = grouped.setdefault(row["id"], (row, []))
        if row["grant_role"] is not None:
            scopes.append(Scope(Role(row["grant_role"]), row["grant_station"], row["grant_team"]))
    return [_person(row, scopes) for row, scopes in grouped.values()]


async def _one(conn: Conn, where: str, value: int) -> Person | None:
    found = await _with_roles(conn, f"p.{where} = ?", (value,))
    return found[0] if found else None


async def by_ids(conn: Conn, person_ids: Iterable[int]) -> dict[int, Person]:
    """The people with these ids (those that exist), by id."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    return {person.id: person for person in await _with_roles(conn, f"p.id IN ({marks})", ids)}


async def by_telegram_id(conn: Conn, telegram_id: int) -> Person | None:
    return await _one(conn, "telegram_id", telegram_id)


async def by_id(conn: Conn, person_id: int) -> Person | None:
    return await _one(conn, "id", person_id)


async def all_active(conn: Conn) -> list[Person]:
    return await _load(conn, await fetch_all(conn, "SELECT * FROM people WHERE active = 1"))


async def unreachable(conn: Conn) -> list[Person]:
    """Active people Telegram refused messages to (they blocked the bot)."""
    return await _load(
        conn,
        await fetch_all(
            conn, "SELECT * FROM people WHERE active = 1 AND reachable = 0 ORDER BY display_name"
        ),
    )


async def insert(
    conn: Conn, *, telegram_id: int, display_name: str, language: str, now: datetime
) -> int:
    _changed(conn)
    cursor = await conn.execute(
        "INSERT INTO people (telegram_id, display_name, language, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (telegram_id, display_name, language, to_db(now), to_db(now)),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def grant(conn: Conn, person_id: int, scope: Scope, *, now: datetime) -> None:
    """Give a role with its scope; a role held already takes the new scope."""
    _changed(conn)
    await conn.execute(
        "INSERT INTO person_roles (person_id, role, station_id, team_id, granted_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (person_id, role) DO UPDATE SET"
        " station_id = excluded.station_id, team_id = excluded.team_id,"
        " granted_at = excluded.granted_at",
        (person_id, scope.role.value, scope.station_id, scope.team_id, to_db(now)),
    )
    await conn.execute(
        "UPDATE people SET active = 1, updated_at = ? WHERE id = ?", (to_db(now), person_id)
    )


async def set_display_name(conn: Conn, person_id: int, name: str, now: datetime) -> None:
    _changed(conn)
    await conn.execute(
        "UPDATE people SET display_name = ?, updated_at = ? WHERE id = ?",
        (name, to_db(now), person_id),
    )


async def set_language(conn: Conn, person_id: int, language: str, now: datetime) -> None:
    _changed(conn)
    await conn.execute(
        "UPDATE people SET language = ?, updated_at = ? WHERE id = ?",
        (language, to_db(now), person_id),
    )


async def set_active(conn: Conn, person_id: int, active: bool, now: datetime) -> None:
    _changed(conn)
    await conn.execute(
        "UPDATE people SET active = ?, updated_at = ? WHERE id = ?",
        (int(active), to_db(now), person_id),
    )


async def skills_of(conn: Conn, person_ids: list[int]) -> dict[int, frozenset[Skill]]:
    if not person_ids:
        return {}
    marks = ",".join("?" * len(person_ids))
    rows = await fetch_all(
        conn,
        f"SELECT person_id, skill FROM person_skills WHERE person_id IN ({marks})",  # noqa: S608
        person_ids,
    )
    found: dict[int, set[Skill]] = {}
    for row in rows:
        found.setdefault(row["person_id"], set()).add(Skill(row["skill"]))
    return {pid: frozenset(skills) for pid, skills in found.items()}


async def set_skills(conn: Conn, person_id: int, skills: frozenset[Skill]) -> None:
    _changed(conn)
    await conn.execute("DELETE FROM person_skills WHERE person_id = ?", (person_id,))
    await conn.executemany(
        "INSERT INTO person_skills (person_id, skill) VALUES (?, ?)",
        [(person_id, skill.value) for skill in sorted(skills)],
    )


_OPEN_CASES_PER_PERSON = OPEN_CASES_OF.replace("assignee_id = ?", "assignee_id = p.id")


async def workers_of_team(conn: Conn, team_id: str) -> list[tuple[Person, int]]:
    """The team's social workers with their open-case counts."""
    rows = await fetch_all(
        conn,
        f"SELECT p.*, ({_OPEN_CASES_PER_PERSON}) AS open_cases"  # noqa: S608 - constant
        " FROM people p JOIN person_roles g ON g.person_id = p.id"
        " WHERE g.role = 'social_worker' AND g.team_id = ? ORDER BY p.id",
        (team_id,),
    )
    loaded = await _load(conn, rows)
    return [(person, int(row["open_cases"])) for person, row in zip(loaded, rows, strict=True)]


async def set_available(conn: Conn, person_id: int, available: bool, now: datetime) -> None:
    _changed(conn)
    await conn.execute(
        "UPDATE people SET available = ?, updated_at = ? WHERE id = ?",
        (int(available), to_db(now), person_id),
    )


async def set_reachable(conn: Conn, person_id: int, reachable: bool, now: datetime) -> None:
    """False once Telegram refused a message to them (they blocked the bot)."""
    _changed(conn)
    await conn.execute(
        "UPDATE people SET reachable = ?, updated_at = ? WHERE id = ?",
        (int(reachable), to_db(now), person_id),
    )


async def coordinators_for(conn: Conn, team_id: str | None) -> list[Person]:
    """Coordinators of ``team_id`` and those covering every station."""
    rows = await fetch_all(
        conn,
        "SELECT p.* FROM people p JOIN person_roles g ON g.person_id = p.id"
        " WHERE g.role = 'coordinator' AND (g.team_id IS NULL OR g.team_id = ?)"
        " AND p.active = 1 ORDER BY p.id",
        (team_id,),
    )
    return await _load(conn, rows)


async def set_away_until(conn: Conn, person_id: int, until: datetime | None, now: datetime) -> None:
    _changed(conn)
    await conn.execute(
        "UPDATE people SET away_until = ?, updated_at = ? WHERE id = ?",
        (to_db(until) if until else None, to_db(now), person_id),
    )


class _Writes:
    """How many writes to people and their roles this process made (see :class:`Known`)."""

    count = 0


def _changed(conn: Conn) -> None:
    """Counted when the write is made and again when it commits: a lookup made in
    between (on the other connection, which still sees the row as it was) is then
    remembered under a count that is already out of date."""
    _Writes.count += 1
    after_commit(conn, _committed)


def _committed() -> None:
    _Writes.count += 1


# People remembered at most: the guard looks up everyone who writes to the bot.
KNOWN_AT_MOST = 1024


class Known:
    """Enrolled people by Telegram id, remembered while nobody is changed.

    The guard looks up the person behind every update; in a burst that read (a join of
    the person and their roles) was one of the largest parts of handling a tap. What
    it finds is remembered until any person or role changes: in this process every
    such write goes through this module and is counted (:func:`_changed`); another
    program's (the command line deactivating someone) is seen in the writer's
    ``PRAGMA data_version`` (:meth:`Database.others_wrote`), asked at every lookup for
    a few microseconds. Strangers are not remembered (anyone can write to the bot).
    """

    def __init__(self) -> None:
        self._people: dict[int, Person] = {}
        self._stamp: tuple[int, int] | None = None

    async def by_telegram_id(self, db: Database, telegram_id: int) -> Person | None:
        stamp = (_Writes.count, db.others_wrote())  # before the read: see _changed
        if stamp != self._stamp:
            self._people.clear()
            self._stamp = stamp
        known = self._people.get(telegram_id)
        if known is not None:
            return known
        person = await by_telegram_id(db.reader, telegram_id)
        if person is not None and len(self._people) < KNOWN_AT_MOST:
            self._people[telegram_id] = person
        return person
