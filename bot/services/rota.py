"""The rota as the bot uses it: who is on duty now and next, covers, and the import.

The rules live in the database (``referral-bot rota import``) and are evaluated with the
pure :mod:`bot.domain.rota` in the deployment's zone, so a night shift crosses midnight
and a shift across a daylight-saving change keeps its wall-clock times.

A team or role with no weekly rule at all has *no rota yet*: :func:`on_duty` then says
``None`` rather than "nobody", so callers fall back to the people's /available flags
instead of leaving every referral unanswered in a deployment that has not imported one.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain import rota as rules
from bot.domain.people import Person, Role
from bot.domain.rota import Change, Override, Reach, WeeklyWindow
from bot.services import Services, outbox
from bot.services.notices import Notice, NoticeKind
from storage import audit, directory, people, rota
from storage.db import Conn

ROTA_ROLES = (Role.SOCIAL_WORKER, Role.COORDINATOR)
NOTE_LIMIT = 200
_INSTANT = timedelta(microseconds=1)


# ----------------------------------------------------------------------------------------
# Who is on duty
# ----------------------------------------------------------------------------------------


async def on_duty(
    services: Services,
    *,
    team_id: str | None,
    role: Role,
    at: datetime,
    conn: Conn | None = None,
) -> frozenset[int] | None:
    """Person ids on duty at ``at`` in the rota of ``team_id`` (None: the coordinators'
    overnight rota) and ``role``, overrides applied; None when that rota has no weekly
    rule at all. ``conn`` lets a caller read inside its own write transaction."""
    conn = conn or services.db.reader
    found = await rota.rules_for(conn, team_id=team_id, role=role)
    if not found:
        return None
    return await _evaluate(conn, services.config.zone, found, at, team_id, role)


async def next_shift(
    services: Services,
    *,
    team_id: str | None,
    role: Role,
    after: datetime,
    conn: Conn | None = None,
) -> tuple[datetime, frozenset[int]] | None:
    """When the next shift of that rota starts after ``after`` and who is on duty then
    (overrides included); None when the rota has no weekly rule."""
    conn = conn or services.db.reader
    found = await rota.rules_for(conn, team_id=team_id, role=role)
    zone = services.config.zone
    start = rules.next_start([rule.shift().window for rule in found], after, zone)
    if start is None:
        return None
    return start, await _evaluate(conn, zone, found, start, team_id, role)


async def _evaluate(
    conn: Conn,
    zone: ZoneInfo,
    found: list[rota.Rule],
    at: datetime,
    team_id: str | None,
    role: Role,
) -> frozenset[int]:
    """The weekly rules at ``at``, then the overrides active at that instant."""
    overrides = await rota.overrides_between(
        conn, team_id=team_id, role=role, start=at, end=at + _INSTANT
    )
    return rules.on_duty(
        [rule.shift() for rule in found], [o.override for o in overrides], at, zone
    )


async def coordinators_on_duty(
    services: Services, team_id: str | None, at: datetime
) -> list[Person]:
    """Coordinators of ``team_id`` (and of all stations) on duty at ``at``: on the
    coordinators' rota or marked /available, as escalation chooses them."""
    shift = await on_duty(services, team_id=None, role=Role.COORDINATOR, at=at)
    found = await people.coordinators_for(services.db.reader, team_id)
    return [person for person in found if person.on_duty(shift, at)]


@dataclass(frozen=True)
class Duty:
    """One team's workers now and next. ``rota`` False: the team has no rota yet, so
    ``now`` are those marked /available and there is no next shift."""

    rota: bool
    now: Reach
    next_at: datetime | None = None
    next_people: Reach = field(default_factory=Reach)


@dataclass(frozen=True)
class Board:
    """What /oncall shows for one team."""

    team_id: str
    workers: Duty
    coordinators: Reach


def teams_of(services: Services, person: Person) -> list[str]:
    """The teams a person sees in /oncall: their own as a worker and those they
    coordinate (every team for a coordinator of all stations), in the config's order."""
    own = {person.team_id} | set(covered_teams(services, person))
    return [team.id for team in services.config.teams if team.id in own]


