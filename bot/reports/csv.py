"""The report as CSV: one file per table, zipped together for one download.

One CSV per table, not one long CSV with a "table" column, because the tables have
different columns: each file opens in Excel, or loads into any tool, as a plain table
with its own headers. The zip holds ``summary.csv`` (period, stations, headline) and
``<table key>.csv`` for each table, in the report's order.

Each file is UTF-8 with a byte-order mark: without it Excel on Windows reads UTF-8 as the
local code page and Chinese headers and names come out garbled.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import IO

from bot.domain.report import Report, Table
from bot.i18n import Translator
from bot.reports import Labels, cell_text, label_columns, summary_rows

ENCODING = "utf-8-sig"  # UTF-8 with a byte-order mark, for Excel
SUMMARY_FILE = "summary.csv"


def table_csv(table: Table, language: str, labels: Labels) -> bytes:
    """One table: a header row in the reader's language, then the rows (numbers as
    written, a suppressed count as "<3", nothing as an empty field)."""
    tr = Translator(language)
    labelled = label_columns(table)
    rows: list[list[str | int | float]] = [[tr(header) for header in table.columns]]
    rows.extend(
        [_field(cell_text(table, index, cell, labels, labelled)) for index, cell in enumerate(row)]
        for row in table.rows
    )
    return _encoded(rows)


def summary_csv(report: Report, language: str, labels: Labels) -> bytes:
    tr = Translator(language)
    return _encoded([[name, _field(value)] for name, value in summary_rows(report, tr, labels)])


def write_csv_zip(
    report: Report, path_or_buffer: str | Path | IO[bytes], language: str, labels: Labels
) -> None:
    """All the CSVs in one zip, written to a path or a binary buffer."""
    with zipfile.ZipFile(path_or_buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(SUMMARY_FILE, summary_csv(report, language, labels))
        for table in report.tables:
            archive.writestr(f"{table.key}.csv", table_csv(table, language, labels))


def _field(value: str | int | float | None) -> str | int | float:
    return "" if value is None else value


def _encoded(rows: list[list[str | int | float]]) -> bytes:
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    return text.getvalue().encode(ENCODING)
