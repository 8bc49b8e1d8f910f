"""The directory of local resources: written whole by an import, read at a linkage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storage.db import Conn, Row, fetch_all, fetch_one

ALL_STATIONS = "*"


@dataclass(frozen=True)
class Entry:
    """One resource as the directory holds it; ``stations`` empty-free, or ("*",)."""

    key: str
    type: str
    stations: tuple[str, ...]
    name_en: str
    name_zh: str
    name_zh_hant: str
    contact: str
    hours: str
    languages: str
    note: str
    id: int = 0

    def name(self, language: str) -> str:
        if language == "en":
            return self.name_en
        return self.name_zh_hant if language == "zh_Hant" else self.name_zh

    def serves(self, station_id: str) -> bool:
        return ALL_STATIONS in self.stations or station_id in self.stations


_COLUMNS = "key, type, stations, name_en, name_zh, name_zh_hant, contact, hours, languages, note"


def _entry(r: Row) -> Entry:
    return Entry(
        id=r["id"],
        key=r["key"],
        type=r["type"],
        stations=tuple(r["stations"].split()),
        name_en=r["name_en"],
        name_zh=r["name_zh"],
        name_zh_hant=r["name_zh_hant"],
        contact=r["contact"],
        hours=r["hours"],
        languages=r["languages"],
        note=r["note"],
    )


async def replace_all(conn: Conn, entries: Sequence[Entry]) -> tuple[int, int]:
    """Make the active directory exactly ``entries`` (matched by key); entries left out
    become inactive. Returns (entries written, entries made inactive)."""
    before = await fetch_all(conn, "SELECT key FROM resources WHERE active = 1")
    keys = {e.key for e in entries}
    await conn.execute("UPDATE resources SET active = 0")
    for e in entries:
        await conn.execute(
            f"INSERT INTO resources ({_COLUMNS}, active) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)"  # noqa: S608
            " ON CONFLICT (key) DO UPDATE SET type = excluded.type,"
            " stations = excluded.stations, name_en = excluded.name_en,"
            " name_zh = excluded.name_zh, name_zh_hant = excluded.name_zh_hant,"
            " contact = excluded.contact, hours = excluded.hours,"
            " languages = excluded.languages, note = excluded.note, active = 1",
            (
                e.key,
                e.type,
                " ".join(e.stations),
                e.name_en,
                e.name_zh,
                e.name_zh_hant,
                e.contact,
                e.hours,
                e.languages,
                e.note,
            ),
        )
    return len(entries), len({row["key"] for row in before} - keys)


async def of_type(conn: Conn, type_: str, station_id: str) -> list[Entry]:
    """The active entries of ``type_`` that serve ``station_id``, by English name."""
    rows = await fetch_all(
        conn,
        f"SELECT id, {_COLUMNS} FROM resources WHERE active = 1 AND type = ?"  # noqa: S608
        " ORDER BY name_en, id",
        (type_,),
    )
    return [e for e in map(_entry, rows) if e.serves(station_id)]


async def by_id(conn: Conn, resource_id: int) -> Entry | None:
    """An active entry; None once the directory no longer lists it."""
    row = await fetch_one(
        conn,
        f"SELECT id, {_COLUMNS} FROM resources WHERE id = ? AND active = 1",  # noqa: S608
        (resource_id,),
    )
    return None if row is None else _entry(row)
