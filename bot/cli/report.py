"""``referral-bot report``: an accountability report (issue 18) as a file on disk, for
the police bureau and the agency's funders.

The same path as ``/report`` in chat and the monthly report
(:mod:`bot.services.report_files`): the figures with small counts hidden, rendered,
written to a temporary file beside the target, the export written to the audit log
(``report.exported``, ``via cli``, with the OS user who ran it: there is no person),
and only then the file moved into place. So the database's write lock is held only for
the audit line, never while a file is written; a file that could not be written leaves
no audit line; an existing file is replaced (``--force``) only by a complete one; and
no file is left without its audit line. A file from the command line leaves the
agency, so it never carries the per-worker table.

Reading the figures goes through the database's reader and writing the audit line
through its one writer, both with ``busy_timeout``: safe beside the running bot, like
``invite`` and ``backup``. Every mistake in the arguments is one line and exit code 1,
an output that cannot be written exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.cli.common import EXIT_INVALID, CliError
from bot.config import Config
from bot.domain.figures import FIRST_YEAR, MAX_YEARS
from bot.i18n import available_languages
from bot.reports.picture import picture_language
from bot.services import Services, report_files
from bot.services.report_files import Format

FORMATS = tuple(f.value for f in Format)
# The bounds the figures themselves keep (bot/domain/figures.check_period); checked
# here first to name the option at fault.
LONGEST_YEARS = MAX_YEARS


@dataclass(frozen=True)
class Request:
    """What was asked, checked: nothing here can fail once the database is open."""

    start: date
    end: date
    stations: tuple[str, ...]  # empty: all
    fmt: Format
    language: str
    output: Path | None  # None: the report's own file name in the current directory
    force: bool


def request(args: argparse.Namespace, config: Config, today: date) -> Request:
    """The arguments checked against the configuration, or the first mistake as a
    :class:`CliError` (checked by hand rather than by argparse, whose refusal is the
    whole usage text). ``today`` bounds the period: up to the end of next year."""
    start = _day(args.start, "--from")
    end = _day(args.end, "--to")
    if start > end:
        raise CliError(f"--from {start} is after --to {end}", EXIT_INVALID)
    check_period(start, end, today)
    known = [station.id for station in config.stations]
    stations = tuple(dict.fromkeys(args.stations or ()))
    unknown = [s for s in stations if s not in known]
    if unknown:
        raise CliError(
            f"unknown station {', '.join(map(repr, unknown))}; known: {', '.join(known)}",
            EXIT_INVALID,
        )
    if args.format not in FORMATS:
        raise CliError(
            f"unknown format {args.format!r}; use one of {', '.join(FORMATS)}", EXIT_INVALID
        )
    language = args.language or config.default_language
    if language not in available_languages():
        raise CliError(
            f"unknown language {language!r}; use one of {', '.join(available_languages())}",
            EXIT_INVALID,
        )
    return Request(start, end, stations, Format(args.format), language, args.output, args.force)


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CliError(
            f"{option} {text!r} is not a date such as 2026-11-01", EXIT_INVALID
        ) from None


def check_period(start: date, end: date, today: date) -> None:
    """Refuse a period no report is for: before 2000, after next year, or longer than
    ten years (the year 9999 overflowed the day after the period; a century of days
    ran for minutes before it failed)."""
    last = date(today.year + 1, 12, 31)
    for option, day in (("--from", start), ("--to", end)):
        if not date(FIRST_YEAR, 1, 1) <= day <= last:
            raise CliError(
                f"{option} {day} is out of range: a report covers days from"
                f" {FIRST_YEAR}-01-01 to {last}",
                EXIT_INVALID,
            )
    # Ten years from 2016-01-01 is 2026-01-01 (and from a 29 February, 1 March).
    if (end.year, end.month, end.day) >= (start.year + LONGEST_YEARS, start.month, start.day):
        raise CliError(
            f"{start} to {end} is longer than {LONGEST_YEARS} years; ask for"
            f" {LONGEST_YEARS} years at most",
            EXIT_INVALID,
        )


def destination(asked: Path | None, filename: str) -> Path:
    """Where the file goes: ``--output`` as given, inside it if it is a folder, or the
    report's own name in the current directory."""
    if asked is None:
        return Path.cwd() / filename
    if asked.is_dir():
        return asked / filename
    return asked


async def run(services: Services, asked: Request) -> None:
    report = await report_files.outgoing(
        services, asked.start, asked.end, asked.stations, per_worker=False
    )
    rendered = report_files.render(report, asked.fmt, asked.language, services.config)
    path = destination(asked.output, rendered.filename)
    if path.exists() and not asked.force:
        raise CliError(f"{path} already exists; give --force to replace it", EXIT_INVALID)
    written = _temporary(path, rendered.content)
    try:
        try:
            async with services.db.write() as tx:
                await report_files.record_export(
                    tx,
                    services,
                    report,
                    asked.fmt,
                    actor_person_id=None,
                    via="cli",
                    os_user=_user(),
                )
        except sqlite3.Error as exc:
            raise CliError(
                f"cannot record the export in the audit log ({exc}); no file written"
            ) from None
        _place(written, path, force=asked.force)
    finally:
        written.unlink(missing_ok=True)  # moved into place, or not wanted any more
    where = "all stations" if not asked.stations else f"station(s) {', '.join(asked.stations)}"
    language = asked.language
    if asked.fmt is Format.PNG and picture_language(language) != language:
        language = f"{picture_language(language)} (no Chinese font installed: see doctor)"
    print(
        f"report for {asked.start} to {asked.end}, {where}, in {language}"
        f" ({asked.fmt.value}) written to {path.resolve()}"
    )


def _temporary(path: Path, content: bytes) -> Path:
    """The whole file, written and flushed to disk under a hidden name beside ``path``
    (the same file system, so moving it into place is one rename)."""
    try:
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None
    temporary = Path(name)
    try:
        # mkstemp makes the file for its owner only; the report gets the usual mode.
        mask = os.umask(0o022)
        os.umask(mask)
        os.fchmod(handle, 0o666 & ~mask)
        with os.fdopen(handle, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None
    return temporary


def _place(written: Path, path: Path, *, force: bool) -> None:
    """The written file under its name in one step: over an existing file only with
    ``force``. Without it, a hard link refuses a file made since the first check (a
    file system without hard links gets the check just before the rename instead)."""
    try:
        if force:
            os.replace(written, path)
            return
        try:
            os.link(written, path)
        except FileExistsError:
            raise CliError(
                f"{path} already exists; give --force to replace it", EXIT_INVALID
            ) from None
        except OSError:  # no hard links here
            if path.exists():
                raise CliError(
                    f"{path} already exists; give --force to replace it", EXIT_INVALID
                ) from None
            os.replace(written, path)
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None


def _user() -> str:
    """Who ran the command, for the audit line: the OS account (there is no person)."""
    with contextlib.suppress(OSError, KeyError, ImportError):
        return getpass.getuser()
    return "unknown"
