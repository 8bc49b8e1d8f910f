"""Small counts stay hidden in a report's file (issue 18, review): a reader who knows a
total (the headline's referrals, a table's own total) can no longer work a hidden
count out by subtraction, nor from the night share, nor read one referral's timing
from a median; and every file says what its marks "<3" and "x" mean.

The figures are the hand-counted week of tests/test_report_figures.py, hidden as the
files that leave the bot are (bot.services.report_files.outgoing); the "reader" below
does what the reviewer did, for every value a hidden cell could take.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from datetime import date, time
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from bot.config import Config
from bot.domain import figures as fig
from bot.domain.report import Cell, Report, Table, is_hidden, suppress
from bot.i18n import Translator
from bot.reports.labels import report_labels
from bot.services import Services, reports
from bot.services.report_files import Format, outgoing, render
from bot.services.reports import _day_and_night_hours
from tests.test_report_figures import rows, seed_week, services, table

__all__ = ["services"]  # the fixture, from the hand-counted week

WEEK = (date(2026, 11, 2), date(2026, 11, 8))
SCOPES = ((), ("tianping",), ("xietu",))
THRESHOLD = 3
# Tables whose counts add up to the headline's referrals, each referral once.
PARTITIONS_OF_THE_TOTAL = {
    "by_category_station": 2,
    "by_urgency": 1,
    "by_hour": 1,
    "by_weekday": 1,
    "day_night": 1,
}


def could_be(shown: Sequence[Cell], total: int) -> list[set[int]]:
    """What a reader can tell of each cell of a column knowing its total: a number is
    itself, "<3" is 1 or 2, "x" anything from 0 (the values that fit the total)."""
    ranges = [
        {value}
        if isinstance(value, int)
        else set(range(1, THRESHOLD))
        if value == f"<{THRESHOLD}"
        else set(range(total + 1))
        for value in shown
    ]
    possible: list[set[int]] = []
    for index, own in enumerate(ranges):
        sums = {0}
        for other, values in enumerate(ranges):
            if other != index:
                sums = {s + v for s in sums for v in values if s + v <= total}
        possible.append({v for v in own if total - v in sums})
    return possible


async def hidden_and_raw(services: Services, stations: tuple[str, ...]) -> tuple[Report, Report]:
    raw = await reports.figures(services, *WEEK, stations, per_worker=False)
    return suppress(raw, THRESHOLD), raw


@pytest.mark.parametrize("stations", SCOPES)
async def test_no_small_count_can_be_worked_out_from_the_referrals_total(
    services: Services, stations: tuple[str, ...]
) -> None:
    await seed_week(services)
    hidden, raw = await hidden_and_raw(services, stations)
    total = dict(raw.headline)["Referrals"]
    assert isinstance(total, int)
    for key, column in PARTITIONS_OF_THE_TOTAL.items():
        shown = [row[column] for row in table(hidden, key).rows]
        true = [row[column] for row in table(raw, key).rows]
        assert sum(true) == total  # type: ignore[arg-type]
        for value, possible in zip(true, could_be(shown, total), strict=True):
            assert value in possible
            if isinstance(value, int) and 0 < value < THRESHOLD:
                assert len(possible) > 1, (stations, key, shown)


async def test_the_reviewers_subtraction_and_share_no_longer_work(services: Services) -> None:
    await seed_week(services)
    everywhere, _ = await hidden_and_raw(services, ())
    # Referrals 8 = 3 immediate + 3 urgent + routine: the routine 2 was "8 - 3 - 3".
    assert dict(everywhere.headline)["Referrals"] == 8
    assert rows(everywhere, "by_urgency") == {"immediate": "x", "urgent": 3, "routine": "<3"}
    assert could_be(("x", 3, "<3"), 8)[2] == {1, 2}
    # Tianping: day 3, night "<3" and Referrals 5 told night 2, and so did 40.0 % of 5.
    tianping, _ = await hidden_and_raw(services, ("tianping",))
    headline = dict(tianping.headline)
    assert headline["Referrals"] == 5
    assert rows(tianping, "day_night") == {"day": "x", "night": "<3"}
    assert headline["Share filed at night (%)"] == "x"
    # Day and night shown (3 and 5 of 8): the share tells nothing hidden and stays.
    assert rows(everywhere, "day_night") == {"day": 3, "night": 5}
    assert dict(everywhere.headline)["Share filed at night (%)"] == 62.5


async def test_no_minutes_of_one_referral_are_shown(services: Services) -> None:
    await seed_week(services)
    xietu, raw = await hidden_and_raw(services, ("xietu",))
    one = next(
        row for row in table(raw, "time_to_acceptance").rows if row[:2] == ("routine", "night")
    )
    assert one == ("routine", "night", 1, 780.0, 780.0)  # what the reviewer read
    timing = {row[:2]: row[2:] for row in table(xietu, "time_to_acceptance").rows}
    assert timing[("routine", "night")] == ("x", "x", "x")
    arrival = {row[0]: row[1:] for row in table(xietu, "arrival").rows}
    assert table(raw, "arrival").rows[1] == ("on_scene", 1, 0, 1, 0, 50.0)
    assert arrival["on_scene"][-1] == "x"  # its 50 minutes
    # Two referrals accepted at Xietu: the headline's median is theirs, hidden too.
    assert dict(raw.headline)["Median minutes to acceptance"] == 395.0
    assert dict(xietu.headline)["Median minutes to acceptance"] == "x"
    # Eight referrals everywhere: the median of all of them is shown.
    everywhere, _ = await hidden_and_raw(services, ())
    assert dict(everywhere.headline)["Median minutes to acceptance"] == 20.0


def report_of(*tables: Table, headline: tuple[tuple[str, str | int | float], ...] = ()) -> Report:
    return Report(*WEEK, ("*",), tables, headline)


def test_one_hidden_count_takes_the_smallest_other_with_it() -> None:
    counts = Table("t", "T", ("A", "N"), (("a", 9), ("b", 4), ("c", 2), ("d", 0), ("e", 5)))
    assert suppress(report_of(counts)).tables[0].rows == (
        ("a", 9),
        ("b", "x"),  # the smallest non-zero beside the "<3"
        ("c", "<3"),
        ("d", 0),
        ("e", 5),
    )


def test_two_ones_are_not_left_to_add_up_to_two() -> None:
    counts = Table("t", "T", ("A", "N"), (("a", 1), ("b", 1), ("c", 6)))
    assert suppress(report_of(counts)).tables[0].rows == (("a", "<3"), ("b", "<3"), ("c", "x"))
    # 1 and 2 add up to 3, which 1 + 2 and 2 + 1 both make: nothing more to hide.
    counts = Table("t", "T", ("A", "N"), (("a", 1), ("b", 2), ("c", 6)))
    assert suppress(report_of(counts)).tables[0].rows == (("a", "<3"), ("b", "<3"), ("c", 6))


def test_all_ones_hide_the_whole_column_zeros_too() -> None:
    """Three referrals in three of five hours: "<3" three times with 0 twice would say
    1, 1, 1; every cell reads "x", so which hours had one is not told either."""
    counts = Table("t", "T", ("H", "N"), (("a", 1), ("b", 0), ("c", 1), ("d", 0), ("e", 1)))
    assert [row[1] for row in suppress(report_of(counts)).tables[0].rows] == ["x"] * 5


def test_a_row_total_is_a_total_too_and_its_minutes_go_with_its_counts() -> None:
    arrival = Table(
        "arrival",
        "Arrival",
        ("Kind", "Requests", "Within", "Later", "Never", "Median"),
        (("on_scene", 5, 4, 1, 0, 30.0), ("adult", 7, 4, 3, 0, 41.0)),
        basis=(2, 3),
        sums=((1, (2, 3, 4)),),
    )
    shown = suppress(report_of(arrival)).tables[0].rows
    # 5 = 4 + later: later hidden, 4 hidden with it (and in the Within column, 4 beside
    # it), and the minutes of the rows whose counts are hidden.
    assert shown[0] == ("on_scene", 5, "x", "<3", 0, "x")
    assert shown[1][1] == 7 and "x" in shown[1][2:4]


def test_a_threshold_of_two_hides_only_the_ones() -> None:
    counts = Table("t", "T", ("A", "N"), (("a", 1), ("b", 6)))
    assert suppress(report_of(counts), 2).tables[0].rows == (("a", "<2"), ("b", 6))


def test_tables_not_of_counts_are_untouched() -> None:
    workers = Table("per_worker", "W", ("Worker", "Cases"), (("Li", 1), ("Zhao", 7)), counts=False)
    assert suppress(report_of(workers)).tables[0].rows == workers.rows


MARKERS = {
    "en": (
        "fewer than 3, hidden so that no one can be recognised",
        "hidden so that a small number cannot be worked out from the other figures,"
        " and no minutes of fewer than 3 referrals are shown",
    ),
    "zh_Hans": (
        "少于3，已隐去，以免有人被认出",
        "已隐去，以免从其他数字推算出较小的数目；少于3条转介的分钟数也不显示",
    ),
    "zh_Hant": (
        "少於3，已隱去，以免有人被認出",
        "已隱去，以免從其他數字推算出較小的數目；少於3宗轉介的分鐘數亦不顯示",
    ),
}


@pytest.mark.parametrize("language", sorted(MARKERS))
async def test_every_file_says_once_what_the_marks_mean(
    services: Services, config: Config, language: str
) -> None:
    await seed_week(services)
    report = await outgoing(services, *WEEK, (), per_worker=False)
    small, also = MARKERS[language]

    book = openpyxl.load_workbook(io.BytesIO(render(report, Format.XLSX, language, config).content))
    summary = {row[0]: row[1] for row in book.worksheets[0].iter_rows(values_only=True) if row[0]}
    assert summary["<3"] == small and summary["x"] == also

    archive = zipfile.ZipFile(io.BytesIO(render(report, Format.CSV, language, config).content))
    text = archive.read("summary.csv").decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert ["<3", small] in lines and ["x", also] in lines
    assert sum(line[0] in ("<3", "x") for line in lines) == 2  # once


async def test_the_workbook_names_tabs_and_chart_bars_in_the_readers_words(
    services: Services, config: Config
) -> None:
    await seed_week(services)
    report = await outgoing(services, *WEEK, (), per_worker=False)
    book = openpyxl.load_workbook(
        io.BytesIO(render(report, Format.XLSX, "zh_Hant", config).content)
    )
    hant = Translator("zh_Hant")
    assert book.sheetnames[0] == hant("Summary")
    # Each tab is its table's title, cut to Excel's 31 characters where longer.
    assert book.sheetnames[1:] == [hant(t.title)[:31] for t in report.tables]
    assert not any(t.key in book.sheetnames for t in report.tables)

    names = report_labels(config, "zh_Hant")
    sheet = book[hant("Referrals by category and station")]
    (chart,) = sheet._charts  # type: ignore[attr-defined]
    reference = chart.series[0].cat.strRef.f
    column = reference.split("!")[1].split(":")[0].strip("$").rstrip("0123456789").strip("$")
    assert sheet.column_dimensions[column].hidden
    categories = [cell.value for (cell,) in sheet[reference.split("!")[1].replace("$", "")]]
    tianping = names("by_category_station", "tianping")
    xietu = names("by_category_station", "xietu")
    family = names("by_category_station", "family_dispute")
    # Two stations' family disputes are two bars, each named by category and station.
    assert f"{family} · {tianping}" in categories and f"{family} · {xietu}" in categories
    assert len(set(categories)) == len(categories)

    timing = book[hant("Minutes from filing to first acceptance")]
    assert timing._charts == []  # type: ignore[attr-defined]  # no chart asked for it


# By hour, the night and the day as the report's night runs ([coordination]
# night_starts 18:00 to handover_at 08:00): day_night publishes each group's sum.
NIGHT_HOURS = (*range(0, 8), *range(18, 24))
DAY_HOURS = tuple(range(8, 18))


def _or_shifts(sums: int, values: set[int], mask: int) -> int:
    made = 0
    for v in values:
        made |= sums << v
    return made & mask


def could_be_hours(hours: Sequence[Cell], day: Cell, night: Cell, total: int) -> list[set[int]]:
    """What a reader can tell of each hour knowing the referrals' total and day_night's
    day and night (a number is itself, "<3" 1 or 2, "x" anything from 0): the night
    hours add up to the night, the day hours to the day, both to the total."""

    def reading(value: Cell) -> set[int]:
        if isinstance(value, int):
            return {value}
        return set(range(1, THRESHOLD)) if value == f"<{THRESHOLD}" else set(range(total + 1))

    ranges = [reading(value) for value in hours]
    splits = [(n, total - n) for n in reading(night) if total - n in reading(day)]
    possible: list[set[int]] = []
    for index, own in enumerate(ranges):
        group, other = (
            (NIGHT_HOURS, DAY_HOURS) if index in NIGHT_HOURS else (DAY_HOURS, NIGHT_HOURS)
        )
        mine = 1
        for h in group:
            if h != index:
                mine = _or_shifts(mine, ranges[h], (1 << (total + 1)) - 1)
        theirs = 1
        for h in other:
            theirs = _or_shifts(theirs, ranges[h], (1 << (total + 1)) - 1)
        fits = set()
        for n, d in splits:
            own_sum, other_sum = (n, d) if group is NIGHT_HOURS else (d, n)
            if theirs >> other_sum & 1:
                fits |= {v for v in own if v <= own_sum and mine >> (own_sum - v) & 1}
        possible.append(fits)
    return possible


def hours_report(counts: dict[int, int]) -> Report:
    """A by_hour and a day_night table as the figures make them, with the headline."""
    hours = tuple((f"{h:02d}", counts.get(h, 0)) for h in range(24))
    night = sum(counts.get(h, 0) for h in NIGHT_HOURS)
    day = sum(counts.get(h, 0) for h in DAY_HOURS)
    return report_of(
        Table("by_hour", "H", ("Hour", "Referrals"), hours, parts=(NIGHT_HOURS, DAY_HOURS)),
        Table("day_night", "D", ("When", "Referrals"), (("day", day), ("night", night))),
        headline=(("Referrals", day + night),),
    )


def assert_no_hour_told(hidden: Report, raw: Report) -> None:
    """The reader above cannot pin any hidden small hour (nor day or night) to one value."""
    total = dict(raw.headline)["Referrals"]
    assert isinstance(total, int)
    shown = [row[1] for row in table(hidden, "by_hour").rows]
    true = [row[1] for row in table(raw, "by_hour").rows]
    when = {row[0]: row[1] for row in table(hidden, "day_night").rows}
    for hour, (value, possible) in enumerate(
        zip(true, could_be_hours(shown, when["day"], when["night"], total), strict=True)
    ):
        assert value in possible
        if isinstance(value, int) and 0 < value < THRESHOLD:
            assert len(possible) > 1, (hour, shown, when)
    for when_value in table(raw, "day_night").rows:
        if isinstance(when_value[1], int) and 0 < when_value[1] < THRESHOLD:
            assert is_hidden(when[when_value[0]])


def test_hidden_hours_cannot_be_recovered_from_the_day_and_night_totals() -> None:
    """The reviewer's Tianping sheet: hours 03 (1) and 14 (2) hidden as "<3", each
    alone in its part of the day; day referrals less the day hours shown told 14 = 2,
    and the night's told 03 = 1. Now another hour of each part is hidden with them."""
    counts = {h: 10 for h in range(24)} | {3: 1, 14: 2}
    raw = hours_report(counts)
    hidden = suppress(raw)
    shown = dict(table(hidden, "by_hour").rows)
    assert shown["03"] == "<3" and shown["14"] == "<3"
    assert sum(value == "x" for value in shown.values()) == 2  # one more hour per part
    assert rows(hidden, "day_night") == {"day": 92, "night": 131}  # still shown
    assert_no_hour_told(hidden, raw)


