"""The rota file: its two CSV layouts (weekly shifts, covers), its help, and reading it.

Reading only: each row is checked on its own (syntax, team, role, times) and every bad
row becomes a "line N: ..." so the admin fixes the file in one go. What the rows mean
against the people enrolled, and writing them, is :mod:`bot.services.rota.importing`.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.domain.people import Role
from bot.domain.rota import Change, WeeklyWindow
from bot.services.rota.duty import ROTA_ROLES

COLUMNS = ("team", "role", "days", "hours", "telegram_id")
COVER_COLUMNS = ("team", "role", "start", "end", "change", "telegram_id", "replaces")
_HEADERS = f"{','.join(COLUMNS)} (weekly shifts) or {','.join(COVER_COLUMNS)} (covers)"
_LOCAL = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})$")
CSV_HELP = """\
Import a CSV file (UTF-8; Excel's BOM is fine). Its header says what it holds:
weekly shifts, which replace the whole weekly rota, or covers, which are added
to it. Either way the whole file is checked first: if any row is wrong, each is
reported with its line number, nothing is imported and the exit code is 1.
Columns may come in any order; blank lines and lines starting with # are
skipped. Times are local to the config's time zone.

WEEKLY SHIFTS replace every weekly shift, in one transaction; covers (set with
/cover or imported) are kept. One row per person per shift:

  team,role,days,hours,telegram_id
  xuhui-sw,social_worker,mon-fri,09:00-18:00,200
  xuhui-sw,social_worker,mon-fri,22:00-08:00,201
  ,coordinator,daily,18:00-08:00,300

team         a team id from the config; empty on coordinator rows (coordinators
             share one rota)
role         social_worker or coordinator; the person must be enrolled, active
             and hold that role (a social worker in that team)
days         the days a shift starts on: mon-fri, sat,sun (quote it: "sat,sun"),
             fri-mon, daily
hours        local start-end: 09:00-18:00; an end not after the start ends the
             next day (22:00-08:00); 24:00 is midnight
telegram_id  the person's Telegram id

A team with no social_worker rows has no rota: who is on duty there is then
only what its workers set with /available and /away.

COVERS are one-off changes for a date-time range, as /cover makes them. They
are added: no cover already set is changed or deleted, and a row identical to
a cover imported before is skipped, so importing a file twice adds nothing.
The people concerned are not messaged. One row per cover:

  team,role,start,end,change,telegram_id,replaces
  xuhui-sw,social_worker,2026-12-24 18:00,2026-12-25 08:00,add,200,
  xuhui-sw,social_worker,2026-12-31 22:00,2027-01-01 08:00,replace,202,201
  ,coordinator,2026-12-24 18:00,2026-12-25 08:00,remove,300,

team, role   as for weekly shifts: the rota the cover changes
start, end   local date and time, YYYY-MM-DD HH:MM (a T instead of the space is
             fine); the end must be after the start and not already past
change       add (on duty as well), remove (off duty) or replace (on duty
             instead of the person in replaces)
telegram_id  the person who is put on or taken off duty
replaces     for replace only: the Telegram id of the person taken off duty, on
             the same rota (same role, and team for social workers); empty for
             add and remove"""


class RotaFileError(Exception):
    """The file was refused and nothing was imported; ``errors`` are "line N: ..." lines."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class _Row:
    line: int
    team_id: str | None
    role: Role
    days: str
    hours: str
    window: WeeklyWindow
    telegram_id: int


@dataclass(frozen=True)
class _CoverRow:
    line: int
    team_id: str | None
    role: Role
    start: datetime  # UTC
    end: datetime
    change: Change
    telegram_id: int
    replaces: int | None  # a Telegram id


def parse_rows(text: str, team_ids: set[str]) -> tuple[list[_Row], list[str]]:
    """The weekly-shift CSV's rows that read correctly, and a "line N: ..." for each that
    does not. Blank lines and lines whose first cell starts with ``#`` are skipped."""
    records, errors = _records(text, COLUMNS)
    rows: list[_Row] = []
    for line, values in records:
        try:
            rows.append(_row(line, values, team_ids))
        except ValueError as exc:
            errors.append(f"line {line}: {exc}")
    errors.sort(key=_line_number)
    return rows, errors


def _header(text: str) -> tuple[int, list[str]] | None:
    """The line number and lower-cased column names of the first row that counts."""
    reader = csv.reader(io.StringIO(text))
    for cells in reader:
        if not _skipped(cells):
            return reader.line_num, [cell.strip().lower() for cell in cells]
    return None


def _skipped(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells) or cells[0].strip().startswith("#")


def _records(
    text: str, expected: tuple[str, ...]
) -> tuple[list[tuple[int, dict[str, str]]], list[str]]:
    """Each data row as (line, column → stripped value) after a header naming the
    ``expected`` columns in any order; a "line N: ..." for a row of the wrong length."""
    reader = csv.reader(io.StringIO(text))
    records: list[tuple[int, dict[str, str]]] = []
    errors: list[str] = []
    columns: dict[str, int] | None = None
    for cells in reader:
        line = reader.line_num
        if _skipped(cells):
            continue
        if columns is None:
            names = [cell.strip().lower() for cell in cells]
            if sorted(names) != sorted(expected):
                return [], [f"line {line}: the header must be {','.join(expected)}"]
            columns = {name: index for index, name in enumerate(names)}
            continue
        if len(cells) != len(expected):
            errors.append(
                f"line {line}: expected {len(expected)} fields ({','.join(expected)}),"
                f" found {len(cells)}"
            )
            continue
        records.append((line, {name: cells[index].strip() for name, index in columns.items()}))
    if columns is None:
        errors.append(f"line 1: empty file; the header must be {','.join(expected)}")
    return records, errors


def _row(line: int, values: dict[str, str], team_ids: set[str]) -> _Row:
    team_id, role = _team_and_role(values, team_ids)
    days, hours = values["days"].lower(), values["hours"]
    window = WeeklyWindow.parse(days, hours)  # ValueError says what is wrong
    return _Row(line, team_id, role, days, hours, window, _telegram_id(values["telegram_id"]))


def _team_and_role(values: dict[str, str], team_ids: set[str]) -> tuple[str | None, Role]:
    if values["role"].lower() not in {r.value for r in ROTA_ROLES}:
        raise ValueError(f"role {values['role']!r} must be social_worker or coordinator")
    role = Role(values["role"].lower())
    team_id = values["team"] or None
    if team_id is None and role is Role.SOCIAL_WORKER:
        raise ValueError("a social_worker row needs a team")
    if team_id is not None and role is Role.COORDINATOR:
        raise ValueError("leave team empty on coordinator rows: coordinators share one rota")
    if team_id is not None and team_id not in team_ids:
        raise ValueError(f"unknown team {team_id!r} (known: {', '.join(sorted(team_ids))})")
    return team_id, role


def _telegram_id(text: str, column: str = "telegram_id") -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{column} {text!r} is not a number") from None


def _line_number(error: str) -> int:
    number = error.removeprefix("line ").split(":", 1)[0]
    return int(number) if number.isdigit() else 0


def parse_covers(
    text: str, team_ids: set[str], zone: ZoneInfo
) -> tuple[list[_CoverRow], list[str]]:
    """The covers CSV's rows that read correctly (times turned into UTC from ``zone``),
    and a "line N: ..." for each that does not."""
    records, errors = _records(text, COVER_COLUMNS)
    rows: list[_CoverRow] = []
    for line, values in records:
        try:
            rows.append(_cover_row(line, values, team_ids, zone))
        except ValueError as exc:
            errors.append(f"line {line}: {exc}")
    errors.sort(key=_line_number)
    return rows, errors


def _cover_row(line: int, values: dict[str, str], team_ids: set[str], zone: ZoneInfo) -> _CoverRow:
    team_id, role = _team_and_role(values, team_ids)
    start = _local_time("start", values["start"], zone)
    end = _local_time("end", values["end"], zone)
    if end <= start:
        raise ValueError(f"the end {values['end']!r} is not after the start {values['start']!r}")
    if values["change"].lower() not in {c.value for c in Change}:
        raise ValueError(f"change {values['change']!r} must be add, remove or replace")
    change = Change(values["change"].lower())
    telegram_id = _telegram_id(values["telegram_id"])
    replaces: int | None = None
    if change is Change.REPLACE:
        if not values["replaces"]:
            raise ValueError("replace needs the Telegram id of the person replaced in replaces")
        replaces = _telegram_id(values["replaces"], "replaces")
        if replaces == telegram_id:
            raise ValueError("a person cannot replace themselves")
    elif values["replaces"]:
        raise ValueError(f"leave replaces empty when change is {change.value}")
    return _CoverRow(line, team_id, role, start, end, change, telegram_id, replaces)


def _local_time(column: str, text: str, zone: ZoneInfo) -> datetime:
    """A local "YYYY-MM-DD HH:MM" as UTC; a time the clocks skip in spring reads as if
    they had not changed yet, as weekly shifts do."""
    match = _LOCAL.match(text)
    try:
        if match is None:
            raise ValueError
        year, month, day, hour, minute = (int(part) for part in match.groups())
        local = datetime(year, month, day, hour, minute, tzinfo=zone)
    except ValueError:
        example = "2026-12-24 18:00"
        raise ValueError(f"{column} {text!r} is not a date and time like {example}") from None
    return local.astimezone(UTC)
