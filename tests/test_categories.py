"""Categories and age bands are the deployment's: a category added to the configuration
is filed, offered, escalated and counted like the built-in ones; one taken out of it
leaves its referrals readable and counted; the database lists none of them."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.config import DEFAULT_AGE_BANDS, DEFAULT_CATEGORIES, ConfigError, load_config
from bot.domain.referral import Urgency
from bot.engine import escalation
from bot.sandbox import FakeTelegram
from bot.sandbox.world import World, world
from bot.services import handover
from storage.db import Database, _statements, fetch_all, migrations
from storage.sealing import Sealer
from tests.conftest import CONFIG_TOML
from tests.stories import draft, enrol, file, station
from tests.test_catalogues import simplified_only
from tests.test_cli import run_cli

ROOT = Path(__file__).parent.parent
THURSDAY_2340 = datetime(2026, 11, 26, 15, 40, tzinfo=UTC)  # 23:40 in Shanghai, after hours

WAGE_DISPUTE = """
[[categories]]
id = "other"
name_en = "Other"
name_zh = "其他"

[[categories]]
id = "wage_dispute"
name_en = "Wage dispute"
name_zh = "劳资纠纷"
name_zh_hant = "勞資糾紛"
never_waits = true
skill = "mental_health"

[escalation.categories.wage_dispute]
routine = [5, 10, 15]
"""


async def tick(w: World) -> None:
    await escalation.tick(w.services)
    await w.settle()


def _with(config_path: Path, extra: str) -> Path:
    config_path.write_text(CONFIG_TOML + extra, encoding="utf-8")
    return config_path


async def test_an_added_category_is_filed_offered_escalated_and_counted(
    config_path: Path,
) -> None:
    clock = FakeClock(THURSDAY_2340)
    async with world(_with(config_path, WAGE_DISPUTE), clock=clock) as w:
        s = await station(w, {"Li Na": ("mental_health",), "Zhou Min": ()})
        chen = await enrol(w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw")
        await chen.send("/available")

        # The officer's category step shows the configured list, in its order.
        await s.officer.send("/new")
        assert s.officer.last.button_labels()[:2] == ["Other", "Wage dispute"]
        await s.officer.send("/cancel")
        referral = await file(w, draft("wage_dispute", urgency=Urgency.ROUTINE))
        assert referral.category == "wage_dispute"

        # Routine after hours, but it never waits: offered at once, skilled worker first.
        li, zhou = s.workers["Li Na"], s.workers["Zhou Min"]
        assert li.last.plain.startswith(f"New referral\n{referral.ref} · Wage dispute · Routine")
        assert not any(referral.ref in t for t in zhou.texts)

        # Nobody accepts: its own escalation plan (5 / 10 / 15 minutes) runs.
        clock.advance(timedelta(minutes=5))
        await tick(w)
        assert zhou.last.plain.startswith(f"New referral\n{referral.ref} · Wage dispute")
        clock.advance(timedelta(minutes=10))
        await tick(w)
        card = chen.last
        assert card.plain.startswith("⏫ Nobody has accepted this referral yet")
        assert f"{referral.ref} · Wage dispute · Routine" in card.plain
        assert "⏸ Hold until morning" not in card.button_labels()  # it never waits

        # Counted where referrals are counted: the morning handover.
        clock.advance(datetime(2026, 11, 27, 0, 0, tzinfo=UTC) - clock.now())  # 08:00 local
        await handover.morning(w.services)
        await w.settle()
        lines = chen.last.plain.splitlines()
        assert lines[0].startswith("☀️ Morning handover: 1 referral since")
        assert (
            lines[1] == f"{referral.ref} · Wage dispute · Routine — still open: nobody has accepted"
        )


async def test_names_are_the_configured_ones_in_the_readers_language(config_path: Path) -> None:
    async with world(_with(config_path, WAGE_DISPUTE)) as w:
        officer = await enrol(
            w, 101, "王警官", "--role", "officer", "--station", "tianping", language="zh_Hans"
        )
        await officer.send("/new")
        assert officer.last.button_labels()[:2] == ["其他", "劳资纠纷"]
        await officer.tap("劳资纠纷")
        assert "劳资纠纷" not in officer.last.button_labels()  # on to the safety check


async def test_a_forged_category_is_refused_and_changes_nothing(config_path: Path) -> None:
    async with world(config_path) as w:
        officer = await enrol(w, 101, "Officer Wang", "--role", "officer", "--station", "tianping")
        await officer.send("/new")
        card = officer.last
        token = card.buttons[0][0].callback_data.split(":")[1]  # type: ignore[union-attr]
        answer = await officer.tap_data(f"d:{token}:c:wage_dispute", message_id=card.message_id)
        assert answer.text is not None and "out of date" in answer.text
        assert officer.last.plain == card.plain  # still the category step
        await officer.tap("Family dispute")  # the real buttons still work
        assert "Safety check" in officer.last.plain


async def test_a_category_taken_out_of_the_configuration_still_reads_and_counts(
    config_path: Path,
) -> None:
    clock = FakeClock(THURSDAY_2340)
    telegram = FakeTelegram(clock=clock.now)
    async with world(_with(config_path, WAGE_DISPUTE), clock=clock, telegram=telegram) as w:
        s = await station(w, {"Li Na": ()})
        referral = await file(w, draft("wage_dispute", urgency=Urgency.ROUTINE))
    _with(config_path, "")  # the deployment drops it; the bot restarts on the same database
    async with world(config_path, clock=clock, telegram=telegram) as w:
        chen = await enrol(w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw")
        await s.officer.send("/mine")
        assert f"{referral.ref} · wage_dispute (no longer listed) · Routine" in s.officer.last.plain
        clock.advance(datetime(2026, 11, 27, 0, 0, tzinfo=UTC) - clock.now())
        await handover.morning(w.services)
        await w.settle()
        lines = chen.last.plain.splitlines()
        assert lines[0].startswith("☀️ Morning handover: 1 referral since")
        assert lines[1].startswith(f"{referral.ref} · wage_dispute (no longer listed) · Routine")
        await s.officer.send("/new")  # and it is no longer offered for new referrals
        assert "Wage dispute" not in s.officer.last.button_labels()


# -- the configuration -------------------------------------------------------------------


def test_the_defaults_are_todays_list_and_the_bands_of_the_law() -> None:
    assert [c.id for c in DEFAULT_CATEGORIES] == [
        "family_dispute",
        "neighbour_dispute",
        "rental_dispute",
        "consumer_dispute",
        "juvenile",
        "domestic_violence",
        "mental_health",
        "elderly",
        "other",
    ]
    never = {c.id for c in DEFAULT_CATEGORIES if c.never_waits}
    assert never == {"domestic_violence", "mental_health"}
    elderly = next(c for c in DEFAULT_CATEGORIES if c.id == "elderly")
    assert elderly.name("zh_Hans") == "老年人/困境人员" and elderly.name("en").startswith("Older")
    assert [(b.min_age, b.max_age) for b in DEFAULT_AGE_BANDS] == [
        (0, 13),
        (14, 17),
        (18, 59),
        (60, None),
    ]


def test_the_example_lists_the_defaults_and_its_commented_categories_load(
    tmp_path: Path,
) -> None:
    example = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    config = load_config(ROOT / "config.example.toml")
    assert config.categories == list(DEFAULT_CATEGORIES)
    assert config.age_bands == list(DEFAULT_AGE_BANDS)
    # Uncommenting the field study's categories gives a configuration that loads.
    block = example.split("# More kinds the field study names")[1].split("\n\n")[0]
    uncommented = "\n".join(re.sub(r"^# ?", "", ln) for ln in block.splitlines()[1:])
    path = tmp_path / "more.toml"
    path.write_text(example.replace(block, "\n" + uncommented), encoding="utf-8")
    ids = [c.id for c in load_config(path).categories]
    for wanted in (
        "relationship_dispute",
        "wage_dispute",
        "community_corrections",
        "drugs",
        "youth_at_risk",
        "victim_support",
        "police_family",
    ):
        assert wanted in ids
    assert ids[-1] == "other" and len(ids) == len(set(ids)) == 16
    # Every name a Traditional reader sees is written in Traditional characters.
    more = load_config(path)
    for named in [*more.stations, *more.teams, *more.categories, *more.age_bands]:
        assert named.name_zh_hant is not None, named.id
        assert simplified_only(named.name_zh_hant) == [], named.id


def test_check_config_names_the_categories_without_a_traditional_name(
    config_path: Path,
) -> None:
    path = _with(
        config_path,
        '[[categories]]\nid = "wage_dispute"\nname_en = "Wage dispute"\nname_zh = "劳资纠纷"\n'
        '[[categories]]\nid = "other"\nname_en = "Other"\nname_zh = "其他"\n'
        'name_zh_hant = "其他"\n',
    )
    result = run_cli("check-config", str(path))
    assert result.returncode == 0, result.stderr
    warning = next(line for line in result.stdout.splitlines() if "category" in line)
    assert "'wage_dispute'" in warning and "'other'" not in warning


def _error(tmp_path: Path, extra: str) -> str:
    path = tmp_path / "bad.toml"
    path.write_text(CONFIG_TOML + extra, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return str(caught.value)


def test_an_override_for_an_unknown_category_names_the_key(tmp_path: Path) -> None:
    text = _error(tmp_path, "[escalation.categories.wage_disput]\nroutine = [1, 2, 3]\n")
    assert "escalation.categories.wage_disput" in text and "no category" in text


def test_categories_must_be_listed_once_each(tmp_path: Path) -> None:
    one = '[[categories]]\nid = "other"\nname_en = "Other"\nname_zh = "其他"\n'
    assert "'other' appears twice" in _error(tmp_path, one + one)
    assert "categories" in _error(tmp_path, "categories = []\n")


def test_an_unknown_skill_is_refused(tmp_path: Path) -> None:
    text = _error(
        tmp_path, '[[categories]]\nid = "x"\nname_en = "X"\nname_zh = "甲"\nskill = "law"\n'
    )
    assert "categories[0].skill" in text


@pytest.mark.parametrize(
    ("bands", "complaint"),
    [
        ([(0, 13), (15, None)], "'b1' starts at 15, expected 14"),
        ([(0, 13), (13, None)], "'b1' starts at 13, expected 14"),
        ([(1, None)], "'b0' starts at 1, expected 0"),
        ([(0, None), (18, None)], "only the last band may have no max_age"),
        ([(0, 17), (18, 10)], "'b1' ends before it starts"),
    ],
)
def test_age_bands_run_from_0_without_gaps_or_overlaps(
    tmp_path: Path, bands: list[tuple[int, int | None]], complaint: str
) -> None:
    text = ""
    for number, (low, high) in enumerate(bands):
        text += f'[[age_bands]]\nid = "b{number}"\nname_en = "B"\nname_zh = "乙"\nmin_age = {low}\n'
        if high is not None:
            text += f"max_age = {high}\n"
    assert complaint in _error(tmp_path, text)


# -- the database ------------------------------------------------------------------------


def _indexes(path: Path) -> set[tuple[str, str | None]]:
    with sqlite3.connect(path) as conn:
        return {
            (name, sql)
            for name, sql in conn.execute(
                "SELECT name, sql FROM sqlite_master"
                " WHERE tbl_name = 'referrals' AND type = 'index'"
            )
        }


async def test_the_rebuild_keeps_every_referral_index_and_reference(tmp_path: Path) -> None:
    """A database at the previous migration, with referrals and rows that point at them,
    comes through 0014 whole: same rows, same indexes, every reference intact; and the
    table then takes a category the old schema did not list."""
    path = tmp_path / "old.sqlite3"
    before = 13  # the database as 0013 left it: 0014 rebuilds it (later ones follow)
    conn = sqlite3.connect(path, isolation_level=None)
    for number, sql in migrations()[:before]:
        for statement in _statements(sql):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {number}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("INSERT INTO stations (id, name_zh, name_en) VALUES ('s', '站', 'S')")
    conn.execute(
        "INSERT INTO people (id, telegram_id, display_name, language, created_at, updated_at)"
        " VALUES (1, 11, 'o', 'en', '2026-01-01', '2026-01-01')"
    )
    for number, (category, band) in enumerate(
        [("domestic_violence", "65_plus"), ("other", "adult"), ("elderly", None)], start=1
    ):
        conn.execute(
            "INSERT INTO referrals (id, ref, station_id, officer_id, category, urgency, status,"
            " created_at, updated_at, next_action_at, age_band, summary, level)"
            " VALUES (?, ?, 's', 1, ?, 'urgent', 'offered', '2026-01-01', '2026-01-02',"
            " '2026-01-03', ?, 'sealed text', 2)",
            (number, f"R-000{number}", category, band),
        )
        conn.execute(
            "INSERT INTO referral_events (referral_id, at, to_status) VALUES (?, '2026-01-01',"
            " 'offered')",
            (number,),
        )
        conn.execute(
            "INSERT INTO offers (referral_id, person_id, offered_at) VALUES (?, 1, '2026-01-01')",
            (number,),
        )
    rows_before = conn.execute("SELECT * FROM referrals ORDER BY id").fetchall()
    indexes_before = _indexes(path)
    conn.close()

    async with await Database.open(path, sealer=Sealer()) as db:
        assert await db.schema_version() == len(migrations())
        assert await fetch_all(db.reader, "PRAGMA foreign_key_check") == []
        foreign_keys = await fetch_all(db.reader, "PRAGMA foreign_keys")
        assert foreign_keys[0][0] == 1  # on again after the rebuild
    with sqlite3.connect(path) as conn:
        rows_after = conn.execute("SELECT * FROM referrals ORDER BY id").fetchall()
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        references = conn.execute(
            "SELECT (SELECT count(*) FROM referral_events), (SELECT count(*) FROM offers)"
        ).fetchone()
        schema = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'referrals'").fetchone()
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(
            "INSERT INTO referrals (ref, station_id, officer_id, category, urgency, status,"
            " created_at, updated_at) VALUES ('R-0004', 's', 1, 'wage_dispute', 'routine',"
            " 'offered', '2026-01-04', '2026-01-04')"
        )
    assert _indexes(path) == indexes_before
    assert references == (3, 3)
    assert "domestic_violence" not in schema[0] and "CHECK (urgency IN" in schema[0]
    # Every value kept, column for column; the old "65 or older" now reads "60 or older".
    expected = [tuple("60_plus" if v == "65_plus" else v for v in row) for row in rows_before]
    assert rows_after == expected
