"""An accountability report as a file someone takes away (issue 18): the figures
(bot/services/reports.py) with small counts hidden, rendered as a workbook, a zip of
CSVs or a picture, and the export recorded in the audit log like a reveal.

Shared by ``/report`` in chat, ``referral-bot report`` and the monthly report, so all
three hide the same cells and leave the same trace. Rendering is pure and CPU-bound
(:func:`render`); callers inside the bot run it off the event loop.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.config import Config
from bot.domain.report import Report, suppress
from bot.reports.csv import write_csv_zip
from bot.reports.labels import report_labels
from bot.reports.picture import draw_png
from bot.reports.xlsx import write_xlsx
from bot.services import Services
from bot.services.reports import figures
from storage import audit
from storage.db import Conn

EXPORTED = "report.exported"  # the audit code of every report file that left the bot


class Format(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"  # a zip of one CSV per table
    PNG = "png"


SUFFIX = {Format.XLSX: "xlsx", Format.CSV: "zip", Format.PNG: "png"}


@dataclass(frozen=True)
class ReportFile:
    format: Format
    filename: str  # "report-2026-11-01-2026-11-30.xlsx": no station, no name
    content: bytes


async def outgoing(
    services: Services, start: date, end: date, stations: tuple[str, ...], *, per_worker: bool
) -> Report:
    """The figures for ``start``..``end`` at ``stations`` (empty: all) as they may leave
    the bot: counts under ``[reports] small_cells`` hidden."""
    report = await figures(services, start, end, stations, per_worker=per_worker)
    return suppress(report, services.config.reports.small_cells)


def render(report: Report, fmt: Format, language: str, config: Config) -> ReportFile:
    """The report as a file in ``language`` (pure; seconds of CPU for a picture)."""
    labels = report_labels(config, language)
    out = io.BytesIO()
    if fmt is Format.XLSX:
        write_xlsx(report, out, language, labels)
        content = out.getvalue()
    elif fmt is Format.CSV:
        write_csv_zip(report, out, language, labels)
        content = out.getvalue()
    else:
        content = draw_png(report, language, labels, english_labels=report_labels(config, "en"))
    name = f"report-{report.start.isoformat()}-{report.end.isoformat()}.{SUFFIX[fmt]}"
    return ReportFile(fmt, name, content)


async def record_export(
    tx: Conn,
    services: Services,
    report: Report,
    fmt: Format,
    *,
    actor_person_id: int | None,
    via: str,
    os_user: str | None = None,
) -> None:
    """The audit line of one exported file: who, which period and stations, which
    format, and how it left ("chat", "cli", "monthly"); from the command line, with no
    person, the OS account that ran it. Written in the caller's transaction, with
    whatever sends the file."""
    await audit.record(
        tx,
        now=services.clock.now(),
        action=EXPORTED,
        actor_person_id=actor_person_id,
        subject=f"report:{report.start.isoformat()}..{report.end.isoformat()}",
        detail=f"{fmt.value} via {via} stations {','.join(report.stations)}"
        + (f" by OS user {os_user}" if os_user else ""),
    )
