"""Stations, teams and which team covers which station, mirrored from the config.

The config file is the source of truth; the tables exist so that people, invites and
referrals can reference stations and teams with foreign keys. A station or team that
disappears from the config is marked inactive, never deleted: old referrals point at it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storage.db import Conn, fetch_all


@dataclass(frozen=True)
class Unit:
    """A station or a team as the directory knows it."""

    id: str
    name_zh: str
    name_en: str


async def sync(
    conn: Conn, *, stations: Sequence[Unit], teams: Sequence[Unit], coverage: dict[str, str]
) -> None:
    """Make the tables match the config; ``coverage`` maps station id to team id."""
    for table, units in (("stations", stations), ("teams", teams)):
        await conn.execute(f"UPDATE {table} SET active = 0")  # noqa: S608 - fixed names
        for unit in units:
            await conn.execute(
                f"INSERT INTO {table} (id, name_zh, name_en, active) VALUES (?, ?, ?, 1)"  # noqa: S608
                " ON CONFLICT (id) DO UPDATE SET name_zh = excluded.name_zh,"
                " name_en = excluded.name_en, active = 1",
                (unit.id, unit.name_zh, unit.name_en),
            )
    await conn.execute("DELETE FROM coverage")
    await conn.executemany(
        "INSERT INTO coverage (station_id, team_id) VALUES (?, ?)", list(coverage.items())
    )


async def active_ids(conn: Conn, table: str) -> set[str]:
    if table not in ("stations", "teams"):
        raise ValueError(table)
    rows = await fetch_all(conn, f"SELECT id FROM {table} WHERE active = 1")  # noqa: S608
    return {row["id"] for row in rows}
