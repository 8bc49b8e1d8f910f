"""The directory of local resources: imported by an administrator, picked at a linkage."""

from __future__ import annotations

from pathlib import Path

from bot.domain.referral import Resource
from bot.sandbox.world import World, world
from bot.services import referrals as referral_service
from bot.services import resource_directory
from storage import audit
from tests.stories import draft, file, linkages_followed_up, station

HEADER = "key,type,stations,name_en,name_zh,name_zh_hant,contact,hours,languages,note\n"
DIRECTORY = HEADER + (
    "xh-women,womens_federation,tianping xietu,Xuhui Women's Federation,徐汇区妇联,"
    "徐匯區婦聯,021-5555 0101,Mon-Fri 09:00-17:00,zh en,Ask for the rights desk\n"
    "tp-shelter,shelter,tianping,Tianping Shelter,天平庇护所,天平庇護所,021-5555 0202,24h,zh,\n"
    "xt-shelter,shelter,xietu,Xietu Shelter,斜土庇护所,斜土庇護所,021-5555 0303,24h,zh,\n"
    "# a comment line\n"
    "city-line,hotline,*,City Hotline,市热线,市熱線,12345,24h,zh en,\n"
)


async def _import(w: World, tmp_path: Path, text: str) -> tuple[int, str, str]:
    path = tmp_path / "directory.csv"
    path.write_text(text, encoding="utf-8")
    return await w.cli("directory", "import", str(path))


async def test_a_bad_file_is_refused_with_line_numbers_and_nothing_imported(
    config_path: Path, tmp_path: Path
) -> None:
    async with world(config_path) as w:
        status, out, err = await _import(w, tmp_path, DIRECTORY)
        assert status == 0, err
        assert "4 resource(s)" in out
        bad = HEADER + (
            "ok-one,hotline,*,A Hotline,热线,熱線,1,,,\n"
            "bad-type,spa,tianping,Spa,水疗,水療,,,,\n"
            "\n"
            "nowhere,shelter,moon,Moon Shelter,月亮,月亮,,,,\n"
            "ok-one,school,*,Again,再,再,,,,\n"
            "short,school,*\n"
            "no-name,school,*,,学校,學校,,,,\n"
        )
        status, _, err = await _import(w, tmp_path, bad)
        assert status == 1
        lines = [line.split(": ", 1)[1] for line in err.splitlines() if "line" in line]
        assert [line.split(":")[0] for line in lines[:5]] == [
            "line 3",
            "line 5",
            "line 6",
            "line 7",
            "line 8",
        ]
        assert "type 'spa' must be one of" in err
        assert "unknown station 'moon'" in err
        assert "key 'ok-one' is already used on line 2" in err
        assert "expected 10 fields" in err
        assert "name_en is empty" in err
        assert "5 bad row(s); nothing was imported" in err
        # The directory is the one imported before, whole.
        shelters = await resource_directory.choices(w.services, Resource.SHELTER, "tianping")
        assert [e.name_en for e in shelters] == ["Tianping Shelter"]
        hotlines = await resource_directory.choices(w.services, Resource.HOTLINE, "xietu")
        assert [e.name_en for e in hotlines] == ["City Hotline"]
        imports = await audit.entries(w.services.db.reader, action="directory.imported")
        assert len(imports) == 1


async def test_the_worker_picks_a_linkage_from_the_directory_for_the_station(
    config_path: Path, tmp_path: Path
) -> None:
    async with world(config_path) as w:
        status, _, err = await _import(w, tmp_path, DIRECTORY)
        assert status == 0, err
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        referral = await file(w, draft("family_dispute"))  # filed at Tianping Road
        await li.tap("✅ Accept")
        await li.tap("✔ First contact made")
        await li.tap("Close case")
        await li.tap("Linked to a resource")
        await li.tap("Shelter")
        # Only the shelter serving Tianping Road, with what the worker needs to choose.
        assert li.last.plain.splitlines() == [
            "Which Shelter?",
            "• Tianping Shelter — 021-5555 0202 · 24h · zh",
        ]
        assert li.last.button_labels() == [
            "Tianping Shelter",
            "✏️ Another (type its name)",
            "⬅ Back",
        ]
        await li.tap("Tianping Shelter")  # recorded; the case stays open
        await linkages_followed_up(w, li)
        await li.send("She has a bed for tonight.")
        assert "Closed. The officer will be told." in li.last.plain
        assert s.officer.last.plain.endswith(
            "Closed by Li Na. Outcome: Linked to a resource (Shelter). "
            "Note: She has a bed for tonight."
        )
        closed = await referral_service.get(w.services, referral.id)
        assert closed is not None and closed.resource_name == "Tianping Shelter"


async def test_a_kind_the_directory_lacks_or_another_name_is_typed(
    config_path: Path, tmp_path: Path
) -> None:
    async with world(config_path) as w:
        status, _, err = await _import(w, tmp_path, DIRECTORY)
        assert status == 0, err
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        referral = await file(w, draft("family_dispute"))
        await li.tap("✅ Accept")
        await li.tap("Close case")
        await li.tap("Linked to a resource")
        await li.tap("Mediation")  # nothing listed: straight to the typed name
        assert "Type the name of the service" in li.last.plain
        await li.tap("Cancel")
        await li.send("/mine")
        await li.tap("Close case", message=li.last)
        await li.tap("Linked to a resource")
        await li.tap("Hotline")
        await li.tap("✏️ Another (type its name)")
        await li.send("Neighbourhood Hotline")
        await linkages_followed_up(w, li)
        await li.send("He will call them tomorrow.")
        closed = await referral_service.get(w.services, referral.id)
        assert closed is not None and closed.resource_name == "Neighbourhood Hotline"


