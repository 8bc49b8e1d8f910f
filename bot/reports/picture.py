"""The report as one picture to send in a chat: the headline figures and the first one
or two charts, drawn with matplotlib's Agg backend (no display, no pyplot state, so it is
safe inside the bot's process).

Chinese needs a font with Chinese glyphs. :func:`cjk_font` asks fontconfig for one (the
reader's script preferred) and adds it to matplotlib's font list; when none is installed
the picture is drawn in English, with English labels, rather than as rows of empty
boxes. ``doctor`` uses the same function to say so before anyone asks for a report.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from matplotlib import font_manager, ft2font, rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

from bot.domain.report import Report, Table
from bot.i18n import N_, SOURCE_LANGUAGE, Html, Translator
from bot.reports import (
    REPORT_TITLE,
    Labels,
    ids_as_labels,
    is_suppressed,
    label_columns,
    period_text,
    stations_text,
)

# Families with Chinese glyphs, in order of preference: Noto/Source Han (the same design
# under two names), WenQuanYi on older Linux, PingFang on macOS, the Windows defaults.
CJK_FAMILIES: Sequence[str] = (
    "Noto Sans CJK",
    "Source Han Sans",
    "Noto Sans SC",
    "Noto Sans TC",
    "Noto Sans HK",
    "WenQuanYi",
    "PingFang",
    "Microsoft YaHei",
    "Microsoft JhengHei",
    "SimHei",
)
# How a family's name says which script it is drawn for. Either draws both scripts; the
# reader's own looks right (a Simplified face draws some Traditional characters in the
# mainland's shapes and the other way round). Hong Kong first for zh_Hant: the
# Traditional catalogue is in Hong Kong/Macau wording.
_SCRIPTS: dict[str, tuple[re.Pattern[str], ...]] = {
    "zh_Hans": (re.compile(r"\b(SC|CN|GB)\b|Simplified|YaHei|SimHei|SimSun|WenQuanYi"),),
    "zh_Hant": (
        re.compile(r"\b(HK|MO)\b"),
        re.compile(r"\b(TC|TW)\b|Traditional|JhengHei|MingLiU"),
    ),
}
_CHINESE = re.compile(r"\b(SC|CN|GB|TC|TW|HK|MO)\b|Simplified|Traditional")
_JAPANESE_KOREAN = re.compile(r"\b(JP|KR)\b")
HEADLINE_FIGURE = N_("{figure}: {value}")  # the chat's headline text too
CHARTS = 2  # at most this many charts under the headline
FALLBACK_FAMILY = "DejaVu Sans"  # ships with matplotlib
# One picture at a time: rc_context changes matplotlib's process-wide settings, and the
# bot draws in worker threads (two coordinators asking at once would mix their fonts).
_DRAWING = threading.Lock()
# Looking for a font adds files to matplotlib's process-wide font list: one at a time.
_FINDING = threading.Lock()
_TEST_GLYPH = ord("中")
FC_LIST_SECONDS = 5


@dataclass(frozen=True)
class ChineseFont:
    """One font file with Chinese glyphs, as fontconfig (or a scan) found it."""

    families: tuple[str, ...]  # the first is the family's own name; then its aliases
    path: str


def cjk_font(language: str = "zh_Hans") -> str | None:
    """The name matplotlib knows an installed Chinese font by, the reader's script
    preferred (``zh_Hans``: a Simplified face, ``zh_Hant``: Hong Kong, then Traditional),
    or None.

    Found through fontconfig on every call, not through matplotlib's own font list: that
    list is cached on disk (``fontlist-v*.json``) when matplotlib first runs and never
    read again, so a font installed afterwards would stay unknown however often the bot
    is restarted. The file found is added to matplotlib's list here (``addfont``), so a
    font installed while the bot runs is used from the next picture on.
    """
    with _FINDING:
        fonts = chinese_fonts()
        if not fonts:
            return None
        best = min(fonts, key=lambda font: _rank(font.families, language))
        family = best.families[0]
        # Every file of the family (its weights; a collection is listed once a face).
        paths = list(dict.fromkeys(font.path for font in fonts if font.families[0] == family))
        known = {entry.fname for entry in font_manager.fontManager.ttflist}
        for path in paths:
            if path not in known:
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue  # unreadable: the family's other files may do
        # A collection (.ttc) holds several faces: the name matplotlib gave the face of
        # this family, or failing that the best of the names it gave the file.
        names = {entry.name for entry in font_manager.fontManager.ttflist if entry.fname in paths}
        aliases = {name.casefold() for name in best.families}
        for name in sorted(names):
            if name.casefold() in aliases:
                return name
        if not names:
            return None  # matplotlib could read none of its files
        return min(names, key=lambda name: _rank((name,), language))


def chinese_fonts() -> list[ChineseFont]:
    """Every installed font file with Chinese glyphs: fontconfig's (``fc-list
    :lang=zh``) where it is installed, as on any Linux server, else a scan of the
    system's font folders (matplotlib's ``findSystemFonts``)."""
    program = shutil.which("fc-list")
    if program is not None:
        return _fontconfig(program)
    return _scanned()


def _fontconfig(program: str) -> list[ChineseFont]:
    """``fc-list :lang=zh family file``, with a tab between the two so a path with a
    colon in it is read whole; a failing fc-list finds nothing."""
    try:
        listed = subprocess.run(  # noqa: S603 (fontconfig, found by shutil.which; fixed args)
            [program, "--format=%{file}\t%{family}\n", ":lang=zh"],
            capture_output=True,
            text=True,
            # Milliseconds normally; a hung fontconfig must not hold every picture
            # (and the lock) for long: without an answer the picture is in English.
            timeout=FC_LIST_SECONDS,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    fonts = []
    for line in listed.splitlines():
        path, _, families = line.partition("\t")
        names = tuple(name.strip() for name in families.split(",") if name.strip())
        if path and names and Path(path).suffix.lower() in {".ttf", ".otf", ".ttc"}:
            fonts.append(ChineseFont(names, path))
    return fonts


def _scanned() -> list[ChineseFont]:
    """Without fontconfig: the fonts matplotlib already knows by a Chinese family's name,
    and any font file it does not know yet that has a Chinese glyph."""
    known = font_manager.fontManager.ttflist
    fonts = [
        ChineseFont((entry.name,), entry.fname)
        for entry in known
        if any(entry.name.startswith(wanted) for wanted in CJK_FAMILIES)
    ]
    seen = {entry.fname for entry in known}
    for path in font_manager.findSystemFonts():
        if path in seen or Path(path).suffix.lower() == ".afm":
            continue
        try:
            face = ft2font.FT2Font(path)
        except (OSError, RuntimeError, ValueError):
            continue
        if face.get_char_index(_TEST_GLYPH):
            fonts.append(ChineseFont((face.family_name,), path))
    return fonts


def _rank(families: Sequence[str], language: str) -> tuple[int, int, str]:
    """Lower is better: the reader's script first, then a face that names no script,
    then the other Chinese script, then Japanese and Korean faces (their shapes of some
    characters differ from either); then the known families' order; then the name, so
    the choice does not depend on fontconfig's order."""
    patterns = _SCRIPTS.get(language, _SCRIPTS["zh_Hans"])
    name = families[0]
    script = next(
        (i for i, pattern in enumerate(patterns) if any(pattern.search(f) for f in families)),
        None,
    )
    if script is None:
        others = (_CHINESE, _JAPANESE_KOREAN)
        script = len(patterns) + next(
            (1 + i for i, pattern in enumerate(others) if any(pattern.search(f) for f in families)),
            0,
        )
    known = next(
        (i for i, wanted in enumerate(CJK_FAMILIES) if name.startswith(wanted)),
        len(CJK_FAMILIES),
    )
    return (script, known, name)


