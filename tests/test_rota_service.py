"""The rota in the database: importing the weekly rules, covers, and who is on duty when.

People are enrolled with real invites and the rota is imported with the real command
line; the clock is fake, so a night (and a daylight-saving change) passes in no time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FakeClock
from bot.domain.people import Person, Role
from bot.domain.rota import Change
from bot.sandbox.world import World, world
from bot.services import people as people_service
from bot.services import rota
from bot.services.rota.covers import CoverRefused, Period, Refusal
from storage import audit
from tests.conftest import CONFIG_TOML
from tests.stories import enrol

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
TEAM = "xuhui-sw"
LI, ZHOU, CHEN, BOSS, OFFICER = 200, 201, 300, 301, 101
MINHANG_WORKER, MINHANG_COORD = 210, 310

MINHANG_TEAM = """
[[teams]]
id = "minhang-sw"
name_zh = "闵行区社工站"
name_en = "Minhang Social Work Station"
"""

ROTA_CSV = f"""team,role,days,hours,telegram_id
{TEAM},social_worker,mon-fri,09:00-18:00,{LI}
{TEAM},social_worker,mon-fri,09:00-18:00,{ZHOU}
{TEAM},social_worker,mon-fri,22:00-08:00,{ZHOU}
,coordinator,daily,18:00-08:00,{BOSS}
"""


def local(zone: ZoneInfo, *args: int) -> datetime:
    """A local wall-clock time as UTC."""
    return datetime(*args, tzinfo=zone).astimezone(UTC)  # type: ignore[misc]


THURSDAY_NOON = local(SHANGHAI, 2026, 11, 26, 12, 0)


def variant(tmp_path: Path, *, timezone: str = "Asia/Shanghai", extra: str = "") -> Path:
    """A config like tests/conftest.py's, in another zone or with more teams."""
    path = tmp_path / "variant.toml"
    text = CONFIG_TOML.replace('timezone = "Asia/Shanghai"', f'timezone = "{timezone}"')
    path.write_text(text + extra, encoding="utf-8")
    return path


async def people(w: World, *, minhang: bool = False) -> None:
    """Two workers, a team coordinator, a coordinator of all stations, an officer."""
    await enrol(w, LI, "Li Na", "--role", "social_worker", "--team", TEAM)
    await enrol(w, ZHOU, "Zhou Min", "--role", "social_worker", "--team", TEAM)
    await enrol(w, CHEN, "Coord Chen", "--role", "coordinator", "--team", TEAM)
    await enrol(w, BOSS, "Night Boss", "--role", "coordinator")
    await enrol(w, OFFICER, "Officer Wang", "--role", "officer", "--station", "tianping")
    if minhang:
        await enrol(
            w, MINHANG_WORKER, "Min Worker", "--role", "social_worker", "--team", "minhang-sw"
        )
        await enrol(w, MINHANG_COORD, "Min Coord", "--role", "coordinator", "--team", "minhang-sw")


async def person(w: World, telegram_id: int) -> Person:
    found = await people_service.find(w.services, telegram_id)
    assert found is not None
    return found


async def ids(w: World, *telegram_ids: int) -> frozenset[int]:
    return frozenset([(await person(w, t)).id for t in telegram_ids])


async def import_rota(w: World, tmp_path: Path, text: str, name: str = "rota.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    code, out, err = await w.cli("rota", "import", str(path))
    assert code == 0, err
    return out


async def workers_at(w: World, at: datetime, team: str = TEAM) -> frozenset[int] | None:
    return await rota.on_duty(w.services, team_id=team, role=Role.SOCIAL_WORKER, at=at)


async def test_without_a_rota_on_duty_says_none_so_callers_use_available(
    config_path: Path,
) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_NOON)) as w:
        await people(w)
        assert await workers_at(w, THURSDAY_NOON) is None
        coordinators = await rota.on_duty(
            w.services, team_id=None, role=Role.COORDINATOR, at=THURSDAY_NOON
        )
        assert coordinators is None
        assert (
            await rota.next_shift(
                w.services, team_id=TEAM, role=Role.SOCIAL_WORKER, after=THURSDAY_NOON
            )
            is None
        )


