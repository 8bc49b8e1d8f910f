"""Care for the workers (issue 16), after review: a debrief reaches the worker's own
team coordinators (and waits in the morning handover when it came at night), the rest
tap never shortens a longer away, a worker may ask for a debrief on any case they hold,
and a night call-out is counted in the care night hours, not the coordinators' evening.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.clock import FakeClock
from bot.config import CareSettings
from bot.domain.referral import Safety, Urgency
from bot.sandbox.world import world
from bot.services import handover
from tests.stories import close_case, draft, file, station
from tests.test_case_endings import THURSDAY_1000, chen_and_boss
from tests.test_escalation import THURSDAY_2200, THURSDAY_2340

THURSDAY_1805 = datetime(2026, 11, 26, 10, 5, tzinfo=UTC)  # 18:05 in Shanghai


async def test_a_night_debrief_goes_to_the_workers_own_coordinator_and_waits_in_the_handover(
    config_path: Path,
) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_2340)) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        chen, boss = await chen_and_boss(w)
        await boss.send("/available")  # on the night rota; Chen, Li Na's supervisor, is not
        referral = await file(w, draft("family_dispute", safety={Safety.SELF_HARM}, urgency=None))
        await li.tap("✅ Accept")
        await close_case(li)
        await li.tap("🫂 Ask for a debrief")
        await w.settle()
        assert any("Please offer Li Na a debrief." in t for t in chen.texts)
        assert any("Li Na asks for a debrief after this case" in t for t in chen.texts)
        assert not any("debrief" in t for t in boss.texts)  # not her team's coordinator

        w.clock.advance(timedelta(hours=8, minutes=20))  # 08:00: the morning handover
        await handover.morning(w.services)
        await w.settle()
        summary = next(t for t in chen.texts if t.startswith("☀️ Morning handover"))
        assert f"🫂 Debrief to arrange: Li Na, {referral.ref}" in summary.splitlines()
        night = next(t for t in boss.texts if t.startswith("☀️ Morning handover"))
        assert "Debrief" not in night


async def test_the_rest_tap_keeps_a_longer_away(config_path: Path) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_2200)) as w:
        s = await station(w, {"Li Na": (), "Zhou Min": ()})
        li = s.workers["Li Na"]
        await file(w, draft("family_dispute", urgency=Urgency.URGENT))
        await li.tap("✅ Accept")
        card = next(m for m in li.bot_messages if "You accepted." in m.plain)
        await li.send("/away 48h")  # until Saturday 22:00
        rest = await li.tap("😴 Away until 12:00", message=card)
        assert rest.text == "You are already away until 2026-11-28 22:00."

        w.clock.advance(timedelta(hours=15))  # Friday 13:00: past noon, still away
        later = await file(w, draft("family_dispute", urgency=Urgency.URGENT))
        await w.settle()
        assert not any(later.ref in t for t in li.texts)
        assert any(later.ref in t for t in s.workers["Zhou Min"].texts)


async def test_the_rest_tap_keeps_an_away_with_no_end(config_path: Path) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_2200)) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        await file(w, draft("family_dispute", urgency=Urgency.URGENT))
        await li.tap("✅ Accept")
        card = next(m for m in li.bot_messages if "You accepted." in m.plain)
        await li.send("/away")
        rest = await li.tap("😴 Away until 12:00", message=card)
        assert rest.text == "You are already away until you send /available."


async def test_a_worker_asks_for_a_debrief_on_an_open_case_from_its_card(
    config_path: Path,
) -> None:
    """Violence that surfaced only later: no critical screen, the case still open."""
    async with world(config_path, clock=FakeClock(THURSDAY_1000)) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        chen, _ = await chen_and_boss(w)
        await file(w, draft("family_dispute"))
        await li.tap("✅ Accept")
        answer = await li.tap("🫂 Ask for a debrief")  # on the open case's card
        await w.settle()
        assert answer.text == "Your coordinator is asked to get in touch for a debrief."
        assert any("Li Na asks for a debrief about this case." in t for t in chen.texts)
        assert not any("debrief" in t for t in s.officer.texts)


async def test_an_evening_acceptance_is_no_night_call_out(config_path: Path) -> None:
    """18:05 is the coordinators' evening, not a night call-out ([care] night_starts)."""
    async with world(config_path, clock=FakeClock(THURSDAY_1805)) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        await file(w, draft("family_dispute", urgency=Urgency.URGENT))
        await li.tap("✅ Accept")
        assert not any("night call-out" in t for t in li.texts)
        assert "😴 Away until 12:00" not in li.last.button_labels()


def test_the_care_night_must_be_a_span() -> None:
    assert CareSettings().night_starts == "22:00"
    with pytest.raises(ValidationError):
        CareSettings(night_starts="22:00", night_ends="22:00")
    with pytest.raises(ValidationError):
        CareSettings(night_starts="25:00")
