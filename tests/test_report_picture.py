"""The picture's Chinese font as an administrator meets it: installed after matplotlib
first ran (its font list is cached on disk and never read again), found through
fontconfig, the reader's script preferred, and the English picture kept when there is
none. And the headline written in the reader's punctuation.

No Chinese font ships with this machine or may ship in the tests, so fontconfig is a
fake ``fc-list`` on PATH and matplotlib's ``addfont`` is recorded instead of reading a
file: what is tested is what the bot asks fontconfig, what it picks from the answer and
what it hands matplotlib.
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import matplotlib
import pytest
from matplotlib import font_manager
from matplotlib.image import imread

from bot.domain.report import Report
from bot.i18n import Translator
from bot.reports import picture
from bot.reports.picture import cjk_font, draw_png, headline_lines, picture_language
from bot.reports.sample import sample_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# fonts-noto-cjk as Debian installs it: one collection a weight, five faces in each
# (fontconfig lists a line a face), the Japanese face first.
NOTO_REGULAR = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
NOTO_BOLD = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
NOTO_FACES = ("JP", "KR", "SC", "TC", "HK")
NOTO = [
    (path, f"Noto Sans CJK {face},Noto Sans CJK {face} {weight}")
    for path, weight in ((NOTO_REGULAR, "Regular"), (NOTO_BOLD, "Bold"))
    for face in NOTO_FACES
]


class Fontconfig:
    """A fake ``fc-list`` on PATH answering from :attr:`listed`, and matplotlib's
    ``addfont`` recorded: a file added gets the faces fontconfig listed for it."""

    def __init__(self, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        folder.mkdir(exist_ok=True)
        self.answer = folder / "fc-list.out"
        self.asked = folder / "fc-list.args"
        self.answer.write_text("", encoding="utf-8")
        program = folder / "bin" / "fc-list"
        program.parent.mkdir()
        program.write_text(
            f"#!/bin/sh\nprintf '[%s]' \"$@\" >> {self.asked}\necho >> {self.asked}\n"
            f"cat {self.answer}\n",
            encoding="utf-8",
        )
        program.chmod(0o755)
        monkeypatch.setenv("PATH", f"{program.parent}{os.pathsep}{os.environ.get('PATH', '')}")
        self.added: list[str] = []
        self.listed: list[tuple[str, str]] = []
        # A copy of matplotlib's list: nothing added here outlives the test.
        manager = font_manager.fontManager
        monkeypatch.setattr(manager, "ttflist", list(manager.ttflist))
        monkeypatch.setattr(manager, "addfont", self._addfont)

    def install(self, fonts: list[tuple[str, str]]) -> None:
        """Fonts installed: fontconfig lists them from now on (matplotlib does not)."""
        self.listed.extend(fonts)
        self.answer.write_text("".join(f"{p}\t{f}\n" for p, f in self.listed), encoding="utf-8")

    def _addfont(self, path: str) -> None:
        self.added.append(path)
        for listed, families in self.listed:
            if listed == path:
                name = families.split(",")[0]
                font_manager.fontManager.ttflist.append(
                    font_manager.FontEntry(fname=path, name=name)
                )

    def questions(self) -> set[str]:
        """Every call's arguments, each in brackets."""
        return set(self.asked.read_text(encoding="utf-8").split("]\n"))


@pytest.fixture
def fontconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Fontconfig:
    return Fontconfig(tmp_path, monkeypatch)


def test_a_font_installed_after_matplotlib_listed_its_fonts_is_used_without_a_restart(
    fontconfig: Fontconfig,
) -> None:
    assert cjk_font("zh_Hans") is None
    assert picture_language("zh_Hans") == "en"

    fontconfig.install(NOTO)  # apt install fonts-noto-cjk, the bot still running

    assert picture_language("zh_Hans") == "zh_Hans"
    assert picture_language("zh_Hant") == "zh_Hant"
    # The reader's script: Simplified for zh_Hans, Hong Kong for zh_Hant (not the first
    # family in the list, Noto Sans CJK HK, for both; nor the collection's first face).
    assert cjk_font("zh_Hans") == "Noto Sans CJK SC"
    assert cjk_font("zh_Hant") == "Noto Sans CJK HK"
    # Both weights handed to matplotlib, each once however often a picture is drawn.
    assert fontconfig.added == [NOTO_REGULAR, NOTO_BOLD]
    assert fontconfig.questions() == {"[--format=%{file}\t%{family}\n][:lang=zh", ""}


