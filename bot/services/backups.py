"""The automatic daily backup, and keeping only the newest few.

A backup is a consistent copy made while the bot runs (SQLite's online backup). It
holds the personal data encrypted as in the database, so it is no use without the key,
which is kept apart (see README, "Data protection"). Each one is an audit row.
"""

from __future__ import annotations

from pathlib import Path

from bot.services import Services
from storage import audit

PATTERN = "referral-bot-*.sqlite3"


async def make(services: Services) -> Path:
    """Write today's copy into the backup folder and drop the oldest beyond ``keep``."""
    settings = services.config.backup
    now = services.clock.now()
    local = now.astimezone(services.config.zone)
    folder = settings.folder
    folder.mkdir(parents=True, exist_ok=True)
    destination = folder / f"referral-bot-{local:%Y%m%d-%H%M%S}.sqlite3"
    await services.db.backup(destination)
    for old in sorted(folder.glob(PATTERN))[: -settings.keep]:
        old.unlink(missing_ok=True)
    async with services.db.write() as tx:
        await audit.record(tx, now=now, action="database.exported", detail=f"daily {destination}")
    return destination
