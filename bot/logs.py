"""Logging set-up that keeps personal data out of log files.

The libraries we use log whole requests at DEBUG: python-telegram-bot the text of
every message (a reveal included), aiosqlite every SQL parameter. Those loggers are
therefore never allowed below INFO, whatever level the operator asks for; our own
loggers (``referral_bot.*``) log references and ids only.

Quiet at the default level: APScheduler logs two INFO lines for every run of every job
("Running job …", "Job … executed successfully"), about 98,000 a day for the engine's
2-second round alone, and one for every round it plans ("Added job …"). At the default
level it logs only its warnings (a missed or skipped run) and errors; ``--debug`` shows
those INFO lines too. What is watched instead is the engine: see :mod:`handlers.jobs`.

``--log-format json`` writes one JSON object a line, for a log collector: the time
(UTC), level, logger and message, and — where the line is about one — the referral
reference (``ref``), the person's internal id (``person``) and the audit ``action``.
"""

from __future__ import annotations

import json
import logging
import traceback
from datetime import UTC, datetime
from typing import Any

PAYLOAD_LOGGERS = ("telegram", "aiosqlite", "httpx", "httpcore", "apscheduler")
SCHEDULER_LOGGER = "apscheduler"  # a line per job run at INFO
FIELDS = ("ref", "person", "action", "update")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object a line; the structured fields a caller passed in ``extra``."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure(level: int = logging.INFO, *, json_lines: bool = False) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(handlers=[handler])  # leaves a host's own handlers (pytest's) alone
    logging.getLogger().setLevel(level)
    for name in PAYLOAD_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.INFO))
    logging.getLogger("httpx").setLevel(max(level, logging.WARNING))  # one line per poll
    per_run = logging.INFO if level <= logging.DEBUG else max(level, logging.WARNING)
    logging.getLogger(SCHEDULER_LOGGER).setLevel(per_run)


def where(error: BaseException | None) -> str:
    """The stack of ``error`` and its causes: types, files, lines and code, but not the
    exceptions' messages, which can quote what a person typed (a validation error quotes
    its input, a driver error its parameters)."""
    parts: list[str] = []
    while error is not None and len(parts) < 10:  # a chain can loop back on itself
        frames = "".join(traceback.format_tb(error.__traceback__))
        parts.insert(0, f"{frames}{type(error).__module__}.{type(error).__qualname__}")
        error = error.__cause__ or error.__context__
    return "\n--- which led to ---\n".join(parts)
