"""One running bot per database, and no restore under a running bot.

The running bot holds an exclusive ``flock`` on ``<database>.lock`` for as long as it
runs; the operating system lets go of it when the process ends, even by ``kill -9``, so
a crash never leaves a stale lock behind. ``restore`` takes the same lock, so it cannot
replace the file under a running bot, and a second bot cannot start during a restore.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


class Held(Exception):
    """Another process holds the database's lock (the bot is running)."""


class Unavailable(Exception):
    """The lock file cannot be made or opened (an unwritable folder); the message says why."""


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


@contextlib.contextmanager
def exclusive(database: Path) -> Iterator[None]:
    try:
        database.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path(database), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise Unavailable(exc.strerror or str(exc)) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Held(str(database)) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # closing releases the lock