async def test_an_entry_withdrawn_since_the_list_was_drawn_is_refused_politely(
    config_path: Path, tmp_path: Path
) -> None:
    async with world(config_path) as w:
        status, _, err = await _import(w, tmp_path, DIRECTORY)
        assert status == 0, err
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        referral = await file(w, draft("family_dispute"))
        await li.tap("✅ Accept")
        await li.tap("Close case")
        await li.tap("Linked to a resource")
        await li.tap("Shelter")
        status, out, err = await _import(w, tmp_path, HEADER + DIRECTORY.splitlines(True)[3])
        assert status == 0, err
        assert "3 resource(s) not in the file are no longer offered" in out
        answer = await li.tap("Tianping Shelter")
        assert answer.text == "The directory no longer lists this resource. Please choose again."
        still = await referral_service.get(w.services, referral.id)
        assert still is not None and still.status.value != "closed"


async def test_the_directory_speaks_the_workers_language(config_path: Path, tmp_path: Path) -> None:
    """Kinds and names in the worker's script: Traditional here, Simplified below."""
    async with world(config_path) as w:
        status, _, err = await _import(w, tmp_path, DIRECTORY)
        assert status == 0, err
        s = await station(w, {"Li Na": (), "Zhou Min": ()})
        li, zhou = s.workers["Li Na"], s.workers["Zhou Min"]
        for phone, language in ((li, "繁體中文"), (zhou, "简体中文")):
            await phone.send("/language")
            await phone.tap(language)
        first = await file(w, draft("family_dispute"))
        second = await file(w, draft("family_dispute"))
        for phone, referral in ((li, first), (zhou, second)):
            card = next(
                m
                for m in reversed(phone.bot_messages)
                if referral.ref in m.plain and "✅ 接案" in m.button_labels()
            )
            await phone.tap("✅ 接案", message=card)
        await li.tap("結案")
        await li.tap("已連結資源")
        await li.tap("婦聯")
        assert li.last.plain.splitlines()[0] == "請選擇婦聯："
        assert li.last.button_labels()[:2] == ["徐匯區婦聯", "✏️ 其他（輸入名稱）"]
        await zhou.tap("结案")
        await zhou.tap("已链接资源")
        await zhou.tap("妇联")
        assert zhou.last.button_labels()[:2] == ["徐汇区妇联", "✏️ 其他（输入名称）"]


async def test_a_long_directory_is_paged_and_an_entry_on_page_three_is_picked(
    config_path: Path, tmp_path: Path
) -> None:
    """40 shelters with long notes: too much for one message (4096 characters), so the
    worker pages through eight at a time, each with its facts shown compactly."""
    note = "Call ahead; bring ID; " + "x" * 170
    rows = "".join(
        f"sh-{n:02},shelter,*,Shelter {n:02} of the district,庇护所{n},庇護所{n},"
        f"021-5555 {n:04},24h,zh en,{note}\n"
        for n in range(1, 41)
    )
    async with world(config_path) as w:
        status, _, err = await _import(w, tmp_path, HEADER + rows)
        assert status == 0, err
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        referral = await file(w, draft("family_dispute"))
        await li.tap("✅ Accept")
        await li.tap("Close case")
        await li.tap("Linked to a resource")
        await li.tap("Shelter")
        assert li.last.plain.splitlines()[0] == "Which Shelter? (page 1 of 5)"
        assert li.last.button_labels()[0] == "Shelter 01 of the district"
        assert "Next ▶" in li.last.button_labels()
        assert "◀ Previous" not in li.last.button_labels()
        assert len(li.last.plain) < 3000
        assert "Call ahead; bring ID; xxx" in li.last.plain and "…" in li.last.plain
        await li.tap("Next ▶")
        await li.tap("Next ▶")
        assert li.last.plain.splitlines()[0] == "Which Shelter? (page 3 of 5)"
        assert li.last.button_labels()[:8] == [
            f"Shelter {n:02} of the district" for n in range(17, 25)
        ]
        assert "◀ Previous" in li.last.button_labels()
        await li.tap("Shelter 20 of the district")
        assert "Shelter 20 of the district — waiting for the follow-up" in li.last.plain
        await linkages_followed_up(w, li)
        await li.send("A bed for tonight.")
        closed = await referral_service.get(w.services, referral.id)
        assert closed is not None and closed.resource_name == "Shelter 20 of the district"


async def test_an_empty_file_is_refused_unless_asked_for(config_path: Path, tmp_path: Path) -> None:
    async with world(config_path) as w:
        status, _, err = await _import(w, tmp_path, DIRECTORY)
        assert status == 0, err
        status, out, err = await _import(w, tmp_path, HEADER)
        assert status == 1
        assert "lists no resources; nothing was imported" in err
        assert "--allow-empty" in err
        shelters = await resource_directory.choices(w.services, Resource.SHELTER, "tianping")
        assert [e.name_en for e in shelters] == ["Tianping Shelter"]
        path = tmp_path / "directory.csv"
        status, out, err = await w.cli("directory", "import", str(path), "--allow-empty")
        assert status == 0, err
        assert "4 resource(s) not in the file are no longer offered" in out
        assert await resource_directory.choices(w.services, Resource.SHELTER, "tianping") == []
        assert "--allow-empty" in resource_directory.CSV_HELP  # the command's --help
