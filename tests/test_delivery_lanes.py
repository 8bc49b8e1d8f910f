"""Delivery sends to different people side by side and to each person in order: a chat
that is slow (or held by Telegram's per-chat limit) holds up nobody else, and a 429 in
one chat delays only that chat's notices."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.engine import escalation
from bot.sandbox import FakeTelegram, Phone
from bot.sandbox.world import World, world
from bot.services import outbox
from bot.services import people as people_service
from bot.services.notices import Notice, NoticeKind
from bot.telegram_link import ChatRateLimiter
from handlers.lanes import Lanes
from storage.db import fetch_all
from tests.stories import draft, file, station
from tests.test_flood_limits import Ticker

WORKERS = {"Li Na": (), "Zhou Min": (), "Wu Fang": ()}
GUARD = 20  # seconds: only turns a hang (a lane waiting behind another) into a failure


async def _written(w: World, phones: list[Phone], each: int, first: int = 0) -> list[Notice]:
    """``each`` numbered notices per person, written to the outbox interleaved (person 1's
    first, person 2's first, ..., person 1's second, ...), as services write them."""
    people = [await people_service.find(w.services, p.chat_id) for p in phones]
    notices = [
        Notice(NoticeKind.UNREACHABLE, person, None, values={"person": f"#{n}"})
        for n in range(first, first + each)
        for person in people
        if person is not None
    ]
    async with w.services.db.write() as tx:
        return await outbox.enqueue(tx, w.services, notices)


def _numbers(phone: Phone) -> list[str]:
    """The numbered notices this person has read, in the order they arrived."""
    return [t.split()[1] for t in phone.texts if "cannot be reached" in t]


async def test_a_slow_chat_holds_up_nobody_and_each_chat_keeps_its_order(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, WORKERS)
        phones = list(s.workers.values())
        await _written(w, phones, 3)
        slow, others = phones[0], phones[1:]
        held = w.telegram.hold(slow.chat_id)
        delivery = asyncio.create_task(w.settle())
        everyone_else = w.telegram.until(lambda: all(len(_numbers(p)) == 3 for p in others))
        await asyncio.wait_for(everyone_else, GUARD)
        assert _numbers(slow) == []  # its first notice is still on its way
        held.set()
        await asyncio.wait_for(delivery, GUARD)
        assert await _unsent(w) == []
        for phone in phones:
            assert _numbers(phone) == ["#0", "#1", "#2"]


async def test_a_429_in_one_chat_leaves_only_that_chat_waiting(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # else reading RetryAfter warns (an error here)
    async with world(config_path) as w:
        s = await station(w, WORKERS)
        phones = list(s.workers.values())
        await _written(w, phones, 3)
        quiet = phones[1]
        w.telegram.fail_next(
            "sendMessage",
            status=429,
            description="Too Many Requests: retry after 40",
            retry_after=40,
            chat_id=quiet.chat_id,
        )
        await w.settle()
        assert len(await _unsent(w)) == 3  # the quiet chat's, waiting in the outbox
        for phone in phones:
            assert _numbers(phone) == ([] if phone is quiet else ["#0", "#1", "#2"])
        w.clock.advance(timedelta(seconds=39))  # not yet: Telegram said 40 s
        await escalation.tick(w.services)
        await w.settle()
        assert _numbers(quiet) == []
        w.clock.advance(timedelta(seconds=1))
        await escalation.tick(w.services)
        await w.settle()
        assert _numbers(quiet) == ["#0", "#1", "#2"]
        for phone in phones:
            assert _numbers(phone) == ["#0", "#1", "#2"]  # nobody got anything twice


async def test_with_the_real_limiter_a_busy_chat_waits_its_turn_and_nobody_gets_a_429(
    config_path: Path,
) -> None:
    ticker, clock = Ticker(), FakeClock()
    telegram = FakeTelegram(clock=clock.now)
    telegram.enforce_limits(clock=ticker)
    limiter = ChatRateLimiter(clock=ticker, sleep=ticker.sleep)
    async with world(config_path, clock=clock, telegram=telegram, rate_limiter=limiter) as w:
        s = await station(w, WORKERS)
        phones = list(s.workers.values())
        busy = phones[0]
        notices = [
            *await _written(w, [busy], 4),  # a burst of three, then one a second
            *await _written(w, phones, 2),
        ]
        assert len(notices) == 10
        await w.settle()
        assert await _unsent(w) == []
        assert _numbers(busy) == ["#0", "#1", "#2", "#3", "#0", "#1"]
        for phone in phones[1:]:
            assert _numbers(phone) == ["#0", "#1"]
        assert not w.telegram.too_many
        assert not [c for c in w.telegram.refused if c.status == 429]
        assert ticker.now >= 3.0  # the busy chat's fourth to sixth waited a second each


async def test_the_database_failing_for_one_chat_does_not_cut_off_another_chats_send(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk while marking one chat's message sent: that notice waits in the outbox;
    the message on its way to another chat is not cancelled half-way (it would be sent
    again after the lease: a duplicate)."""
    async with world(config_path) as w:
        s = await station(w, WORKERS)
        first, second = list(s.workers.values())[:2]
        notices = await _written(w, [first, second], 1)
        held = w.telegram.hold(second.chat_id)
        really_sent = outbox.sent

        async def sent(services: object, notice: Notice) -> None:
            if notice.recipient.telegram_id == first.chat_id:
                raise sqlite3.OperationalError("database or disk is full")
            await really_sent(services, notice)  # type: ignore[arg-type]

        monkeypatch.setattr(outbox, "sent", sent)
        assert len(notices) == 2
        delivery = asyncio.create_task(w.settle())
        await asyncio.wait_for(w.telegram.until(lambda: len(_numbers(first)) == 1), GUARD)
        held.set()  # the second chat's message arrives only now, after the failure
        await asyncio.wait_for(delivery, GUARD)
        assert _numbers(second) == ["#0"]
        assert len(await _unsent(w)) == 1  # only the first chat's: it waits in the outbox


