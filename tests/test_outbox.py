"""Nothing decided is lost: notices are written with the change, and sent even after a
crash between the two or a failed send; a person who blocked the bot is not retried."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.engine import escalation
from bot.sandbox import FakeTelegram
from bot.sandbox.world import World, world
from bot.services import offers
from bot.services import people as people_service
from bot.services.notices import NoticeKind
from handlers import notice_texts
from handlers.sender import Sender
from tests.stories import draft, enrol, file, station, up_to_review


async def tick(w: World) -> None:
    await escalation.tick(w.services)
    await w.settle()


async def test_a_crash_between_commit_and_send_loses_no_message(config_path: Path) -> None:
    clock = FakeClock()
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        s = await station(w, {"Li Na": (), "Zhou Min": ()})
        referral = await file(w, draft("family_dispute"))
        li_person = await people_service.find(w.services, s.workers["Li Na"].chat_id)
        assert li_person is not None
        offer_id = int(s.workers["Li Na"].last.button("✅ Accept").callback_data.split(":")[1])  # type: ignore[union-attr]
        # The accept commits; the process dies before a single message is sent.
        outcome = await offers.accept(w.services, li_person, offer_id)
        assert outcome.answer is offers.Answer.ACCEPTED
    clock.advance(timedelta(seconds=31))
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await tick(w)
        await tick(w)
        li, zhou = s.workers["Li Na"], s.workers["Zhou Min"]
        assert sum(t.startswith(f"🔒 {referral.ref}") for t in li.texts) == 1
        assert any(m.plain.endswith("Taken by Li Na.") for m in zhou.bot_messages)
        accepted = [t for t in s.officer.texts if "Accepted by Li Na" in t]
        assert len(accepted) == 1


async def test_a_failed_send_is_retried_and_arrives_once(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        await file(w, draft("family_dispute"))
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")
        for _ in range(3):  # every attempt of the call fails: the outbox must take over
            w.telegram.fail_next("sendMessage", status=502, description="Bad Gateway")
        await li.tap("✔ First contact made")  # the officer's notice hits the 502s
        assert not any("has made first contact" in t for t in s.officer.texts)
        w.clock.advance(timedelta(seconds=61))
        await tick(w)
        await tick(w)
        assert sum("Li Na has made first contact." in t for t in s.officer.texts) == 1


async def test_one_bad_gateway_or_short_flood_wait_is_absorbed_in_the_call(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        await file(w, draft("family_dispute"))
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")
        w.telegram.fail_next("sendMessage", status=502, description="Bad Gateway")
        w.telegram.fail_next(
            "sendMessage", status=429, description="Too Many Requests: retry after 1", retry_after=1
        )
        await li.tap("✔ First contact made")
        assert sum("Li Na has made first contact." in t for t in s.officer.texts) == 1


async def test_a_person_who_blocked_the_bot_is_not_retried(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": (), "Zhou Min": ()})
        zhou = s.workers["Zhou Min"]
        zhou.block()
        await file(w, draft("family_dispute"))
        refused = len([c for c in w.telegram.refused if c.params.get("chat_id") == zhou.chat_id])
        for _ in range(3):
            w.clock.advance(timedelta(minutes=30))
            await tick(w)
        after = len([c for c in w.telegram.refused if c.params.get("chat_id") == zhou.chat_id])
        assert refused == after == 1


async def test_two_senders_at_once_send_each_message_once(config_path: Path) -> None:
    """The claim in the database is what keeps a message from going twice: two senders
    working the same outbox at the same moment (each with its own lanes; one sender
    never races itself) send each message once."""
    clock = FakeClock()
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        s = await station(w, {"Li Na": ()})
        referral = await file(w, draft("family_dispute"))
        li_person = await people_service.find(w.services, s.workers["Li Na"].chat_id)
        assert li_person is not None
        card = s.workers["Li Na"].last.button("✅ Accept")
        assert card is not None and card.callback_data is not None
        await offers.accept(w.services, li_person, int(card.callback_data.split(":")[1]))
        other = Sender(w.app, w.services)
        await asyncio.gather(w.settle(), other.settle(), escalation.tick(w.services))
        li = s.workers["Li Na"]
        assert sum(t.startswith(f"🔒 {referral.ref}") for t in li.texts) == 1
        assert sum("Accepted by Li Na" in t for t in s.officer.texts) == 1


async def test_one_blocked_worker_in_a_wave_does_not_look_like_everyone_declined(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": (), "Zhou Min": (), "Wu Fang": ()})
        s.workers["Li Na"].block()
        await file(w, draft("family_dispute"))
        assert not any("Every available social worker declined" in t for t in s.officer.texts)
        assert "Sent to 2 social workers." in s.officer.last.plain


async def test_offers_filed_at_the_same_moment_all_arrive_without_waiting_for_the_engine(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        others = [
            await enrol(w, 110 + n, f"Officer {n}", "--role", "officer", "--station", "tianping")
            for n in range(4)
        ]
        for number, officer in enumerate(others):
            await up_to_review(officer, f"Case {number}")
        await asyncio.gather(*(officer.tap("📨 Submit") for officer in others))
        # Each offer to Li waited for the one before it to her, then went at once: no
        # engine round was needed.
        offers = [t for t in s.workers["Li Na"].texts if t.startswith("New referral")]
        assert len(offers) == 4


async def test_a_notice_waiting_for_a_retry_does_not_hold_back_the_next_one(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        await file(w, draft("family_dispute"))
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")
        for _ in range(3):  # every try of the officer's "first contact" notice fails
            w.telegram.fail_next("sendMessage", status=502, description="Bad Gateway")
        await li.tap("✔ First contact made")  # retried in a minute
        await li.tap("Return to police")
        await li.tap("Needs police action (crime or danger)")
        await li.send("Needs police protection tonight.")
        # The return is news the officer needs now: it does not wait behind the retry.
        assert "Returned to police by Li Na" in s.officer.last.plain
        w.clock.advance(timedelta(seconds=61))
        await tick(w)
        assert sum("Li Na has made first contact." in t for t in s.officer.texts) == 1


async def test_a_bug_while_sending_one_notice_is_retried_and_stops_nothing(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        await file(w, draft("family_dispute"))
        real = notice_texts.RENDERERS[NoticeKind.ACCEPTED]
        calls = {"n": 0}

        def flaky(*args: Any, **kwargs: Any) -> notice_texts.Shown:
            calls["n"] += 1
            if calls["n"] == 1:
                raise RuntimeError("a bug in rendering")
            return real(*args, **kwargs)

        monkeypatch.setitem(notice_texts.RENDERERS, NoticeKind.ACCEPTED, flaky)
        await s.workers["Li Na"].tap("✅ Accept")  # the officer's "accepted" hits the bug
        assert any(t.startswith("🔒") for t in s.workers["Li Na"].texts)  # Li got hers
        assert not any("Accepted by Li Na" in t for t in s.officer.texts)
        w.clock.advance(timedelta(seconds=61))
        await tick(w)
        assert sum("Accepted by Li Na" in t for t in s.officer.texts) == 1
