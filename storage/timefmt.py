"""UTC times as fixed-width text, so SQLite compares and sorts them correctly."""

from __future__ import annotations

from datetime import UTC, datetime

# Stored as 2026-11-26T02:00:00.000000Z. isoformat/fromisoformat write and read it in C;
# strftime/strptime did the same in Python, a tenth of a handler's storage time.


def to_db(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("refusing a naive datetime: store UTC only")
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def from_db(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