def covered_teams(services: Services, coordinator: Person) -> list[str]:
    """The teams whose workers' rota ``coordinator`` may change with /cover."""
    return [team.id for team in services.config.teams if may_cover(coordinator, team.id)]


def may_cover(coordinator: Person, team_id: str | None) -> bool:
    """Whether ``coordinator`` may change a rota with /cover: the workers' rota of their
    own team (a coordinator of all stations: of every team), and the coordinators'
    shared rota (``team_id`` None), which every coordinator may change: they are all
    on it and swap nights among themselves."""
    scope = coordinator.scope(Role.COORDINATOR)
    if scope is None:
        return False
    return team_id is None or scope.all_stations or scope.team_id == team_id


async def boards(services: Services, person: Person, at: datetime) -> list[Board]:
    """For /oncall: each of the person's teams with its workers on duty now and on the
    next shift, and the coordinators on duty now."""
    found = []
    for team_id in teams_of(services, person):
        coordinators = Reach.of(await coordinators_on_duty(services, team_id, at))
        found.append(Board(team_id, await _duty(services, team_id, at), coordinators))
    return found


async def _duty(services: Services, team_id: str, at: datetime) -> Duty:
    shift = await on_duty(services, team_id=team_id, role=Role.SOCIAL_WORKER, at=at)
    workers = await team_workers(services, team_id)
    now = Reach.of(w for w in workers if w.on_duty(shift, at))
    if shift is None:
        return Duty(False, now)
    upcoming = await next_shift(services, team_id=team_id, role=Role.SOCIAL_WORKER, after=at)
    if upcoming is None:
        return Duty(True, now)
    start, ids = upcoming
    return Duty(True, now, start, Reach.of(w for w in workers if w.id in ids))


async def team_workers(services: Services, team_id: str) -> list[Person]:
    """The team's active social workers by name (those /cover offers to choose from)."""
    workers = await people.workers_of_team(services.db.reader, team_id)
    return sorted((p for p, _ in workers if p.active), key=lambda p: (p.display_name, p.id))


async def rota_members(services: Services, team_id: str | None) -> list[Person]:
    """The active people of one rota by name: a team's social workers, or (``team_id``
    None) every coordinator, of a team or of all stations, who share one rota."""
    if team_id is not None:
        return await team_workers(services, team_id)
    everyone = await people.all_active(services.db.reader)
    found = (p for p in everyone if p.scope(Role.COORDINATOR) is not None)
    return sorted(found, key=lambda p: (p.display_name, p.id))


async def roster(
    services: Services, team_id: str | None, at: datetime
) -> list[tuple[Person, bool]]:
    """:func:`rota_members` of that rota, each with whether they are on duty at ``at``
    (the rota, /available and /away together, as routing sees it)."""
    role = Role.SOCIAL_WORKER if team_id is not None else Role.COORDINATOR
    shift = await on_duty(services, team_id=team_id, role=role, at=at)
    return [(p, p.on_duty(shift, at)) for p in await rota_members(services, team_id)]


async def find_person(services: Services, person_id: int) -> Person | None:
    return await people.by_id(services.db.reader, person_id)


# ----------------------------------------------------------------------------------------
# Covers (overrides set from chat)
# ----------------------------------------------------------------------------------------


class Period(StrEnum):
    """The periods /cover offers; the value is the code in the button data."""

    UNTIL_MORNING = "n"  # now until 08:00
    TONIGHT = "t"  # 18:00-08:00
    TODAY = "d"  # 09:00-18:00
    NEXT_4_HOURS = "h"


_DAILY = {
    Period.UNTIL_MORNING: WeeklyWindow.parse("daily", "08:00-09:00"),  # only its start is used
    Period.TONIGHT: WeeklyWindow.parse("daily", "18:00-08:00"),
    Period.TODAY: WeeklyWindow.parse("daily", "09:00-18:00"),
}


