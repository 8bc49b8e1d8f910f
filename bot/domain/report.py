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
    key: str  # stable id, e.g. "by_category_station"
    title: str  # an English msgid (translated at rendering, N_())
    columns: tuple[str, ...]  # English msgids of the column headers (N_())
    rows: tuple[tuple[Cell, ...], ...]  # first cell(s) may be label ids (see the module)
    chart: str | None = None  # "bar" | "column" | "line" | None: the chart drawn for it
    counts: bool = True  # cells are counts of people/referrals (small numbers are hidden)
    # The count columns whose sum, in a row, is the number of referrals that row's
    # minutes (its float cells: medians, percentiles) rest on; empty: no minutes.
    basis: tuple[int, ...] = ()
    # Within a row, a count column that is the sum of others: (total, (parts...)),
    # e.g. requests = arrived within target + arrived later + never marked arrived.
    sums: tuple[tuple[int, tuple[int, ...]], ...] = ()
    # Groups of rows whose count, in each count column, adds up to a figure another
    # table of the report publishes: by hour, the night hours and the day hours (the
    # day_night table's two counts). A reader who knows that figure can subtract the
    # hours shown from it, so suppress takes each group as a partition too.
    parts: tuple[tuple[int, ...], ...] = ()
    # Headline figures (msgids) worked out from this table: a share from its counts,
    # minutes from the referrals its ``basis`` counts (see suppress).
    headline: tuple[str, ...] = ()


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
    # The threshold suppress hid small figures under; None: figures in full (the
    # exports then explain no marks).
    threshold: int | None = None


COMPLEMENT = "x"  # a figure hidden so that a small count cannot be worked out (suppress)


def hidden_marker(threshold: int) -> str:
    """How a count from 1 to ``threshold - 1`` reads once hidden: "<3"."""
    return f"<{threshold}"


def is_hidden(cell: Cell) -> bool:
    """A figure suppress hid: a small count ("<3") or one hidden with it ("x")."""
    return isinstance(cell, str) and (cell.startswith("<") or cell == COMPLEMENT)


Position = tuple[int, int]  # (row, column) of a cell in a table


