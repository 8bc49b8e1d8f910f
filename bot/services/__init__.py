"""Use cases: what the bot does, in the domain's words, over storage and a clock."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.clock import Clock
from bot.config import Config
from storage import directory
from storage.db import Database, StorageError
from storage.drafts import StoredDraft
from storage.people import Known
from storage.sealing import Sealer, holds_sealed_data, write_key_file

log = logging.getLogger("referral_bot.privacy")


class OutboxBell:
    """Rung once notices written to the outbox are committed: the sender, listening,
    starts on them at once instead of at its next look (``handlers/sender.py``)."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[], None]] = []

    def listen(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def ring(self) -> None:
        for listener in self._listeners:
            listener()


@dataclass(frozen=True)
class Services:
    """What every use case needs; built once at start-up and handed to the handlers."""

    config: Config
    db: Database
    clock: Clock
    bell: OutboxBell = field(default_factory=OutboxBell, compare=False)
    # The draft each officer's last change saved, by person id: where the next change
    # starts from instead of reading it again (bot/services/drafts.py). Only a hint: the
    # change saves only if the row is still exactly that draft.
    last_drafts: dict[int, StoredDraft] = field(default_factory=dict, compare=False)
    # Enrolled people by Telegram id, while nobody changed (storage/people.py).
    known: Known = field(default_factory=Known, compare=False)


async def open_database(config: Config, *, sync: bool = True) -> Database:
    """Open (creating or migrating) the database; ``sync`` mirrors the config's directory.

    Without ``sync`` the directory is still filled once if it is empty, so a command
    run on a brand-new database knows the stations.
    """
    await _first_key(config)
    sealer = Sealer(config.privacy.keys())
    db = await Database.open(config.database.path, sealer=sealer)
    if not sealer.active and await holds_sealed_data(db.reader):
        await db.close()
        raise StorageError(
            "the database holds encrypted personal data but no key was given: set "
            "REFERRAL_BOT_PRIVACY__KEY or privacy.key_file"
        )
    if not sync and await directory.active_ids(db.reader, "stations"):
        return db
    try:
        await sync_directory(config, db)
    except BaseException:
        await db.close()
        raise
    return db


async def _first_key(config: Config) -> None:
    """Make the configured key file on a deployment's first start, so personal data is
    sealed from the first referral on without a separate step. Never when the database
    already holds sealed data: that needs the old key back, not a new one."""
    key_file = config.privacy.key_file
    if key_file is None or key_file.exists():
        return
    if config.database.path.exists():
        db = await Database.open(config.database.path)
        try:
            sealed = await holds_sealed_data(db.reader)
        finally:
            await db.close()
        if sealed:
            raise StorageError(
                f"the key file {key_file} is missing and the database holds personal data "
                "encrypted with it: put the key file back (from your copy)"
            )
    try:
        write_key_file(key_file)
    except OSError as exc:
        raise StorageError(f"cannot write the key file {key_file}: {exc.strerror}") from None
    log.warning(
        "wrote a new key for personal data to %s: keep a copy apart from the database's "
        "backups; without it the personal data cannot be read",
        key_file,
    )


async def sync_directory(config: Config, db: Database) -> None:
    stations = [directory.Unit(s.id, s.name_zh, s.name_en) for s in config.stations]
    teams = [directory.Unit(t.id, t.name_zh, t.name_en) for t in config.teams]
    coverage = {station: team.id for team in config.teams for station in team.stations}
    async with db.write() as tx:
        await directory.sync(tx, stations=stations, teams=teams, coverage=coverage)
