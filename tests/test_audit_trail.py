"""/audit R-XXXX as a coordinator reads it: every showing of the details names the
person it was shown to, and refused taps on the referral's cards are in the trail."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.domain.referral import Urgency
from bot.sandbox.world import world
from bot.services import people as people_service
from storage import offers
from tests.stories import draft, enrol, file, station
from tests.test_escalation import THURSDAY_2340, coordinators, tick
from tests.test_rota_service import MINHANG_TEAM


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
        await chen.tap("Zhou Min · on duty · 0 open")  # shown to Zhou: the assignment
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
        shown = [who for who, what in trail if what == "referral.revealed"]
        assert shown == ["Zhou Min", "Zhou Min"]
        assert ("Coord Chen", "referral.assigned → Zhou Min") in trail
        assert ("Li Na", "offer.refused: accept") in trail
        assert ("Li Na", "case.refused: show_details") in trail
        assert ("Li Na", "case.refused: close") in trail
        assert not any("Canary" in what for _, what in trail)


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
        assert ("Li Na", "action.refused: offer.accept") in trail
        assert ("Officer Wang", "action.refused: offer.accept") in trail
        assert ("Officer Wang", "action.refused: case.show_details") in trail
        assert ("Coord Min", "escalation.refused: take") in trail
        assert ("Coord Min", "escalation.refused: assign → Li Na") in trail
        assert ("Coord Chen", "escalation.refused: hold") in trail
