"""Categories and age bands are the deployment's: a category added to the configuration
is filed, offered, escalated and counted like the built-in ones; one taken out of it
leaves its referrals readable and counted; the database lists none of them."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import labels
from bot.clock import FakeClock
from bot.config import DEFAULT_AGE_BANDS, DEFAULT_CATEGORIES, ConfigError, load_config
from bot.domain.referral import Urgency
from bot.engine import escalation
from bot.i18n import Translator
from bot.sandbox import FakeTelegram
from bot.sandbox.world import World, world
from bot.services import handover
from storage.db import Database, _statements, fetch_all, migrations
from storage.sealing import Sealer
from tests.conftest import CONFIG_TOML
from tests.stories import draft, enrol, file, station, up_to_where
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


# The age bands before they came from the configuration (the released version's fixed
# list): a deployment upgrading has referrals and drafts that name "adult" and "65_plus".
OLD_BANDS = """
[[age_bands]]
id = "under_14"
name_en = "Under 14"
name_zh = "未满 14 岁"
min_age = 0
max_age = 13

[[age_bands]]
id = "14_17"
name_en = "14–17"
name_zh = "14–17 岁"
min_age = 14
max_age = 17

[[age_bands]]
id = "adult"
name_en = "Adult (18–64)"
name_zh = "成年（18–64 岁）"
min_age = 18
max_age = 64