def period_span(period: Period, now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC range ``period`` means at ``now`` in local time. "Tonight" and "today" are
    the next such window that has not ended yet (at 03:00, "tonight" is the one still
    running), starting no earlier than now; DST-safe through :mod:`bot.domain.rota`."""
    if period is Period.NEXT_4_HOURS:
        return now, now + timedelta(hours=4)
    window = _DAILY[period]
    if period is Period.UNTIL_MORNING:
        end = window.next_start(now, zone)
        assert end is not None  # a daily window always starts again within a day
        return now, end
    start, end = next((s, e) for s, e in window.occurrences(now, zone) if e > now)
    return max(start, now), end


class Refusal(StrEnum):
    NOT_YOUR_TEAM = "not_your_team"  # the coordinator does not cover that rota
    NOT_ON_ROTA = "not_on_rota"  # not an active person of that role (and team)
    BAD_REPLACES = "bad_replaces"  # replace needs another person of the same rota
    BAD_PERIOD = "bad_period"  # the end is not after the start
    NOTE_TOO_LONG = "note_too_long"


class CoverRefused(ValueError):
    """The cover was not recorded; ``reason`` says why (the handler words it)."""

    def __init__(self, reason: Refusal) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class Cover:
    """A recorded override, with the people it names."""

    id: int
    team_id: str | None
    role: Role
    override: Override
    person: Person
    replaces: Person | None = None
    created: bool = field(default=True, compare=False)  # False: a double tap, already there
    # What the people whose duty changed are told, already in the outbox (none on a
    # double tap, nor to the coordinator who made the change).
    notices: tuple[Notice, ...] = field(default=(), compare=False)


async def cover(
    services: Services,
    coordinator: Person,
    *,
    person_id: int,
    start: datetime,
    end: datetime,
    change: Change,
    replaces: int | None = None,
    note: str | None = None,
    role: Role = Role.SOCIAL_WORKER,
) -> Cover:
    """Record "``person_id`` is on / off / covers for ``replaces`` from ``start`` to
    ``end``" in their team's workers' rota (``role`` coordinator: the coordinators'
    rota), audited. The people whose duty changed are told through the outbox, written
    in the same transaction (``Cover.notices``, for the handler to deliver): a send
    that fails is retried, and someone who blocked the bot is marked unreachable.

    Everything is checked again here because button data comes from the client. An
    identical cover set by the same coordinator is returned rather than added twice, so
    a double tap on Confirm records one override.

    Raises:
        CoverRefused: the end is not after the start, the coordinator does not cover
            that rota, or the people do not belong to it. The refusal is audited.
    """
    now = services.clock.now()
    async with services.db.write() as tx:
        worker = await people.by_id(tx, person_id)
        replaced = await people.by_id(tx, replaces) if replaces is not None else None
        refusal = _refusal(coordinator, worker, replaced, change, role, start, end, note)
        if refusal is None and worker is not None:
            saved = await _record(
                tx, now, coordinator, worker, replaced, role, start, end, change, note
            )
            if not saved.created:
                return saved
            told = await outbox.enqueue(tx, services, _told(coordinator, saved))
            return replace(saved, notices=tuple(told))
        await audit.record(
            tx,
            now=now,
            action="rota.cover.refused",
            actor_person_id=coordinator.id,
            actor_telegram_id=coordinator.telegram_id,
            subject=f"person:{person_id}",
            detail=(refusal or Refusal.NOT_ON_ROTA).value,
        )
    raise CoverRefused(refusal or Refusal.NOT_ON_ROTA)


def _refusal(
    coordinator: Person,
    worker: Person | None,
    replaced: Person | None,
    change: Change,
    role: Role,
    start: datetime,
    end: datetime,
    note: str | None,
) -> Refusal | None:
    if end <= start:
        return Refusal.BAD_PERIOD
    if note is not None and len(note) > NOTE_LIMIT:
        return Refusal.NOTE_TOO_LONG
    if worker is None or not _on_rota(worker, role):
        return Refusal.NOT_ON_ROTA
    team_id = rota_team(worker, role)
    if not may_cover(coordinator, team_id):
        return Refusal.NOT_YOUR_TEAM
    if (change is Change.REPLACE) != (replaced is not None):
        return Refusal.BAD_REPLACES
    if replaced is not None and (
        replaced.id == worker.id
        or not _on_rota(replaced, role)
        or rota_team(replaced, role) != team_id
    ):
        return Refusal.BAD_REPLACES
    return None


def _on_rota(person: Person, role: Role) -> bool:
    return person.active and role in ROTA_ROLES and person.scope(role) is not None


def rota_team(person: Person, role: Role) -> str | None:
    """Whose rota a person is on in ``role``: their team's as a worker; coordinators
    share one rota (None)."""
    return person.team_id if role is Role.SOCIAL_WORKER else None


async def _record(
    tx: Conn,
    now: datetime,
    coordinator: Person,
    worker: Person,
    replaced: Person | None,
    role: Role,
    start: datetime,
    end: datetime,
    change: Change,
    note: str | None,
) -> Cover:
    team_id = rota_team(worker, role)
    override = Override(start, end, change, worker.id, replaced.id if replaced else None)
    existing = await rota.find_override(
        tx, team_id=team_id, role=role, override=override, set_by=coordinator.id
    )
    if existing is not None:
        return Cover(existing, team_id, role, override, worker, replaced, created=False)
    cover_id = await rota.insert_override(
        tx, team_id=team_id, role=role, override=override, set_by=coordinator.id, now=now, note=note
    )
    await audit.record(
        tx,
        now=now,
        action="rota.cover",
        actor_person_id=coordinator.id,
        actor_telegram_id=coordinator.telegram_id,
        subject=f"person:{worker.id}",
        detail=_detail(team_id, role, override),
    )
    return Cover(cover_id, team_id, role, override, worker, replaced)


def _told(coordinator: Person, saved: Cover) -> list[Notice]:
    """A notice to each person whose duty changed, other than the coordinator who changed
    it; rendered when sent, in the reader's language (times as UTC ISO strings)."""
    override = saved.override
    values = {
        "coordinator": coordinator.display_name,
        "start": override.start.isoformat(),
        "end": override.end.isoformat(),
        "change": override.change.value,
    }
    notices = [
        Notice(
            NoticeKind.COVER,
            saved.person,
            None,
            values=values | ({"other": saved.replaces.display_name} if saved.replaces else {}),
        )
    ]
    if saved.replaces is not None:
        notices.append(
            Notice(
                NoticeKind.COVERED_FOR,
                saved.replaces,
                None,
                values=values | {"other": saved.person.display_name},
            )
        )
    return [n for n in notices if n.recipient.id != coordinator.id]