async def test_an_imported_rota_covers_the_night_across_midnight(
    config_path: Path, tmp_path: Path
) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_NOON)) as w:
        await people(w)
        out = await import_rota(w, tmp_path, ROTA_CSV)
        assert "3 shifts, 4 rows" in out
        assert f"team {TEAM}: 2 shift(s), 2 social worker(s)" in out
        assert "coordinators: 1 shift(s), 1 coordinator(s)" in out
        both, zhou = await ids(w, LI, ZHOU), await ids(w, ZHOU)
        assert await workers_at(w, local(SHANGHAI, 2026, 11, 26, 10, 0)) == both
        assert await workers_at(w, local(SHANGHAI, 2026, 11, 26, 23, 30)) == zhou
        assert await workers_at(w, local(SHANGHAI, 2026, 11, 27, 7, 59)) == zhou
        assert await workers_at(w, local(SHANGHAI, 2026, 11, 27, 8, 0)) == frozenset()
        # Friday's night shift runs into Saturday; Saturday's night has none (mon-fri).
        assert await workers_at(w, local(SHANGHAI, 2026, 11, 28, 3, 0)) == zhou
        assert await workers_at(w, local(SHANGHAI, 2026, 11, 29, 3, 0)) == frozenset()
        night = local(SHANGHAI, 2026, 11, 26, 23, 30)
        boss = await rota.on_duty(w.services, team_id=None, role=Role.COORDINATOR, at=night)
        assert boss == await ids(w, BOSS)
        upcoming = await rota.next_shift(
            w.services, team_id=TEAM, role=Role.SOCIAL_WORKER, after=night
        )
        assert upcoming == (local(SHANGHAI, 2026, 11, 27, 9, 0), both)
        entries = await audit.entries(w.services.db.reader, action="rota.imported")
        assert [e.detail for e in entries] == ["3 shifts, 4 rows"]


async def test_a_bad_file_is_refused_whole_and_every_bad_line_is_named(
    config_path: Path, tmp_path: Path
) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_NOON)) as w:
        await people(w)
        await import_rota(w, tmp_path, ROTA_CSV)
        before = await workers_at(w, THURSDAY_NOON)
        bad = tmp_path / "bad.csv"
        bad.write_text(
            "team,role,days,hours,telegram_id\n"
            f"{TEAM},social_worker,daily,08:00-20:00,{LI}\n"  # 2: good
            f"nowhere,social_worker,mon-fri,09:00-18:00,{LI}\n"  # 3: unknown team
            f"{TEAM},social_worker,mon-fri,09:00-18:00,999\n"  # 4: not enrolled
            f"{TEAM},social_worker,mon-fri,09:00-18:00,{OFFICER}\n"  # 5: an officer
            f"{TEAM},social_worker,mon-fri,9-18,{ZHOU}\n"  # 6: bad hours
            f"{TEAM},coordinator,daily,18:00-08:00,{BOSS}\n"  # 7: team on a coordinator row
            f",coordinator,someday,18:00-08:00,{BOSS}\n"  # 8: bad days
            f"{TEAM},social_worker,daily,08:00-20:00,{LI}\n"  # 9: duplicate of 2
            f",social_worker,daily,08:00-20:00,{ZHOU}\n"  # 10: worker without team
            f"{TEAM},admin,daily,08:00-20:00,{ZHOU}\n"  # 11: wrong role
            f",coordinator,daily,18:00-08:00,{LI}\n"  # 12: not a coordinator
            f"{TEAM},social_worker,daily,08:00-20:00\n"  # 13: a field short
            f"{TEAM},social_worker,daily,08:00-20:00,li\n",  # 14: not a number
            encoding="utf-8",
        )
        code, out, err = await w.cli("rota", "import", str(bad))
        assert code == 1 and out == ""
        lines = [line for line in err.splitlines() if ": line " in line]
        assert [int(line.split(": line ")[1].split(":")[0]) for line in lines] == list(range(3, 15))
        assert "unknown team 'nowhere'" in err
        assert "nobody with Telegram id 999 is enrolled" in err
        assert f"Telegram id {OFFICER} (Officer Wang) is not a social_worker" in err
        assert "'9-18' is not hours like 09:00-18:00" in err
        assert "leave team empty on coordinator rows" in err
        assert "duplicate of line 2" in err
        assert "12 bad row(s); nothing was imported" in err
        assert await workers_at(w, THURSDAY_NOON) == before  # the old rota is untouched


async def test_a_file_without_the_header_is_refused(config_path: Path, tmp_path: Path) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_NOON)) as w:
        await people(w)
        for text in ("", f"{TEAM},social_worker,daily,08:00-20:00,{LI}\n"):
            path = tmp_path / "headless.csv"
            path.write_text(text, encoding="utf-8")
            code, _, err = await w.cli("rota", "import", str(path))
            assert code == 1
            assert "line 1:" in err and "team,role,days,hours,telegram_id" in err
        code, _, err = await w.cli("rota", "import", str(tmp_path / "missing.csv"))
        assert code == 1 and "cannot read" in err