@pytest.mark.parametrize(
    "counts",
    [
        {2: 1, 19: 1},  # two nights of one referral each, nothing by day
        {2: 2, 10: 5, 12: 4},  # a night of two, known from day_night's 2
        {0: 1, 1: 1, 9: 3, 10: 3, 11: 6, 20: 7},
        {h: 1 + h % 3 for h in range(24)},
    ],
)
def test_no_hour_is_told_whatever_the_day_and_night_show(counts: dict[int, int]) -> None:
    raw = hours_report(counts)
    assert_no_hour_told(suppress(raw), raw)


@pytest.mark.parametrize("stations", SCOPES)
async def test_the_report_declares_its_night_and_day_hours(
    services: Services, stations: tuple[str, ...]
) -> None:
    await seed_week(services)
    hidden, raw = await hidden_and_raw(services, stations)
    assert table(raw, "by_hour").parts == (NIGHT_HOURS, DAY_HOURS)
    hours = dict(table(raw, "by_hour").rows)
    assert rows(raw, "day_night") == {
        "night": sum(hours[f"{h:02d}"] for h in NIGHT_HOURS),  # type: ignore[misc]
        "day": sum(hours[f"{h:02d}"] for h in DAY_HOURS),  # type: ignore[misc]
    }
    assert_no_hour_told(hidden, raw)


def test_an_hour_the_night_cuts_is_in_neither_part() -> None:
    """A night from 22:30: hour 22 is half day, half night; its split is not
    published, so only the whole hours' sums are taken as known."""
    zone = ZoneInfo("Asia/Macau")
    starts, ends = time(22, 30), time(8)
    step = fig.step_minutes(*WEEK, zone, starts, ends)
    night, day = _day_and_night_hours(fig.slots(*WEEK, zone, starts, ends, step))
    assert night == (*range(0, 8), 23)
    assert day == tuple(range(8, 22))


def test_a_realistic_month_keeps_its_hours() -> None:
    """A month of a busy station, two quiet hours: four hours hidden in all, not the day."""
    month = (6, 4, 5, 1, 4, 5, 7, 9, 11, 13, 12, 14, 12, 10, 11, 2, 12, 13, 10, 9, 8, 7, 6, 5)
    counts = dict(enumerate(month))
    raw = hours_report(counts)
    hidden = suppress(raw)
    shown = [row[1] for row in table(hidden, "by_hour").rows]
    assert sum(is_hidden(value) for value in shown) == 4
    assert_no_hour_told(hidden, raw)
