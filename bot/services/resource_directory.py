"""The directory of local resources: its CSV file, importing it, and what a worker picks.

Administrators keep the directory in a spreadsheet and import it with
``referral-bot directory import FILE``, like the rota: every row is checked before
anything is written, each bad row is reported as "line N: ...", and a file with any bad
row changes nothing. At a linkage the worker sees the entries of the kind she chose
that serve the referral's station, or types a new name.
"""

from __future__ import annotations

import re

from bot.domain.referral import Resource
from bot.services import Services
from bot.services.rota.rota_file import _line_number, _records
from storage import audit, resources
from storage.resources import ALL_STATIONS, Entry

__all__ = [
    "CSV_HELP",
    "DirectoryFileError",
    "EmptyDirectoryFile",
    "Entry",
    "choices",
    "entry",
    "import_file",
    "parse",
]

COLUMNS = (
    "key",
    "type",
    "stations",
    "name_en",
    "name_zh",
    "name_zh_hant",
    "contact",
    "hours",
    "languages",
    "note",
)
NAME_LIMIT = 60  # a name is a button's label
TEXT_LIMIT = 200
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_TYPES = ", ".join(r.value for r in Resource)

CSV_HELP = f"""\
Import the directory of local resources from a CSV file (UTF-8; Excel's BOM is
fine). The file replaces the directory: an entry it leaves out is no longer
offered (cases already linked to it keep its name). The whole file is checked
first: if any row is wrong, each is reported with its line number, nothing is
imported and the exit code is 1. Columns may come in any order; blank lines and
lines starting with # are skipped. A file with no entries (a header alone) is
refused, since it would withdraw the whole directory: give --allow-empty to
withdraw it on purpose.

  {",".join(COLUMNS)}
  xh-women,womens_federation,xuhui-tianping xuhui-xietu,Xuhui Women's Federation,
    徐汇区妇联,徐匯區婦聯,021-5555 0101,Mon-Fri 09:00-17:00,zh en,Rights desk
  (one line in the file; broken here to fit)

key           your own id for the entry (a-z, 0-9, - and _), unique in the file;
              importing a corrected file updates the entry with the same key
type          one of: {_TYPES}
              ("legal" is legal aid; "community" a residents' committee)
stations      the station ids it serves, separated by spaces or ;  or * for all
name_en, name_zh, name_zh_hant
              its name in English, Simplified and Traditional Chinese
              (up to {NAME_LIMIT} characters each)
contact, hours, languages, note
              free text for the worker (up to {TEXT_LIMIT} characters each), may be empty"""


class DirectoryFileError(Exception):
    """The file was refused and nothing was imported; ``errors`` are "line N: ..." lines."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def parse(text: str, station_ids: set[str]) -> tuple[list[Entry], list[str]]:
    """The rows that read correctly, and a "line N: ..." for each that does not."""
    records, errors = _records(text, COLUMNS)
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    for line, values in records:
        try:
            entry = _entry(values, station_ids)
        except ValueError as exc:
            errors.append(f"line {line}: {exc}")
            continue
        if entry.key in seen:
            errors.append(
                f"line {line}: key {entry.key!r} is already used on line {seen[entry.key]}"
            )
            continue
        seen[entry.key] = line
        entries.append(entry)
    errors.sort(key=_line_number)
    return entries, errors


def _entry(values: dict[str, str], station_ids: set[str]) -> Entry:
    key = values["key"]
    if not _KEY.match(key):
        raise ValueError(f"key {key!r} must be 1-32 of a-z, 0-9, - and _")
    kind = values["type"].lower()
    if kind not in {r.value for r in Resource}:
        raise ValueError(f"type {values['type']!r} must be one of {_TYPES}")
    stations = tuple(values["stations"].replace(";", " ").split())
    if not stations:
        raise ValueError("stations is empty: list station ids, or * for all")
    if ALL_STATIONS in stations:
        if len(stations) > 1:
            raise ValueError("stations: * means all stations; list no others with it")
    else:
        unknown = [s for s in stations if s not in station_ids]
        if unknown:
            known = ", ".join(sorted(station_ids))
            raise ValueError(f"unknown station {unknown[0]!r} (known: {known})")
    for column in ("name_en", "name_zh", "name_zh_hant"):
        if not values[column]:
            raise ValueError(f"{column} is empty")
        if len(values[column]) > NAME_LIMIT:
            raise ValueError(f"{column} is longer than {NAME_LIMIT} characters")
    for column in ("contact", "hours", "languages", "note"):
        if len(values[column]) > TEXT_LIMIT:
            raise ValueError(f"{column} is longer than {TEXT_LIMIT} characters")
    return Entry(
        key=key,
        type=kind,
        stations=stations,
        name_en=values["name_en"],
        name_zh=values["name_zh"],
        name_zh_hant=values["name_zh_hant"],
        contact=values["contact"],
        hours=values["hours"],
        languages=values["languages"],
        note=values["note"],
    )


class EmptyDirectoryFile(Exception):
    """The file lists no entries (a header alone, an emptied spreadsheet): importing it
    would withdraw the whole directory, so it is refused unless asked for."""


async def import_file(
    services: Services, text: str, *, allow_empty: bool = False
) -> tuple[int, int]:
    """Replace the directory with the CSV ``text``, all or nothing, audited.
    Returns (entries imported, entries no longer offered).

    Raises:
        DirectoryFileError: rows are wrong; nothing was imported.
        EmptyDirectoryFile: no entries and not ``allow_empty``; nothing was imported.
    """
    station_ids = {s.id for s in services.config.stations}
    entries, errors = parse(text, station_ids)
    if errors:
        raise DirectoryFileError(errors)
    if not entries and not allow_empty:
        raise EmptyDirectoryFile
    async with services.db.write() as tx:
        written, dropped = await resources.replace_all(tx, entries)
        await audit.record(
            tx,
            now=services.clock.now(),
            action="directory.imported",
            detail=f"{written} entries, {dropped} withdrawn",
        )
    return written, dropped


async def choices(services: Services, kind: Resource, station_id: str) -> list[Entry]:
    """What the worker can pick at a linkage: this kind, serving the referral's station."""
    return await resources.of_type(services.db.reader, kind.value, station_id)


async def entry(services: Services, resource_id: int) -> Entry | None:
    return await resources.by_id(services.db.reader, resource_id)