async def test_a_spreadsheet_file_with_bom_comments_and_blank_lines_imports(
    config_path: Path, tmp_path: Path
) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_NOON)) as w:
        await people(w)
        path = tmp_path / "excel.csv"
        text = (
            "telegram_id,team,role,days,hours\r\n"
            "# day shift\r\n"
            f'{LI},{TEAM},social_worker,"sat,sun",10:00-16:00\r\n'
            "\r\n"
        )
        path.write_bytes(b"\xef\xbb\xbf" + text.encode())
        code, out, err = await w.cli("rota", "import", str(path))
        assert code == 0, err
        assert "1 shifts, 1 rows" in out
        saturday = local(SHANGHAI, 2026, 11, 28, 11, 0)
        assert await workers_at(w, saturday) == await ids(w, LI)


async def test_an_import_replaces_the_rules_and_keeps_the_covers(
    config_path: Path, tmp_path: Path
) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_NOON)) as w:
        await people(w)
        await import_rota(w, tmp_path, ROTA_CSV)
        tonight = local(SHANGHAI, 2026, 11, 26, 23, 0)
        await rota.cover(
            w.services,
            await person(w, CHEN),
            person_id=(await person(w, LI)).id,
            start=local(SHANGHAI, 2026, 11, 26, 22, 0),
            end=local(SHANGHAI, 2026, 11, 27, 8, 0),
            change=Change.ADD,
        )
        out = await import_rota(
            w,
            tmp_path,
            f"team,role,days,hours,telegram_id\n{TEAM},social_worker,sat,09:00-12:00,{ZHOU}\n",
        )
        assert "covers kept: 1" in out
        assert await workers_at(w, tonight) == await ids(w, LI)  # Zhou's night is gone
        assert await workers_at(w, local(SHANGHAI, 2026, 11, 28, 10, 0)) == await ids(w, ZHOU)


async def test_a_removal_takes_a_worker_off_duty_and_a_replacement_swaps(
    config_path: Path, tmp_path: Path
) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_NOON)) as w:
        await people(w)
        await import_rota(w, tmp_path, ROTA_CSV)
        chen, li, zhou = await person(w, CHEN), await person(w, LI), await person(w, ZHOU)
        night_start, night_end = (
            local(SHANGHAI, 2026, 11, 26, 22, 0),
            local(SHANGHAI, 2026, 11, 27, 8, 0),
        )
        removed = await rota.cover(
            w.services,
            chen,
            person_id=zhou.id,
            start=night_start,
            end=night_end,
            change=Change.REMOVE,
            note="ill",
        )
        assert removed.created and removed.team_id == TEAM
        assert await workers_at(w, local(SHANGHAI, 2026, 11, 26, 23, 0)) == frozenset()
        # The next night is not touched.
        assert await workers_at(w, local(SHANGHAI, 2026, 11, 27, 23, 0)) == {zhou.id}
        friday = (local(SHANGHAI, 2026, 11, 27, 22, 0), local(SHANGHAI, 2026, 11, 28, 8, 0))
        await rota.cover(
            w.services,
            chen,
            person_id=li.id,
            start=friday[0],
            end=friday[1],
            change=Change.REPLACE,
            replaces=zhou.id,
        )
        assert await workers_at(w, local(SHANGHAI, 2026, 11, 28, 1, 0)) == {li.id}
        upcoming = await rota.next_shift(
            w.services, team_id=TEAM, role=Role.SOCIAL_WORKER, after=friday[0] - timedelta(hours=1)
        )
        assert upcoming == (friday[0], frozenset({li.id}))
        entries = await audit.entries(w.services.db.reader, action="rota.cover")
        assert [e.actor_person_id for e in entries] == [chen.id, chen.id]
        assert all("ill" not in (e.detail or "") for e in entries)  # notes stay out of the log


async def test_a_cover_is_refused_when_it_ends_first_or_is_outside_the_team(
    tmp_path: Path, config_path: Path
) -> None:
    del config_path  # requested for its clean REFERRAL_BOT_* environment
    path = variant(tmp_path, extra=MINHANG_TEAM)
    async with world(path, clock=FakeClock(THURSDAY_NOON)) as w:
        await people(w, minhang=True)
        chen, zhou = await person(w, CHEN), await person(w, ZHOU)
        minhang_worker = await person(w, MINHANG_WORKER)
        start = THURSDAY_NOON
        cases = [
            (zhou.id, start, start, Change.ADD, None, Refusal.BAD_PERIOD),
            (zhou.id, start, start - timedelta(hours=1), Change.ADD, None, Refusal.BAD_PERIOD),
            (
                minhang_worker.id,
                start,
                start + timedelta(hours=4),
                Change.ADD,
                None,
                Refusal.NOT_YOUR_TEAM,
            ),
            (chen.id, start, start + timedelta(hours=4), Change.ADD, None, Refusal.NOT_ON_ROTA),
            (
                zhou.id,
                start,
                start + timedelta(hours=4),
                Change.REPLACE,
                None,
                Refusal.BAD_REPLACES,
            ),
            (
                zhou.id,
                start,
                start + timedelta(hours=4),
                Change.REPLACE,
                minhang_worker.id,
                Refusal.BAD_REPLACES,
            ),
        ]
        for person_id, begin, end, change, replaces, reason in cases:
            with pytest.raises(CoverRefused) as refused:
                await rota.cover(
                    w.services,
                    chen,
                    person_id=person_id,
                    start=begin,
                    end=end,
                    change=change,
                    replaces=replaces,
                )
            assert refused.value.reason is reason
        entries = await audit.entries(w.services.db.reader, action="rota.cover.refused")
        assert len(entries) == len(cases)
        # A coordinator of all stations may cover any team; a double tap records one cover.
        boss = await person(w, BOSS)
        for _ in range(2):
            done = await rota.cover(
                w.services,
                boss,
                person_id=minhang_worker.id,
                start=start,
                end=start + timedelta(hours=4),
                change=Change.ADD,
            )
        assert not done.created
        assert len(await audit.entries(w.services.db.reader, action="rota.cover")) == 1


