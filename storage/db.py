"""The SQLite database: one writer behind a lock, one reader, numbered migrations.

SQLite allows one writer at a time. Rather than let concurrent handlers collide on
"database is locked", every write goes through :meth:`Database.write`, which holds an
asyncio lock and opens ``BEGIN IMMEDIATE`` so a read-then-write (first accept wins,
redeem an invite once) cannot interleave. Reads go to the writer while no write is under
way, else to a second connection; WAL mode lets that one run beside a write and see
only committed data (:attr:`Database.reader`).

Statements run on the event loop's own thread, not on aiosqlite's (see
:class:`_Connection`): a statement by key takes 8–15 µs, a trip to the database thread
and back 40–100 µs of the loop's time, and a filing step makes three statements, a card
sent six. Waiting for another program's write lock (the command line importing a rota)
is an asyncio sleep, never a block of the loop. What waits for the disk (a backup, a
checkpoint) still goes to aiosqlite's thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import aiosqlite

if TYPE_CHECKING:  # storage.sealing imports this module
    from storage.sealing import Sealer

log = logging.getLogger("referral_bot.storage")

Conn = aiosqlite.Connection
T = TypeVar("T")
Row = sqlite3.Row
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# A migration's first line when it rebuilds a table (see _migrate).
FOREIGN_KEYS_OFF = "-- foreign_keys: off\n"


class StorageError(Exception):
    """The database cannot be opened or used; the message is one readable line."""


def migrations() -> list[tuple[int, str]]:
    """(number, SQL) for every file in ``storage/migrations``, in order, numbered 1..n."""
    found: list[tuple[int, str]] = []
    for entry in resources.files("storage.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    found.sort()
    if [number for number, _ in found] != list(range(1, len(found) + 1)):
        raise StorageError("migrations must be numbered 0001, 0002, ... without gaps")
    return found


# Writes between two checkpoints (a filing's write touches a few pages; SQLite's default
# is a checkpoint per 1000 pages of log).
CHECKPOINT_EVERY = 250
# How long a statement waits for another program's write lock before it fails (SQLite's
# busy_timeout did this on aiosqlite's thread; on the loop's thread it would block the bot).
LOCK_WAIT = 5.0
_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
# How much of the database file the report's connection maps into memory (bytes).
REPORT_MMAP = 1 << 30
# Prepared statements kept per connection (Python's default is 128, about as many as
# the bot has distinct statements): one pushed out and prepared again costs several
# times its run (measured on the guard's person-and-roles join: 33 µs instead of 4).
STATEMENTS_KEPT = 1024


class _Connection(aiosqlite.Connection):
    """aiosqlite's connection, with its statements run on the event loop's thread.

    Why: under a burst (fifty officers submitting at once) the bot made thousands of
    short statements, and each trip to aiosqlite's thread (a queue, waking the thread,
    ``call_soon_threadsafe``, waking the loop) cost the loop several times the statement
    itself: measured, it was most of the time from a Submit to the first offer card.

    Why it is safe here: in WAL mode a reader never waits for the writer, the one writer
    of this process is behind :class:`Database`'s lock, and a commit does not wait for the
    disk (``synchronous = NORMAL``; checkpoints, which do, run elsewhere: see
    :meth:`Database._checkpoint`). The only wait left is for another program holding
    the write lock: ``busy_timeout`` is 0, and a statement refused as busy outside a
    transaction (nothing was done) is tried again after an asyncio sleep, for up to
    :data:`LOCK_WAIT` seconds. A statement does not give other tasks a turn as each trip
    to the thread did (those turns were what cost: the sender read the outbox again at
    each); a transaction does, before it begins (:meth:`Database.write`).

    Work that can take long (a backup, a checkpoint) runs on aiosqlite's thread:
    :attr:`on_loop`.
    """

    on_loop = True

    async def _execute(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if not self.on_loop or self._connection is None:
            return cast(T, await super()._execute(fn, *args, **kwargs))  # type: ignore[no-untyped-call]
        waited, pause = 0.0, 0.001
        while True:
            idle = not self._connection.in_transaction
            try:
                result = fn(*args, **kwargs)
                break
            except sqlite3.OperationalError as exc:
                code = getattr(exc, "sqlite_errorcode", 0)  # extended: BUSY_SNAPSHOT …
                if (code & 0xFF) not in _BUSY or not idle:
                    raise
                if waited >= LOCK_WAIT:
                    raise
            await asyncio.sleep(pause)
            waited += pause
            pause = min(pause * 2, 0.05)
        return result

    async def backup(self, *args: Any, **kwargs: Any) -> None:
        self.on_loop = False
        try:
            await super().backup(*args, **kwargs)
        finally:
            self.on_loop = True


async def _connect(path: Path, *, read_only: bool = False) -> _Connection:
    def connector() -> sqlite3.Connection:
        # Opened on aiosqlite's thread, used on the loop's (never both at once).
        target = f"{path.resolve().as_uri()}?mode=ro" if read_only else path
        return sqlite3.connect(
            target,
            isolation_level=None,
            check_same_thread=False,
            cached_statements=STATEMENTS_KEPT,
            uri=read_only,
        )

    conn = _Connection(connector, 64)
    await conn  # starts its thread and opens the file there
    conn.row_factory = sqlite3.Row
    await conn.execute("PRAGMA busy_timeout = 0")
    await conn.execute("PRAGMA foreign_keys = ON")
    return conn


async def _wal(conn: Conn, tries: int = 100) -> None:
    """Switch to WAL. Switching needs the file to itself, and SQLite answers "database is
    locked" at once rather than waiting when another program is opening it too (the bot
    and ``init-db`` started together): try again for a few seconds."""
    for attempt in range(tries):
        try:
            await conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == tries - 1:
                raise
            await asyncio.sleep(0.05)


class Database:
    """Open with :meth:`open`, always :meth:`close` (or use ``async with``)."""

    def __init__(self, path: Path, writer: Conn, reader: Conn) -> None:
        self.path = path
        self._writer = writer
        self._reader = reader
        self._lock = asyncio.Lock()
        self._writes = 0  # since the last checkpoint
        self._checkpointer: _Connection | None = None
        self._checkpointing: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, path: Path | str, *, sealer: Sealer | None = None) -> Database:
        """Open (creating or migrating) the database at ``path``.

        ``sealer`` seals the personal columns; a deployment without a key passes a
        ``Sealer()`` with no keys. Without one, the connections can be used for
        everything but personal data: writing a sealed column raises (storage/sealing.py),
        so a code path that forgot it cannot store clear text where a key is configured.
        """
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            writer = await _connect(path)
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(f"cannot open the database at {path}: {exc}") from None
        try:
            await _wal(writer)
            await writer.execute("PRAGMA synchronous = NORMAL")
            # Checkpoints copy the log into the file and wait for the disk: not on the
            # loop's thread (see _checkpoint).
            await writer.execute("PRAGMA wal_autocheckpoint = 0")
            await _migrate(writer)
            reader = await _connect(path)
            # Storage functions seal personal columns with it (storage/sealing.py).
            if sealer is not None:
                writer.sealer = reader.sealer = sealer  # type: ignore[attr-defined]
        except (OSError, sqlite3.Error) as exc:
            await writer.close()
            raise StorageError(f"cannot use the database at {path}: {exc}") from None
        except BaseException:
            await writer.close()
            raise
        return cls(path, writer, reader)

    async def checkpointed(self) -> None:
        """Return once the checkpoint under way, if any, has finished."""
        if self._checkpointing is not None:
            await self._checkpointing

    async def close(self) -> None:
        async with self._lock:
            await self.checkpointed()
            if self._checkpointer is not None:
                await self._checkpointer.close()
            await self._reader.close()
            await self._writer.close()  # the last connection: SQLite checkpoints in full

    def _written(self) -> None:
        """A write committed: every :data:`CHECKPOINT_EVERY` of them, a checkpoint."""
        self._writes += 1
        if self._writes < CHECKPOINT_EVERY:
            return
        if self._checkpointing is None or self._checkpointing.done():
            self._writes = 0
            self._checkpointing = asyncio.create_task(self._checkpoint(), name="checkpoint")

    async def _checkpoint(self) -> None:
        """Copy the write-ahead log into the database file, on a connection of its own
        on aiosqlite's thread: it waits for the disk (an fsync, which takes tens of
        milliseconds on a slow one), and on the loop's thread the whole bot would wait
        with it. SQLite's own automatic checkpoint would run inside a commit, on the
        loop, so it is off (``wal_autocheckpoint = 0``). PASSIVE: it waits for nobody;
        what it could not copy now, the next one does."""
        try:
            checkpointer = self._checkpointer
            if checkpointer is None:
                checkpointer = self._checkpointer = await _connect(self.path)
            checkpointer.on_loop = False
            await checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except (OSError, sqlite3.Error) as exc:
            log.warning("checkpoint failed: %s", exc)

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Conn]:
        """One ``BEGIN IMMEDIATE`` transaction; committed on success, rolled back on error.

        Work registered with :func:`after_commit` runs once the commit succeeded (log lines
        about what was written must not describe a transaction that was rolled back).

        Before it begins, the other tasks get a turn (statements run on the loop without
        one, see :class:`_Connection`): a cancellation there leaves nothing done."""
        await asyncio.sleep(0)
        async with self.statement() as writer:
            try:
                # Inside the try: a task cancelled while BEGIN waits for another
                # program's lock rolls back (nothing, or the transaction it just got).
                await writer.execute("BEGIN IMMEDIATE")
                yield writer
            except BaseException:
                await writer.rollback()
                raise
            await writer.commit()

    @asynccontextmanager
    async def statement(self) -> AsyncIterator[Conn]:
        """The writer for exactly one statement, which commits by itself (autocommit).

        A single ``UPDATE``/``INSERT``/``DELETE`` is atomic in SQLite without ``BEGIN``.
        This takes the writer's lock (so the statement never lands inside another
        transaction) but makes one trip to the database thread instead of three: the
        outbox's claim-and-mark-sent per message adds up under a burst. Anything that
        reads and then writes needs :meth:`write`, which is this lock around a
        transaction. Work registered with :func:`after_commit` runs once the lock is
        released without an error."""
        async with self._lock:
            pending: list[Callable[[], None]] = []
            self._writer.after_commit = pending  # type: ignore[attr-defined]
            try:
                yield self._writer
            finally:
                self._writer.after_commit = None  # type: ignore[attr-defined]
        self._written()
        for work in pending:
            work()

    def others_wrote(self) -> int:
        """The writer's ``PRAGMA data_version``: it changes when another program commits
        (the command line), never with this process's own writes, which all go through
        the writer. Asked of SQLite directly: it is asked for every update (see
        ``storage.people.Known``)."""
        raw = self._writer._conn  # the sqlite3 connection aiosqlite wraps
        return int(raw.execute("PRAGMA data_version").fetchone()[0])

    @property
    def reader(self) -> Conn:
        """The connection for reads outside a write transaction.

        While no write holds the writer, that is the writer itself: SQLite throws away a
        connection's page cache whenever another connection has committed, so the
        reader connection read its pages again after every write (most of what a
        lookup by key cost in a burst), while the writer's stay warm. A read runs on
        the loop without a pause (:class:`_Connection`), so no transaction can begin
        between choosing the connection and reading. While a write is under way, the
        reader connection: WAL lets it read what was committed, beside the write."""
        busy = self._lock.locked() or self._writer.in_transaction
        return self._reader if busy else self._writer

    @asynccontextmanager
    async def report_reader(self) -> AsyncIterator[Conn]:
        """A read-only connection of its own, for the accountability report's long
        queries (a year's report reads for over a second): on :attr:`reader` every other
        read of the bot would wait behind it, and on the loop's thread so would the
        whole bot. This one is opened read-only (``mode=ro``: it cannot write even by
        mistake), runs on aiosqlite's own thread and is closed when the report is done.
        WAL lets it read what was committed, beside the bot's writes. No sealer: the
        report reads no sealed column (storage/report_figures.py)."""
        conn = await _connect(self.path, read_only=True)
        conn.on_loop = False
        # On its own thread, a wait for a lock blocks nobody else (see _Connection).
        await conn.execute(f"PRAGMA busy_timeout = {int(LOCK_WAIT * 1000)}")
        # A report reads much of the file once, in no particular order: mapped, a page
        # is a memory read rather than a read call (it is closed when the report is).
        await conn.execute(f"PRAGMA mmap_size = {REPORT_MMAP}")
        await conn.execute("PRAGMA temp_store = MEMORY")
        try:
            yield conn
        finally:
            await conn.close()

    async def schema_version(self) -> int:
        return await schema_version(self._reader)

    async def backup(self, destination: Path) -> None:
        """An online copy that is consistent even while the bot is writing."""
        async with self._lock:
            target = await aiosqlite.connect(destination)
            try:
                await self._writer.backup(target)
            finally:
                await target.close()


async def schema_version(conn: Conn) -> int:
    async with conn.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (triggers' inner ``;`` included correctly)."""
    statements, pending = [], ""
    for line in sql.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    leftover = [ln for ln in pending.splitlines() if ln.strip() and not ln.strip().startswith("--")]
    if leftover:
        raise StorageError("a migration ends with an incomplete statement")
    return statements


async def _migrate(conn: Conn) -> None:
    """Apply each missing migration in its own transaction together with its version.

    The version is read inside the same ``BEGIN IMMEDIATE`` that applies the migration,
    so the bot and ``init-db`` starting at once cannot both apply it. A database already
    at the current version (every start but an upgrade's) is told so by one read, without
    taking the write lock once per migration.
    """
    known = migrations()
    current = await schema_version(conn)
    if current == len(known):
        return
    for number, sql in known:
        # SQLite's way to change a table: foreign keys off while it is rebuilt. The pragma
        # does nothing inside a transaction, so it is set before BEGIN and after COMMIT.
        rebuilds = sql.startswith(FOREIGN_KEYS_OFF) and current < number
        if rebuilds:
            await conn.execute("PRAGMA foreign_keys = OFF")
        try:
            await conn.execute("BEGIN IMMEDIATE")
            try:
                current = await schema_version(conn)
                if current > len(known):
                    raise StorageError(
                        f"the database is at schema version {current}, newer than this "
                        f"program ({len(known)}); upgrade the program instead"
                    )
                if current < number:
                    for statement in _statements(sql):
                        await conn.execute(statement)
                    if rebuilds:
                        await _no_broken_references(conn, number)
                    await conn.execute(f"PRAGMA user_version = {number}")
            except BaseException:
                await conn.rollback()
                raise
            await conn.commit()
        finally:
            if rebuilds:
                await conn.execute("PRAGMA foreign_keys = ON")
        current = max(current, number)


async def _no_broken_references(conn: Conn, number: int) -> None:
    """After a table rebuild, before its commit: every foreign key still points somewhere."""
    async with conn.execute("PRAGMA foreign_key_check") as cursor:
        broken = list(await cursor.fetchall())
    if broken:
        first = broken[0]
        raise StorageError(
            f"migration {number:04d} would break {len(broken)} reference(s), "
            f"e.g. {first[0]} row {first[1]} to {first[2]}; nothing was changed"
        )


def check_copy(source: Path) -> None:
    """Refuse ``source`` unless it is an intact database of this program (no newer schema)."""
    try:
        conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise StorageError(f"cannot open {source}: {exc}") from None
    try:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise StorageError(f"{source} is damaged (integrity check failed)")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        has_referrals = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'referrals'"
        ).fetchone()
    except sqlite3.DatabaseError as exc:
        raise StorageError(f"{source} is not a database of this bot: {exc}") from None
    finally:
        conn.close()
    if not has_referrals or not 1 <= version <= len(migrations()):
        raise StorageError(f"{source} is not a database of this bot (or of a newer version)")


