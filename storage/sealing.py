"""Personal data sealed at rest, field by field, with Fernet behind MultiFernet.

Columns marked "S" in the migrations go through :func:`seal` on the way in and
:func:`unseal` on the way out, so a copied database file, a backup or a disk image
shows none of them. The first key seals; every key opens, so keys can rotate.
Sealed values carry a prefix, which also lets the bot refuse to start when the
database holds sealed data and no key was given.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from storage.db import Conn

PREFIX = "f1:"


class SealingError(Exception):
    """Sealed data that this key cannot open (a wrong or missing key)."""


class Sealer:
    """Seals with the first key; opens with any. With no keys it leaves text as it is."""

    def __init__(self, keys: Sequence[str] = ()) -> None:
        self._fernet = MultiFernet([Fernet(k.strip().encode()) for k in keys]) if keys else None

    @property
    def active(self) -> bool:
        return self._fernet is not None

    def seal(self, text: str | None) -> str | None:
        if text is None or self._fernet is None:
            return text
        return PREFIX + self._fernet.encrypt(text.encode()).decode()

    def unseal(self, stored: str | None) -> str | None:
        if stored is None or not isinstance(stored, str) or not stored.startswith(PREFIX):
            return stored
        if self._fernet is None:
            raise SealingError("sealed data and no key")
        try:
            return self._fernet.decrypt(stored.removeprefix(PREFIX).encode()).decode()
        except InvalidToken:
            raise SealingError("sealed data this key cannot open") from None

    def reseal(self, stored: str | None) -> str | None:
        """Open with any key and seal with the first (key rotation)."""
        return self.seal(self.unseal(stored))


NO_KEY = Sealer()


def new_key() -> str:
    return Fernet.generate_key().decode()


def write_key_file(path: Path) -> None:
    """A new key in a file only its owner can read. Never overwrites: FileExistsError."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(new_key() + "\n")


def sealer_of(conn: Conn) -> Sealer:
    """The database's sealer, attached to each of its connections when it is opened."""
    sealer = getattr(conn, "sealer", NO_KEY)
    return sealer if isinstance(sealer, Sealer) else NO_KEY


def seal(conn: Conn, text: str | None) -> str | None:
    return sealer_of(conn).seal(text)


def unseal(conn: Conn, stored: str | None) -> str | None:
    return sealer_of(conn).unseal(stored)


async def holds_sealed_data(conn: Conn) -> bool:
    """Whether any personal column was sealed (so opening it needs the key)."""
    for sql in (
        "SELECT 1 FROM referrals WHERE summary LIKE 'f1:%' LIMIT 1",
        "SELECT 1 FROM drafts WHERE data LIKE 'f1:%' LIMIT 1",
        "SELECT 1 FROM outbox WHERE vals LIKE 'f1:%' LIMIT 1",
    ):
        async with conn.execute(sql) as cursor:
            if await cursor.fetchone() is not None:
                return True
    return False


# Every sealed column, for key rotation: (table, key column, sealed columns).
SEALED_COLUMNS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "referrals",
        "id",
        (
            "person_name",
            "person_phone",
            "place",
            "latitude",
            "longitude",
            "summary",
            "resource_name",
            "closing_note",
        ),
    ),
    ("referral_events", "id", ("reason",)),
    ("offers", "id", ("note",)),
    ("drafts", "person_id", ("data",)),
    ("prompts", "person_id", ("data",)),
    ("outbox", "id", ("vals",)),
)


async def reseal_all(conn: Conn) -> int:
    """Re-seal every personal value with the first key (also sealing clear ones); run in
    one write transaction. Returns how many values were rewritten."""
    sealer = sealer_of(conn)
    if not sealer.active:
        raise SealingError("no key to seal with")
    count = 0
    for table, key, columns in SEALED_COLUMNS:
        names = ", ".join(columns)
        async with conn.execute(f"SELECT {key}, {names} FROM {table}") as cursor:  # noqa: S608
            rows = list(await cursor.fetchall())
        for row in rows:
            values = [
                None if row[i + 1] is None else sealer.reseal(str(row[i + 1]))
                for i in range(len(columns))
            ]
            sets = ", ".join(f"{c} = ?" for c in columns)
            await conn.execute(
                f"UPDATE {table} SET {sets} WHERE {key} = ?",  # noqa: S608 - fixed names
                (*values, row[0]),
            )
            count += sum(v is not None for v in values)
    return count
