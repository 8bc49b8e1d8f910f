"""The report as an Excel workbook: a summary sheet first (period, stations, headline,
what the marks of hidden figures mean), then one sheet per table, named by its title in
the reader's language (the tab is what a reader finds a table by), with a title row, the
headers in the reader's language, numbers as numbers, and a native chart (xlsxwriter's
``add_chart``) where the table asks for one, so a coordinator can restyle or copy it in
Excel as their own.

xlsxwriter only writes; the tests read the file back with openpyxl.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import IO, Any

import xlsxwriter

from bot.domain.report import Report, Table
from bot.i18n import N_, Translator
from bot.reports import (
    REPORT_TITLE,
    Labels,
    cell_text,
    label_columns,
    summary_rows,
)

SUMMARY_SHEET = N_("Summary")
SHEET_NAME_LIMIT = 31  # Excel's limit on a sheet's name
FORBIDDEN = re.compile(r"[\[\]:*?/\\]")  # characters Excel refuses in a sheet's name
CATEGORY_JOIN = " · "  # a chart category named by two labels: "Family dispute · Tianping Road"
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
        names = sheet_names(report, tr)
        _summary(workbook, names[0], report, tr, labels, bold, title)
        for name, table in zip(names[1:], report.tables, strict=True):
            _table(workbook, name, table, tr, labels, bold, title)
    finally:
        workbook.close()


def sheet_names(report: Report, tr: Translator) -> list[str]:
    """The summary's and each table's sheet name, in order: the translated title, with
    the characters Excel refuses replaced, cut to Excel's 31 characters (at a word
    where there is one; the title row keeps the whole title) and made unique (Excel
    compares names ignoring case) by a number: "Referrals (2)"."""
    names: list[str] = []
    taken: set[str] = set()
    for text in (tr(SUMMARY_SHEET), *(tr(table.title) for table in report.tables)):
        # A name may not begin or end with an apostrophe either.
        base = " ".join(FORBIDDEN.sub(" ", text).split()).strip("'").strip() or "Sheet"
        name = _cut(base, SHEET_NAME_LIMIT)
        number = 1
        while name.casefold() in taken:
            number += 1
            suffix = f" ({number})"
            name = _cut(base, SHEET_NAME_LIMIT - len(suffix)) + suffix
        taken.add(name.casefold())
        names.append(name)
    return names


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if text[limit] != " " and space > limit // 2:
        cut = cut[:space]  # "Referrals by category and", not "... and stati"
    return cut.rstrip()


def _summary(
    workbook: Any,
    name: str,
    report: Report,
    tr: Translator,
    labels: Labels,
    bold: Any,
    title: Any,
) -> None:
    sheet = workbook.add_worksheet(name)
    sheet.write(TITLE_ROW, 0, tr(REPORT_TITLE), title)
    for offset, (name, value) in enumerate(summary_rows(report, tr, labels)):
        sheet.write(FIRST_DATA_ROW + offset, 0, name, bold)
        if value is not None:
            sheet.write(FIRST_DATA_ROW + offset, 1, value)
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 40)


def _table(
    workbook: Any,
    name: str,
    table: Table,
    tr: Translator,
    labels: Labels,
    bold: Any,
    title: Any,
) -> None:
    sheet = workbook.add_worksheet(name)
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
        categories = 0
        if labelled > 1:
            # Two label columns name one bar: "Family dispute · Tianping Road", in a
            # hidden column the chart reads (else two stations' "Family dispute" bars
            # read the same, and an urgency's day and night too).
            categories = len(table.columns)
            for offset, row in enumerate(table.rows):
                sheet.write_string(
                    FIRST_DATA_ROW + offset,
                    categories,
                    CATEGORY_JOIN.join(
                        str(cell_text(table, column, row[column], labels, labelled))
                        for column in range(labelled)
                    ),
                )
            sheet.set_column(categories, categories, None, None, {"hidden": True})
        _chart(workbook, sheet, name, table, tr, max(labelled, 1), categories)


def _chart(
    workbook: Any,
    sheet: Any,
    name: str,
    table: Table,
    tr: Translator,
    first_series: int,
    categories: int,
) -> None:
    """One series per figure column, categories from the label column (or the hidden
    column joining the labels). A hidden figure ("<3", "x") is text, which Excel charts
    as a gap: the small number stays hidden."""
    chart = workbook.add_chart({"type": CHART_TYPES[str(table.chart)]})
    chart.show_hidden_data()  # the joined categories are in a hidden column
    last = FIRST_DATA_ROW + len(table.rows) - 1
    for column in range(first_series, len(table.columns)):
        chart.add_series(
            {
                "name": [name, HEADER_ROW, column],
                "categories": [name, FIRST_DATA_ROW, categories, last, categories],
                "values": [name, FIRST_DATA_ROW, column, last, column],
            }
        )
    chart.set_title({"name": tr(table.title)})
    chart.set_legend({"position": "bottom"})
    sheet.insert_chart(HEADER_ROW, len(table.columns) + 1, chart)
