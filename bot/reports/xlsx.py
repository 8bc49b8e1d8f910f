"""The report as an Excel workbook: a "Summary" sheet first (period, stations, headline),
then one sheet per table, named by its key, with a title row, the headers in the reader's
language, numbers as numbers, and a native chart (xlsxwriter's ``add_chart``) where the
table asks for one, so a coordinator can restyle or copy it in Excel as their own.

xlsxwriter only writes; the tests read the file back with openpyxl.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

import xlsxwriter

from bot.domain.report import Report, Table
from bot.i18n import Translator
from bot.reports import (
    REPORT_TITLE,
    Labels,
    cell_text,
    label_columns,
    summary_rows,
)

SUMMARY_SHEET = "Summary"
SHEET_NAME_LIMIT = 31  # Excel's limit on a sheet's name
CHART_TYPES = {"bar": "bar", "column": "column", "line": "line"}
TITLE_ROW, HEADER_ROW, FIRST_DATA_ROW = 0, 1, 2


def write_xlsx(
    report: Report, path_or_buffer: str | Path | IO[bytes], language: str, labels: Labels
) -> None:
    """Write the workbook to a path or a binary buffer (e.g. ``io.BytesIO`` to send)."""
    tr = Translator(language)
    target = str(path_or_buffer) if isinstance(path_or_buffer, Path) else path_or_buffer
    workbook = xlsxwriter.Workbook(target, {"in_memory": True})
    try:
        bold = workbook.add_format({"bold": True})
        title = workbook.add_format({"bold": True, "font_size": 14})
        _summary(workbook, report, tr, labels, bold, title)
        for table in report.tables:
            _table(workbook, table, tr, labels, bold, title)
    finally:
        workbook.close()


def sheet_name(table: Table) -> str:
    return table.key[:SHEET_NAME_LIMIT]


def _summary(
    workbook: Any, report: Report, tr: Translator, labels: Labels, bold: Any, title: Any
) -> None:
    sheet = workbook.add_worksheet(SUMMARY_SHEET)
    sheet.write(TITLE_ROW, 0, tr(REPORT_TITLE), title)
    for offset, (name, value) in enumerate(summary_rows(report, tr, labels)):
        sheet.write(FIRST_DATA_ROW + offset, 0, name, bold)
        if value is not None:
            sheet.write(FIRST_DATA_ROW + offset, 1, value)
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 40)


def _table(
    workbook: Any, table: Table, tr: Translator, labels: Labels, bold: Any, title: Any
) -> None:
    sheet = workbook.add_worksheet(sheet_name(table))
    sheet.write(TITLE_ROW, 0, tr(table.title), title)
    for column, header in enumerate(table.columns):
        sheet.write(HEADER_ROW, column, tr(header), bold)
    labelled = label_columns(table)
    for offset, row in enumerate(table.rows):
        for column, cell in enumerate(row):
            value = cell_text(table, column, cell, labels, labelled)
            if value is None:
                continue
            if isinstance(value, str):
                sheet.write_string(FIRST_DATA_ROW + offset, column, value)
            else:
                sheet.write_number(FIRST_DATA_ROW + offset, column, value)
    sheet.set_column(0, max(len(table.columns) - 1, 0), 16)
    if table.chart in CHART_TYPES and table.rows and labelled < len(table.columns):
        _chart(workbook, sheet, table, tr, max(labelled, 1))


def _chart(workbook: Any, sheet: Any, table: Table, tr: Translator, first_series: int) -> None:
    """One series per figure column, categories from the first label column. A
    suppressed cell is text, which Excel charts as a gap: the small number stays hidden."""
    chart = workbook.add_chart({"type": CHART_TYPES[str(table.chart)]})
    name = sheet_name(table)
    last = FIRST_DATA_ROW + len(table.rows) - 1
    for column in range(first_series, len(table.columns)):
        chart.add_series(
            {
                "name": [name, HEADER_ROW, column],
                "categories": [name, FIRST_DATA_ROW, 0, last, 0],
                "values": [name, FIRST_DATA_ROW, column, last, column],
            }
        )
    chart.set_title({"name": tr(table.title)})
    chart.set_legend({"position": "bottom"})
    sheet.insert_chart(HEADER_ROW, len(table.columns) + 1, chart)
