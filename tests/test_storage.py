"""The database on a real SQLite file: migrations, integrity, the single writer."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import FakeClock
from storage import audit, outbox, people
from storage import db as db_module
from storage.db import Database, StorageError, fetch_all, fetch_one, migrations
from storage.sealing import erase_referral


async def test_new_database_is_migrated_to_the_latest_version(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "a.sqlite3") as db:
        assert await db.schema_version() == len(migrations())
        row = await fetch_one(db.reader, "PRAGMA journal_mode")
        assert row is not None and row[0] == "wal"
        row = await fetch_one(db.reader, "PRAGMA foreign_keys")
        assert row is not None and row[0] == 1
    # Opening again applies nothing twice.
    async with await Database.open(tmp_path / "a.sqlite3") as db:
        assert await db.schema_version() == len(migrations())


async def test_foreign_keys_are_enforced(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "a.sqlite3") as db:
        with pytest.raises(sqlite3.IntegrityError):
            async with db.write() as tx:
                await tx.execute(
                    "INSERT INTO person_roles (person_id, role, station_id, granted_at)"
                    " VALUES (12345, 'officer', 'no-such-station', 'now')"
                )


async def test_audit_log_is_append_only(tmp_path: Path) -> None:
    clock = FakeClock()
    async with await Database.open(tmp_path / "a.sqlite3") as db:
        async with db.write() as tx:
            await audit.record(tx, now=clock.now(), action="test.action", actor_telegram_id=5)
        for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                async with db.write() as tx:
                    await tx.execute(statement)
        assert [e.action for e in await audit.entries(db.reader)] == ["test.action"]


async def test_a_single_statement_never_joins_a_transaction_that_rolls_back(
    tmp_path: Path,
) -> None:
    """The outbox marks messages sent with one-statement writes: one issued while another
    handler's transaction is open must wait for it, not be rolled back with it."""
    clock = FakeClock()
    async with await Database.open(tmp_path / "a.sqlite3") as db:
        inside = asyncio.Event()

        async def failing() -> None:
            with pytest.raises(RuntimeError):
                async with db.write() as tx:
                    await audit.record(tx, now=clock.now(), action="rolled.back")
                    inside.set()
                    await asyncio.sleep(0)  # the statement below is issued meanwhile
                    raise RuntimeError("crash in the middle")

        async def single() -> None:
            await inside.wait()
            async with db.statement() as conn:
                await audit.record(conn, now=clock.now(), action="kept")

        await asyncio.gather(failing(), single())
        assert [e.action for e in await audit.entries(db.reader)] == ["kept"]


async def test_a_write_cancelled_as_it_begins_leaves_no_transaction_behind(
    tmp_path: Path,
) -> None:
    """Delivery cancels its other lanes when one fails hard; a lane cancelled while its
    transaction was beginning must not leave the writer inside it (every later write
    would fail, and one-statement writes would land in a transaction never committed)."""
    clock = FakeClock()
    async with await Database.open(tmp_path / "a.sqlite3") as db:
        await _cancel_a_write(db, clock, turns=1)  # it waits for its turn to begin
        await _later_writes_work(db, clock)


async def _cancel_a_write(db: Database, clock: FakeClock, *, turns: int) -> None:
    """Start a write, let the loop go round ``turns`` times, then cancel it."""

    async def write() -> None:
        async with db.write() as tx:
            await audit.record(tx, now=clock.now(), action="never")

    task = asyncio.create_task(write())
    for _ in range(turns):
        await asyncio.sleep(0)
    assert not task.done()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def _later_writes_work(db: Database, clock: FakeClock) -> None:
    """A transaction and a single statement both commit; the cancelled write left nothing."""
    async with db.write() as tx:
        await audit.record(tx, now=clock.now(), action="next")
    async with db.statement() as conn:
        await audit.record(conn, now=clock.now(), action="single")
    assert [e.action for e in await audit.entries(db.reader)] == ["next", "single"]


async def test_a_write_waits_for_another_programs_lock_without_stopping_the_bot(
    tmp_path: Path,
) -> None:
    """The command line importing a rota holds the write lock: the bot's write waits for
    it, and meanwhile the bot goes on answering (statements run on the event loop, so a
    wait inside SQLite would have stopped everything)."""
    clock = FakeClock()
    path = tmp_path / "a.sqlite3"
    async with await Database.open(path) as db:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute(
            "INSERT INTO audit_log (at, action) VALUES ('2026-01-01T00:00:00+00:00', 'import')"
        )

        async def write() -> None:
            async with db.write() as tx:
                await audit.record(tx, now=clock.now(), action="bot")

        task = asyncio.create_task(write())
        for _ in range(3):
            await asyncio.sleep(0)
        assert not task.done()
        # The loop is free: a read is answered (and sees nothing uncommitted).
        assert [e.action for e in await audit.entries(db.reader)] == []
        other.execute("COMMIT")
        other.close()
        await task
        assert [e.action for e in await audit.entries(db.reader)] == ["import", "bot"]