async def _unsent(w: World) -> list[object]:
    return list(
        await fetch_all(w.services.db.reader, "SELECT id FROM outbox WHERE sent_at IS NULL")
    )


async def test_after_a_long_flood_wait_a_new_message_to_that_chat_waits_in_the_outbox(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Telegram asked for 40 s of quiet in one chat. A notice for that chat written 2 s
    later does not hold the sender for the remaining 38 s: it is left in the outbox for
    after the wait, and arrives then, after the earlier one."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    ticker, clock = Ticker(), FakeClock()
    telegram = FakeTelegram(clock=clock.now)
    limiter = ChatRateLimiter(clock=ticker, sleep=ticker.sleep)
    async with world(config_path, clock=clock, telegram=telegram, rate_limiter=limiter) as w:
        s = await station(w, WORKERS)
        phone = next(iter(s.workers.values()))
        await _written(w, [phone], 1)
        telegram.fail_next(
            "sendMessage",
            status=429,
            description="Too Many Requests: retry after 40",
            retry_after=40,
            chat_id=phone.chat_id,
        )
        await w.settle()
        clock.advance(timedelta(seconds=2))
        before = ticker.now
        await _written(w, [phone], 1, first=1)
        await w.settle()
        assert ticker.now - before < 1  # not held for the rest of the wait
        assert _numbers(phone) == []
        assert len(await _unsent(w)) == 2
        clock.advance(timedelta(seconds=40))
        ticker.now += 40
        await escalation.tick(w.services)
        await w.settle()
        assert _numbers(phone) == ["#0", "#1"]  # both, in the order written


async def test_an_item_waits_for_what_it_counts_and_not_for_anyone_elses_backlog() -> None:
    """The officer's "offered to N" (F) waits for its referral's offer (A), which is slow
    to send; not for a worker's lane busy with unrelated notices (B) taken on meanwhile."""
    gates = {name: asyncio.Event() for name in "AB"}
    done: list[str] = []
    counted = asyncio.Event()

    async def work(item: str) -> None:
        if item in gates:
            await gates[item].wait()
        done.append(item)
        if item == "F":
            counted.set()

    lanes: Lanes[str] = Lanes(work, waits_for=lambda item, other: (item, other) == ("F", "A"))
    running = asyncio.create_task(
        lanes.run([("worker 1", "A"), ("worker 2", "B"), ("officer", "F")])
    )
    await asyncio.sleep(0)  # every lane has started
    assert done == []  # F waits for A
    gates["A"].set()
    await asyncio.wait_for(counted.wait(), GUARD)
    assert done == ["A", "F"]  # B is still on its way
    gates["B"].set()
    await asyncio.wait_for(running, GUARD)
    assert done == ["A", "F", "B"]


async def test_accepting_right_after_a_burst_of_offers_waits_its_turn_rather_than_a_429(
    config_path: Path,
) -> None:
    """The sender has just used the worker's chat's pace on offer cards and she accepts
    one at once: her answer (the card, the details, the case card) is not held behind
    the sender's queue, but it keeps the chat's limit: no 429, nothing missing."""
    ticker, clock = Ticker(), FakeClock()
    telegram = FakeTelegram(clock=clock.now)
    telegram.enforce_limits(clock=ticker)
    limiter = ChatRateLimiter(clock=ticker, sleep=ticker.sleep)
    async with world(config_path, clock=clock, telegram=telegram, rate_limiter=limiter) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        for n in range(4):
            await file(w, draft("family_dispute", summary=f"Case {n}"))
        await li.tap("✅ Accept")
        assert not telegram.too_many
        assert any(m.plain.startswith("🔒") for m in li.bot_messages)  # the details
        assert any("Status: Accepted" in m.plain for m in li.bot_messages)  # the case card