[[age_bands]]
id = "65_plus"
name_en = "65 or older"
name_zh = "65 岁及以上"
min_age = 65
"""
THURSDAY_1100 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # in the team's service hours


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
    _with(config_path, "")  # the deployment deletes it; the bot restarts on the same database
    async with world(config_path, clock=clock, telegram=telegram) as w:
        chen = await enrol(w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw")
        lam = await enrol(
            w, 301, "林主任", "--role", "coordinator", "--team", "xuhui-sw", language="zh_Hant"
        )
        await s.officer.send("/mine")
        assert f"{referral.ref} · Category no longer in use · Routine" in s.officer.last.plain
        clock.advance(datetime(2026, 11, 27, 0, 0, tzinfo=UTC) - clock.now())
        await handover.morning(w.services)
        await w.settle()
        lines = chen.last.plain.splitlines()
        assert lines[0].startswith("☀️ Morning handover: 1 referral since")
        assert lines[1].startswith(f"{referral.ref} · Category no longer in use · Routine")
        # A Chinese reader meets no English word: neither the id nor "no longer listed".
        line = lam.last.plain.splitlines()[1]
        assert line.startswith(f"{referral.ref} · 已停用的類別 · ")
        assert re.search(r"[A-Za-z]", line.removeprefix(referral.ref)) is None, line
        await s.officer.send("/new")  # and it is no longer offered for new referrals
        assert "Wage dispute" not in s.officer.last.button_labels()


async def test_a_retired_category_is_not_offered_but_reads_counts_and_never_waits(
    config_path: Path,
) -> None:
    """Retired rather than deleted: filed before, it keeps its name and its rules (a
    routine referral of it after hours is not held for the morning), and it is counted;
    an officer can no longer choose it."""
    clock = FakeClock(THURSDAY_2340)
    telegram = FakeTelegram(clock=clock.now)
    async with world(_with(config_path, WAGE_DISPUTE), clock=clock, telegram=telegram) as w:
        s = await station(w, {"Li Na": ("mental_health",), "Zhou Min": ()})
        referral = await file(w, draft("wage_dispute", urgency=Urgency.ROUTINE))
    retired = WAGE_DISPUTE.replace(
        'skill = "mental_health"', 'skill = "mental_health"\nretired = true'
    )
    _with(config_path, retired)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        chen = await enrol(w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw")
        await chen.send("/available")
        lam = await enrol(
            w, 301, "林主任", "--role", "coordinator", "--team", "xuhui-sw", language="zh_Hant"
        )
        await lam.send("/available")
        # Not offered: neither as a button nor through a forged tap.
        await s.officer.send("/new")
        card = s.officer.last
        assert card.button_labels()[0] == "Other" and "Wage dispute" not in card.button_labels()
        token = card.buttons[0][0].callback_data.split(":")[1]  # type: ignore[union-attr]
        answer = await s.officer.tap_data(f"d:{token}:c:wage_dispute", message_id=card.message_id)
        assert answer.text is not None and "out of date" in answer.text
        await s.officer.send("/cancel")

        # Routine, after hours, but it still never waits: it escalates through the night.
        zhou = s.workers["Zhou Min"]
        clock.advance(timedelta(minutes=5))
        await tick(w)
        assert zhou.last.plain.startswith(f"New referral\n{referral.ref} · Wage dispute · Routine")
        clock.advance(timedelta(minutes=10))
        await tick(w)
        escalated = chen.last
        assert f"{referral.ref} · Wage dispute · Routine" in escalated.plain
        assert "⏸ Hold until morning" not in escalated.button_labels()
        assert f"{referral.ref} · 勞資糾紛 · " in lam.last.plain

        # Counted under its own name.
        clock.advance(datetime(2026, 11, 27, 0, 0, tzinfo=UTC) - clock.now())
        await handover.morning(w.services)
        await w.settle()
        lines = chen.last.plain.splitlines()
        assert lines[0].startswith("☀️ Morning handover: 1 referral since")
        assert lines[1].startswith(f"{referral.ref} · Wage dispute · Routine")


async def test_a_referral_filed_as_an_adult_before_the_upgrade_still_reads_18_to_64(
    config_path: Path,
) -> None:
    """Before the upgrade "adult" meant 18–64; after it the offered adult band is 18–59
    under a new id, and the old one keeps its years."""
    clock = FakeClock(THURSDAY_1100)
    telegram = FakeTelegram(clock=clock.now)
    async with world(_with(config_path, OLD_BANDS), clock=clock, telegram=telegram) as w:
        s = await station(w, {"Li Na": ()})
        referral = await file(w, draft("other", age_band="adult"))
        assert "Age: Adult (18–64)" in s.workers["Li Na"].last.plain
    _with(config_path, "")  # the upgrade: the default bands
    async with world(config_path, clock=clock, telegram=telegram) as w:
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")
        details = next(m for m in li.bot_messages if m.plain.startswith("🔒"))
        assert f"{referral.ref} · Other" in details.plain
        assert "Age: Adult (18–64)" in details.plain
        # New referrals offer the bands of the law, without the old ones.
        await up_to_where(s.officer)
        await s.officer.send("Market street")
        bands = s.officer.last.button_labels()
        assert bands[:4] == ["Under 14", "14–17", "Adult (18–59)", "60 or older"]
        assert "Adult (18–64)" not in bands and "65 or older" not in bands


async def test_a_draft_begun_with_65_plus_is_filed_and_reads_65_or_older(
    config_path: Path,
) -> None:
    """Drafts are sealed: one begun before the upgrade still holds "65_plus", is filed
    as it was chosen, and reads "65 or older" in every language, not "60 or older"."""
    clock = FakeClock(THURSDAY_1100)
    telegram = FakeTelegram(clock=clock.now)
    async with world(_with(config_path, OLD_BANDS), clock=clock, telegram=telegram) as w:
        s = await station(w, {})
        await up_to_where(s.officer)
        await s.officer.send("Market street")
        await s.officer.tap("65 or older")
    _with(config_path, "")
    async with world(config_path, clock=clock, telegram=telegram) as w:
        hans = await enrol(
            w, 210, "李娜", "--role", "social_worker", "--team", "xuhui-sw", language="zh_Hans"
        )
        hant = await enrol(
            w, 211, "陳姑娘", "--role", "social_worker", "--team", "xuhui-sw", language="zh_Hant"
        )
        for phone in (hans, hant):
            await phone.send("/available")
        officer = s.officer
        await officer.tap("No phone: visit only")
        await officer.tap("The person agrees to be contacted")
        await officer.send("Lost elderly man found at the market.")
        await officer.tap("Skip: no incident number")
        assert "Age band: 65 or older" in officer.last.plain
        await officer.tap("📨 Submit")
        assert any("Submitted as" in text for text in officer.texts)
        assert "年龄：65 岁及以上" in hans.last.plain
        assert "年齡：65 歲或以上" in hant.last.plain


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
    offered = [b for b in DEFAULT_AGE_BANDS if not b.retired]
    assert [(b.id, b.min_age, b.max_age) for b in offered] == [
        ("under_14", 0, 13),
        ("14_17", 14, 17),
        ("18_59", 18, 59),
        ("60_plus", 60, None),
    ]
    # The bands of the released version stay, retired, with their own years.
    retired = {b.id: b for b in DEFAULT_AGE_BANDS if b.retired}
    assert set(retired) == {"adult", "65_plus"}
    assert [retired["adult"].name(lang) for lang in ("en", "zh_Hans", "zh_Hant")] == [
        "Adult (18–64)",
        "成年（18–64 岁）",
        "成年（18–64 歲）",
    ]
    assert retired["65_plus"].name("en") == "65 or older"


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


def test_check_config_warns_about_a_default_left_out(config_path: Path) -> None:
    """A deployment that lists its own bands without the old ones: rows filed under
    them may exist, so the administrator hears it (a warning, the file is valid)."""
    bands = OLD_BANDS.replace('id = "65_plus"', 'id = "65_up"')
    result = run_cli("check-config", str(_with(config_path, bands)))
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stdout.splitlines() if "no entry for the default" in line]
    assert len(warnings) == 1
    assert "'18_59', '60_plus', '65_plus'" in warnings[0] and "retired = true" in warnings[0]
    quiet = run_cli("check-config", str(_with(config_path, "")))
    assert "no entry for the default" not in quiet.stdout


def test_retired_entries_are_kept_but_not_offered(tmp_path: Path) -> None:
    path = tmp_path / "retired.toml"
    path.write_text(
        CONFIG_TOML
        + WAGE_DISPUTE.replace('skill = "mental_health"', 'skill = "mental_health"\nretired = true')
        + OLD_BANDS.replace("max_age = 64", "max_age = 64\nretired = true").replace(
            "min_age = 65", "min_age = 65\nretired = true"
        )
        + '[[age_bands]]\nid = "18_59"\nname_en = "A"\nname_zh = "甲"\nmin_age = 18\n',
        encoding="utf-8",
    )
    config = load_config(path)  # the retired bands overlap the offered ones: allowed
    assert [c.id for c in config.offered_categories] == ["other"]
    assert [b.id for b in config.offered_age_bands] == ["under_14", "14_17", "18_59"]
    assert config.category_facts("wage_dispute").never_waits


def test_something_must_still_be_offered(tmp_path: Path) -> None:
    category = '[[categories]]\nid = "x"\nname_en = "X"\nname_zh = "甲"\nretired = true\n'
    assert "at least one must be offered" in _error(tmp_path, category)
    band = '[[age_bands]]\nid = "x"\nname_en = "X"\nname_zh = "甲"\nmin_age = 0\n'
    assert "every age band is retired" in _error(tmp_path, band + "retired = true\n")
    old = band + 'retired = true\n[[age_bands]]\nid = "y"\nname_en = "Y"\nname_zh = "乙"\n'
    assert "'y' starts at 5, expected 0" in _error(tmp_path, old + "min_age = 5\n")


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


async def test_the_rebuild_keeps_every_referral_index_and_reference(
    tmp_path: Path, config_path: Path
) -> None:
    """A database at the previous migration, with referrals and rows that point at them,
    comes through 0014 whole: same rows, same indexes, every reference intact; and the
    table then takes a category the old schema did not list."""
    path = tmp_path / "old.sqlite3"
    before = [number for number, _ in migrations()].index(14)  # every one before 0014
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
    assert indexes_before <= _indexes(path)  # every one kept (later migrations add some)
    assert references == (3, 3)
    assert "domestic_violence" not in schema[0] and "CHECK (urgency IN" in schema[0]
    # Every value kept, column for column: "adult" and "65 or older" are not rewritten
    # (neither is the same fact as 18–59 or 60 or older), and read as they were filed.
    # (Columns later migrations add come after the rebuilt ones.)
    assert [row[: len(rows_before[0])] for row in rows_after] == rows_before
    config, tr = load_config(config_path), Translator("en")
    assert [labels.age_band(tr, config, band) for band in ("adult", "65_plus")] == [
        "Adult (18–64)",
        "65 or older",
    ]