async def test_a_write_gives_up_when_another_program_keeps_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As SQLite's busy timeout did: "database is locked", and the next write works."""
    monkeypatch.setattr(db_module, "LOCK_WAIT", 0.05)
    clock = FakeClock()
    path = tmp_path / "a.sqlite3"
    async with await Database.open(path) as db:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            async with db.write() as tx:
                await audit.record(tx, now=clock.now(), action="refused")
        other.execute("ROLLBACK")
        other.close()
        async with db.write() as tx:
            await audit.record(tx, now=clock.now(), action="later")
        assert [e.action for e in await audit.entries(db.reader)] == ["later"]


async def test_a_read_during_a_write_sees_only_what_was_committed(tmp_path: Path) -> None:
    """Reads share the writer's connection while no write is under way (its cache stays
    warm); a read while a transaction is open must not see that transaction's rows."""
    clock = FakeClock()
    async with await Database.open(tmp_path / "a.sqlite3") as db:
        async with db.write() as tx:
            await audit.record(tx, now=clock.now(), action="first")
        async with db.write() as tx:
            await audit.record(tx, now=clock.now(), action="second")
            assert [e.action for e in await audit.entries(db.reader)] == ["first"]
        assert [e.action for e in await audit.entries(db.reader)] == ["first", "second"]


async def test_the_log_is_copied_into_the_database_file_as_it_grows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's own checkpoint would run inside a commit, on the event loop, and wait for
    the disk; the bot's run beside it. Either way the write-ahead log must not grow
    without bound: after many writes it stays the size of a few checkpoints' worth."""
    monkeypatch.setattr(db_module, "CHECKPOINT_EVERY", 10)
    clock = FakeClock()
    path = tmp_path / "a.sqlite3"
    async with await Database.open(path) as db:
        migrated = path.with_name(path.name + "-wal").stat().st_size  # the migrations' log
        for _ in range(30):
            for _ in range(10):
                async with db.write() as tx:
                    await audit.record(tx, now=clock.now(), action="x", detail="y" * 3000)
            await db.checkpointed()
        log_size = path.with_name(path.name + "-wal").stat().st_size
        assert log_size < migrated + 200_000  # without checkpoints: over 5 MB more
        assert len(await audit.entries(db.reader)) == 300


async def test_a_write_cancelled_while_another_program_holds_the_lock_leaves_nothing(
    tmp_path: Path,
) -> None:
    """BEGIN refused as busy waits with an asyncio sleep; a write cancelled there (a
    lane's send cancelled, the bot stopping) must leave the writer outside any
    transaction, and the next writes work once the other program lets go."""
    clock = FakeClock()
    path = tmp_path / "a.sqlite3"
    async with await Database.open(path) as db:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        await _cancel_a_write(db, clock, turns=3)  # its BEGIN was refused: it waits
        other.execute("ROLLBACK")
        other.close()
        await _later_writes_work(db, clock)


async def test_status_and_retention_find_notices_without_reading_the_whole_outbox(
    tmp_path: Path,
) -> None:
    """The outbox keeps every notice it ever sent. /status (how many wait, how many were
    given up) and retention (an erased referral's values in it) read it by index: read
    in full, each costs more as the months go by, and it runs on the bot's event loop
    (a round of 200 erasures stopped the bot for over a second)."""
    async with await Database.open(tmp_path / "a.sqlite3") as db:
        seen: list[str] = []
        await db.reader.set_trace_callback(seen.append)
        await outbox.depth(db.reader, datetime(2026, 1, 1, tzinfo=UTC))
        await db.reader.set_trace_callback(None)
        async with db.write() as tx:
            await tx.set_trace_callback(seen.append)
            await erase_referral(tx, 1)
            await tx.set_trace_callback(None)
        asked = [sql for sql in seen if "outbox" in sql]
        assert len(asked) == 2
        for sql in asked:
            plan = await fetch_all(db.reader, f"EXPLAIN QUERY PLAN {sql}")
            scans = [row["detail"] for row in plan if row["detail"] == "SCAN outbox"]
            assert not scans, sql


async def test_failed_write_rolls_back_everything_in_it(tmp_path: Path) -> None:
    clock = FakeClock()
    async with await Database.open(tmp_path / "a.sqlite3") as db:
        with pytest.raises(RuntimeError):
            async with db.write() as tx:
                await audit.record(tx, now=clock.now(), action="half.done")
                raise RuntimeError("crash in the middle")
        assert await audit.entries(db.reader) == []