def inspect(path: Path) -> tuple[str, int, str | None]:
    """Read-only: (integrity check result, schema version, one sealed value or None)."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        integrity = str(conn.execute("PRAGMA integrity_check").fetchone()[0])
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        sealed = None
        if version >= 2:
            row = conn.execute(
                "SELECT summary FROM referrals WHERE summary LIKE 'f1:%' LIMIT 1"
            ).fetchone()
            sealed = row[0] if row else None
    return integrity, version, sealed


def restore_copy(source: Path, target: Path, keep_as: Path) -> None:
    """Put ``source`` in place of ``target`` (which must not be in use); the database
    that was there is kept as ``keep_as``, even a damaged one. The path holds a whole
    database at every moment: the old one stays until the new one replaces it in a
    single rename, so a crash half-way never leaves the bot an empty database to create."""
    check_copy(source)
    partial = target.with_name(target.name + ".restoring")
    partial.unlink(missing_ok=True)
    try:
        with (
            contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src,
            contextlib.closing(sqlite3.connect(partial)) as dst,
        ):
            src.backup(dst)
        if target.exists():
            merged = False
            with (
                contextlib.suppress(sqlite3.DatabaseError),  # damaged: keep it as it is
                contextlib.closing(sqlite3.connect(target)) as old,
            ):
                old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                merged = True
            os.link(target, keep_as)  # the old database stays whole under both names
            for sidecar in ("-wal", "-shm"):
                side = target.with_name(target.name + sidecar)
                if side.exists() and merged:
                    side.unlink()  # its content is in the main file now
                elif side.exists():
                    side.replace(keep_as.with_name(keep_as.name + sidecar))
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def after_commit(conn: Conn, work: Callable[[], None]) -> None:
    """Run ``work`` once the transaction on ``conn`` has committed (at once outside one)."""
    pending: list[Callable[[], None]] | None = getattr(conn, "after_commit", None)
    if pending is None:
        work()
    else:
        pending.append(work)


async def fetch_one(conn: Conn, sql: str, params: Iterable[Any] = ()) -> Row | None:
    """The first row (the queries ask by key: one row at most, or a handful).

    ``execute_fetchall`` is one trip to aiosqlite's thread; a cursor's execute, fetch
    and close are three, and every handler makes dozens of these calls."""
    rows = await conn.execute_fetchall(sql, tuple(params))
    for row in rows:
        return row
    return None


async def fetch_all(
    conn: Conn, sql: str, params: Iterable[Any] | Mapping[str, Any] = ()
) -> list[Row]:
    """Every row; ``params`` a sequence for ``?`` or a mapping for ``:name`` placeholders."""
    bound = params if isinstance(params, Mapping) else tuple(params)
    return list(await conn.execute_fetchall(sql, bound))
