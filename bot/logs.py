"""Logging set-up that keeps personal data out of log files.

The libraries we use log whole requests at DEBUG: python-telegram-bot the text of
every message (a reveal included), aiosqlite every SQL parameter. Those loggers are
therefore never allowed below INFO, whatever level the operator asks for; our own
loggers (``referral_bot.*``) log references and ids only.
"""

from __future__ import annotations

import logging

PAYLOAD_LOGGERS = ("telegram", "aiosqlite", "httpx", "httpcore", "apscheduler")


def configure(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(level)
    for name in PAYLOAD_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.INFO))
    logging.getLogger("httpx").setLevel(max(level, logging.WARNING))  # one line per poll