def suppress(report: Report, threshold: int = 3) -> Report:
    """The report as it may leave the agency, with no small number readable in it.

    1. A count from 1 to ``threshold - 1`` reads "<threshold" (primary suppression),
       so a rare case in a small station cannot be recognised; 0 stays 0 (nothing to
       recognise) and labels (text) are untouched. A count is an ``int``; shares and
       minutes are ``float`` (the figures make them so, even when whole). This holds in
       tables of counts (``Table.counts``) and in the headline alike.
    2. Minutes (a row's float cells) that rest on 1 to ``threshold - 1`` referrals
       (``Table.basis``) read "x": the median of one referral is its exact timing.
       So do the minutes (or their absence) of any row whose count is hidden, or
       they would tell it: no median is 0 referrals, a median shown is ``threshold``
       or more.
    3. Complementary suppression. A reader who knows a total can subtract the figures
       shown from it: with Referrals 8 in the headline and by urgency 3, 3, "<3", the
       hidden one is 2. So every count column of a table is taken as a partition of a
       total the reader knows (the headline's referrals, the table's own total or
       another table's: assuming it is known costs a few cells and needs no list of
       which totals appear where), and so is each group of rows sharing a first label
       (a category's stations, an urgency's day and night), each row's parts of a
       total in ``Table.sums`` (requests = arrived within target + later + never) and
       each group of rows in ``Table.parts`` whose sum another table publishes (the
       night hours and the day hours add up to day_night's night and day: Tianping's
       day referrals less the day hours shown told two hidden "<3" hours, 1 and 1).
       What is assumed known, then: the referrals (headline) and every count column's
       total; each group of rows sharing a first label (by_category_station's
       category, time_to_acceptance's urgency: first_contact publishes its accepted
       count); each row's total in ``sums`` (first_contact's accepted, arrival's
       requests); by hour, the night hours' and the day hours' sums (day_night), even
       when day_night hides them (a few more cells hidden in a thin report). Not
       assumed, as no table of the same file publishes them: a weekday's subsets
       (nothing splits weekdays by night or hour), a station's total across categories
       (a file covers its own stations; the headline is their sum), and accepted
       referrals by day and night across urgencies (day_night counts all referrals,
       time_to_acceptance only those accepted, so no sum of one is a figure of the
       other). Tables are suppressed one by one: a figure hidden in one table as "x"
       is not checked against the same figure added up in another.
       While the hidden cells of a partition would still tell a small count exactly
       (one hidden alone; two "<3" that can only be 1 and 1), the smallest non-zero
       figure still shown in it is hidden too, as "x"; when none is left (eight
       referrals in eight different hours: all 1), the whole partition reads "x",
       zeros too, so "x" may be any count, 0 included; this repeats over all
       partitions until none changes. With a threshold under 3 there is nothing to
       protect: "<2" already says 1.
    4. A headline figure worked out from a table (``Table.headline``) reads "x" when it
       would undo the table's hiding: a share (the night share times the referrals is
       the night count) when any of the table's counts is hidden; minutes when fewer
       than ``threshold`` referrals are behind them.
    """
    marker = hidden_marker(threshold)

    def small(value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and 0 < value < threshold

    tables: list[Table] = []
    derived: set[str] = set()
    for table in report.tables:
        if not table.counts:
            tables.append(table)
            continue
        shown, hides_headline = _suppress_table(table, threshold, marker)
        tables.append(replace(table, rows=shown))
        if hides_headline:
            derived.update(table.headline)

    def figure(name: str, value: str | int | float) -> str | int | float:
        if small(value):
            return marker
        if name in derived and isinstance(value, int | float):
            return COMPLEMENT
        return value

    headline = tuple((name, figure(name, value)) for name, value in report.headline)
    return replace(report, tables=tuple(tables), headline=headline, threshold=threshold)


def _suppress_table(
    table: Table, threshold: int, marker: str
) -> tuple[tuple[tuple[Cell, ...], ...], bool]:
    """The table's rows with small counts, their complements and thin minutes hidden,
    and whether the headline figures it feeds must be hidden (suppress, 2-4)."""
    rows = table.rows
    value: dict[Position, int] = {
        (r, c): cell
        for r, row in enumerate(rows)
        for c, cell in enumerate(row)
        if isinstance(cell, int) and not isinstance(cell, bool)
    }
    primary = {at for at, n in value.items() if 0 < n < threshold}
    complement: set[Position] = set()
    if threshold >= 3:
        parts = _partitions(table, value)
        changed = True
        while changed:
            changed = False
            for part in parts:
                while not _safe(part, value, primary, complement, threshold):
                    left = [at for at in part if value[at] > 0 and at not in primary | complement]
                    if left:
                        complement.add(min(left, key=lambda at: (value[at], at)))
                    else:  # every non-zero hidden and still told: hide it all as "x"
                        primary.difference_update(part)
                        complement.update(part)
                    changed = True
    # Minutes of a row whose count is hidden read "x" too: shown, they would say how
    # many (none: no median; under the threshold: it would be hidden; else: many).
    thin = {
        r
        for r in range(len(rows))
        if any((r, c) in primary or (r, c) in complement for c in table.basis)
    }

    def cell(r: int, c: int, original: Cell) -> Cell:
        if (r, c) in primary:
            return marker
        if (r, c) in complement:
            return COMPLEMENT
        if r in thin and c not in table.basis and (original is None or isinstance(original, float)):
            return COMPLEMENT
        return original

    shown = tuple(tuple(cell(r, c, v) for c, v in enumerate(row)) for r, row in enumerate(rows))
    if table.basis:
        behind = sum(n for (_, c), n in value.items() if c in table.basis)
        hides = 0 < behind < threshold
    else:
        hides = bool(primary or complement)
    return shown, hides


def _partitions(table: Table, value: dict[Position, int]) -> list[list[Position]]:
    """The groups of count cells whose total a reader may know (suppress, 3)."""
    labelled = all(len(row) > 1 and isinstance(row[1], str) for row in table.rows)
    parts: list[list[Position]] = []
    for c in sorted({c for _, c in value}):
        column = [(r, c) for r in range(len(table.rows)) if (r, c) in value]
        parts.append(column)
        if labelled:  # two label columns: each first label's rows are a part too
            groups: dict[Cell, list[Position]] = {}
            for r, _ in column:
                groups.setdefault(table.rows[r][0], []).append((r, c))
            parts.extend(group for group in groups.values() if len(group) < len(column))
    for group in table.parts:
        for c in sorted({c for _, c in value}):
            parts.append([(r, c) for r in group if (r, c) in value])
    for total, members in table.sums:
        for r in range(len(table.rows)):
            if (r, total) in value:
                parts.append([(r, c) for c in members if (r, c) in value])
    return [part for part in parts if len(part) > 1]


def _safe(
    part: list[Position],
    value: dict[Position, int],
    primary: set[Position],
    complement: set[Position],
    threshold: int,
) -> bool:
    """Whether no hidden small count of ``part`` can be told from the part's total. A
    reader knows a "<t" is 1..t-1, an "x" any count, 0 too (when a part is hidden
    whole, its zeros are), and the sum of the hidden ones (the total less the figures
    shown); a count is told when only one value fits all that."""
    hidden = [at for at in part if at in primary or at in complement]
    if all(at in complement for at in part):
        return True  # nothing shown, nothing bounded: any split fits
    total = sum(value[at] for at in hidden)
    for at in hidden:
        if not 0 < value[at] < threshold:
            continue  # not a small count: nothing to protect
        others = [o for o in hidden if o != at]
        least = sum(1 for o in others if o in primary)
        open_ended = any(o in complement for o in others)
        most = (threshold - 1) * len(others)
        high = total - least
        low = 0 if at in complement else 1
        if at in primary:
            high = min(threshold - 1, high)
        if not open_ended:
            low = max(low, total - most)
        if high <= low:
            return False
    return True
