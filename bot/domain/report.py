"""Accountability reports (issue 18): the figures as plain tables, shared by the figures
(bot/services/reports.py) and the exports (spreadsheet, CSV, picture).

A report holds no personal data and no text in any reader's language: titles and
column headers are English msgids (translated when rendered), and the labels in the
rows are ids — a category id, a station id, an urgency or outcome value, an hour
"00".."23", a weekday 0 (Monday) to 6. The exporter turns a label into the reader's
language with a :data:`Labels` callable: ``labels(table key, id) -> text``, so one
report renders in each language without being computed again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

# (table key, label id) -> the label in the reader's language.
Labels = Callable[[str, str], str]

Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    key: str  # stable id, e.g. "by_category_station"; also the sheet name
    title: str  # an English msgid (translated at rendering, N_())
    columns: tuple[str, ...]  # English msgids of the column headers (N_())
    rows: tuple[tuple[Cell, ...], ...]  # first cell(s) may be label ids (see the module)
    chart: str | None = None  # "bar" | "column" | "line" | None: the chart drawn for it
    counts: bool = True  # cells are counts of people/referrals (small numbers are hidden)


@dataclass(frozen=True)
class Report:
    start: date  # first day, local
    end: date  # last day, local, inclusive
    stations: tuple[str, ...]  # station ids covered ("*": all)
    tables: tuple[Table, ...]
    # (English msgid, value). An int is a count of referrals or people (hidden when
    # small, see suppress); a float is a share or minutes, never hidden; a str says
    # there is no figure ("–").
    headline: tuple[tuple[str, str | int | float], ...]


def suppress(report: Report, threshold: int = 3) -> Report:
    """The report as it may leave the agency: a count from 1 to ``threshold - 1`` reads
    "<threshold", so a rare case in a small station cannot be recognised; 0 stays 0
    (nothing to recognise) and labels (text) are untouched.

    The rule that tells a count: it is an ``int``. Shares and minutes are ``float``
    (the figures make them so, even when whole), so "2.0 minutes" or "50.0 %" stay.
    It holds in tables of counts (``Table.counts``) and in the headline alike: the
    headline's referral total and its "unanswered when the night ended" are counts
    as much as any cell."""
    hidden = f"<{threshold}"

    def cell(value: Cell) -> Cell:
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value < threshold:
            return hidden
        return value

    def figure(value: str | int | float) -> str | int | float:
        shown = cell(value)
        assert shown is not None
        return shown

    tables = tuple(
        replace(t, rows=tuple(tuple(cell(v) for v in row) for row in t.rows)) if t.counts else t
        for t in report.tables
    )
    headline = tuple((name, figure(value)) for name, value in report.headline)
    return replace(report, tables=tables, headline=headline)
