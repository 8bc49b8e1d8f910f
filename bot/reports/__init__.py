"""Exports of an accountability report (issue 18): spreadsheet, CSV and picture.

Every export takes the same three things besides the :class:`~bot.domain.report.Report`:

- ``language``: the reader's language; titles, headers and headline texts are msgids
  translated here through :class:`bot.i18n.Translator`.
- ``labels``: a ``Labels`` callable (``bot.domain.report``), ``(table key, id) -> text``
  in the reader's language, for the cells that label a row (a category id, a station
  id, an hour). The caller builds it from the configuration (categories and stations
  are named there), so the exports stay free of config. The summary asks it for
  stations with the key ``"station"``.

A string cell is a label id, except a hidden figure ("<3" or "x", see
``bot.domain.report.suppress``), which is written as it is: :func:`is_suppressed`. The
summary of a report that went through ``suppress`` says once what the two marks mean.
"""

from __future__ import annotations

from bot.domain.report import COMPLEMENT, Cell, Labels, Report, Table, hidden_marker, is_hidden
from bot.i18n import N_, Translator

__all__ = ["Cell", "Labels"]

STATION_LABELS = "station"  # the key the summary uses to ask for a station's name
ALL_STATIONS = "*"

REPORT_TITLE = N_("Referral report")
PERIOD = N_("Period")
PERIOD_VALUE = N_("{start} to {end}")
STATIONS = N_("Stations")
ALL_STATIONS_TEXT = N_("All stations")
SMALL_HIDDEN = N_("fewer than {n}, hidden so that no one can be recognised")
ALSO_HIDDEN = N_(
    "hidden so that a small number cannot be worked out from the other figures, "
    "and no minutes of fewer than {n} referrals are shown"
)


def ids_as_labels(key: str, label_id: str) -> str:
    """Labels that are the ids themselves: for tests and for a reader with no names."""
    return label_id


def is_suppressed(cell: Cell) -> bool:
    """A figure hidden as "<3" (a small count) or "x" (hidden with one, or minutes of
    too few referrals): written as text, never looked up as a label, never plotted."""
    return is_hidden(cell)


def label_columns(table: Table) -> int:
    """How many leading columns label the row (every cell a label id): together they
    name the chart's category ("Family dispute · Tianping Road"), its series are the
    columns after them."""
    count = 0
    for index in range(len(table.columns)):
        cells = [row[index] for row in table.rows if index < len(row) and row[index] is not None]
        if not cells or not all(isinstance(c, str) and not is_suppressed(c) for c in cells):
            break
        count += 1
    return count


def cell_text(table: Table, index: int, cell: Cell, labels: Labels, labelled: int) -> Cell:
    """A cell as the reader sees it: a label id in a label column named, a suppressed
    count as written, a number as a number, nothing as an empty cell."""
    if cell is None:
        return None
    if index < labelled and isinstance(cell, str):
        return labels(table.key, cell)
    return cell


def period_text(report: Report, tr: Translator) -> str:
    return tr(PERIOD_VALUE, start=report.start.isoformat(), end=report.end.isoformat())


def stations_text(report: Report, tr: Translator, labels: Labels) -> str:
    if not report.stations or ALL_STATIONS in report.stations:
        return tr(ALL_STATIONS_TEXT)
    return tr.join(labels(STATION_LABELS, station) for station in report.stations)


def summary_rows(report: Report, tr: Translator, labels: Labels) -> list[tuple[str, Cell]]:
    """The summary every export begins with: the period, the stations, the headline."""
    rows: list[tuple[str, Cell]] = [
        (tr(PERIOD), period_text(report, tr)),
        (tr(STATIONS), stations_text(report, tr, labels)),
    ]
    rows.extend((tr(msgid), value) for msgid, value in report.headline)
    rows.extend(marker_rows(report, tr))
    return rows


def marker_rows(report: Report, tr: Translator) -> list[tuple[str, Cell]]:
    """What "<3" and "x" mean, once per file, for a report whose small figures were
    hidden (``Report.threshold`` set by suppress); none for figures kept in full."""
    if report.threshold is None:
        return []
    n = report.threshold
    return [
        (hidden_marker(n), tr(SMALL_HIDDEN, n=n)),
        (COMPLEMENT, tr(ALSO_HIDDEN, n=n)),
    ]