async def test_concurrent_read_then_write_transactions_do_not_interleave(tmp_path: Path) -> None:
    """Fifty increments, each read-then-write, from fifty tasks: none is lost."""
    async with await Database.open(tmp_path / "a.sqlite3") as db:
        async with db.write() as tx:
            await tx.execute("CREATE TABLE counter (n INTEGER)")
            await tx.execute("INSERT INTO counter VALUES (0)")

        async def increment() -> None:
            async with db.write() as tx:
                row = await fetch_one(tx, "SELECT n FROM counter")
                assert row is not None
                await asyncio.sleep(0)  # give the others every chance to interleave
                await tx.execute("UPDATE counter SET n = ?", (row[0] + 1,))

        await asyncio.gather(*(increment() for _ in range(50)))
        row = await fetch_one(db.reader, "SELECT n FROM counter")
        assert row is not None and row[0] == 50


async def test_a_failing_migration_leaves_the_previous_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = migrations()
    broken = "CREATE TABLE half_made (x INTEGER);\nTHIS IS NOT SQL;"
    monkeypatch.setattr(db_module, "migrations", lambda: [*real, (len(real) + 1, broken)])
    with pytest.raises(StorageError):
        await Database.open(tmp_path / "a.sqlite3")
    monkeypatch.setattr(db_module, "migrations", lambda: real)
    async with await Database.open(tmp_path / "a.sqlite3") as db:
        assert await db.schema_version() == len(real)
        row = await fetch_one(
            db.reader, "SELECT count(*) FROM sqlite_master WHERE name = 'half_made'"
        )
        assert row is not None and row[0] == 0


async def test_database_from_a_newer_program_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 999")
    with pytest.raises(StorageError, match="newer than this program"):
        await Database.open(path)


async def test_unwritable_location_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StorageError, match="cannot open the database"):
        await Database.open(blocker / "sub" / "db.sqlite3")


async def test_backup_is_a_consistent_copy(tmp_path: Path) -> None:
    clock = FakeClock()
    async with await Database.open(tmp_path / "a.sqlite3") as db:
        async with db.write() as tx:
            await audit.record(tx, now=clock.now(), action="before.backup")
        await db.backup(tmp_path / "copy.sqlite3")
    async with await Database.open(tmp_path / "copy.sqlite3") as copy:
        assert [e.action for e in await audit.entries(copy.reader)] == ["before.backup"]


async def test_two_programs_starting_at_once_migrate_once(tmp_path: Path) -> None:
    """The bot and ``init-db`` started together: both open, neither fails."""
    path = tmp_path / "a.sqlite3"
    first, second = await asyncio.gather(Database.open(path), Database.open(path))
    try:
        assert await first.schema_version() == await second.schema_version() == len(migrations())
    finally:
        await first.close()
        await second.close()


async def test_referral_history_can_lose_a_reason_but_never_be_rewritten(tmp_path: Path) -> None:
    """Retention may erase free text; nobody may change who did what, when."""
    async with await Database.open(tmp_path / "a.sqlite3") as db:
        async with db.write() as tx:
            await tx.execute("INSERT INTO stations (id, name_zh, name_en) VALUES ('s', '站', 'S');")
            await tx.execute(
                "INSERT INTO people (telegram_id, display_name, language, created_at,"
                " updated_at) VALUES (1, 'Wang', 'en', 't', 't')"
            )
            await tx.execute(
                "INSERT INTO referrals (ref, station_id, officer_id, category, urgency, status,"
                " created_at, updated_at) VALUES ('R-TEST', 's', 1, 'other', 'routine',"
                " 'offered', 't', 't')"
            )
            await tx.execute(
                "INSERT INTO referral_events (referral_id, at, to_status, reason)"
                " VALUES (1, 't', 'offered', 'free text')"
            )
        async with db.write() as tx:
            await tx.execute("UPDATE referral_events SET reason = NULL")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            async with db.write() as tx:
                await tx.execute("UPDATE referral_events SET to_status = 'closed'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            async with db.write() as tx:
                await tx.execute("DELETE FROM referral_events")


async def test_a_remembered_person_is_read_again_after_any_change_here_or_elsewhere(
    tmp_path: Path,
) -> None:
    """The guard's lookup is remembered only while nobody changes: a change by this
    process (even one committed after a lookup made during it) or by another program
    (the command line, here a plain connection) is seen at the next lookup."""
    now = FakeClock().now()
    path = tmp_path / "a.sqlite3"
    known = people.Known()
    async with await Database.open(path) as db:
        async with db.write() as tx:
            person_id = await people.insert(
                tx, telegram_id=7, display_name="Li", language="en", now=now
            )
        first = await known.by_telegram_id(db, 7)
        assert first is not None and first.active
        assert await known.by_telegram_id(db, 7) is first  # remembered
        async with db.write() as tx:
            await people.set_language(tx, person_id, "zh_Hans", now)
            during = await known.by_telegram_id(db, 7)  # the other connection: as it was
            assert during is not None and during.language == "en"
        after = await known.by_telegram_id(db, 7)
        assert after is not None and after.language == "zh_Hans"
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute("UPDATE people SET active = 0 WHERE id = ?", (person_id,))
        finally:
            other.close()
        gone = await known.by_telegram_id(db, 7)
        assert gone is not None and not gone.active
        assert await known.by_telegram_id(db, 8) is None  # a stranger: not remembered
