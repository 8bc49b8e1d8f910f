"""The rota: weekly shift rules (replaced as a whole by an import) and one-off overrides.

Rules keep the days and hours as people wrote them ("mon-fri", "22:00-08:00"); they are
parsed into :class:`bot.domain.rota.WeeklyWindow` when read, so what the database holds
is what the admin's file said. A team id of ``None`` is the coordinators' overnight rota
(compared with ``IS``, which matches NULL).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.domain.people import Role
from bot.domain.rota import Change, Override, Shift, WeeklyWindow
from storage.db import Conn, Row, fetch_all, fetch_one
from storage.timefmt import from_db, to_db


@dataclass(frozen=True)
class Rule:
    """One weekly shift as imported: who (``person_ids``) works ``days`` ``hours``."""

    team_id: str | None
    role: Role
    days: str
    hours: str
    person_ids: frozenset[int]

    def shift(self) -> Shift:
        return Shift(WeeklyWindow.parse(self.days, self.hours), self.person_ids)


@dataclass(frozen=True)
class StoredOverride:
    """An override with where it applies and who set it, as the database keeps it."""

    id: int
    team_id: str | None
    role: Role
    override: Override
    set_by: int | None
    set_at: datetime
    note: str | None


async def replace_rules(conn: Conn, rules: Iterable[Rule], *, now: datetime) -> int:
    """Delete every weekly rule and insert ``rules``; call inside one write transaction
    so a failed import leaves the old rota in place. Returns the number of shifts."""
    await conn.execute("DELETE FROM rota_shift_people")
    await conn.execute("DELETE FROM rota_shifts")
    count = 0
    for rule in rules:
        cursor = await conn.execute(
            "INSERT INTO rota_shifts (team_id, role, days, hours, imported_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (rule.team_id, rule.role.value, rule.days, rule.hours, to_db(now)),
        )
        shift_id = cursor.lastrowid
        await conn.executemany(
            "INSERT INTO rota_shift_people (shift_id, person_id) VALUES (?, ?)",
            [(shift_id, person_id) for person_id in sorted(rule.person_ids)],
        )
        count += 1
    return count


async def rules_for(conn: Conn, *, team_id: str | None, role: Role) -> list[Rule]:
    """The weekly rules of one team and role (``team_id=None``: the coordinators' rota)."""
    shifts = await fetch_all(
        conn,
        "SELECT id, team_id, role, days, hours FROM rota_shifts"
        " WHERE team_id IS ? AND role = ? ORDER BY id",
        (team_id, role.value),
    )
    if not shifts:
        return []
    marks = ",".join("?" * len(shifts))
    members = await fetch_all(
        conn,
        f"SELECT shift_id, person_id FROM rota_shift_people"  # noqa: S608 - only marks
        f" WHERE shift_id IN ({marks})",
        [row["id"] for row in shifts],
    )
    people: dict[int, set[int]] = {}
    for member in members:
        people.setdefault(member["shift_id"], set()).add(member["person_id"])
    return [
        Rule(
            team_id=row["team_id"],
            role=Role(row["role"]),
            days=row["days"],
            hours=row["hours"],
            person_ids=frozenset(people.get(row["id"], ())),
        )
        for row in shifts
    ]


async def insert_override(
    conn: Conn,
    *,
    team_id: str | None,
    role: Role,
    override: Override,
    set_by: int | None,
    now: datetime,
    note: str | None = None,
) -> int:
    cursor = await conn.execute(
        "INSERT INTO rota_overrides (team_id, role, starts_at, ends_at, change, person_id,"
        " replaces_id, set_by, set_at, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            team_id,
            role.value,
            to_db(override.start),
            to_db(override.end),
            override.change.value,
            override.person_id,
            override.replaces,
            set_by,
            to_db(now),
            note,
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def overrides_between(
    conn: Conn, *, team_id: str | None, role: Role, start: datetime, end: datetime
) -> list[StoredOverride]:
    """Overrides of one team and role that overlap ``[start, end)``, oldest set first
    (the order :func:`bot.domain.rota.on_duty` applies them in)."""
    rows = await fetch_all(
        conn,
        "SELECT * FROM rota_overrides WHERE team_id IS ? AND role = ?"
        " AND starts_at < ? AND ends_at > ? ORDER BY set_at, id",
        (team_id, role.value, to_db(end), to_db(start)),
    )
    return [_override(row) for row in rows]


async def count_overrides(conn: Conn) -> int:
    row = await fetch_one(conn, "SELECT count(*) FROM rota_overrides")
    return int(row[0]) if row else 0


def _override(row: Row) -> StoredOverride:
    return StoredOverride(
        id=row["id"],
        team_id=row["team_id"],
        role=Role(row["role"]),
        override=Override(
            start=from_db(row["starts_at"]),
            end=from_db(row["ends_at"]),
            change=Change(row["change"]),
            person_id=row["person_id"],
            replaces=row["replaces_id"],
        ),
        set_by=row["set_by"],
        set_at=from_db(row["set_at"]),
        note=row["note"],
    )


async def find_override(
    conn: Conn, *, team_id: str | None, role: Role, override: Override, set_by: int | None
) -> int | None:
    """The id of an identical override already set by the same person (a double tap)."""
    row = await fetch_one(
        conn,
        "SELECT id FROM rota_overrides WHERE team_id IS ? AND role = ? AND starts_at = ?"
        " AND ends_at = ? AND change = ? AND person_id = ? AND replaces_id IS ?"
        " AND set_by IS ?",
        (
            team_id,
            role.value,
            to_db(override.start),
            to_db(override.end),
            override.change.value,
            override.person_id,
            override.replaces,
            set_by,
        ),
    )
    return int(row["id"]) if row else None