def picture_language(language: str) -> str:
    """The language the picture is drawn in: the reader's, or English when the reader's
    needs Chinese glyphs and no font has them."""
    if language.startswith("zh") and cjk_font(language) is None:
        return SOURCE_LANGUAGE
    return language


def draw_png(
    report: Report, language: str, labels: Labels, *, english_labels: Labels | None = None
) -> bytes:
    """The picture as PNG bytes. ``labels`` names the rows in ``language``; when the
    picture falls back to English it uses ``english_labels`` instead (the ids themselves
    if none is given), so no Chinese reaches a font that cannot draw it."""
    # One lookup a picture (fontconfig is asked afresh each time, see cjk_font).
    font = cjk_font(language) if language.startswith("zh") else None
    drawn = SOURCE_LANGUAGE if language.startswith("zh") and font is None else language
    if drawn != language:
        labels = english_labels or ids_as_labels
    families = [font, FALLBACK_FAMILY] if font else [FALLBACK_FAMILY]
    tr = Translator(drawn)
    charted = [table for table in report.tables if table.chart and _plottable(table)][:CHARTS]
    with _DRAWING, rc_context({"font.family": "sans-serif", "font.sans-serif": families}):
        figure = Figure(figsize=(8, 3 + 3.5 * len(charted)), dpi=100, layout="constrained")
        FigureCanvasAgg(figure)
        grid = figure.add_gridspec(1 + len(charted), 1, height_ratios=[1.2] + [3] * len(charted))
        _headline(figure.add_subplot(grid[0]), report, tr, labels)
        for index, table in enumerate(charted):
            _chart(figure.add_subplot(grid[index + 1]), table, tr, labels)
        out = io.BytesIO()
        figure.savefig(out, format="png")
    return out.getvalue()


