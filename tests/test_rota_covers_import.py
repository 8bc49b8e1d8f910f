"""Covers imported from a file by an admin: ``referral-bot rota import`` with a covers CSV.

The same command as the weekly shifts; the header chooses. Covers are added, never
replacing or deleting what is there, all or nothing, and audited as the command line's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import cli
from bot.clock import FakeClock
from bot.domain.people import Role
from bot.domain.rota import Change
from bot.sandbox.world import World, world
from bot.services import rota
from storage import audit
from storage import rota as rota_storage
from tests.test_rota_service import (
    BERLIN,
    BOSS,
    CHEN,
    LI,
    OFFICER,
    ROTA_CSV,
    SHANGHAI,
    TEAM,
    THURSDAY_NOON,
    ZHOU,
    ids,
    import_rota,
    local,
    people,
    person,
    variant,
    workers_at,
)

COVERS_HEADER = "team,role,start,end,change,telegram_id,replaces"
COVERS_CSV = f"""{COVERS_HEADER}
# Thursday night: Li covers for Zhou; Chen covers the coordinators' night for the Boss
{TEAM},social_worker,2026-11-26 22:00,2026-11-27 08:00,replace,{LI},{ZHOU}
{TEAM},social_worker,2026-11-28 10:00,2026-11-28 16:00,add,{ZHOU},
,coordinator,2026-11-26 18:00,2026-11-27 08:00,replace,{CHEN},{BOSS}
{TEAM},social_worker,2026-11-27 09:00,2026-11-27 18:00,remove,{LI},
"""


async def covers_import(w: World, tmp_path: Path, text: str, name: str = "covers.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    code, out, err = await w.cli("rota", "import", str(path))
    assert code == 0, err
    return out


async def coordinators_at(w: World, at: datetime) -> frozenset[int] | None:
    return await rota.on_duty(w.services, team_id=None, role=Role.COORDINATOR, at=at)


async def test_imported_covers_are_added_to_the_rota_and_audited_as_the_command_line(
    config_path: Path, tmp_path: Path
) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_NOON)) as w:
        await people(w)
        await import_rota(w, tmp_path, ROTA_CSV)
        chen, li, zhou, boss = [await person(w, t) for t in (CHEN, LI, ZHOU, BOSS)]
        # A cover set from chat before the import stays.
        await rota.cover(
            w.services,
            chen,
            person_id=zhou.id,
            start=local(SHANGHAI, 2026, 11, 26, 13, 0),
            end=local(SHANGHAI, 2026, 11, 26, 15, 0),
            change=Change.REMOVE,
        )
        out = await covers_import(w, tmp_path, COVERS_CSV)
        assert out.splitlines() == [
            f"covers imported from {tmp_path / 'covers.csv'}: 4 added, 0 already there, 4 rows"
            " (times in Asia/Shanghai); weekly shifts are unchanged",
            f"  team {TEAM}: Li Na ({LI}) covers for Zhou Min ({ZHOU}),"
            " 2026-11-26 22:00 until 2026-11-27 08:00",
            f"  team {TEAM}: Zhou Min ({ZHOU}) on duty as well,"
            " 2026-11-28 10:00 until 2026-11-28 16:00",
            f"  coordinators: Coord Chen ({CHEN}) covers for Night Boss ({BOSS}),"
            " 2026-11-26 18:00 until 2026-11-27 08:00",
            f"  team {TEAM}: Li Na ({LI}) off duty, 2026-11-27 09:00 until 2026-11-27 18:00",
        ]
        thursday_night = local(SHANGHAI, 2026, 11, 26, 23, 0)
        assert await workers_at(w, thursday_night) == {li.id}
        assert await coordinators_at(w, thursday_night) == {chen.id}
        assert await workers_at(w, local(SHANGHAI, 2026, 11, 27, 10, 0)) == {zhou.id}
        assert await workers_at(w, local(SHANGHAI, 2026, 11, 28, 11, 0)) == {zhou.id}
        assert await workers_at(w, local(SHANGHAI, 2026, 11, 26, 14, 0)) == {li.id}  # chat cover
        # The weekly rules are untouched: the next Thursday is as imported.
        assert await workers_at(w, local(SHANGHAI, 2026, 12, 3, 23, 0)) == {zhou.id}
        assert await coordinators_at(w, local(SHANGHAI, 2026, 12, 3, 23, 0)) == {boss.id}

        stored = await rota_storage.overrides_between(
            w.services.db.reader,
            team_id=None,
            role=Role.COORDINATOR,
            start=thursday_night,
            end=thursday_night + timedelta(minutes=1),
        )
        assert [(s.set_by, s.override.replaces) for s in stored] == [(None, boss.id)]
        covers = await audit.entries(w.services.db.reader, action="rota.cover")
        imported = covers[1:]  # the first is Chen's from chat
        assert covers[0].actor_person_id == chen.id
        assert [(e.actor_person_id, e.actor_telegram_id) for e in imported] == [(None, None)] * 4
        assert [e.subject for e in imported] == [
            f"person:{li.id}",
            f"person:{zhou.id}",
            f"person:{chen.id}",
            f"person:{li.id}",
        ]
        assert imported[0].detail == (
            f"{TEAM}/social_worker replace replaces person:{zhou.id}"
            " 2026-11-26T14:00Z..2026-11-27T00:00Z (import line 3)"
        )
        assert (imported[2].detail or "").startswith("*/coordinator replace")
        summary = await audit.entries(w.services.db.reader, action="rota.covers.imported")
        assert [e.detail for e in summary] == ["4 added, 0 already there, 4 rows"]

        # The same file again adds nothing, even once some of its covers are over.
        w.clock.advance(timedelta(days=1))
        out = await covers_import(w, tmp_path, COVERS_CSV)
        assert out.startswith(
            f"covers imported from {tmp_path / 'covers.csv'}: 0 added, 4 already there, 4 rows"
        )
        assert await rota_storage.count_overrides(w.services.db.reader) == 5
        # A weekly import afterwards keeps them all.
        assert "covers kept: 5" in await import_rota(w, tmp_path, ROTA_CSV)


async def test_a_bad_covers_file_adds_nothing_and_every_bad_line_is_named(
    config_path: Path, tmp_path: Path
) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_NOON)) as w:
        await people(w)
        await import_rota(w, tmp_path, ROTA_CSV)
        night = "2026-11-26 22:00,2026-11-27 08:00"
        bad = tmp_path / "bad.csv"
        bad.write_text(
            f"{COVERS_HEADER}\n"
            f"{TEAM},social_worker,{night},add,{LI},\n"  # 2: good
            f"{TEAM},social_worker,{night},add,{LI},\n"  # 3: duplicate of 2
            f"{TEAM},social_worker,26/11/2026 22:00,2026-11-27 08:00,add,{LI},\n"  # 4: start
            f"{TEAM},social_worker,2026-11-27 08:00,2026-11-26 22:00,add,{LI},\n"  # 5: reversed
            f"{TEAM},social_worker,{night},swap,{LI},\n"  # 6: bad change
            f"{TEAM},social_worker,{night},replace,{LI},\n"  # 7: replace without replaces
            f"{TEAM},social_worker,{night},add,{LI},{ZHOU}\n"  # 8: replaces on add
            f"{TEAM},social_worker,{night},replace,{LI},{LI}\n"  # 9: replaces themselves
            f"{TEAM},social_worker,{night},replace,{LI},{CHEN}\n"  # 10: not a social worker
            f"{TEAM},social_worker,2026-11-25 22:00,2026-11-26 08:00,add,{LI},\n"  # 11: past
            f",coordinator,{night},add,{LI},\n"  # 12: not a coordinator
            f"{TEAM},coordinator,{night},add,{CHEN},\n"  # 13: team on a coordinator row
            f"{TEAM},social_worker,2026-02-30 09:00,2026-03-01 09:00,add,{LI},\n"  # 14: no date
            f"{TEAM},social_worker,{night},add,999,\n"  # 15: not enrolled
            f"{TEAM},social_worker,{night},add\n"  # 16: fields short
            f"{TEAM},social_worker,{night},add,{OFFICER},\n",  # 17: an officer
            encoding="utf-8",
        )
        code, out, err = await w.cli("rota", "import", str(bad))
        assert code == 1 and out == ""
        lines = [line for line in err.splitlines() if ": line " in line]
        assert [int(line.split(": line ")[1].split(":")[0]) for line in lines] == list(range(3, 18))
        for expected in (
            "line 3: duplicate of line 2",
            "line 4: start '26/11/2026 22:00' is not a date and time like 2026-12-24 18:00",
            "line 5: the end '2026-11-26 22:00' is not after the start '2026-11-27 08:00'",
            "line 6: change 'swap' must be add, remove or replace",
            "line 7: replace needs the Telegram id of the person replaced in replaces",
            "line 8: leave replaces empty when change is add",
            "line 9: a person cannot replace themselves",
            f"line 10: replaces: Telegram id {CHEN} (Coord Chen) is not a social_worker",
            "line 11: the cover has already ended",
            f"line 12: Telegram id {LI} (Li Na) is not a coordinator",
            "line 13: leave team empty on coordinator rows",
            "line 14: start '2026-02-30 09:00' is not a date and time",
            "line 15: nobody with Telegram id 999 is enrolled",
            "line 16: expected 7 fields",
            f"line 17: Telegram id {OFFICER} (Officer Wang) is not a social_worker",
        ):
            assert expected in err, expected
        assert "15 bad row(s); nothing was imported" in err
        assert await rota_storage.count_overrides(w.services.db.reader) == 0
        assert await audit.entries(w.services.db.reader, action="rota.cover") == []
        assert await workers_at(w, local(SHANGHAI, 2026, 11, 26, 23, 0)) == await ids(w, ZHOU)


async def test_a_header_that_is_neither_kind_names_both(config_path: Path, tmp_path: Path) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_NOON)) as w:
        await people(w)
        for text in ("", "team,role,start,end,telegram_id\n"):
            path = tmp_path / "odd.csv"
            path.write_text(text, encoding="utf-8")
            code, _, err = await w.cli("rota", "import", str(path))
            assert code == 1
            assert "line 1:" in err
            assert "team,role,days,hours,telegram_id (weekly shifts)" in err
            assert f"{COVERS_HEADER} (covers)" in err


async def test_covers_for_a_rota_without_rules_are_kept_for_later_and_said_so(
    config_path: Path, tmp_path: Path
) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_NOON)) as w:
        await people(w)
        path = tmp_path / "excel.csv"
        text = (
            "telegram_id,replaces,team,role,change,start,end\r\n"
            f"{BOSS},,,coordinator,add,2026-11-26T18:00,2026-11-27T08:00\r\n"
            "\r\n"
            f"{LI},,{TEAM},social_worker,add,2026-11-26 18:00,2026-11-27 08:00\r\n"
        )
        path.write_bytes(b"\xef\xbb\xbf" + text.encode())
        code, out, err = await w.cli("rota", "import", str(path))
        assert code == 0, err
        assert "2 added, 0 already there, 2 rows" in out
        assert "note: the coordinators' rota has no weekly shifts yet" in out
        assert f"note: team '{TEAM}' has no weekly shifts yet" in out
        tonight = local(SHANGHAI, 2026, 11, 26, 23, 0)
        assert await coordinators_at(w, tonight) is None  # no rota yet: /available decides
        await import_rota(w, tmp_path, ROTA_CSV)
        assert await coordinators_at(w, tonight) == await ids(w, BOSS)
        assert await workers_at(w, tonight) == await ids(w, LI, ZHOU)


async def test_cover_times_are_local_across_a_dst_change(tmp_path: Path, config_path: Path) -> None:
    """Berlin's clocks go forward on 29 March 2026: 22:00-06:00 that night is 7 hours."""
    del config_path  # requested for its clean REFERRAL_BOT_* environment
    async with world(
        variant(tmp_path, timezone="Europe/Berlin"), clock=FakeClock(local(BERLIN, 2026, 3, 28, 12))
    ) as w:
        await people(w)
        await import_rota(
            w,
            tmp_path,
            f"team,role,days,hours,telegram_id\n{TEAM},social_worker,sat,22:00-06:00,{LI}\n",
        )
        out = await covers_import(
            w,
            tmp_path,
            f"{COVERS_HEADER}\n"
            f"{TEAM},social_worker,2026-03-28 22:00,2026-03-29 06:00,add,{ZHOU},\n",
        )
        assert f"Zhou Min ({ZHOU}) on duty as well, 2026-03-28 22:00 until 2026-03-29 06:00" in out
        both = await ids(w, LI, ZHOU)
        assert await workers_at(w, datetime(2026, 3, 28, 21, 0, tzinfo=UTC)) == both
        assert await workers_at(w, datetime(2026, 3, 29, 3, 59, tzinfo=UTC)) == both
        assert await workers_at(w, datetime(2026, 3, 29, 4, 0, tzinfo=UTC)) == frozenset()


def test_the_help_documents_both_kinds_of_file(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["rota", "import", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "team,role,days,hours,telegram_id" in out
    assert COVERS_HEADER in out
    assert "xuhui-sw,social_worker,2026-12-31 22:00,2027-01-01 08:00,replace,202,201" in out