def _detail(team_id: str | None, role: Role, override: Override) -> str:
    """For the audit log: ids and times only, never the note (it may name a client)."""
    replaces = f" replaces person:{override.replaces}" if override.replaces else ""
    return (
        f"{team_id or '*'}/{role.value} {override.change.value}{replaces}"
        f" {override.start:%Y-%m-%dT%H:%MZ}..{override.end:%Y-%m-%dT%H:%MZ}"
    )


# ----------------------------------------------------------------------------------------
# Import
# ----------------------------------------------------------------------------------------

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
class Imported:
    """What an import did: shifts per (team, role), CSV rows, overrides left in place."""

    shifts: dict[tuple[str | None, Role], int]
    people: dict[tuple[str | None, Role], int]
    rows: int
    overrides_kept: int
    teams_without_rota: tuple[str, ...]

    @property
    def total_shifts(self) -> int:
        return sum(self.shifts.values())


@dataclass(frozen=True)
class ImportedCovers:
    """What a covers import did: the covers added (in file order), how many rows were
    identical to covers imported before and skipped, the CSV rows, and the rotas
    (team id, None for the coordinators') that got covers but have no weekly rule yet."""

    added: tuple[Cover, ...]
    already_there: int
    rows: int
    rotas_without_rules: tuple[str | None, ...]


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


