"""Personal data sealed at rest, field by field, with Fernet behind MultiFernet.

Columns marked "-- S" in the migrations are listed once, in :data:`SEALED`; they go
through :func:`seal` on the way in and :func:`unseal` on the way out, so a copied
database file, a backup or a disk image shows none of them. The same list drives key
rotation (:func:`reseal_all`), retention's erasure (:func:`erase_referral`) and the
start-up check for sealed data (:func:`holds_sealed_data`): a column added to it is
sealed, re-sealed, erased and looked for everywhere at once, and a test holds it equal
to the migrations' marks. The first key seals; every key opens, so keys can rotate.
Sealed values carry a prefix, which also lets the bot refuse to start when the
database holds sealed data and no key was given.

Fail closed: a deployment without a key is an explicit :class:`Sealer` with no keys
(new data in clear, as the README says). A connection that was never given a sealer
is a different thing, a bug (a new code path opened the database its own way), and
sealing on it raises :class:`SealerMissing` rather than writing clear text on a
deployment that has a key.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from storage.db import Conn

PREFIX = "f1:"


class SealingError(Exception):
    """Sealed data that this key cannot open (a wrong or missing key)."""


class SealerMissing(RuntimeError):
    """A connection was never given the database's sealer (see :meth:`Database.open`).

    Not a :class:`SealingError`: no key is wrong, the code is. It is raised rather than
    treated as "no key", which would store personal data in clear on a deployment that
    has a key, silently, for as long as nobody looked at the file."""


# Sealed values remembered opened, most recent first out (see Sealer), and the tables
# whose values are: kept in the database until retention erases them.
REMEMBERED = 512
REMEMBERED_TABLES = frozenset({"referrals"})


class Sealer:
    """Seals with the first key; opens with any. With no keys it leaves text as it is.

    Asked to (``remember``), it keeps the last :data:`REMEMBERED` values it opened, in
    this process's memory only: the sender reads a referral once for every notice
    about it, and opening the same sealed text again each time was a large part of the
    bot's work in a burst. Every sealing draws a fresh random IV, so a sealed text
    stands for exactly one value. Only a filed referral's values are remembered, which
    the database keeps until retention erases them (:meth:`forget` then empties the
    memory): not a draft's or a question's, which are deleted sooner.
    """

    def __init__(self, keys: Sequence[str] = ()) -> None:
        self._fernet = MultiFernet([Fernet(k.strip().encode()) for k in keys]) if keys else None
        self._opened: OrderedDict[str, str] = OrderedDict()
        self._made: OrderedDict[Hashable, object] = OrderedDict()

    @property
    def active(self) -> bool:
        return self._fernet is not None

    def seal(self, text: str | None) -> str | None:
        if text is None or self._fernet is None:
            return text
        return PREFIX + self._fernet.encrypt(text.encode()).decode()

    def unseal(self, stored: str | None, *, remember: bool = False) -> str | None:
        if stored is None or not isinstance(stored, str) or not stored.startswith(PREFIX):
            return stored
        known = self._opened.get(stored)
        if known is not None:
            self._opened.move_to_end(stored)
            return known
        if self._fernet is None:
            raise SealingError("sealed data and no key")
        try:
            text = self._fernet.decrypt(stored.removeprefix(PREFIX).encode()).decode()
        except InvalidToken:
            raise SealingError("sealed data this key cannot open") from None
        if remember:
            self._opened[stored] = text
            if len(self._opened) > REMEMBERED:
                self._opened.popitem(last=False)
        return text

    def forget(self) -> None:
        """Remember nothing opened (after an erasure: what was erased leaves memory too)."""
        self._opened.clear()
        self._made.clear()

    def recall(self, row: Hashable) -> object | None:
        """What :meth:`keep` was given for exactly this stored row, else None.

        A referral read by key is made again from the same row many times in a burst
        (the sender reads it for every notice about it): a stored row holding sealed
        text stands for one value (every sealing draws a fresh IV), so the value made
        from it can be remembered like the opened text, in this process only, bounded
        the same way, and forgotten with it at an erasure."""
        made = self._made.get(row)
        if made is not None:
            self._made.move_to_end(row)
        return made

    def keep(self, row: Hashable, value: object) -> None:
        self._made[row] = value
        if len(self._made) > REMEMBERED:
            self._made.popitem(last=False)

    def reseal(self, stored: str | None) -> str | None:
        """Open with any key and seal with the first (key rotation)."""
        return self.seal(self.unseal(stored))


def new_key() -> str:
    return Fernet.generate_key().decode()


def write_key_file(path: Path) -> None:
    """A new key in a file only its owner can read. Never overwrites: FileExistsError."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(new_key() + "\n")


@dataclass(frozen=True)
class SealedTable:
    """The sealed columns of one table, and how to find and erase their values."""

    key: str  # the row's key, for re-sealing row by row
    columns: tuple[str, ...]
    # The column naming the referral whose erasure empties these values; None for values
    # that are not a referral's yet (a draft, which is deleted after hours anyway).
    referral: str | None
    empty: str | None = None  # what an erased value becomes (JSON columns are NOT NULL)
    erase_rows: bool = False  # erasure deletes the rows rather than emptying the values


