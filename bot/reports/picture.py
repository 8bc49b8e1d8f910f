"""The report as one picture to send in a chat: the headline figures and the first one
or two charts, drawn with matplotlib's Agg backend (no display, no pyplot state, so it is
safe inside the bot's process).

Chinese needs a font with Chinese glyphs. :func:`cjk_font` looks for one of the common
families through matplotlib's font manager; when none is installed the picture is drawn
in English, with English labels, rather than as rows of empty boxes. ``doctor`` can use
the same function to say so before anyone asks for a report.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence

from matplotlib import font_manager, rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

from bot.domain.report import Report, Table
from bot.i18n import SOURCE_LANGUAGE, Translator
from bot.reports import (
    REPORT_TITLE,
    Labels,
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
    "WenQuanYi",
    "PingFang",
    "Microsoft YaHei",
    "Microsoft JhengHei",
    "SimHei",
)
CHARTS = 2  # at most this many charts under the headline
FALLBACK_FAMILY = "DejaVu Sans"  # ships with matplotlib
# One picture at a time: rc_context changes matplotlib's process-wide settings, and the
# bot draws in worker threads (two coordinators asking at once would mix their fonts).
_DRAWING = threading.Lock()


def cjk_font() -> str | None:
    """The name of an installed font family that can draw Chinese, or None."""
    names = sorted({entry.name for entry in font_manager.fontManager.ttflist})
    for wanted in CJK_FAMILIES:
        for name in names:
            if name.startswith(wanted):
                return name
    return None


def picture_language(language: str) -> str:
    """The language the picture is drawn in: the reader's, or English when the reader's
    needs Chinese glyphs and no font has them."""
    if language.startswith("zh") and cjk_font() is None:
        return SOURCE_LANGUAGE
    return language


def draw_png(
    report: Report, language: str, labels: Labels, *, english_labels: Labels | None = None
) -> bytes:
    """The picture as PNG bytes. ``labels`` names the rows in ``language``; when the
    picture falls back to English it uses ``english_labels`` instead (the ids themselves
    if none is given), so no Chinese reaches a font that cannot draw it."""
    drawn = picture_language(language)
    if drawn != language:
        labels = english_labels or _ids
    font = cjk_font() if drawn.startswith("zh") else None
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


def _ids(key: str, label_id: str) -> str:
    return label_id


def _headline(axes: Axes, report: Report, tr: Translator, labels: Labels) -> None:
    """Two figures a line, and the texts left out of the constrained layout: a line
    wider than the figure (the real headline, with two stations named) made the layout
    collapse every axes to nothing (matplotlib's "axes sizes collapsed" warning)."""
    axes.axis("off")
    lines = [f"{tr(msgid)}: {value}" for msgid, value in report.headline]
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
