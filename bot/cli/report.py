"""``referral-bot report``: an accountability report (issue 18) as a file on disk, for
the police bureau and the agency's funders.

The same path as ``/report`` in chat and the monthly report
(:mod:`bot.services.report_files`): the figures with small counts hidden, rendered,
and the export written to the audit log (``report.exported``, ``via cli``) in the same
transaction as the file is written, so a file that could not be written leaves no
audit line and a written one always has its line. A file from the command line leaves
the agency, so it never carries the per-worker table.

Reading the figures goes through the database's reader and writing the audit line
through its one writer, both with ``busy_timeout``: safe beside the running bot, like
``invite`` and ``backup``. Every mistake in the arguments is one line and exit code 1,
an output that cannot be written exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.cli.common import EXIT_INVALID, CliError
from bot.config import Config
from bot.i18n import available_languages
from bot.reports.picture import picture_language
from bot.services import Services, report_files
from bot.services.report_files import Format

FORMATS = tuple(f.value for f in Format)


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


def request(args: argparse.Namespace, config: Config) -> Request:
    """The arguments checked against the configuration, or the first mistake as a
    :class:`CliError` (checked by hand rather than by argparse, whose refusal is the
    whole usage text)."""
    start = _day(args.start, "--from")
    end = _day(args.end, "--to")
    if start > end:
        raise CliError(f"--from {start} is after --to {end}", EXIT_INVALID)
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
    async with services.db.write() as tx:
        _write(path, rendered.content, force=asked.force)
        await report_files.record_export(
            tx, services, report, asked.fmt, actor_person_id=None, via="cli"
        )
    where = "all stations" if not asked.stations else f"station(s) {', '.join(asked.stations)}"
    language = asked.language
    if asked.fmt is Format.PNG and picture_language(language) != language:
        language = f"{picture_language(language)} (no Chinese font installed: see doctor)"
    print(
        f"report for {asked.start} to {asked.end}, {where}, in {language}"
        f" ({asked.fmt.value}) written to {path.resolve()}"
    )


def _write(path: Path, content: bytes, *, force: bool) -> None:
    """The file, never over an existing one without ``force`` (``x`` mode: a file made
    between the check and the write is refused too)."""
    try:
        with path.open("wb" if force else "xb") as out:
            out.write(content)
    except FileExistsError:
        raise CliError(f"{path} already exists; give --force to replace it", EXIT_INVALID) from None
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None