def test_the_cover_periods_are_the_next_local_occurrence() -> None:
    def at(*args: int) -> datetime:
        return local(SHANGHAI, 2026, 11, *args)

    assert rota.period_span(Period.UNTIL_MORNING, at(26, 23, 0), SHANGHAI) == (
        at(26, 23, 0),
        at(27, 8, 0),
    )
    assert rota.period_span(Period.UNTIL_MORNING, at(27, 7, 0), SHANGHAI) == (
        at(27, 7, 0),
        at(27, 8, 0),
    )
    # Before 18:00 "tonight" is this evening's; at 03:00 it is the one still running.
    assert rota.period_span(Period.TONIGHT, at(26, 12, 0), SHANGHAI) == (at(26, 18), at(27, 8))
    assert rota.period_span(Period.TONIGHT, at(27, 3, 0), SHANGHAI) == (at(27, 3), at(27, 8))
    assert rota.period_span(Period.TODAY, at(26, 7, 0), SHANGHAI) == (at(26, 9), at(26, 18))
    assert rota.period_span(Period.TODAY, at(26, 20, 0), SHANGHAI) == (at(27, 9), at(27, 18))
    assert rota.period_span(Period.NEXT_4_HOURS, at(26, 22, 0), SHANGHAI) == (
        at(26, 22),
        at(27, 2),
    )


async def test_a_night_shift_keeps_its_local_hours_across_both_dst_changes(
    tmp_path: Path, config_path: Path
) -> None:
    """Berlin: clocks go forward on 29 March 2026 and back on 25 October 2026, both at
    the weekend; the Saturday night shift 22:00-06:00 lasts 7 and 9 real hours."""
    del config_path  # requested for its clean REFERRAL_BOT_* environment
    path = variant(tmp_path, timezone="Europe/Berlin")
    spring_saturday = local(BERLIN, 2026, 3, 28, 12, 0)
    async with world(path, clock=FakeClock(spring_saturday)) as w:
        await people(w)
        await import_rota(
            w,
            tmp_path,
            f"team,role,days,hours,telegram_id\n{TEAM},social_worker,sat,22:00-06:00,{LI}\n",
        )
        li = await ids(w, LI)
        start = await rota.next_shift(
            w.services, team_id=TEAM, role=Role.SOCIAL_WORKER, after=spring_saturday
        )
        assert start == (datetime(2026, 3, 28, 21, 0, tzinfo=UTC), li)  # 22:00 CET
        assert await workers_at(w, datetime(2026, 3, 29, 3, 59, tzinfo=UTC)) == li
        assert (
            await workers_at(w, datetime(2026, 3, 29, 4, 0, tzinfo=UTC)) == frozenset()
        )  # 06:00 CEST

        autumn_saturday = local(BERLIN, 2026, 10, 24, 12, 0)
        start = await rota.next_shift(
            w.services, team_id=TEAM, role=Role.SOCIAL_WORKER, after=autumn_saturday
        )
        assert start == (datetime(2026, 10, 24, 20, 0, tzinfo=UTC), li)  # 22:00 CEST
        assert await workers_at(w, datetime(2026, 10, 25, 4, 59, tzinfo=UTC)) == li
        assert (
            await workers_at(w, datetime(2026, 10, 25, 5, 0, tzinfo=UTC)) == frozenset()
        )  # 06:00 CET

        # "Tonight 18:00-08:00" chosen on the autumn Saturday is 15 real hours long.
        begin, end = rota.period_span(Period.TONIGHT, autumn_saturday, BERLIN)
        assert (begin, end) == (
            datetime(2026, 10, 24, 16, 0, tzinfo=UTC),
            datetime(2026, 10, 25, 7, 0, tzinfo=UTC),
        )
