"""The core job, told through the phones: filed, offered, accepted, worked, closed."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from bot.domain.referral import Safety, Urgency
from bot.sandbox import SeenMessage
from bot.sandbox.world import World, world
from bot.services import people as people_service
from bot.services import referrals as referral_service
from storage import audit, referrals
from tests.stories import (
    CANARY_NAME,
    CANARY_PHONE,
    CANARY_PLACE,
    draft,
    enrol,
    file,
    linkages_followed_up,
    station,
    up_to_review,
)

CANARIES = ("Canary", CANARY_PHONE)


async def test_domestic_violence_with_a_safety_yes_runs_to_closure(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(
            w,
            {"Li Na": ("domestic_violence",), "Zhou Min": (), "Away Person": ()},
            away=("Away Person",),
        )
        li, zhou = s.workers["Li Na"], s.workers["Zhou Min"]
        referral = await file(
            w,
            draft(
                "domestic_violence",
                safety=frozenset({Safety.WEAPON_OR_INJURY}),
                urgency=Urgency.IMMEDIATE,
            ),
        )
        # Only the worker with the skill gets the offer; it says co-response, no personal data.
        card = li.last
        assert card.plain.splitlines()[:3] == [
            "New referral",
            f"{referral.ref} · Domestic violence · Immediate",
            "⚠️ Co-response: police keep the lead; the worker joins them.",
        ]
        assert "Station: Tianping Road Station" in card.plain and "Age: Adult (18–59)" in card.plain
        assert not any(c in card.plain for c in CANARIES)
        assert card.button_labels() == ["✅ Accept", "Decline"]
        assert not any(t.startswith("New referral") for t in zhou.texts)
        assert (
            f"{referral.ref} · Domestic violence · Immediate\nSent to 1 social worker."
            in "\n".join(s.officer.texts)
        )

        answer = await li.tap("✅ Accept")
        assert answer.text == "The case is yours."
        details = next(m for m in li.bot_messages if m.plain.startswith("🔒"))
        assert details.protect_content
        for value in (CANARY_NAME, CANARY_PHONE, CANARY_PLACE, "shouting heard <b>& a door"):
            assert value in details.plain
        assert "Officer: Officer Wang" in details.plain
        assert s.officer.last.plain.endswith("Accepted by Li Na. Tap the name to write to them.")
        reveals = await audit.entries(w.services.db.reader, action="referral.revealed")
        assert [e.subject for e in reveals] == [referral.ref]

        await li.tap("✔ First contact made")
        assert s.officer.last.plain.endswith("Li Na has made first contact.")
        await li.tap("✔ Assessment started")
        await li.tap("✔ Plan agreed")
        await li.tap("✔ Intervention under way")
        assert "Status: Intervention" in li.last.plain
        await li.tap("Close case")
        await li.tap("Linked to a resource")
        await li.tap("Legal")
        await li.send("Xuhui Legal Aid Centre")  # recorded; the case stays open
        await linkages_followed_up(w, li)
        await li.send("She has a lawyer's appointment on Monday.")
        assert "Closed. The officer will be told." in li.last.plain
        assert s.officer.last.plain.endswith(
            "Closed by Li Na. Outcome: Linked to a resource (Legal). "
            "Note: She has a lawyer's appointment on Monday."
        )
        await li.tap("Reopen")
        assert "Status: Assessment" in li.last.plain
        assert _officer_story(s.officer.texts, referral.ref) == [
            "Sent to 1 social worker. You will hear when they accept.",
            "Accepted by Li Na. Tap the name to write to them.",
            "Li Na has made first contact.",
            "Closed by Li Na. Outcome: Linked to a resource (Legal). "
            "Note: She has a lawyer's appointment on Monday.",
            "Reopened by Li Na.",
        ]


async def test_juvenile_decline_reoffers_at_once_to_the_next_worker(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Chen AA": ("appropriate_adult",), "Zhou Min": ()})
        chen, zhou = s.workers["Chen AA"], s.workers["Zhou Min"]
        # A minor in trouble (not under questioning): the trained worker first, then others.
        referral = await file(w, draft("juvenile", urgency=Urgency.URGENT))
        assert chen.last.plain.startswith(f"New referral\n{referral.ref} · Juvenile · Urgent")
        assert not any(t.startswith("New referral") for t in zhou.texts)
        await chen.tap("Decline")
        await chen.tap("Busy with another case")
        assert chen.last.plain.endswith("You declined this referral.")
        assert chen.last.buttons == []
        assert zhou.last.plain.startswith(f"New referral\n{referral.ref} · Juvenile")
        await zhou.tap("✅ Accept")
        await zhou.tap("✔ First contact made")
        await zhou.tap("Close case")
        await zhou.tap("Client declined")
        await zhou.send("Parents arrived; the family declined further support.")
        assert _officer_story(s.officer.texts, referral.ref) == [
            "Sent to 1 social worker. You will hear when they accept.",
            "Accepted by Zhou Min. Tap the name to write to them.",
            "Zhou Min has made first contact.",
            "Closed by Zhou Min. Outcome: Client declined. "
            "Note: Parents arrived; the family declined further support.",
        ]


async def test_neighbour_dispute_first_accept_wins_and_late_taps_change_nothing(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": (), "Zhou Min": (), "Chen Jie": ()})
        li, zhou, chen = (s.workers[n] for n in ("Li Na", "Zhou Min", "Chen Jie"))
        referral = await file(w, draft("neighbour_dispute"))
        assert "Sent to 3 social workers." in s.officer.last.plain
        zhou_card = zhou.last
        zhou_accept = _accept_data(zhou_card)
        await li.tap("✅ Accept")
        assert zhou_card.plain.endswith("Taken by Li Na.") and zhou_card.buttons == []
        assert chen.last.plain.endswith("Taken by Li Na.")
        late = await zhou.tap_data(zhou_accept, message_id=zhou_card.message_id)
        assert late.text == "Already taken by Li Na."
        events = await _events(w, referral.id)
        assert events.count("accepted") == 1
        await li.tap("✔ First contact made")
        await li.tap("Close case")
        await li.tap("Transferred to another agency")
        await li.send("Referred to the street mediation committee.")
        assert _officer_story(s.officer.texts, referral.ref) == [
            "Sent to 3 social workers. You will hear when one accepts.",
            "Accepted by Li Na. Tap the name to write to them.",
            "Li Na has made first contact.",
            "Closed by Li Na. Outcome: Transferred to another agency. "
            "Note: Referred to the street mediation committee.",
        ]
        assert await _events(w, referral.id) == ["offered", "accepted", "contacted", "closed"]


async def test_fifty_workers_tap_accept_at_once_and_exactly_one_wins(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {f"Worker {n:02d}": () for n in range(50)})
        referral = await file(w, draft("family_dispute"))
        assert "Sent to 50 social workers." in s.officer.last.plain
        phones = list(s.workers.values())
        cards = [p.last for p in phones]
        answers = await asyncio.gather(
            *(p.tap("✅ Accept", message=c) for p, c in zip(phones, cards, strict=True))
        )
        winners = [a for a in answers if a.text == "The case is yours."]
        assert len(winners) == 1
        assert sum(1 for a in answers if a.text and a.text.startswith("Already taken by")) == 49
        assert (await _events(w, referral.id)).count("accepted") == 1
        accepted_lines = [t for t in s.officer.texts if "Accepted by" in t]
        assert len(accepted_lines) == 1


async def test_double_tap_on_accept_changes_nothing(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        referral = await file(w, draft("rental_dispute"))
        li = s.workers["Li Na"]
        card = li.last
        accept = _accept_data(card)
        await li.tap("✅ Accept", message=card)
        again = await li.tap_data(accept, message_id=card.message_id)
        assert again.text == "The case is yours."
        assert (await _events(w, referral.id)).count("accepted") == 1
        assert sum(1 for m in li.bot_messages if m.plain.startswith("🔒")) == 1


async def test_a_forged_accept_is_refused_and_audited(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": (), "Intruder": ()}, away=("Intruder",))
        referral = await file(w, draft("consumer_dispute"))
        intruder = s.workers["Intruder"]
        forged = _accept_data(s.workers["Li Na"].last)
        answer = await intruder.tap_data(forged, message_id=intruder.last.message_id)
        assert answer.show_alert and answer.text == "This offer was not made to you."
        assert (await _events(w, referral.id)) == ["offered"]
        refused = await audit.entries(w.services.db.reader, action="offer.refused")
        assert len(refused) == 1
        forged_case = await intruder.tap_data(
            f"c:{referral.id}:x", message_id=intruder.last.message_id
        )
        assert forged_case.text == "This case is not yours."
        assert len(await audit.entries(w.services.db.reader, action="case.refused")) == 1


async def test_officer_withdraws_before_acceptance(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": (), "Zhou Min": ()})
        referral = await file(w, draft("other"))
        li = s.workers["Li Na"]
        accept = _accept_data(li.last)
        await s.officer.send("/mine")
        await s.officer.tap(f"Withdraw {referral.ref}")
        await s.officer.send("Resolved on the spot.")
        assert s.officer.last.plain.endswith("Withdrawn.")
        assert li.last.plain.endswith("Withdrawn by the officer.") and li.last.buttons == []
        late = await li.tap_data(accept, message_id=li.last.message_id)
        assert late.text == "Withdrawn by the officer."


async def test_return_to_police_alerts_the_officer_at_once(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        await file(w, draft("mental_health"))
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")
        await li.tap("Return to police")
        await li.tap("Needs police action (crime or danger)")
        await li.send("He has a knife; son (13912345678), ID 11010519491231002X.")
        # At once, and with the identifiers typed into the reason masked for the officer.
        assert s.officer.last.plain.splitlines()[1] == (
            "Returned to police by Li Na. Reason: Needs police action (crime or danger) — "
            "He has a knife; "
            "son (*******5678), ID 110105********002X."
        )


async def test_nobody_available_then_a_worker_comes_on_duty(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()}, away=("Li Na",))
        referral = await file(w, draft("elderly"))
        assert "no social worker is available right now" in s.officer.last.plain
        li = s.workers["Li Na"]
        await li.send("/available")
        assert "1 is waiting now" in li.texts[-2]
        assert li.last.plain.startswith(f"New referral\n{referral.ref}")


async def test_a_worker_at_the_cap_gets_no_offers(config_path: Path) -> None:
    async with world(config_path) as w:  # the test config caps open cases at 4
        s = await station(w, {"Busy Bee": (), "Zhou Min": ()}, away=("Zhou Min",))
        busy = s.workers["Busy Bee"]
        for _ in range(4):
            await file(w, draft("family_dispute"))
            await busy.tap("✅ Accept")
            w.clock.advance(timedelta(minutes=1))  # one referral a minute at most, by hand
        await file(w, draft("family_dispute"))
        assert "no social worker is available right now" in s.officer.last.plain
        await busy.send("/mine")
        assert "Your open cases: 4 of 4. You are available." in "\n".join(busy.texts)


def _officer_story(texts: list[str], ref: str) -> list[str]:
    """What the officer's phone says about ``ref``, after the headline line, in order."""
    return [t.split("\n", 1)[1] for t in texts if t.startswith(f"{ref} · ")]


