"""What the README promises about overdue first contact and about ended cases.

Overdue first contact goes to the coordinator on duty, and to every coordinator of the
station when nobody is on duty, so it never goes to nobody at night. A case returned to
police is not reopened from the bot (police file a new referral, and the return's
reason stays on record); only a closed case can be reopened, by its worker, within 30
days.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.domain.referral import Urgency
from bot.engine import reminders
from bot.sandbox import Phone
from bot.sandbox.world import World, world
from tests.stories import close_case, draft, enrol, file, station
from tests.test_escalation import THURSDAY_2200

THURSDAY_1000 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
OVERDUE = "has not yet marked first contact"
NEW_REFERRAL_INSTEAD = (
    "A case returned to police cannot be reopened. If social work is needed again, "
    "the officer files a new referral."
)


async def remind(w: World) -> None:
    await reminders.tick(w.services)
    await w.settle()


def overdue(phone: Phone) -> int:
    return sum(OVERDUE in t for t in phone.texts)


async def chen_and_boss(w: World) -> tuple[Phone, Phone]:
    """The team's coordinator and a coordinator of all stations, neither on duty yet."""
    chen = await enrol(w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw")
    return chen, await enrol(w, 301, "Night Boss", "--role", "coordinator")


async def test_overdue_first_contact_goes_to_the_coordinator_on_duty_only(
    config_path: Path,
) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_1000)) as w:
        s = await station(w, {"Li Na": ()})
        chen, boss = await chen_and_boss(w)
        await chen.send("/available")  # on duty; Boss is not
        await file(w, draft("family_dispute", urgency=Urgency.URGENT))  # target 2 h
        await s.workers["Li Na"].tap("✅ Accept")
        w.clock.advance(timedelta(hours=4))
        await remind(w)
        assert overdue(chen) == 1
        assert overdue(boss) == 0  # nobody off duty is disturbed for a reminder


async def test_overdue_first_contact_at_night_with_nobody_on_duty_goes_to_every_coordinator(
    config_path: Path,
) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_2200)) as w:
        s = await station(w, {"Li Na": ()})
        chen, boss = await chen_and_boss(w)
        await file(w, draft("domestic_violence", urgency=Urgency.URGENT))
        await s.workers["Li Na"].tap("✅ Accept")
        w.clock.advance(timedelta(hours=4))  # 02:00, no coordinator on duty
        await remind(w)
        assert overdue(chen) == 1 and overdue(boss) == 1


async def test_overdue_first_contact_of_the_on_duty_coordinators_own_case_goes_to_the_others(
    config_path: Path,
) -> None:
    """The coordinator on duty took the case himself: telling only him would tell nobody."""
    async with world(config_path, clock=FakeClock(THURSDAY_2200)) as w:
        await station(w, {"Li Na": ()}, away=("Li Na",))
        chen, boss = await chen_and_boss(w)
        await chen.send("/available")
        await file(w, draft("mental_health", urgency=Urgency.URGENT))
        await chen.tap("🙋 Take it myself")
        w.clock.advance(timedelta(hours=4))
        await remind(w)
        assert any(t.startswith("⏰") and "First contact is due." in t for t in chen.texts)
        assert overdue(chen) == 0
        assert overdue(boss) == 1


async def test_a_returned_case_is_not_reopened_and_the_officer_is_told_to_file_again(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        await file(w, draft("family_dispute"))
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")
        returning = li.last.button("Return to police")
        assert returning is not None and returning.callback_data is not None
        reopen = returning.callback_data.removesuffix(":r") + ":u"  # the closed card's button
        await li.tap("Return to police")
        await li.tap("Needs police action (crime or danger)")
        assert li.last.plain.endswith("A returned case cannot be reopened.")
        await li.send("Threats of violence: this needs the police first.")
        assert s.officer.last.plain.endswith(
            "Reason: Needs police action (crime or danger) — "
            "Threats of violence: this needs the police first.\n"
            "If social work is needed again, file a new referral (/new)."
        )
        assert li.last.buttons == []  # no Reopen, unlike a closed case
        assert "Returned to police." in li.last.plain
        answer = await li.tap_data(reopen, message_id=li.last.message_id)
        assert answer.text == NEW_REFERRAL_INSTEAD


async def test_a_closed_case_is_reopened_by_its_worker_within_30_days(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        await file(w, draft("family_dispute"))
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")
        await close_case(li)
        w.clock.advance(timedelta(days=29))
        answer = await li.tap("Reopen")
        assert answer.text == "Reopened."
        assert s.officer.last.plain.endswith("Reopened by Li Na.")
