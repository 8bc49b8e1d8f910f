"""How a report's period, stations and headline read (issue 18): pure, no Telegram.

Shared by ``/report`` (handlers/report.py) and the captions of the report files the
sender sends (handlers/notice_texts.py), so the card and the files say the same.
"""

from __future__ import annotations

import html
from datetime import date

from bot.config import Config
from bot.i18n import Html, Translator

ALL_STATIONS = "*"
NAMED_STATIONS = 5  # more than this are counted, not named (a caption holds 1024 characters)


def period(start: date, end: date) -> str:
    """Dates as ISO days: the same in every language, and what the file names say."""
    return f"{start.isoformat()} – {end.isoformat()}"


def stations(tr: Translator, config: Config, ids: tuple[str, ...]) -> str:
    """The stations a report covers, in the reader's language (plain text)."""
    if not ids or ids == (ALL_STATIONS,):
        return tr("All stations")
    if len(ids) > NAMED_STATIONS:
        return tr.n("{count} station", "{count} stations", len(ids), count=len(ids))
    names = []
    for station_id in ids:
        station = config.station(station_id)
        names.append(station.name(tr.language) if station else station_id)
    return tr.join(names)


def caption(
    tr: Translator,
    config: Config,
    start: date,
    end: date,
    station_ids: tuple[str, ...],
    headline: list[tuple[str, str]] | None,
) -> str:
    """A report file's caption (HTML): the period, the stations, then the headline
    figures (the picture) or what the spreadsheet holds (``headline`` None)."""
    lines = [
        tr("<b>📊 Report {period}</b>", period=period(start, end)),
        tr("Stations: {stations}", stations=stations(tr, config, station_ids)),
    ]
    if headline is None:
        lines.append(tr("The spreadsheet: one sheet per table, with charts."))
    else:
        lines += [
            tr("{figure}: {value}", figure=tr(msgid), value=Html(f"<b>{html.escape(value)}</b>"))
            for msgid, value in headline
        ]
    return "\n".join(lines)