def _accept_data(card: SeenMessage) -> str:
    """The callback data of a card's Accept button, kept to replay a late or forged tap."""
    button = card.button("✅ Accept")
    assert button is not None and button.callback_data is not None
    return button.callback_data


async def _events(w: World, referral_id: int) -> list[str]:
    rows = await referrals.events(w.services.db.reader, referral_id)
    return [to.value for _, to, _ in rows]


async def test_a_double_tap_on_a_step_records_it_once_and_reopen_ends_after_30_days(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        referral = await file(w, draft("family_dispute"))
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")
        card = li.last
        step = card.button("✔ First contact made")
        assert step is not None and step.callback_data is not None
        await li.tap("✔ First contact made")
        again = await li.tap_data(step.callback_data, message_id=card.message_id)
        assert again.text == "Already recorded."
        assert (await _events(w, referral.id)).count("contacted") == 1
        assert sum("has made first contact" in t for t in s.officer.texts) == 1

        await li.tap("Close case")
        await li.tap("Resolved")
        await li.send("Both neighbours agreed on quiet hours.")
        w.clock.advance(timedelta(days=31))
        answer = await li.tap("Reopen")
        assert answer.text == "This case can no longer be reopened."
        assert (await _events(w, referral.id))[-1] == "closed"


async def test_an_overlong_closing_note_is_refused_and_the_question_stays(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        await file(w, draft("family_dispute"))
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")
        await li.tap("Close case")
        await li.tap("Unreachable")
        await li.send("x" * 201)
        assert li.texts[-2].startswith("That is 201 characters; the limit is 200.")
        assert li.last.plain == "x" * 201  # echoed back to copy: nothing typed is lost
        await li.send("No answer after three calls and a visit.")
        assert s.officer.last.plain.endswith(
            "Closed by Li Na. Outcome: Unreachable. Note: No answer after three calls and a visit."
        )


async def test_a_double_tap_on_submit_files_one_referral(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        officer = s.officer
        await up_to_review(officer)
        review = officer.last
        submit = review.button("📨 Submit")
        assert submit is not None and submit.callback_data is not None
        first, second = await asyncio.gather(
            officer.tap("📨 Submit", message=review),
            officer.tap_data(submit.callback_data, message_id=review.message_id),
        )
        me = await people_service.find(w.services, 101)
        assert me is not None
        [referral] = await referral_service.of_officer(w.services, me)
        assert {first.text, second.text} == {
            f"Submitted as {referral.ref}.",
            f"Already submitted as {referral.ref}.",
        }
        assert (review.plain, review.buttons) == (f"Submitted as {referral.ref}.", [])
        assert sum(t.startswith("New referral") for t in s.workers["Li Na"].texts) == 1


async def test_a_coordinator_reads_the_audit_trail_of_a_referral(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        coordinator = await enrol(
            w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw"
        )
        referral = await file(w, draft("family_dispute"))
        await s.workers["Li Na"].tap("✅ Accept")
        await s.workers["Li Na"].tap("✔ First contact made")
        await coordinator.send(f"/audit {referral.ref.lower()}")
        lines = coordinator.last.plain.splitlines()
        assert lines[0] == f"Audit trail of {referral.ref}:"
        actions = [line.split(" · ")[1:] for line in lines[1:]]
        assert ["Officer Wang", "Referral filed"] in actions
        assert ["Li Na", "Accepted"] in actions
        assert ["Li Na", "Details sent to them"] in actions
        assert ["Li Na", "Status: Accepted → First contact made"] in actions
        assert not any("Canary" in line for line in lines)
        await s.workers["Li Na"].send(f"/audit {referral.ref}")
        assert s.workers["Li Na"].last.plain == (
            "Sorry, that is not something your role can do here."
        )
