"""The night's awkward moments, from the escalation review: forged assignments, /away
running out under a rota, a ladder that runs out, a tick racing an accept, holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.domain.referral import Status, Urgency
from bot.engine import escalation
from bot.sandbox import Phone
from bot.sandbox.world import World, world
from bot.services import outbox
from bot.services import people as people_service
from bot.services import referrals as referral_service
from storage import audit
from storage import referrals as referral_rows
from tests.stories import draft, enrol, file, station

THURSDAY_2340 = datetime(2026, 11, 26, 15, 40, tzinfo=UTC)


async def tick(w: World) -> None:
    await escalation.tick(w.services)
    await w.settle()


async def rota(w: World, tmp_path: Path, rows: list[str]) -> None:
    path = tmp_path / "rota.csv"
    path.write_text("team,role,days,hours,telegram_id\n" + "\n".join(rows) + "\n")
    status, _, err = await w.cli("rota", "import", str(path))
    assert status == 0, err


def offered(phone: Phone, ref: str) -> int:
    """Offer cards received for ``ref``, including those since edited (declined, taken)."""
    head = f"New referral\n{ref}"
    return sum(
        m.plain.startswith(head) or any(old.startswith(head) for old in m.history)
        for m in phone.bot_messages
    )


async def test_a_forged_assignment_to_someone_outside_the_team_is_refused(
    config_path: Path,
) -> None:
    clock = FakeClock(THURSDAY_2340)
    async with world(config_path, clock=clock) as w:
        s = await station(w, {"Li Na": ()}, away=("Li Na",))
        chen = await enrol(w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw")
        await chen.send("/available")
        outsider = await enrol(w, 400, "Officer Two", "--role", "officer", "--station", "xietu")
        referral = await file(w, draft("mental_health", urgency=Urgency.IMMEDIATE))
        person = await people_service.find(w.services, outsider.chat_id)
        assert person is not None
        answer = await chen.tap_data(
            f"k:{referral.id}:p:{person.id}", message_id=chen.last.message_id
        )
        assert answer.text is not None and answer.text.startswith("Already taken by")
        now = await referral_service.get(w.services, referral.id)
        assert now is not None and now.status is Status.OFFERED
        assert not any(t.startswith("🔒") for t in outsider.texts)
        refused = await audit.entries(w.services.db.reader, action="escalation.refused")
        assert len(refused) == 1
        assert s.officer.chat_id != outsider.chat_id


async def test_away_until_morning_under_a_rota_ends_with_the_rota(
    config_path: Path, tmp_path: Path
) -> None:
    clock = FakeClock(datetime(2026, 11, 26, 15, 0, tzinfo=UTC))  # Thursday 23:00
    async with world(config_path, clock=clock) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        await rota(w, tmp_path, [f"xuhui-sw,social_worker,mon-fri,09:00-18:00,{li.chat_id}"])
        await li.send("/away 08:00")
        clock.advance(timedelta(hours=24, minutes=40))  # Friday 23:40: not her shift
        referral = await file(w, draft("family_dispute", urgency=Urgency.URGENT))
        assert offered(li, referral.ref) == 0


async def test_when_the_ladder_runs_out_the_morning_shift_gets_it(config_path: Path) -> None:
    clock = FakeClock(THURSDAY_2340)
    async with world(config_path, clock=clock) as w:
        s = await station(w, {"Li Na": ()}, away=("Li Na",))
        referral = await file(w, draft("family_dispute", urgency=Urgency.URGENT))
        assert "no social worker is available right now" in s.officer.last.plain
        held = await referral_service.get(w.services, referral.id)
        assert held is not None and held.held  # waiting for 09:00, not forgotten
        await s.workers["Li Na"].send("/available")  # the morning: she is back
        clock.advance(datetime(2026, 11, 27, 1, 0, tzinfo=UTC) - clock.now())
        await tick(w)
        assert offered(s.workers["Li Na"], referral.ref) == 1  # once, not twice


async def test_a_tick_overtaken_by_an_accept_sends_no_stale_card(config_path: Path) -> None:
    clock = FakeClock(THURSDAY_2340)
    async with world(config_path, clock=clock) as w:
        s = await station(w, {"Li Na": ("domestic_violence",), "Zhou Min": ()})
        referral = await file(w, draft("domestic_violence", urgency=Urgency.URGENT))
        clock.advance(timedelta(minutes=15))
        await escalation.tick(w.services)  # level 1 decided and committed…
        await s.workers["Li Na"].tap("✅ Accept")  # …then Li accepts before it is sent
        await w.settle()
        assert offered(s.workers["Zhou Min"], referral.ref) == 0
        assert not s.officer.last.plain.endswith("now offered to more social workers.")
        assert await outbox.due(w.services) == []


async def test_domestic_violence_cannot_be_held_for_the_morning(config_path: Path) -> None:
    clock = FakeClock(THURSDAY_2340)
    async with world(config_path, clock=clock) as w:
        await station(w, {"Li Na": ()}, away=("Li Na",))
        chen = await enrol(w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw")
        await chen.send("/available")
        referral = await file(w, draft("domestic_violence", urgency=Urgency.ROUTINE))
        assert "⏸ Hold until morning" not in chen.last.button_labels()
        answer = await chen.tap_data(f"k:{referral.id}:h", message_id=chen.last.message_id)
        assert answer.text == "Only routine referrals can wait until morning."


async def test_a_routine_referral_still_waiting_when_hours_end_waits_for_morning(
    config_path: Path,
) -> None:
    clock = FakeClock(datetime(2026, 11, 26, 9, 55, tzinfo=UTC))  # Thursday 17:55
    async with world(config_path, clock=clock) as w:
        s = await station(w, {"Li Na": ()})
        boss = await enrol(w, 301, "Night Boss", "--role", "coordinator")
        referral = await file(w, draft("neighbour_dispute", urgency=Urgency.ROUTINE))
        assert offered(s.workers["Li Na"], referral.ref) == 1
        for _ in range(12):  # the evening and night pass; nobody accepts
            clock.advance(timedelta(hours=1))
            await tick(w)
        assert not any("⏫" in t for t in boss.texts)  # no coordinator woken for it
        now = await referral_service.get(w.services, referral.id)
        assert now is not None and now.held


async def test_declining_a_held_referral_keeps_it_held(config_path: Path) -> None:
    clock = FakeClock(datetime(2026, 11, 26, 14, 0, tzinfo=UTC))  # Thursday 22:00
    async with world(config_path, clock=clock) as w:
        s = await station(w, {"Li Na": ()}, away=("Li Na",))
        referral = await file(w, draft("neighbour_dispute", urgency=Urgency.ROUTINE))
        li = s.workers["Li Na"]
        await li.send("/available")  # she looks in at night and is offered what waits
        await li.tap("Decline")
        await li.tap("Off shift")
        await tick(w)
        assert offered(li, referral.ref) == 1
        held = await referral_service.get(w.services, referral.id)
        assert held is not None and held.held
        rows = await referral_rows.by_id(w.services.db.reader, referral.id)
        assert rows is not None and rows.next_action_at == datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
