"""Consent done right, and the officer can reach the night (issue 15, items 5 and 6).

Played through the real bot on the fake clock: the officer filing for a child sees only
the guardian's consent; a referral filed with consent "not asked" makes the worker
record the answer at first contact (declines ends the case, the officer is told); the
officer's /oncall names whom to write to tonight; the police incident number is one
tap to skip, checked politely, sealed at rest and shown where the case is matched to
the police record.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.domain.people import Person
from bot.domain.referral import Consent, NotAskedReason, Outcome, Status, Urgency
from bot.engine import daily, escalation
from bot.sandbox.world import World, world
from bot.services import people as people_service
from bot.services import referrals as referral_service
from storage.sealing import SEALED
from tests.stories import OFFICER_ID, draft, enrol, file, station
from tests.test_rota_service import MINHANG_TEAM

THURSDAY_2300 = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
GUARDIAN_CHOICES = [
    "The guardian agrees",
    "Guardian not reached yet",
    "The guardian declined: consultation only, the child is not contacted",
]


async def up_to_consent(w: World, band: str, urgency: str = "● Routine (suggested)") -> None:
    """Officer Wang files an "Other" referral up to the consent step."""
    officer = w.phone(OFFICER_ID, "Officer Wang")
    await officer.send("/new")
    for label in ("Other", "None of these", urgency):
        await officer.tap(label)
    await officer.send("Market street")
    await officer.tap(band)
    await officer.tap("No phone: visit only")


async def test_for_a_child_the_officer_is_asked_only_for_the_guardians_consent(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        officer = s.officer
        await up_to_consent(w, "Under 14")
        card = officer.last
        assert "The person is under 14: does a guardian agree to social work contact?" in (
            card.plain
        )
        assert card.button_labels()[:3] == GUARDIAN_CHOICES
        assert card.button("The person agrees to be contacted") is None
        # A forged "the person agrees" for a child is refused and changes nothing.
        token = (card.button("The guardian agrees").callback_data or "").split(":")[1]
        answer = await officer.tap_data(f"d:{token}:cs:person_agrees", message_id=card.message_id)
        assert "out of date" in (answer.text or "")
        await officer.tap("Guardian not reached yet")  # one tap: no "why" card for a child
        await officer.send("A nine-year-old found alone at night.")
        await officer.tap("Skip: no incident number")
        assert "Consent: Guardian not reached yet" in officer.last.plain
        # Changing the band to an adult's asks the consent again: the answer no longer fits.
        await officer.tap("✏️ Person")
        await officer.tap("Adult (18–59)")
        assert "Does the person agree to be contacted by a social worker?" in officer.last.plain
        assert "The person agrees to be contacted" in officer.last.button_labels()
        await officer.tap("The person agrees to be contacted")
        assert "Check the referral, then submit" in officer.last.plain  # straight back


async def test_the_guardian_rule_follows_the_configured_ages_not_the_band_id(
    config_path: Path,
) -> None:
    """A deployment's own bands: 0–11 is a child's, 12–15 reaches 14 and is not."""
    bands = "".join(
        f'[[age_bands]]\nid = "{ident}"\nname_en = "{name}"\nname_zh = "{name}"\n'
        f"min_age = {low}\n" + (f"max_age = {high}\n" if high is not None else "")
        for ident, name, low, high in (
            ("young", "Up to 11", 0, 11),
            ("teen", "12 to 15", 12, 15),
            ("grown", "16 and older", 16, None),
        )
    )
    config_path.write_text(config_path.read_text(encoding="utf-8") + "\n" + bands)
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        await up_to_consent(w, "Up to 11")
        assert s.officer.last.button_labels()[:3] == GUARDIAN_CHOICES
        await s.officer.send("/cancel")
        await up_to_consent(w, "12 to 15")
        assert s.officer.last.button("The person agrees to be contacted") is not None


async def test_consent_not_asked_is_asked_at_first_contact_and_a_no_ends_the_case(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        referral = await file(
            w,
            draft(
                "family_dispute",
                consent=Consent.NOT_ASKED,
                not_asked_reason=NotAskedReason.NO_TIME,
            ),
        )
        await li.tap("✅ Accept")
        card = li.last
        assert "✔ First contact made" in card.button_labels()
        await li.tap("✔ First contact made")
        assert card.plain.endswith(
            "Consent was not asked when this was filed.\nDoes the person agree to social work?"
        )
        assert card.button_labels() == ["✅ Agrees", "✖ Declines", "⬅ Back"]
        stored = await referral_service.get(w.services, referral.id)
        assert stored is not None and stored.status is Status.ACCEPTED  # nothing yet
        await li.tap("⬅ Back")
        await li.tap("✔ First contact made")
        declines = card.button("✖ Declines")
        assert declines is not None and declines.callback_data is not None
        answer = await li.tap("✖ Declines")
        assert answer.text == "Saved. The case is closed and the officer is told."
        assert "Status: Closed" in card.plain
        assert card.button_labels() == ["Reopen", "🫂 Ask for a debrief"]  # on every case
        closed = await referral_service.get(w.services, referral.id)
        assert closed is not None and closed.status is Status.CLOSED
        assert closed.outcome is Outcome.CLIENT_DECLINED and closed.consent is Consent.DECLINED
        assert closed.contacted_at is not None
        assert s.officer.last.plain == (
            f"{referral.ref} · Family dispute · Routine\n"
            "Li Na made first contact: the person declined social work. The case is closed."
        )
        again = await li.tap_data(declines.callback_data, message_id=card.message_id)
        assert again.text == "This button is no longer active."  # a double tap: once
        # Reopened within the window, her details say what happened: she was contacted
        # and then declined, not "consultation only, not contacted".
        await li.tap("Reopen")
        await li.tap("🔒 Show details")
        details = next(m for m in reversed(li.bot_messages) if m.plain.startswith("🔒"))
        assert "Consent: Declined when first contacted" in details.plain
        assert "not contacted" not in details.plain


async def test_a_yes_at_first_contact_goes_on_with_the_case(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        referral = await file(
            w,
            draft(
                "juvenile",
                age_band="under_14",
                guardian_consents=True,
                urgency=Urgency.URGENT,
                consent=Consent.NOT_ASKED,
                not_asked_reason=NotAskedReason.GUARDIAN_NOT_REACHED,
            ),
        )
        await li.tap("✅ Accept")
        await li.tap("✔ First contact made")
        assert "Does the guardian agree to social work for the child?" in li.last.plain
        await li.tap("✅ The guardian agrees")
        assert "Status: First contact made" in li.last.plain
        assert "✔ Assessment started" in li.last.button_labels()
        moved = await referral_service.get(w.services, referral.id)
        assert moved is not None and moved.status is Status.CONTACTED
        assert moved.consent is Consent.GUARDIAN_AGREES
        assert s.officer.last.plain.endswith(
            "Li Na has made first contact. The guardian agrees to social work."
        )


async def test_consent_given_at_filing_is_not_asked_again(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        await file(w, draft("family_dispute"))
        await li.tap("✅ Accept")
        await li.tap("✔ First contact made")
        assert "Status: First contact made" in li.last.plain
        assert s.officer.last.plain.endswith("Li Na has made first contact.")


async def test_oncall_for_an_officer_names_whom_to_write_to(config_path: Path) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_2300)) as w:
        s = await station(w, {"Li Na": (), "Zhou Min": ()}, away=("Zhou Min",))
        officer = s.officer
        await officer.send("/oncall")
        assert officer.last.plain.startswith("On duty now for ")
        assert "Social workers on duty: Li Na" in officer.last.plain
        assert "Coordinator on duty: nobody" in officer.last.plain
        chen = await enrol(w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw")
        await chen.send("/available")
        await officer.send("/oncall")
        shown = officer.last
        assert "Coordinator on duty: Coord Chen" in shown.plain
        assert "Social workers on duty: Li Na" in shown.plain
        assert "Zhou Min" not in shown.plain  # away
        assert shown.plain.endswith("Tap a name to write to them.")
        assert '<a href="tg://user?id=300">Coord Chen</a>' in shown.text
        assert '<a href="tg://user?id=200">Li Na</a>' in shown.text


async def test_oncall_for_an_officer_when_nobody_is_on_duty(config_path: Path) -> None:
    """Nobody on duty: a referral filed now still reaches every coordinator of the team,
    so the officer sees them, each a name to tap; no word of a duty desk."""
    config_path.write_text(config_path.read_text() + MINHANG_TEAM, encoding="utf-8")
    async with world(config_path, clock=FakeClock(THURSDAY_2300)) as w:
        s = await station(w, {"Li Na": ()}, away=("Li Na",))
        await s.officer.send("/oncall")
        shown = s.officer.last
        assert shown.plain.startswith("On duty now for ")
        assert "Nobody is on duty right now." in shown.plain
        assert "Coordinators: nobody" in shown.plain
        assert "duty desk" not in shown.plain and "tg://user" not in shown.text
        await enrol(w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw")
        await enrol(w, 301, "Night Boss", "--role", "coordinator")  # all stations
        await enrol(w, 310, "Coord Min", "--role", "coordinator", "--team", "minhang-sw")
        await s.officer.send("/oncall")
        shown = s.officer.last
        assert shown.plain.splitlines()[1:] == [
            "Nobody is on duty right now.",
            "A referral you file now still reaches the coordinators (all of them if none is "
            "on duty); a routine one outside service hours waits for the next shift, and "
            "you are told so when you file it.",
            "Coordinators: Coord Chen, Night Boss",  # not another team's
            "Tap a name to write to them.",
        ]
        assert '<a href="tg://user?id=300">Coord Chen</a>' in shown.text
        assert '<a href="tg://user?id=301">Night Boss</a>' in shown.text
        # The same in the officer's own language, as a Hong Kong officer reads it.
        officer = await enrol(
            w, 121, "警員陳", "--role", "officer", "--station", "tianping", language="zh-hant"
        )
        await officer.send("/oncall")
        text = officer.last.plain
        assert "協調員：Coord Chen、Night Boss" in text
        assert "報案室" not in text and "當值" in text


async def test_the_incident_number_is_optional_checked_sealed_and_shown(
    config_path: Path,
) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_2300)) as w:
        s = await station(w, {"Li Na": ()})
        officer, li = s.officer, s.workers["Li Na"]
        boss = await enrol(w, 301, "Night Boss", "--role", "coordinator")
        await boss.send("/available")
        await up_to_consent(w, "Adult (18–59)", urgency="Urgent")  # not held for morning
        await officer.tap("The person agrees to be contacted")
        await officer.send("Quarrel on the stairs.")
        card = officer.last
        assert "Police incident number (optional)" in card.plain
        assert card.button("Skip: no incident number") is not None
        await officer.send("JJ 2026/1126 0042")  # spaces are not part of a number
        assert officer.bot_messages[-2].plain.startswith(
            "An incident number has only letters, digits, - and / (no spaces), at most 32"
        )
        assert officer.last.plain == "JJ 2026/1126 0042"  # to copy and correct
        await officer.send("Ｊ" + "1" * 40)  # too long, full width and all
        assert "the limit here is 32" in officer.bot_messages[-2].plain
        await officer.send("JJ-2026/1126-0042")
        review = officer.last.plain
        assert "Police incident number: JJ-2026/1126-0042" in review
        assert "Quarrel on the stairs." in review  # nothing lost on the way
        await officer.tap("📨 Submit")
        [filed] = await referral_service.of_officer(w.services, await _wang(w))
        assert filed.incident_number == "JJ-2026/1126-0042"
        assert "incident_number" in SEALED["referrals"].columns  # sealed at rest (see
        # test_sealing's canary: the number is nowhere in the database file in clear)
        # Whole only where the client's details are: the coordinators' card, the
        # worker's case card and the morning handover show its last four.
        masked = "Police incident number: **-****/****-0042"
        for _ in range(8):  # nobody accepts: it climbs to the coordinator on duty
            w.clock.advance(timedelta(minutes=15))
            await escalation.tick(w.services)
            await w.settle()
        assert any(masked in t for t in boss.texts)
        await li.tap("✅ Accept")
        assert any(t.startswith(f"{filed.ref}") and masked in t for t in li.texts)
        await li.send("/mine")
        await li.tap("🔒 Show details")
        whole = [m for m in li.bot_messages if "JJ-2026/1126-0042" in m.plain]
        assert len(whole) == 2  # at acceptance and on request: the details, protected
        for shown in whole:
            assert shown.plain.startswith("🔒") and shown.protect_content
            assert "Police incident number: JJ-2026/1126-0042" in shown.plain
        # The morning handover names it, to match the night to the station's log.
        w.clock.advance(timedelta(hours=9))
        await daily.tick(w.services)
        await w.settle()
        assert any("Morning handover" in t and masked in t for t in boss.texts)
        assert not any("JJ-2026/1126-0042" in t for t in boss.texts)


async def _wang(w: World) -> Person:
    officer = await people_service.find(w.services, OFFICER_ID)
    assert officer is not None
    return officer
