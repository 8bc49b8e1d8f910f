"""/audit R-XXXX as a coordinator reads it: every showing of the details names the
person it was shown to, and refused taps on the referral's cards are in the trail."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.domain.referral import Category, Urgency
from bot.sandbox.world import world
from bot.services import people as people_service
from storage import offers
from tests.stories import draft, file, station
from tests.test_escalation import THURSDAY_2340, coordinators, tick


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
        referral = await file(w, draft(Category.DOMESTIC_VIOLENCE, urgency=Urgency.URGENT))
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
