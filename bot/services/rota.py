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
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain import rota as rules
from bot.domain.people import Person, Role
from bot.domain.rota import Change, Override, WeeklyWindow
from bot.services import Services
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
    now: tuple[Person, ...]
    next_at: datetime | None = None
    next_people: tuple[Person, ...] = ()


@dataclass(frozen=True)
class Board:
    """What /oncall shows for one team."""

    team_id: str
    workers: Duty
    coordinators: tuple[Person, ...]


def teams_of(services: Services, person: Person) -> list[str]:
    """The teams a person sees in /oncall: their own as a worker and those they
    coordinate (every team for a coordinator of all stations), in the config's order."""
    own = {person.team_id} | set(covered_teams(services, person))
    return [team.id for team in services.config.teams if team.id in own]


def covered_teams(services: Services, coordinator: Person) -> list[str]:
    """The teams whose workers' rota ``coordinator`` may change with /cover."""
    return [team.id for team in services.config.teams if may_cover(coordinator, team.id)]


def may_cover(coordinator: Person, team_id: str | None) -> bool:
    """A coordinator changes their own team's rota; a coordinator of all stations
    changes every team's and the coordinators' rota (``team_id`` None)."""
    scope = coordinator.scope(Role.COORDINATOR)
    if scope is None:
        return False
    return scope.all_stations or (team_id is not None and scope.team_id == team_id)


async def boards(services: Services, person: Person, at: datetime) -> list[Board]:
    """For /oncall: each of the person's teams with its workers on duty now and on the
    next shift, and the coordinators on duty now."""
    found = []
    for team_id in teams_of(services, person):
        coordinators = await coordinators_on_duty(services, team_id, at)
        found.append(Board(team_id, await _duty(services, team_id, at), tuple(coordinators)))
    return found


async def _duty(services: Services, team_id: str, at: datetime) -> Duty:
    shift = await on_duty(services, team_id=team_id, role=Role.SOCIAL_WORKER, at=at)
    workers = await team_workers(services, team_id)
    now = tuple(w for w in workers if w.on_duty(shift, at))
    if shift is None:
        return Duty(False, now)
    upcoming = await next_shift(services, team_id=team_id, role=Role.SOCIAL_WORKER, after=at)
    if upcoming is None:
        return Duty(True, now)
    start, ids = upcoming
    return Duty(True, now, start, tuple(w for w in workers if w.id in ids))


async def team_workers(services: Services, team_id: str) -> list[Person]:
    """The team's active social workers by name (those /cover offers to choose from)."""
    workers = await people.workers_of_team(services.db.reader, team_id)
    return sorted((p for p, _ in workers if p.active), key=lambda p: (p.display_name, p.id))


async def team_roster(services: Services, team_id: str, at: datetime) -> list[tuple[Person, bool]]:
    """The team's active workers by name, each with whether they are on duty at ``at``
    (the rota, /available and /away together, as routing sees it)."""
    shift = await on_duty(services, team_id=team_id, role=Role.SOCIAL_WORKER, at=at)
    return [(worker, worker.on_duty(shift, at)) for worker in await team_workers(services, team_id)]


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
    rota), audited.

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
            return await _record(
                tx, now, coordinator, worker, replaced, role, start, end, change, note
            )
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
CSV_HELP = """\
Replace every weekly shift with the rows of FILE, in one transaction; covers set
with /cover are kept. If any row is wrong, each is reported with its line number,
nothing is imported and the exit code is 1.

The file is CSV (UTF-8; Excel's BOM is fine) with this header, then one row per
person per shift:

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

Times are local to the config's time zone. Blank lines and lines starting with #
are skipped. A team with no social_worker rows has no rota: who is on duty
there is then only what its workers set with /available and /away."""


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
class _Row:
    line: int
    team_id: str | None
    role: Role
    days: str
    hours: str
    window: WeeklyWindow
    telegram_id: int


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
    """The CSV's rows that read correctly, and a "line N: ..." for each that does not.
    Blank lines and lines whose first cell starts with ``#`` are skipped."""
    reader = csv.reader(io.StringIO(text))
    rows: list[_Row] = []
    errors: list[str] = []
    columns: dict[str, int] | None = None
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells) or cells[0].strip().startswith("#"):
            continue
        if columns is None:
            names = [cell.strip().lower() for cell in cells]
            if sorted(names) != sorted(COLUMNS):
                return [], [f"line {line}: the header must be {','.join(COLUMNS)}"]
            columns = {name: index for index, name in enumerate(names)}
            continue
        if len(cells) != len(COLUMNS):
            errors.append(
                f"line {line}: expected {len(COLUMNS)} fields ({','.join(COLUMNS)}),"
                f" found {len(cells)}"
            )
            continue
        values = {name: cells[index].strip() for name, index in columns.items()}
        try:
            rows.append(_row(line, values, team_ids))
        except ValueError as exc:
            errors.append(f"line {line}: {exc}")
    if columns is None:
        errors.append(f"line 1: empty file; the header must be {','.join(COLUMNS)}")
    return rows, errors


def _row(line: int, values: dict[str, str], team_ids: set[str]) -> _Row:
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
    days, hours = values["days"].lower(), values["hours"]
    window = WeeklyWindow.parse(days, hours)  # ValueError says what is wrong
    try:
        telegram_id = int(values["telegram_id"])
    except ValueError:
        raise ValueError(f"telegram_id {values['telegram_id']!r} is not a number") from None
    return _Row(line, team_id, role, days, hours, window, telegram_id)


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
        problem = _person_problem(row, member)
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


def _person_problem(row: _Row, member: Person | None) -> str | None:
    who = f"Telegram id {row.telegram_id}"
    if member is None:
        return f"nobody with {who} is enrolled"
    if not member.active:
        return f"{who} ({member.display_name}) is deactivated"
    scope = member.scope(row.role)
    if scope is None:
        return f"{who} ({member.display_name}) is not a {row.role.value}"
    if row.role is Role.SOCIAL_WORKER and scope.team_id != row.team_id:
        return f"{who} ({member.display_name}) is a social worker of team {scope.team_id!r}"
    return None


def _line_number(error: str) -> int:
    number = error.removeprefix("line ").split(":", 1)[0]
    return int(number) if number.isdigit() else 0
