"""What the administrative commands and serving the bot share: the expected failure
(:class:`CliError`) with its exit codes, and the config and database opened so that
their failures are such one-line errors.
"""

from __future__ import annotations

from pathlib import Path

from bot.clock import Clock
from bot.config import Config, ConfigError, load_config
from bot.services import Services, open_database
from storage.db import StorageError

EXIT_INVALID = 1
EXIT_CANNOT_RUN = 2


class CliError(Exception):
    """An expected failure: print ``str(self)`` and exit with ``code``."""

    def __init__(self, message: str, code: int = EXIT_CANNOT_RUN) -> None:
        super().__init__(message)
        self.code = code


def _config(path: Path) -> Config:
    try:
        return load_config(path)
    except ConfigError as exc:
        raise CliError("; ".join(exc.lines)) from None


async def _services(config: Config, clock: Clock, *, sync: bool = False) -> Services:
    """The database; ``sync`` also mirrors the config's stations and teams into it.

    Only ``run`` and ``init-db`` sync: an ``invite`` run with another copy of the config
    must not change the stations under a running bot.
    """
    try:
        db = await open_database(config, sync=sync)
    except StorageError as exc:
        raise CliError(str(exc)) from None
    except ConfigError as exc:
        raise CliError("; ".join(exc.lines)) from None
    return Services(config=config, db=db, clock=clock)
