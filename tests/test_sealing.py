"""Personal data at rest: sealed in the database file, opened only with the key."""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.domain.draft import Draft
from bot.domain.paging import ContactKind
from bot.domain.referral import Safety, Status, Urgency
from bot.sandbox import FakeTelegram
from bot.sandbox.world import world
from storage import (
    audit,
    case_handovers,
    case_work,
    contact_methods,
    directory,
    drafts,
    linkages,
    offers,
    outbox,
    people,
    prompts,
    referrals,
)
from storage.db import Conn, Database, fetch_all, migrations
from storage.sealing import (
    SEALED,
    Sealer,
    SealerMissing,
    holds_sealed_data,
    new_key,
    seal,
    unseal,
)
from tests.stories import CANARY_NAME, CANARY_PHONE, CANARY_PLACE, draft, file, station
from tests.test_cli import run_cli

PIN = (31.1234567, 121.4567891)


def _with_key_file(config_path: Path) -> Path:
    result = run_cli("keygen", str(config_path.parent / "referral.key"))
    assert result.returncode == 0, result.stderr
    assert os.stat(config_path.parent / "referral.key").st_mode & 0o777 == 0o600
    text = config_path.read_text(encoding="utf-8")
    config_path.write_text(
        text.replace("[telegram]", '[privacy]\nkey_file = "referral.key"\n\n[telegram]'),
        encoding="utf-8",
    )
    return config_path.parent / "referral.key"


def _raw_bytes(config_path: Path) -> bytes:
    folder = config_path.parent
    return b"".join(p.read_bytes() for p in folder.glob("bot.sqlite3*"))


CANARY_INCIDENT = "CANARY-INC/2026-0042"  # the police incident number is sealed too


async def test_the_database_file_holds_no_canary(config_path: Path) -> None:
    _with_key_file(config_path)
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ("domestic_violence",)})
        await file(
            w,
            draft(
                "domestic_violence",
                safety=frozenset({Safety.WEAPON_OR_INJURY}),
                urgency=Urgency.IMMEDIATE,
                incident_number=CANARY_INCIDENT,
            ),
        )
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")
        details = next(t for t in li.texts if t.startswith("🔒"))
        assert CANARY_NAME in details and CANARY_PHONE in details  # the assignee can read it
        await li.tap("Return to police")
        await li.tap("Other reason")
        await li.send(f"Call her on {CANARY_PHONE}, {CANARY_PLACE}")
        raw = _raw_bytes(config_path)
    for canary in (CANARY_NAME, CANARY_PHONE, CANARY_PLACE, "CanarySummary", CANARY_INCIDENT):
        assert canary.encode() not in raw, canary


async def test_without_the_key_the_bot_refuses_to_open_sealed_data(
    config_path: Path, tmp_path: Path
) -> None:
    key = _with_key_file(config_path)
    async with world(config_path) as w:
        await station(w, {"Li Na": ()})
        await file(w, draft("family_dispute"))
    key.rename(tmp_path / "elsewhere.key")
    config_path.write_text(
        config_path.read_text(encoding="utf-8").replace('key_file = "referral.key"', ""),
        encoding="utf-8",
    )
    result = run_cli("init-db", "--config", str(config_path))
    assert result.returncode == 2
    assert "holds encrypted personal data but no key was given" in result.stderr
    assert "Traceback" not in result.stderr


