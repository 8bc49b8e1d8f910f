"""Importing a rota file: weekly shifts replace the rota, covers are added; all or nothing.

Every row is read (:mod:`bot.services.rota.rota_file`) and checked against the people
enrolled before anything is written, in one transaction with its audit entry; a file
with any bad row changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from bot.domain.people import Person, Role
from bot.domain.rota import Override, WeeklyWindow
from bot.services import Services
from bot.services.rota.covers import Cover, _detail
from bot.services.rota.rota_file import (
    _HEADERS,
    COLUMNS,
    COVER_COLUMNS,
    RotaFileError,
    _CoverRow,
    _header,
    _line_number,
    _Row,
    parse_covers,
    parse_rows,
)
from storage import audit, directory, people, rota
from storage.db import Conn


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
