"""No handler waits for another person's delivery: the bot runs its sender in the
background, as in production, and one worker's chat is stuck (Telegram does not answer
the message on its way there) while other people tap. Their taps are answered, and
what concerns others goes out as each chat allows, each chat in order."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from bot.sandbox import Phone
from bot.sandbox.world import World, world
from bot.services import outbox
from bot.services import people as people_service
from bot.services.notices import Notice, NoticeKind
from tests.stories import station, up_to_review

WORKERS = {"Li Na": (), "Zhou Min": ()}
GUARD = 20  # seconds: only turns a hang (a handler waiting for the stuck chat) into a failure
BACKLOG = 30


async def _backlog(w: World, phone: Phone) -> None:
    """``BACKLOG`` numbered notices waiting for ``phone``'s chat (a long drain)."""
    person = await people_service.find(w.services, phone.chat_id)
    assert person is not None
    notices = [
        Notice(NoticeKind.UNREACHABLE, person, None, values={"person": f"#{n}"})
        for n in range(BACKLOG)
    ]
    async with w.services.db.write() as tx:
        await outbox.enqueue(tx, w.services, notices)


def _numbers(phone: Phone) -> list[str]:
    return [t.split()[1] for t in phone.texts if "cannot be reached" in t]


def _offers(phone: Phone) -> int:
    return sum(t.startswith("New referral") for t in phone.texts)


async def test_a_submit_during_a_long_drain_returns_at_once(config_path: Path) -> None:
    async with world(config_path, background=True) as w:
        s = await station(w, WORKERS)
        li, zhou = s.workers["Li Na"], s.workers["Zhou Min"]
        await w.settle()
        await up_to_review(s.officer)
        stuck = w.telegram.hold(zhou.chat_id)
        await _backlog(w, zhou)

        answer = await asyncio.wait_for(s.officer.tap("📨 Submit"), GUARD)  # Zhou still stuck
        assert answer.text is not None and answer.text.startswith("Submitted as R-")
        submitted = w.telegram.until(lambda: any(t == answer.text for t in s.officer.texts))
        await asyncio.wait_for(submitted, GUARD)  # the card says so too
        # Li's card and the officer's "sent to" do not wait for Zhou's backlog either.
        sent = "Sent to 2 social workers. You will hear when one accepts."
        both = w.telegram.until(lambda: _offers(li) == 1 and s.officer.texts[-1].endswith(sent))
        await asyncio.wait_for(both, GUARD)
        assert _offers(zhou) == 0 and _numbers(zhou) == []

        stuck.set()
        await asyncio.wait_for(w.settle(), GUARD)
        assert _numbers(zhou) == [f"#{n}" for n in range(BACKLOG)]  # in the order written
        assert _offers(zhou) == 1


async def test_accepting_is_answered_while_another_workers_chat_is_stuck(
    config_path: Path,
) -> None:
    """Accepting closes the other worker's offer card: that edit is the sender's, not a
    wait in Li's tap. Li has the details at once; the officer hears; Zhou's card says
    "Taken" once his chat moves again."""
    async with world(config_path, background=True) as w:
        s = await station(w, WORKERS)
        li, zhou = s.workers["Li Na"], s.workers["Zhou Min"]
        await up_to_review(s.officer)
        await s.officer.tap("📨 Submit")
        await asyncio.wait_for(w.settle(), GUARD)
        assert _offers(li) == _offers(zhou) == 1
        stuck = w.telegram.hold(zhou.chat_id)

        await asyncio.wait_for(li.tap("✅ Accept"), GUARD)
        assert any(m.plain.startswith("🔒") for m in li.bot_messages)  # the details, at once
        accepted = "Accepted by Li Na. Tap the name to write to them."
        told = w.telegram.until(lambda: s.officer.texts[-1].endswith(accepted))
        await asyncio.wait_for(told, GUARD)
        card = next(m for m in zhou.bot_messages if m.plain.startswith("New referral"))
        assert "Taken by" not in card.plain

        stuck.set()
        await asyncio.wait_for(w.settle(), GUARD)
        assert card.plain.endswith("Taken by Li Na.")


async def test_the_details_for_the_worker_who_accepts_are_her_answer_not_the_senders(
    config_path: Path,
) -> None:
    """The commit wakes the sender before the handler has answered Li's tap (here
    Telegram is slow to take the tap's answer): the sender tells the officer, and leaves
    Li's details to the handler, which sends them as its answer."""
    async with world(config_path, background=True) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        await up_to_review(s.officer)
        await s.officer.tap("📨 Submit")
        await asyncio.wait_for(w.settle(), GUARD)
        slow = w.telegram.hang("answerCallbackQuery")
        tap = asyncio.create_task(li.tap("✅ Accept"))
        accepted = "Accepted by Li Na. Tap the name to write to them."
        told = w.telegram.until(lambda: s.officer.texts[-1].endswith(accepted))
        await asyncio.wait_for(told, GUARD)
        assert not any(m.plain.startswith("🔒") for m in li.bot_messages)
        slow.set()
        await asyncio.wait_for(tap, GUARD)
        assert any(m.plain.startswith("🔒") for m in li.bot_messages)


async def test_a_workers_long_mine_holds_up_nobody(config_path: Path) -> None:
    """A worker's /mine is a card for each open case, and her chat takes about one
    message a second: the handler used to send them all itself, and nobody else was
    answered meanwhile. Now her /mine is answered at once with its first line, the cards
    follow from the sender in order (asked twice, still once each), and an officer's
    /mine is answered while her cards are stuck on their way."""
    async with world(config_path, background=True) as w:  # the test config caps cases at 4
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        for _ in range(4):
            await up_to_review(s.officer)
            await s.officer.tap("📨 Submit")
            await asyncio.wait_for(w.settle(), GUARD)
            await li.tap("✅ Accept")
            await asyncio.wait_for(w.settle(), GUARD)
            w.clock.advance(timedelta(minutes=1))  # one referral a minute at most, by hand
        refs = [
            t.removeprefix("Submitted as ").rstrip(".")
            for t in s.officer.texts
            if t.startswith("Submitted as")
        ]
        assert len(refs) == 4
        stuck = w.telegram.hold(li.chat_id, only=lambda p: "Status: " in str(p.get("text")))
        before = len(li.texts)

        for _ in range(2):
            await asyncio.wait_for(li.send("/mine"), GUARD)
            assert li.texts[-1].startswith("Your open cases: 4 of 4. You are available.\n")
        await asyncio.wait_for(s.officer.send("/mine"), GUARD)
        assert s.officer.texts[-1].startswith("Your latest referrals:")
        assert not [t for t in li.texts[before:] if "Status: " in t]  # still on their way

        stuck.set()
        await asyncio.wait_for(w.settle(), GUARD)
        cards = [t for t in li.texts[before:] if "Status: Accepted" in t]
        assert [card.split(" · ")[0] for card in cards] == refs