def test_keygen_never_overwrites_a_key(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    assert run_cli("keygen", str(path)).returncode == 0
    first = path.read_text()
    again = run_cli("keygen", str(path))
    assert again.returncode == 1 and "never overwritten" in again.stderr
    assert path.read_text() == first


@pytest.mark.parametrize("keys", [1, 2])
def test_check_config_reports_encryption(config_path: Path, keys: int) -> None:
    _with_key_file(config_path)
    if keys == 2:  # a rotation: the new key first, the old one still opens old data
        assert run_cli("keygen", str(config_path.parent / "old.key")).returncode == 0
        with (config_path.parent / "referral.key").open("a") as handle:
            handle.write((config_path.parent / "old.key").read_text())
    result = run_cli("check-config", str(config_path))
    assert result.returncode == 0, result.stderr
    assert f"personal data at rest: encrypted ({keys} key(s))" in result.stdout


async def test_rotate_key_reseals_everything_with_the_new_key(config_path: Path) -> None:
    old = _with_key_file(config_path)
    clock = FakeClock()
    telegram = FakeTelegram(clock=clock.now)  # the same Telegram before and after
    async with world(config_path, clock=clock, telegram=telegram) as w:
        s = await station(w, {"Li Na": ()})
        await file(w, draft("family_dispute", place=None, latitude=PIN[0], longitude=PIN[1]))
        await s.workers["Li Na"].tap("✅ Accept")
    old_key = old.read_text()
    new = config_path.parent / "new.key"
    assert run_cli("keygen", str(new)).returncode == 0
    old.write_text(new.read_text() + old_key)  # the new key first, the old still opens
    result = run_cli("rotate-key", "--config", str(config_path))
    assert result.returncode == 0, result.stderr
    assert "re-encrypted with the first key" in result.stdout
    old.write_text(new.read_text())  # the old key is retired
    async with world(config_path, clock=clock, telegram=telegram) as w:
        li = w.phone(s.workers["Li Na"].chat_id, "Li Na")
        await li.send("/mine")
        await li.tap("🔒 Show details")
        assert any(CANARY_NAME in t for t in li.texts if t.startswith("🔒"))
        assert li.last.kind == "location" and li.last.location == PIN  # opened by the new key
        rotated = await audit.entries(w.services.db.reader, action="key.rotated")
        assert len(rotated) == 1
    sealed = _raw_bytes(config_path)
    assert b"f1:" in sealed and CANARY_NAME.encode() not in sealed


def _name_key_file(config_path: Path) -> Path:
    """The example config's way: a key file named, not yet made."""
    text = config_path.read_text(encoding="utf-8")
    config_path.write_text(
        text.replace("[telegram]", '[privacy]\nkey_file = "referral.key"\n\n[telegram]'),
        encoding="utf-8",
    )
    return config_path.parent / "referral.key"


async def test_the_first_start_makes_the_named_key_and_seals_with_it(config_path: Path) -> None:
    key = _name_key_file(config_path)
    checked = run_cli("check-config", str(config_path))
    assert "made at the first start" in checked.stdout and not key.exists()
    async with world(config_path) as w:
        assert os.stat(key).st_mode & 0o777 == 0o600
        await station(w, {"Li Na": ()})
        await file(w, draft("family_dispute"))
    assert CANARY_NAME.encode() not in _raw_bytes(config_path)
    first = key.read_text()
    async with world(config_path):
        pass
    assert key.read_text() == first  # a restart keeps the key


async def test_a_lost_key_file_is_not_replaced_by_a_new_one(config_path: Path) -> None:
    key = _name_key_file(config_path)
    async with world(config_path) as w:
        await station(w, {"Li Na": ()})
        await file(w, draft("family_dispute"))
    key.unlink()
    result = run_cli("init-db", "--config", str(config_path))
    assert result.returncode == 2, result.stderr
    assert "referral.key is missing" in result.stderr and "put the key file back" in result.stderr
    assert not key.exists()


# --- One registry of sealed columns, and no clear text by accident -------------------


def _marked_s_in_migrations() -> set[tuple[str, str]]:
    """(table, column) for every column a migration marks "-- S" (personal data)."""
    marked: set[tuple[str, str]] = set()
    table = None
    renamed: dict[str, str] = {}  # a table rebuilt as SQLite says: made new, then renamed
    for _, sql in migrations():
        for line in sql.splitlines():
            code, _, comment = line.partition("--")
            created = re.match(r"\s*CREATE TABLE (\w+)", code)
            table = created[1] if created else table
            if rename := re.match(r"\s*ALTER TABLE (\w+) RENAME TO (\w+)", code):
                renamed[rename[1]] = rename[2]
            if not re.match(r"\s*S(?![A-Za-z])", comment):
                continue
            added = re.match(r"\s*ALTER TABLE (\w+) ADD COLUMN (\w+)", code)
            inside = re.match(r"\s+(\w+)\s", code)
            if added:
                marked.add((added[1], added[2]))
            elif table and inside:
                marked.add((table, inside[1]))
            else:
                raise AssertionError(f"an S mark on no column: {line!r}")
    return {(renamed.get(table, table), column) for table, column in marked}


def test_the_registry_seals_exactly_the_columns_the_migrations_mark() -> None:
    registry = {(table, column) for table, spec in SEALED.items() for column in spec.columns}
    assert registry == _marked_s_in_migrations()


async def test_the_registry_names_real_tables_and_columns(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "a.sqlite3", sealer=Sealer()) as db:
        for table, spec in SEALED.items():
            rows = await fetch_all(db.reader, f"PRAGMA table_info({table})")
            names = {row["name"] for row in rows}
            named = {spec.key, *spec.columns} | ({spec.referral} if spec.referral else set())
            assert named <= names, (table, named - names)


async def test_erasure_can_empty_every_column_it_empties(tmp_path: Path) -> None:
    """A sealed column that erasure sets to its empty value must accept that value, or
    retention fails for every case with such a row (and then erases nothing at all)."""
    async with await Database.open(tmp_path / "a.sqlite3", sealer=Sealer()) as db:
        for table, spec in SEALED.items():
            if spec.referral is None or spec.erase_rows:
                continue
            rows = await fetch_all(db.reader, f"PRAGMA table_info({table})")
            not_null = {row["name"] for row in rows if row["notnull"]}
            if spec.empty is None:
                assert not (set(spec.columns) & not_null), (table, set(spec.columns) & not_null)


async def _referral(tx: Conn, ref: str, officer: int, **personal: str) -> int:
    return await referrals.insert(
        tx,
        now=FakeClock().now(),
        ref=ref,
        station_id="s1",
        officer_id=officer,
        category="family_dispute",
        urgency="routine",
        status="offered",
        **personal,
    )


async def _a_referral_with_an_offer(path: Path) -> tuple[int, int, int]:
    """(person id, referral id, offer id), written through a properly opened database."""
    now = FakeClock().now()
    async with await Database.open(path, sealer=Sealer()) as db, db.write() as tx:
        await directory.sync(
            tx, stations=[directory.Unit("s1", "一", "One")], teams=[], coverage={}
        )
        person = await people.insert(
            tx, telegram_id=1, display_name="Officer", language="en", now=now
        )
        referral = await _referral(tx, "R-0001", person)
        offer = await offers.insert(tx, referral, person, now)
        await offers.settle(tx, offer, offers.OfferState.DECLINED, now, reason="other")
    return person, referral, offer


def _sealed_writes(
    person: int, referral: int, offer: int
) -> dict[str, Callable[[Conn], Awaitable[object]]]:
    """One storage call per sealed table, each writing personal data."""
    now = FakeClock().now()
    return {
        "referrals": lambda tx: _referral(tx, "R-0002", person, person_name=CANARY_NAME),
        "referral_events": lambda tx: referrals.add_event(
            tx,
            referral,
            now=now,
            actor_id=person,
            from_status=Status.OFFERED,
            to_status=Status.WITHDRAWN,
            reason=CANARY_PLACE,
        ),
        "offers": lambda tx: offers.add_note(tx, offer, person, "other", CANARY_PLACE),
        "drafts": lambda tx: drafts.put(
            tx, person, Draft(person_name=CANARY_NAME), card_message_id=None, now=now
        ),
        "prompts": lambda tx: prompts.put(
            tx,
            person,
            prompts.Prompt("t", "close", referral, {"note": CANARY_PLACE}, None, now),
        ),
        "case_handovers": lambda tx: case_handovers.insert(
            tx,
            referral_id=referral,
            from_id=person,
            to_id=person,
            reason=CANARY_PLACE,
            now=now,
            remind_at=now,
            card_message_id=None,
        ),
        "case_work": lambda tx: case_work.add_goal(tx, referral, CANARY_PLACE, person, now),
        "linkages": lambda tx: linkages.add(
            tx,
            referral,
            resource_id=None,
            kind="legal",
            name=CANARY_PLACE,
            now=now,
            follow_up_at=now,
        ),
        "contact_methods": lambda tx: contact_methods.add(
            tx, person, ContactKind.SMS, "+86" + CANARY_PHONE, now
        ),
        "outbox": lambda tx: outbox.insert(
            tx,
            kind="closed",
            recipient_id=person,
            referral_id=referral,
            offer_id=None,
            message_id=None,
            values={"note": CANARY_PLACE},
            now=now,
            first_attempt=now,
        ),
    }


@pytest.mark.parametrize("table", list(SEALED))
async def test_a_connection_never_given_a_sealer_refuses_to_write_personal_data(
    tmp_path: Path, table: str
) -> None:
    """A new code path that opens the database and forgets the sealer is a bug: it
    must fail at once, not store clear text on a deployment that has a key."""
    path = tmp_path / "bot.sqlite3"
    write = _sealed_writes(*await _a_referral_with_an_offer(path))[table]
    async with await Database.open(path) as db:  # no sealer: the bug
        with pytest.raises(SealerMissing):
            async with db.write() as tx:
                await write(tx)
    raw = _raw_bytes(path)
    assert CANARY_NAME.encode() not in raw and CANARY_PLACE.encode() not in raw
    assert CANARY_PHONE.encode() not in raw


@pytest.mark.parametrize("keys", [[], [new_key()]], ids=["no key", "a key"])
@pytest.mark.parametrize("table", list(SEALED))
async def test_an_explicit_sealer_seals_with_a_key_and_writes_clear_text_without(
    tmp_path: Path, table: str, keys: list[str]
) -> None:
    """No key configured (a sealer with no keys) is documented: new data in clear. With
    a key, sealed data in any registered column makes the key needed to start."""
    path = tmp_path / "bot.sqlite3"
    write = _sealed_writes(*await _a_referral_with_an_offer(path))[table]
    async with await Database.open(path, sealer=Sealer(keys)) as db:
        async with db.write() as tx:
            await write(tx)
        assert await holds_sealed_data(db.reader) == bool(keys)
    raw = _raw_bytes(path)
    canaries = (CANARY_NAME, CANARY_PLACE, CANARY_PHONE)
    assert any(canary.encode() in raw for canary in canaries) == (not keys)


async def test_only_registered_columns_are_sealed_and_a_sealed_read_needs_the_sealer(
    tmp_path: Path,
) -> None:
    """A column sealed outside the registry would escape rotate-key and erasure. A
    connection without the sealer reads clear values but never mistakes sealed ones."""
    sealer = Sealer([new_key()])
    async with await Database.open(tmp_path / "a.sqlite3", sealer=sealer) as db:
        with pytest.raises(ValueError, match=r"rota_overrides\.note is not in"):
            seal(db.reader, "rota_overrides", "note", "Li covers Zhou")
    async with await Database.open(tmp_path / "a.sqlite3") as db:
        assert unseal(db.reader, "offers", "note", "in clear") == "in clear"
        with pytest.raises(SealerMissing):
            unseal(db.reader, "offers", "note", sealer.seal("sealed"))


async def test_a_deleted_drafts_personal_data_is_not_kept_in_memory(tmp_path: Path) -> None:
    """The sealer remembers opened values to spare the sender opening a referral once
    per notice; a draft is deleted after hours (or discarded) precisely because it holds
    personal data nobody filed, so no version of it may stay in the process's memory.
    (Memory cannot be looked at from outside: this reads what the sealer holds.)"""
    clock = FakeClock()
    now = clock.now()
    sealer = Sealer([new_key()])
    async with await Database.open(tmp_path / "a.sqlite3", sealer=sealer) as db:
        async with db.write() as tx:
            await tx.execute(
                "INSERT INTO people (telegram_id, display_name, language, created_at,"
                " updated_at) VALUES (1, 'o', 'en', '2026-01-01', '2026-01-01')"
            )
        kept = Draft()
        kept.person_name = CANARY_NAME
        async with db.statement() as conn:
            await drafts.put(conn, 1, kept, None, now)
        stored = await drafts.get(db.reader, 1)
        assert stored is not None and stored.draft.person_name == CANARY_NAME
        async with db.write() as tx:
            await drafts.delete(tx, 1)
        assert not any(CANARY_NAME in text for text in sealer._opened.values())


async def test_a_draft_seals_its_personal_fields_and_a_tap_on_a_choice_seals_nothing(
    tmp_path: Path,
) -> None:
    """The choices are stored in clear, the personal fields sealed; a change of a choice
    stores the sealed text it had (no encryption per tap), a typed answer seals anew, a
    save over a stale read is refused, and a draft stored whole before the split reads."""
    now = FakeClock().now()
    sealer = Sealer([new_key()])
    path = tmp_path / "bot.sqlite3"
    async with await Database.open(path, sealer=sealer) as db:
        async with db.write() as tx:
            await tx.execute(
                "INSERT INTO people (telegram_id, display_name, language, created_at,"
                " updated_at) VALUES (1, 'o', 'en', '2026-01-01', '2026-01-01')"
            )
        first = Draft()
        first.person_name = CANARY_NAME
        async with db.statement() as conn:
            stored = await drafts.put(conn, 1, first, None, now)
        read = await drafts.get(db.reader, 1)
        assert read is not None and read.draft == first and read.sealed == stored.sealed
        tapped = Draft(**{**vars(first), "urgency": Urgency.URGENT})
        async with db.statement() as conn:
            saved = await drafts.put_if_unchanged(conn, read, tapped, now)
        assert saved is not None and saved.sealed == stored.sealed  # nothing sealed again
        typed = Draft(**{**vars(tapped), "place": CANARY_PLACE})
        async with db.statement() as conn:
            assert await drafts.put_if_unchanged(conn, read, typed, now) is None  # stale
            again = await drafts.put_if_unchanged(conn, saved, typed, now)
        assert again is not None and again.sealed != saved.sealed
        back = await drafts.get(db.reader, 1)
        assert back is not None and back.draft == typed
        async with db.statement() as conn:  # a row as the bot wrote it before 0015
            await conn.execute(
                "UPDATE drafts SET data = ?, choices = '{}'",
                (sealer.seal(typed.to_json()),),
            )
        old = await drafts.get(db.reader, 1)
        assert old is not None and old.draft == typed
    raw = _raw_bytes(path)
    assert CANARY_NAME.encode() not in raw and CANARY_PLACE.encode() not in raw


async def test_a_referral_read_again_unchanged_is_remembered_until_it_changes_or_is_erased(
    tmp_path: Path,
) -> None:
    """The same stored row gives the same value without making it again; a changed row
    is made anew; an erasure leaves nothing of it in the sealer's memory."""
    path = tmp_path / "bot.sqlite3"
    _, referral_id, _ = await _a_referral_with_an_offer(path)
    sealer = Sealer([new_key()])
    async with await Database.open(path, sealer=sealer) as db:
        async with db.write() as tx:
            await tx.execute("UPDATE referrals SET person_name = ?", (sealer.seal(CANARY_NAME),))
        first = await referrals.by_id(db.reader, referral_id)
        assert first is not None and first.person_name == CANARY_NAME
        assert await referrals.by_id(db.reader, referral_id) is first
        async with db.write() as tx:
            await tx.execute("UPDATE referrals SET level = level + 1")
        changed = await referrals.by_id(db.reader, referral_id)
        assert changed is not None and changed is not first and changed.level == first.level + 1
        async with db.write() as tx:
            await referrals.erase(tx, referral_id, FakeClock().now())
        erased = await referrals.by_id(db.reader, referral_id)
        assert erased is not None and erased.person_name is None
        assert not any(CANARY_NAME in repr(value) for value in sealer._made.values())
