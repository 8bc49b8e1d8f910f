"""The report exports as a reader opens them: the workbook in Excel (read back with
openpyxl), the CSVs in Excel (a byte-order mark, so Chinese is not garbled), the picture
in a chat (a PNG that decodes), each in the reader's language."""

from __future__ import annotations

import csv
import io
import zipfile

import openpyxl
import pytest
from matplotlib.image import imread

from bot.domain.report import Report, Table
from bot.reports import picture
from bot.reports.csv import write_csv_zip
from bot.reports.picture import draw_png, picture_language
from bot.reports.sample import sample_report
from bot.reports.xlsx import write_xlsx

LANGUAGES = ("en", "zh_Hans", "zh_Hant")
NAMES = {
    "zh_Hans": {"family_dispute": "家庭矛盾", "east": "城东", "west": "城西"},
    "zh_Hant": {"family_dispute": "家庭糾紛", "east": "城東", "west": "城西"},
    "en": {"family_dispute": "Family dispute", "east": "East", "west": "West"},
}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def labels_in(language: str):  # type: ignore[no-untyped-def]
    names = NAMES[language]
    return lambda key, label_id: names.get(label_id, label_id)


def workbook(report: Report, language: str) -> bytes:
    out = io.BytesIO()
    write_xlsx(report, out, language, labels_in(language))
    return out.getvalue()


SHEETS = {
    # Tabs named in the reader's language; Excel refuses ":" in a name (the English
    # title's is dropped) and takes 31 characters (cut at a word).
    "en": [
        "Summary",
        "Sample referrals by category",
        "Sample referrals by hour",
        "Sample minutes to first",
    ],
    "zh_Hans": [
        "概要",
        "示例：按类别统计的转介",
        "示例：按时段统计的转介",
        "示例：首次接案所需分钟数",
    ],
    "zh_Hant": [
        "概要",
        "示例：按類別統計的轉介",
        "示例：按時段統計的轉介",
        "示例：首次接案所需分鐘數",
    ],
}


@pytest.mark.parametrize(
    ("language", "title", "category", "night"),
    [
        ("en", "Sample: referrals by category", "Category", "At night"),
        ("zh_Hans", "示例：按类别统计的转介", "类别", "夜间"),
        ("zh_Hant", "示例：按類別統計的轉介", "類別", "夜間"),
    ],
)
def test_the_workbook_has_a_summary_then_a_sheet_per_table_in_the_readers_language(
    language: str, title: str, category: str, night: str
) -> None:
    book = openpyxl.load_workbook(io.BytesIO(workbook(sample_report(), language)))

    assert book.sheetnames == SHEETS[language]
    sheet = book.worksheets[1]
    assert sheet["A1"].value == title
    assert [cell.value for cell in sheet[2]] == [category, sheet["B2"].value, night]
    names = NAMES[language]
    # Labels named, numbers as numbers, a suppressed count as text, zero kept.
    assert [cell.value for cell in sheet[3]] == [names["family_dispute"], 12, 5]
    assert [cell.value for cell in sheet[4]][1:] == [7, "<3"]
    assert sheet["C5"].value == 0
    assert book.worksheets[3]["B3"].value == 4.5
    assert book.worksheets[3]["C4"].value is None


def test_the_summary_gives_the_period_the_stations_and_the_headline() -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(workbook(sample_report(), "zh_Hans")))["概要"]
    values = {row[0].value: row[1].value for row in sheet.iter_rows(min_row=3)}

    assert values == {
        "统计期间": "2026-11-01 至 2026-11-30",
        "派出所": "城东、城西",
        "提交的转介": 23,
        "夜间占比": "22%",
    }


def test_all_stations_are_said_so() -> None:
    report = sample_report()
    everywhere = Report(report.start, report.end, ("*",), report.tables, report.headline)
    sheet = openpyxl.load_workbook(io.BytesIO(workbook(everywhere, "en")))["Summary"]

    assert sheet["B4"].value == "All stations"