async def import_file(services: Services, text: str) -> Imported | ImportedCovers:
    """Import the CSV ``text``: weekly shifts (:func:`import_rota`) or covers
    (:func:`import_covers`), as its header says.

    Raises:
        RotaFileError: the header is neither, or rows are wrong; nothing was imported.
    """
    header = _header(text)
    if header is None:
        raise RotaFileError([f"line 1: empty file; the header must be {_HEADERS}"])
    line, names = header
    if sorted(names) == sorted(COVER_COLUMNS):
        return await import_covers(services, text)
    if sorted(names) == sorted(COLUMNS):
        return await import_rota(services, text)
    raise RotaFileError([f"line {line}: the header must be {_HEADERS}"])


async def import_rota(services: Services, text: str) -> Imported:
    """Replace every weekly rule with the CSV ``text`` (overrides stay), all or nothing.

    Every row is checked (syntax, team, person, role) before anything is written, and
    all problems are reported together so the admin fixes the file in one go.

    Raises:
        RotaFileError: with one line per bad row; the old rota is untouched.
    """
    rows, errors = parse_rows(text, {team.id for team in services.config.teams})
    now = services.clock.now()
    async with services.db.write() as tx:
        known_teams = await directory.active_ids(tx, "teams")
        grouped = await _group(tx, rows, known_teams, errors)
        if errors:
            raise RotaFileError(errors)
        count = await rota.replace_rules(tx, grouped, now=now)
        kept = await rota.count_overrides(tx)
        await audit.record(
            tx, now=now, action="rota.imported", detail=f"{count} shifts, {len(rows)} rows"
        )
    shifts: dict[tuple[str | None, Role], int] = {}
    staffed: dict[tuple[str | None, Role], set[int]] = {}
    for rule in grouped:
        key = (rule.team_id, rule.role)
        shifts[key] = shifts.get(key, 0) + 1
        staffed.setdefault(key, set()).update(rule.person_ids)
    without = tuple(t.id for t in services.config.teams if (t.id, Role.SOCIAL_WORKER) not in shifts)
    return Imported(shifts, {k: len(v) for k, v in staffed.items()}, len(rows), kept, without)


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


async def _group(
    conn: Conn, rows: list[_Row], known_teams: set[str], errors: list[str]
) -> list[rota.Rule]:
    """One rule per (team, role, window), checking each row's person; problems are
    appended to ``errors`` in line order."""
    found: dict[tuple[str | None, Role, WeeklyWindow], tuple[_Row, dict[int, int]]] = {}
    problems: list[tuple[int, str]] = []
    for row in rows:
        if row.team_id is not None and row.team_id not in known_teams:
            problems.append((row.line, _not_synced(row.team_id)))
            continue
        member = await people.by_telegram_id(conn, row.telegram_id)
        problem = _person_problem(row.telegram_id, row.team_id, row.role, member)
        if problem is not None:
            problems.append((row.line, problem))
            continue
        assert member is not None  # _person_problem names a missing person
        _, members = found.setdefault((row.team_id, row.role, row.window), (row, {}))
        if member.id in members:
            problems.append((row.line, f"duplicate of line {members[member.id]}"))
            continue
        members[member.id] = row.line
    errors.extend(f"line {line}: {text}" for line, text in sorted(problems))
    errors.sort(key=_line_number)
    return [
        rota.Rule(first.team_id, first.role, first.days, first.hours, frozenset(members))
        for first, members in found.values()
    ]


def _not_synced(team_id: str) -> str:
    return (
        f"team {team_id!r} is in the config but not yet in the database;"
        " run 'referral-bot init-db' (or restart the bot) first"
    )


def _person_problem(
    telegram_id: int, team_id: str | None, role: Role, member: Person | None
) -> str | None:
    who = f"Telegram id {telegram_id}"
    if member is None:
        return f"nobody with {who} is enrolled"
    if not member.active:
        return f"{who} ({member.display_name}) is deactivated"
    scope = member.scope(role)
    if scope is None:
        return f"{who} ({member.display_name}) is not a {role.value}"
    if role is Role.SOCIAL_WORKER and scope.team_id != team_id:
        return f"{who} ({member.display_name}) is a social worker of team {scope.team_id!r}"
    return None


def _line_number(error: str) -> int:
    number = error.removeprefix("line ").split(":", 1)[0]
    return int(number) if number.isdigit() else 0


# Covers from a file --------------------------------------------------------------------


