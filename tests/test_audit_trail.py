"""/audit R-XXXX as a coordinator reads it: every showing of the details names the
person it was shown to, and refused taps on the referral's cards are in the trail."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.domain.referral import Urgency
from bot.i18n import Translator
from bot.sandbox.world import world
from bot.services import people as people_service
from bot.services.audit_trail import STATUS, Line, Tap
from handlers import labels
from handlers.audit_texts import action_text
from storage import offers
from tests.stories import draft, enrol, file, station
from tests.test_escalation import THURSDAY_2340, coordinators, tick
from tests.test_rota_service import MINHANG_TEAM

# What the log's codes look like: none of them may reach a reader whose words exist.
CODES = ("referral.", "offer.", "case.", "escalation.", "action.", "audit.", "status ")


def _trail(text: str) -> list[tuple[str, str]]:
    """(who, what) for each line of an /audit answer."""
    lines = text.splitlines()[1:]
    return [(line.split(" · ")[1], line.split(" · ")[2]) for line in lines]


async def test_the_trail_names_who_saw_the_details_and_who_was_refused(
    config_path: Path,
) -> None:
    clock = FakeClock(THURSDAY_2340)
    async with world(config_path, clock=clock) as w:
        s = await station(w, {"Li Na": ("domestic_violence",), "Zhou Min": ()})
        chen, _ = await coordinators(w)
        li, zhou = s.workers["Li Na"], s.workers["Zhou Min"]
        referral = await file(w, draft("domestic_violence", urgency=Urgency.URGENT))
        for minutes in (15, 30, 60):  # the team, then the coordinator on duty
            clock.advance(timedelta(minutes=minutes))
            await tick(w)
        await chen.tap("👥 Assign to…")
        await chen.tap("Zhou Min · on duty · 0/4 open")
        await zhou.tap("✅ I take it")  # shown to Zhou: the assignment, confirmed
        await zhou.send("/mine")
        await zhou.tap("🔒 Show details")  # shown to Zhou again, on her tap

        # Li taps Accept on an offer that was Zhou's, and Show details on Zhou's case.
        her = await people_service.find(w.services, zhou.chat_id)
        assert her is not None
        offered = await offers.of_referral(w.services.db.reader, referral.id)
        zhous = next(o.id for o in offered if o.person_id == her.id)
        await li.tap_data(f"o:{zhous}:a", message_id=li.last.message_id)
        await li.tap_data(f"c:{referral.id}:s", message_id=li.last.message_id)
        await li.tap_data(f"c:{referral.id}:x", message_id=li.last.message_id)

        await chen.send(f"/audit {referral.ref}")
        trail = _trail(chen.last.plain)
        shown = [who for who, what in trail if what == "Details sent to them"]
        assert shown == ["Zhou Min", "Zhou Min"]
        assert ("Coord Chen", "Assigned → Zhou Min") in trail
        assert ("Li Na", "Refused: not their offer: Accept") in trail
        assert ("Li Na", "Refused: not their case: Show details") in trail
        assert ("Li Na", "Refused: not their case: Close case") in trail
        assert ("Coord Chen", "Status: Waiting for a social worker → Accepted") in trail
        assert not any("Canary" in what for _, what in trail)
        assert not any(code in what for _, what in trail for code in CODES)

        # An administrator who reads Chinese sees the same trail in her words.
        admin = await enrol(w, 400, "管理员", "--role", "admin", language="zh-hans")
        await admin.send(f"/audit {referral.ref}")
        assert admin.last.plain.startswith(f"{referral.ref} 的操作记录：\n")
        trail = _trail(admin.last.plain)
        assert [who for who, what in trail if what == "收到详细信息"] == ["Zhou Min", "Zhou Min"]
        assert ("Officer Wang", "提交转介") in trail
        assert ("Coord Chen", "指派 → Zhou Min") in trail
        assert ("Li Na", "操作被拒：不是推送给本人的转介：接案") in trail
        assert ("Li Na", "操作被拒：不是本人的个案：查看详情") in trail
        assert ("Coord Chen", "状态：等待社工接案 → 已接案") in trail
        assert ("Coord Chen", "查看了本操作记录") in trail  # Chen's reading, above
        assert not any(code in what for _, what in trail for code in CODES)


async def test_the_trail_has_refused_roles_and_coordinators_of_other_areas(
    config_path: Path,
) -> None:
    config_path.write_text(config_path.read_text() + MINHANG_TEAM, encoding="utf-8")
    async with world(config_path, clock=FakeClock(THURSDAY_2340)) as w:
        s = await station(w, {"Li Na": ()})
        chen, _ = await coordinators(w)
        min_ = await enrol(w, 310, "Coord Min", "--role", "coordinator", "--team", "minhang-sw")
        referral = await file(w, draft("domestic_violence", urgency=Urgency.URGENT))
        offer = (await offers.of_referral(w.services.db.reader, referral.id))[0]
        worker = await people_service.find(w.services, s.workers["Li Na"].chat_id)
        assert worker is not None

        # The officer forges a worker's Accept and a case's Show details.
        officer = s.officer
        for data in (f"o:{offer.id}:a", f"c:{referral.id}:s"):
            answer = await officer.tap_data(data, message_id=officer.last.message_id)
            assert answer.text == "Sorry, that is not something your role can do here."
        # A coordinator of another team taps Take it myself and Assign to Li Na.
        for data in (f"k:{referral.id}:t", f"k:{referral.id}:p:{worker.id}"):
            answer = await min_.tap_data(data, message_id=min_.last.message_id)
            assert answer.text == "This referral is not in your area."
        # Its own coordinator forges Hold until morning, which its card does not show.
        answer = await chen.tap_data(f"k:{referral.id}:h", message_id=chen.last.message_id)
        assert answer.text == "Only routine referrals can wait until morning."
        # Li Na leaves the service, then taps Accept on the offer still on her phone.
        li = s.workers["Li Na"]
        assert (await w.cli("deactivate", str(li.chat_id)))[0] == 0
        answer = await li.tap("✅ Accept")
        assert (answer.text or "").startswith("Your access to this bot has been turned off.")

        await chen.send(f"/audit {referral.ref}")
        trail = _trail(chen.last.plain)
        refused = "Refused: not allowed for their role"
        assert ("Li Na", f"{refused}: Accept (offer)") in trail
        assert ("Officer Wang", f"{refused}: Accept (offer)") in trail
        assert ("Officer Wang", f"{refused}: Show details (case)") in trail
        assert ("Coord Min", "Refused on a coordinator's card: Take it myself") in trail
        assert ("Coord Min", "Refused on a coordinator's card: Assign → Li Na") in trail
        assert ("Coord Chen", "Refused on a coordinator's card: Hold until morning") in trail


def test_an_action_code_this_version_does_not_know_is_shown_as_the_code() -> None:
    """A newer version may write codes into a shared database: shown, never a failure."""
    at = datetime(2026, 11, 26, 15, 40, tzinfo=UTC)
    for language in ("en", "zh_Hans"):
        tr = Translator(language)
        line = Line(at, "Li Na", "referral.teleported", person="Zhou <Min>")
        assert action_text(tr, line) == "referral.teleported → Zhou &lt;Min&gt;"
        tap = Line(at, "Li Na", "case.refused", tap=Tap("case", "?", "x"))
        assert ": ? · x" in action_text(tr, tap) or "：? · x" in action_text(tr, tap)
        moved = Line(at, None, STATUS, change=("offered", "on_the_moon"))
        assert action_text(tr, moved).endswith(" → on_the_moon")


def test_every_action_the_bot_records_has_words() -> None:
    """Each ``action="…"`` the code writes into the audit log is in the label table."""
    root = Path(__file__).parent.parent
    written: set[str] = set()
    for source in [*root.glob("bot/**/*.py"), *root.glob("handlers/*.py")]:
        text = source.read_text(encoding="utf-8")
        written |= set(re.findall(r'action="([a-z_]+\.[a-z_.]+)"', text))
        written |= set(re.findall(r'else "([a-z_]+\.[a-z_.]+)"', text))
        written |= set(re.findall(r'audit_refusal\([^)]*"([a-z_]+\.[a-z_]+)"\)', text))
    written |= {f"appropriate_adult.{column}" for column in ("on_way_at", "arrived_at")}
    assert "referral.revealed" in written and "person.deactivated" in written
    assert written - set(labels.AUDIT_ACTION) == set()