# Every sealed column: the one list storage, rotate-key and erasure use. Equal to the
# columns marked "-- S" in the migrations (tests/test_sealing.py checks both ways).
SEALED: Mapping[str, SealedTable] = MappingProxyType(
    {
        "referrals": SealedTable(
            key="id",
            columns=(
                "person_name",
                "person_phone",
                "place",
                "latitude",
                "longitude",
                "summary",
                "resource_name",
                "closing_note",
                "incident_number",
            ),
            referral="id",
        ),
        "referral_events": SealedTable(key="id", columns=("reason",), referral="referral_id"),
        "offers": SealedTable(key="id", columns=("note",), referral="referral_id"),
        "drafts": SealedTable(key="person_id", columns=("data",), referral=None),
        # A question about an erased case cannot be answered: it goes altogether.
        "prompts": SealedTable(
            key="person_id", columns=("data",), referral="referral_id", erase_rows=True
        ),
        "case_handovers": SealedTable(key="id", columns=("reason",), referral="referral_id"),
        # The stages' content (needs, goals, contacts): goes with the case.
        "case_work": SealedTable(
            key="id", columns=("body",), referral="referral_id", erase_rows=True
        ),
        # A linkage names the service the person was sent to (a shelter, an addiction
        # service): sealed, and the whole row goes with the case, since its directory
        # entry and kind would still say where the person went.
        "linkages": SealedTable(
            key="id", columns=("name",), referral="referral_id", erase_rows=True
        ),
        "outbox": SealedTable(key="id", columns=("vals",), referral="referral_id", empty="{}"),
        # A phone number (or the person's id at the agency's gateway): a person's, not a
        # referral's; deleted with the method (storage/contact_methods.py).
        "contact_methods": SealedTable(key="id", columns=("address",), referral=None),
    }
)


# Tables holding no sealed column whose rows still go with the case when retention
# erases it (table: the column naming the referral): whom a debrief was offered to after
# a critical case says which worker was shaken by which case, nothing worth keeping.
ERASED_WITH_CASE: Mapping[str, str] = MappingProxyType({"debrief_offers": "referral_id"})


def sealer_of(conn: Conn) -> Sealer:
    """The database's sealer, attached to each of its connections when it is opened.

    Raises :class:`SealerMissing` for a connection opened without one, instead of
    falling back to "no key" (see the module's docstring)."""
    sealer = getattr(conn, "sealer", None)
    if not isinstance(sealer, Sealer):
        raise SealerMissing("this connection was opened without the database's sealer")
    return sealer


def _registered(table: str, column: str) -> None:
    """Only registered columns are sealed: one sealed anywhere else would be missed by
    key rotation (unreadable after the old key is retired) and by erasure."""
    spec = SEALED.get(table)
    if spec is None or column not in spec.columns:
        raise ValueError(f"{table}.{column} is not in storage.sealing.SEALED")


def seal(conn: Conn, table: str, column: str, text: str | None) -> str | None:
    """``text`` as it is to be stored in ``table.column``. Checks the connection's sealer
    even for None, so a path that forgot it fails on its first write, not its first
    non-empty one."""
    _registered(table, column)
    return sealer_of(conn).seal(text)


def unseal(conn: Conn, table: str, column: str, stored: str | None) -> str | None:
    """The text stored in ``table.column``. A connection without a sealer still reads
    clear values (reading writes nothing in clear); a sealed one raises
    :class:`SealerMissing` rather than a misleading "no key"."""
    _registered(table, column)
    try:
        sealer = sealer_of(conn)
    except SealerMissing:
        if isinstance(stored, str) and stored.startswith(PREFIX):
            raise
        return stored
    return sealer.unseal(stored, remember=table in REMEMBERED_TABLES)


async def holds_sealed_data(conn: Conn) -> bool:
    """Whether any registered column holds a sealed value (so opening it needs the key)."""
    for table, spec in SEALED.items():
        found = " OR ".join(f"{column} LIKE 'f1:%'" for column in spec.columns)
        async with conn.execute(f"SELECT 1 FROM {table} WHERE {found} LIMIT 1") as cursor:  # noqa: S608 - fixed names
            if await cursor.fetchone() is not None:
                return True
    return False


async def reseal_all(conn: Conn) -> int:
    """Re-seal every personal value with the first key (also sealing clear ones); run in
    one write transaction. Returns how many values were rewritten."""
    sealer = sealer_of(conn)
    if not sealer.active:
        raise SealingError("no key to seal with")
    count = 0
    for table, spec in SEALED.items():
        key, columns = spec.key, spec.columns
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


async def erase_referral(conn: Conn, referral_id: int) -> None:
    """Empty every sealed value kept about one referral, wherever the registry says it
    is kept (retention; the caller records the erasure). What the sealer remembers
    opened is forgotten too (and again by the caller once the erasure commits: see
    :func:`forget_opened`)."""
    forget_opened(conn)
    for table, spec in SEALED.items():
        if spec.referral is None:
            continue
        if spec.erase_rows:
            await conn.execute(
                f"DELETE FROM {table} WHERE {spec.referral} = ?",  # noqa: S608 - fixed names
                (referral_id,),
            )
            continue
        sets = ", ".join(f"{column} = ?" for column in spec.columns)
        await conn.execute(
            f"UPDATE {table} SET {sets} WHERE {spec.referral} = ?",  # noqa: S608 - fixed names
            (*(spec.empty for _ in spec.columns), referral_id),
        )
    for table, column in ERASED_WITH_CASE.items():
        await conn.execute(
            f"DELETE FROM {table} WHERE {column} = ?",  # noqa: S608 - fixed names
            (referral_id,),
        )


def forget_opened(conn: Conn) -> None:
    """Forget every value the connection's sealer remembers opened. Called before an
    erasure blanks the rows and again after it commits: a read on the other connection
    in between still saw the old rows and could have remembered them again."""
    sealer = getattr(conn, "sealer", None)
    if isinstance(sealer, Sealer):
        sealer.forget()