@pytest.mark.parametrize(
    ("installed", "hans", "hant"),
    [
        # Separate files a script, as some distributions ship them.
        (
            [
                ("/fonts/NotoSansTC-Regular.otf", "Noto Sans TC"),
                ("/fonts/NotoSansSC-Regular.otf", "Noto Sans SC"),
            ],
            "Noto Sans SC",
            "Noto Sans TC",
        ),
        # WenQuanYi (Simplified; its other names in Chinese) beside a Taiwanese face.
        (
            [
                ("/fonts/ukai.ttc", "AR PL UKai TW,文鼎PL中楷"),
                ("/fonts/wqy-zenhei.ttc", "WenQuanYi Zen Hei,文泉驛正黑,文泉驿正黑"),
            ],
            "WenQuanYi Zen Hei",
            "AR PL UKai TW",
        ),
        # One Chinese font whatever the script: it draws both.
        ([("/fonts/droid.ttf", "Droid Sans Fallback")], "Droid Sans Fallback", None),
        # A Japanese face only: still better than English.
        (
            [("/fonts/NotoSansJP-Regular.otf", "Noto Sans JP")],
            "Noto Sans JP",
            "Noto Sans JP",
        ),
    ],
)
def test_the_readers_script_is_preferred(
    fontconfig: Fontconfig, installed: list[tuple[str, str]], hans: str, hant: str | None
) -> None:
    fontconfig.install(installed)
    assert cjk_font("zh_Hans") == hans
    assert cjk_font("zh_Hant") == (hant or hans)


def test_a_font_matplotlib_cannot_read_is_no_font(
    fontconfig: Fontconfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(path: str) -> None:
        raise RuntimeError("Can not load face")

    monkeypatch.setattr(font_manager.fontManager, "addfont", broken)
    fontconfig.install([("/fonts/broken.ttf", "Noto Sans SC")])
    assert cjk_font("zh_Hans") is None
    assert picture_language("zh_Hans") == "en"


def test_without_fontconfig_the_system_fonts_are_scanned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no fc-list
    manager = font_manager.fontManager
    monkeypatch.setattr(manager, "ttflist", list(manager.ttflist))
    # A font file matplotlib has not listed, with no Chinese glyph: not taken.
    latin = tmp_path / "Latin.ttf"
    shutil.copy(Path(matplotlib.get_data_path()) / "fonts/ttf/DejaVuSans.ttf", latin)
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda: [str(latin)])
    assert cjk_font("zh_Hans") is None
    # A Chinese family matplotlib already knows by name is.
    manager.ttflist.append(font_manager.FontEntry(fname="/fonts/s.ttf", name="Noto Sans CJK SC"))
    manager.ttflist.append(font_manager.FontEntry(fname="/fonts/t.ttf", name="Noto Sans CJK TC"))
    assert cjk_font("zh_Hans") == "Noto Sans CJK SC"
    assert cjk_font("zh_Hant") == "Noto Sans CJK TC"


def test_with_no_chinese_font_the_picture_is_drawn_in_english(fontconfig: Fontconfig) -> None:
    def chinese(key: str, label_id: str) -> str:
        raise AssertionError("Chinese labels reached a font without Chinese glyphs")

    # Any Chinese text drawn without a Chinese font warns (a missing glyph), and the
    # test suite turns warnings into errors: this picture is English throughout.
    png = draw_png(sample_report(), "zh_Hant", chinese, english_labels=lambda k, i: i)
    assert png.startswith(PNG_MAGIC)
    assert imread(io.BytesIO(png), format="png").shape[1] > 300


@pytest.mark.parametrize(
    ("language", "lines"),
    [
        ("zh_Hant", ["轉介數目：<3", "夜間結束時仍無人接案：0", "接案時間中位數（分鐘）：–"]),
        ("zh_Hans", ["转介数：<3", "夜间结束时仍无人接案：0", "接案时间中位数（分钟）：–"]),
        (
            "en",
            [
                "Referrals: <3",
                "Unanswered when the night ended: 0",
                "Median minutes to acceptance: –",
            ],
        ),
    ],
)
def test_the_headline_is_in_the_readers_punctuation_and_a_hidden_count_reads_as_such(
    language: str, lines: list[str]
) -> None:
    report = Report(
        start=sample_report().start,
        end=sample_report().end,
        stations=("*",),
        tables=(),
        headline=(
            ("Referrals", "<3"),
            ("Unanswered when the night ended", 0),
            ("Median minutes to acceptance", "–"),
        ),
    )
    assert headline_lines(report, Translator(language)) == lines


def test_the_picture_draws_the_headline_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[str] = []
    monkeypatch.setattr(picture, "headline_lines", lambda r, tr: drawn.append(tr.language) or [])
    draw_png(sample_report(), "en", lambda k, i: i)
    assert drawn == ["en"]