def test_tables_with_a_chart_get_a_native_chart_and_the_others_none() -> None:
    data = workbook(sample_report(), "en")
    book = openpyxl.load_workbook(io.BytesIO(data))

    assert len(book["Sample referrals by category"]._charts) == 1
    assert len(book["Sample referrals by hour"]._charts) == 1
    assert book["Sample minutes to first"]._charts == []
    charts = [name for name in zipfile.ZipFile(io.BytesIO(data)).namelist() if "charts/" in name]
    assert sorted(charts) == ["xl/charts/chart1.xml", "xl/charts/chart2.xml"]
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/charts/chart1.xml").decode()
    assert '<c:barDir val="bar"/>' in xml


def test_sheet_names_are_cut_cleaned_and_made_unique_as_excel_requires() -> None:
    def titled(title: str) -> Table:
        return Table(key="k" * 40, title=title, columns=("Category", "Referrals"), rows=())

    tables = (
        titled("k" * 40),
        titled("Referrals: [in] a/b?*"),
        titled("Referrals by category and station"),
        titled("referrals BY category and station"),
        titled("Summary"),
    )
    report = Report(sample_report().start, sample_report().end, ("*",), tables, ())
    book = openpyxl.load_workbook(io.BytesIO(workbook(report, "en")))

    assert book.sheetnames == [
        "Summary",
        "k" * 31,
        "Referrals in a b",
        "Referrals by category and",
        "referrals BY category and (2)",
        "Summary (2)",
    ]
    # The title row keeps the whole title.
    assert book.worksheets[3]["A1"].value == "Referrals by category and station"


def test_the_csvs_are_one_per_table_with_a_bom_and_chinese_headers() -> None:
    out = io.BytesIO()
    write_csv_zip(sample_report(), out, "zh_Hant", labels_in("zh_Hant"))
    archive = zipfile.ZipFile(out)

    assert archive.namelist() == [
        "summary.csv",
        "sample_by_category.csv",
        "sample_by_hour.csv",
        "sample_time_to_accept.csv",
    ]
    data = archive.read("sample_by_category.csv")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][0] == "類別"
    assert rows[1:] == [
        ["家庭糾紛", "12", "5"],
        ["neighbour_dispute", "7", "<3"],
        ["elderly", "4", "0"],
    ]
    minutes = list(
        csv.reader(io.StringIO(archive.read("sample_time_to_accept.csv").decode("utf-8-sig")))
    )
    assert minutes[2] == ["routine", "35.0", ""]


def png_ok(data: bytes) -> None:
    assert data.startswith(PNG_MAGIC)
    pixels = imread(io.BytesIO(data), format="png")
    assert pixels.shape[0] > 300 and pixels.shape[1] > 300


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_picture_is_a_png_in_every_language(language: str) -> None:
    png_ok(draw_png(sample_report(), language, labels_in(language)))


def test_with_no_chinese_font_the_chinese_picture_falls_back_to_english(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(picture, "cjk_font", lambda language: None)
    asked: list[str] = []

    def english(key: str, label_id: str) -> str:
        asked.append(label_id)
        return NAMES["en"].get(label_id, label_id)

    def chinese(key: str, label_id: str) -> str:
        raise AssertionError("Chinese labels reached a font without Chinese glyphs")

    assert picture_language("zh_Hans") == "en"
    assert picture_language("en") == "en"
    # Any Chinese text drawn without a Chinese font warns (a missing glyph), and the
    # test suite turns warnings into errors: this picture is drawn in English throughout.
    png_ok(draw_png(sample_report(), "zh_Hans", chinese, english_labels=english))
    assert "family_dispute" in asked and "east" in asked


def test_with_a_chinese_font_the_picture_is_drawn_in_chinese(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(picture, "cjk_font", lambda language: "Some CJK Font")

    assert picture_language("zh_Hant") == "zh_Hant"