def _headline(axes: Axes, report: Report, tr: Translator, labels: Labels) -> None:
    """Two figures a line, and the texts left out of the constrained layout: a line
    wider than the figure (the real headline, with two stations named) made the layout
    collapse every axes to nothing (matplotlib's "axes sizes collapsed" warning)."""
    axes.axis("off")
    lines = headline_lines(report, tr)
    # From the picture's left edge, not the axes' (which starts after the charts' wide
    # row labels): the headline has the whole width.
    left = blended_transform_factory(axes.figure.transFigure, axes.transAxes)
    context = f"{period_text(report, tr)}    {stations_text(report, tr, labels)}"
    # Two figures a line: four on one line run off the picture.
    rows = "\n".join("    ".join(lines[i : i + 2]) for i in range(0, len(lines), 2))
    texts = (
        axes.text(
            0.03, 1, tr(REPORT_TITLE), fontsize=16, fontweight="bold", va="top", transform=left
        ),
        axes.text(0.03, 0.72, context, fontsize=10, va="top", color="dimgray", transform=left),
        axes.text(0.03, 0.45, rows, fontsize=12, va="top", linespacing=1.6, transform=left),
    )
    for text in texts:
        text.set_in_layout(False)


def headline_lines(report: Report, tr: Translator) -> list[str]:
    """The headline figures as the picture writes them, in the reader's punctuation
    ("轉介數目：12"); the picture is not HTML, so nothing is escaped ("<3" stays "<3")."""
    return [
        tr(HEADLINE_FIGURE, figure=Html(tr(msgid)), value=Html(str(value)))
        for msgid, value in report.headline
    ]


def _plottable(table: Table) -> bool:
    return bool(table.rows) and label_columns(table) < len(table.columns)


def _number(cell: object) -> float:
    """A figure to plot; a suppressed or missing cell is drawn as nothing (0)."""
    if isinstance(cell, int | float) and not is_suppressed(cell):
        return float(cell)
    return 0.0


def _chart(axes: Axes, table: Table, tr: Translator, labels: Labels) -> None:
    labelled = label_columns(table)
    first = max(labelled, 1)
    # Every label column names the bar ("Family dispute · Tianping Road"), not only the
    # first, or the rows of a category at two stations read as the same bar twice.
    names = [
        " · ".join(labels(table.key, str(cell)) for cell in row[:labelled])
        if labelled
        else str(row[0])
        for row in table.rows
    ]
    series = range(first, len(table.columns))
    positions = list(range(len(names)))
    width = 0.8 / max(len(series), 1)
    for offset, column in enumerate(series):
        values = [_number(row[column]) if column < len(row) else 0.0 for row in table.rows]
        name = tr(table.columns[column])
        if table.chart == "line":
            axes.plot(positions, values, marker="o", label=name)
            axes.set_ylim(bottom=0)
        elif table.chart == "bar":
            axes.barh([p + offset * width for p in positions], values, height=width, label=name)
        else:
            axes.bar([p + offset * width for p in positions], values, width=width, label=name)
    shift = 0.0 if table.chart == "line" else width * (len(series) - 1) / 2
    ticks = [p + shift for p in positions]
    if table.chart == "bar":
        axes.set_yticks(ticks, names)
        axes.invert_yaxis()
    else:
        axes.set_xticks(ticks, names, rotation=45 if len(names) > 8 else 0)
    axes.set_title(tr(table.title))
    if len(series) > 1:
        axes.legend()
