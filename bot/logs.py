"""Logging set-up that keeps personal data out of log files.

The libraries we use log whole requests at DEBUG: python-telegram-bot the text of
every message (a reveal included), aiosqlite every SQL parameter. Those loggers are
therefore never allowed below INFO, whatever level the operator asks for; our own
loggers (``referral_bot.*``) log references and ids only.

``--log-format json`` writes one JSON object a line, for a log collector: the time
(UTC), level, logger and message, and — where the line is about one — the referral
reference (``ref``), the person's internal id (``person``) and the audit ``action``.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

PAYLOAD_LOGGERS = ("telegram", "aiosqlite", "httpx", "httpcore", "apscheduler")
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