async def import_covers(services: Services, text: str) -> ImportedCovers:
    """Add the covers of the CSV ``text`` (weekly rules and existing covers stay), all or
    nothing, each recorded and audited as set by the command line (``set_by`` NULL).

    Every row is checked (syntax, period, team, people, roles) before anything is
    written and all problems are reported together. A row identical to a cover the
    command line set before is skipped, so importing the same file again adds nothing.

    Raises:
        RotaFileError: with one line per bad row; nothing was added.
    """
    zone = services.config.zone
    rows, errors = parse_covers(text, {team.id for team in services.config.teams}, zone)
    now = services.clock.now()
    async with services.db.write() as tx:
        known_teams = await directory.active_ids(tx, "teams")
        checked, already = await _check_covers(tx, rows, known_teams, now, errors)
        if errors:
            raise RotaFileError(errors)
        added = [await _import_cover(tx, now, row, cover) for row, cover in checked]
        missing: list[str | None] = []
        for team_id, role in dict.fromkeys((c.team_id, c.role) for c in added):
            if not await rota.rules_for(tx, team_id=team_id, role=role):
                missing.append(team_id)
        await audit.record(
            tx,
            now=now,
            action="rota.covers.imported",
            detail=f"{len(added)} added, {already} already there, {len(rows)} rows",
        )
    return ImportedCovers(tuple(added), already, len(rows), tuple(missing))


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


async def _check_covers(
    conn: Conn, rows: list[_CoverRow], known_teams: set[str], now: datetime, errors: list[str]
) -> tuple[list[tuple[_CoverRow, Cover]], int]:
    """The covers to add, each as a :class:`Cover` with id 0, and how many rows were
    already imported before; problems are appended to ``errors`` in line order."""
    checked: list[tuple[_CoverRow, Cover]] = []
    seen: dict[tuple[str | None, Role, Override], int] = {}
    already = 0
    for row in rows:
        found = await _cover_people(conn, row, known_teams)
        if isinstance(found, str):
            errors.append(f"line {row.line}: {found}")
            continue
        person, replaced = found
        override = Override(
            row.start, row.end, row.change, person.id, replaced.id if replaced else None
        )
        key = (row.team_id, row.role, override)
        if key in seen:
            errors.append(f"line {row.line}: duplicate of line {seen[key]}")
            continue
        seen[key] = row.line
        existing = await rota.find_override(
            conn, team_id=row.team_id, role=row.role, override=override, set_by=None
        )
        if existing is not None:
            already += 1
        elif row.end <= now:
            errors.append(f"line {row.line}: the cover has already ended")
        else:
            checked.append((row, Cover(0, row.team_id, row.role, override, person, replaced)))
    errors.sort(key=_line_number)
    return checked, already


async def _cover_people(
    conn: Conn, row: _CoverRow, known_teams: set[str]
) -> tuple[Person, Person | None] | str:
    """The person a row names and the one they replace, or what is wrong with them."""
    if row.team_id is not None and row.team_id not in known_teams:
        return _not_synced(row.team_id)
    person = await people.by_telegram_id(conn, row.telegram_id)
    problem = _person_problem(row.telegram_id, row.team_id, row.role, person)
    if problem is not None:
        return problem
    assert person is not None  # _person_problem names a missing person
    if row.replaces is None:
        return person, None
    replaced = await people.by_telegram_id(conn, row.replaces)
    problem = _person_problem(row.replaces, row.team_id, row.role, replaced)
    if problem is not None:
        return f"replaces: {problem}"
    assert replaced is not None
    return person, replaced


async def _import_cover(tx: Conn, now: datetime, row: _CoverRow, cover: Cover) -> Cover:
    cover_id = await rota.insert_override(
        tx, team_id=cover.team_id, role=cover.role, override=cover.override, set_by=None, now=now
    )
    await audit.record(
        tx,
        now=now,
        action="rota.cover",
        subject=f"person:{cover.person.id}",
        detail=f"{_detail(cover.team_id, cover.role, cover.override)} (import line {row.line})",
    )
    return replace(cover, id=cover_id)
