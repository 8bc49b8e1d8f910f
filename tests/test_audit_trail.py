"""/audit R-XXXX as a coordinator reads it: every showing of the details names the
person it was shown to, and refused taps on the referral's cards are in the trail."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot import labels
from bot.clock import FakeClock
from bot.domain.referral import Urgency
from bot.i18n import Translator
from bot.sandbox.world import world
from bot.services import people as people_service
from bot.services.audit_trail import HAND_BACK, STATUS, TAPS, Line, Tap
from handlers import callbacks
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
    return [tuple(line.split(" · ", 2)[1:]) for line in lines]  # type: ignore[misc]


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


async def test_the_trail_words_every_kind_of_refused_tap(config_path: Path) -> None:
    """Refused taps on the newer buttons read as the buttons do: handing a case over,
    the time to arrive, consent at first contact, Assign anyway, and another officer's
    tap on the officer's card at the scene (audited as a case card's refusals are)."""
    config_path.write_text(config_path.read_text() + MINHANG_TEAM, encoding="utf-8")
    async with world(config_path, clock=FakeClock(THURSDAY_2340)) as w:
        s = await station(w, {"Li Na": (), "Zhou Min": ()})
        chen, _ = await coordinators(w)
        min_ = await enrol(w, 310, "Coord Min", "--role", "coordinator", "--team", "minhang-sw")
        zhang = await enrol(w, 120, "Officer Zhang", "--role", "officer", "--station", "tianping")
        li, zhou = s.workers["Li Na"], s.workers["Zhou Min"]
        referral = await file(w, draft("domestic_violence", urgency=Urgency.URGENT))
        await li.tap("✅ Accept")
        her = await people_service.find(w.services, zhou.chat_id)
        assert her is not None
        rid = referral.id
        for data in (
            f"c:{rid}:h",
            f"c:{rid}:g:{her.id}",
            f"c:{rid}:g:0",
            f"c:{rid}:e:30",
            f"c:{rid}:ag",
            f"c:{rid}:dn",
            f"c:{rid}:q",
            f"c:{rid}:rr:outside_area",
        ):
            answer = await zhou.tap_data(data, message_id=zhou.last.message_id)
            assert answer.text == "This case is not yours."
        answer = await min_.tap_data(f"k:{rid}:y:{her.id}", message_id=min_.last.message_id)
        assert answer.text == "This referral is not in your area."
        for data in (f"s:{rid}:l", f"s:{rid}:s", f"s:{rid}:q"):
            answer = await zhang.tap_data(data, message_id=zhang.last.message_id)
            assert answer.text == "This is not your referral."

        await chen.send(f"/audit {referral.ref}")
        trail = _trail(chen.last.plain)
        not_hers = "Refused: not their case"
        assert [what for who, what in trail if who == "Zhou Min"] == [
            f"{not_hers}: Hand over",
            f"{not_hers}: Hand over to… → Zhou Min",
            f"{not_hers}: Back to the coordinator",
            f"{not_hers}: Estimated arrival · 30 min",
            f"{not_hers}: Consent at first contact: agrees",
            f"{not_hers}: Consent at first contact: declines",
            f"{not_hers}: Questioning ended",
            f"{not_hers}: Return to police · Outside our area or service",
        ]
        assert ("Coord Min", "Refused on a coordinator's card: Assign anyway → Zhou Min") in trail
        card = "(officer's card at the scene)"
        assert [what for who, what in trail if who == "Officer Zhang"] == [
            f"Refused: not their referral: Police may leave now {card}",
            f"Refused: not their referral: We stay {card}",
            f"Refused: not their referral: Questioning ended {card}",
        ]
        assert not any("?" in what for _, what in trail)
        assert not any(code in what for _, what in trail for code in CODES)

        admin = await enrol(w, 400, "管理员", "--role", "admin", language="zh-hant")
        await admin.send(f"/audit {referral.ref}")
        tapped = [
            what.replace("Zhou Min", "")
            for who, what in _trail(admin.last.plain)
            if who in ("Zhou Min", "Officer Zhang", "Coord Min")
        ]
        assert len(tapped) == 12
        assert "操作被拒：不是本人的個案：移交給… → " in tapped  # in her words, no English
        assert not any(re.search("[A-Za-z]", what) for what in tapped), tapped


def test_every_button_a_refused_tap_can_carry_has_words() -> None:
    """Each code and action of ``callbacks.ACTIONS`` is in the trail's map, and its card
    and verb have words: a button added later cannot be forgotten (it would read "?")."""
    for code, actions in callbacks.ACTIONS.items():
        assert code.value in TAPS, code
        card, verbs = TAPS[code.value]
        assert card in labels.TAP_CARD, card
        for action in actions:
            assert action in verbs, (code, action)
            assert verbs[action] in labels.TAP_VERB, (code, action)
    for card, verbs in TAPS.values():
        assert card in labels.TAP_CARD
        assert set(verbs.values()) <= set(labels.TAP_VERB)
    assert HAND_BACK in labels.TAP_VERB


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
