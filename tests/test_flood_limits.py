"""Telegram's flood limits: the fake (in limits mode) answers 429 beyond them, and the
bot's :class:`ChatRateLimiter` keeps the same model, so it never gets one. Time here is
virtual: the fake and the limiter read one :class:`Ticker`, and nothing waits for real.

The calls here are paced (as the sender's are) unless a test says it replies to a
person in front of the bot; the model tests use a limiter that keeps no room for
replies, so its timings are the model's own."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest
from telegram import Update
from telegram.error import RetryAfter
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.app import PLACEHOLDER_TOKEN
from bot.sandbox import FakeTelegram, Phone
from bot.sandbox.fake_telegram.flood import FloodLimits
from bot.telegram_link import _PACED, ChatRateLimiter, paced

AnyApp = Application[Any, Any, Any, Any, Any, Any]
GROUP = -100_123


class Ticker:
    """A monotonic clock in seconds that moves only when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


async def _nothing(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """People only need to have written to the bot once, so it may write to them."""


@pytest.fixture(autouse=True)
def _retry_after_as_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # else reading RetryAfter warns (an error here)


@pytest.fixture(autouse=True)
def _paced() -> Iterator[None]:
    with paced():
        yield


@pytest.fixture
def ticker() -> Ticker:
    return Ticker()


@pytest.fixture
def fake(ticker: Ticker) -> FakeTelegram:
    fake = FakeTelegram()
    fake.enforce_limits(clock=ticker)
    return fake


async def _app(fake: FakeTelegram, limiter: ChatRateLimiter | None) -> AsyncIterator[AnyApp]:
    builder = Application.builder().token(PLACEHOLDER_TOKEN).request(fake.request)
    if limiter is not None:
        builder = builder.rate_limiter(limiter)
    app = builder.get_updates_request(fake.request).build()
    app.add_handler(MessageHandler(filters.ALL, _nothing))
    fake.attach(app)
    async with app:
        yield app


@pytest.fixture
async def bare(fake: FakeTelegram) -> AsyncIterator[AnyApp]:
    """The bot without a limiter: it sends as fast as it is told."""
    async for app in _app(fake, None):
        yield app


@pytest.fixture
async def limited(fake: FakeTelegram, ticker: Ticker) -> AsyncIterator[AnyApp]:
    """The bot with the real limiter, on the fake's (virtual) clock; nothing was sent
    before it, so it need not start cautious (see the restart test below)."""
    limiter = ChatRateLimiter(
        clock=ticker, sleep=ticker.sleep, after_previous_run=False, room_for_replies=False
    )
    async for app in _app(fake, limiter):
        yield app


async def _people(fake: FakeTelegram, count: int) -> list[Phone]:
    phones = [fake.user(1000 + n, f"Person {n}") for n in range(count)]
    for phone in phones:
        await phone.send("hello")
    return phones


def _group(fake: FakeTelegram) -> None:
    fake.group(GROUP, "Night desk")


def test_the_limiter_keeps_the_model_the_fake_enforces() -> None:
    limiter, limits = ChatRateLimiter(), FloodLimits()
    assert (
        limiter.per_second,
        limiter.group_per_minute,
        limiter.private_burst,
        limiter.private_every,
    ) == (limits.per_second, limits.group_per_minute, limits.private_burst, limits.private_every)


async def test_more_than_30_a_second_overall_is_refused(
    fake: FakeTelegram, bare: AnyApp, ticker: Ticker
) -> None:
    phones = await _people(fake, 31)
    for phone in phones[:30]:
        await bare.bot.send_message(phone.chat_id, "notice")
    with pytest.raises(RetryAfter) as refused:
        await bare.bot.send_message(phones[30].chat_id, "notice")
    assert refused.value.retry_after == timedelta(seconds=1)
    assert fake.too_many == {"overall": 1}
    ticker.now = 0.999
    with pytest.raises(RetryAfter):
        await bare.bot.send_message(phones[30].chat_id, "notice")
    ticker.now = 1.0  # the first 30 are now a full second old
    await bare.bot.send_message(phones[30].chat_id, "notice")
    assert phones[30].texts == ["notice"]


async def test_a_private_chat_gets_a_burst_of_three_then_one_a_second(
    fake: FakeTelegram, bare: AnyApp, ticker: Ticker
) -> None:
    (ann,) = await _people(fake, 1)
    for n in range(3):
        await bare.bot.send_message(ann.chat_id, f"burst {n}")
    with pytest.raises(RetryAfter) as refused:
        await bare.bot.send_message(ann.chat_id, "too soon")
    assert refused.value.retry_after == timedelta(seconds=1)
    ticker.now = 1.0
    await bare.bot.send_message(ann.chat_id, "one second on")
    with pytest.raises(RetryAfter):
        await bare.bot.send_message(ann.chat_id, "too soon again")
    ticker.now = 5.0  # the bucket fills again, up to three
    for n in range(3):
        await bare.bot.send_message(ann.chat_id, f"again {n}")
    with pytest.raises(RetryAfter):
        await bare.bot.send_message(ann.chat_id, "too soon")
    assert fake.too_many == {"private": 3}
    assert len(ann.texts) == 7
    assert len([c for c in fake.refused if c.status == 429]) == 3


async def test_more_than_20_a_minute_in_a_group_is_refused(
    fake: FakeTelegram, bare: AnyApp, ticker: Ticker
) -> None:
    _group(fake)
    for n in range(20):
        ticker.now = n * 2.0  # slowly, yet 20 within the same minute
        await bare.bot.send_message(GROUP, f"notice {n}")
    with pytest.raises(RetryAfter) as refused:
        await bare.bot.send_message(GROUP, "one too many")
    assert refused.value.retry_after == timedelta(seconds=22)  # the first is 60 s old at 60
    assert fake.too_many == {"group": 1}
    ticker.now = 60.0
    await bare.bot.send_message(GROUP, "a minute after the first")


async def test_the_limiter_sends_each_call_the_moment_the_model_allows_it(
    fake: FakeTelegram, limited: AnyApp, ticker: Ticker
) -> None:
    """One call after another (no other task moves the virtual clock): each waits
    exactly as long as the model needs, and none is refused."""
    phones = await _people(fake, 31)
    _group(fake)
    ann = phones[0]
    for n in range(5):
        await limited.bot.send_message(ann.chat_id, f"to Ann {n}")
    assert ticker.now == 2.0  # three at once, then one a second
    started = ticker.now
    for phone in phones[1:]:
        await limited.bot.send_message(phone.chat_id, "to everyone")
    # Ann's fifth is in the last second: 29 more at once, the 30th a second after it.
    assert ticker.now == started + 1.0
    started = ticker.now
    for n in range(21):
        await limited.bot.send_message(GROUP, f"group {n}")
    assert ticker.now == started + 60.0
    assert not fake.too_many
    assert not fake.refused


async def test_the_limiter_keeps_every_limit_when_sending_all_at_once(
    fake: FakeTelegram, limited: AnyApp, ticker: Ticker
) -> None:
    phones = await _people(fake, 40)
    _group(fake)
    ann = phones[0]

    async def to_ann() -> None:
        for n in range(8):
            await limited.bot.send_message(ann.chat_id, f"to Ann {n}")

    await asyncio.gather(
        to_ann(),
        *(limited.bot.send_message(p.chat_id, "to everyone") for p in phones),
        *(limited.bot.send_message(GROUP, f"group {n}") for n in range(25)),
    )
    assert not fake.too_many
    assert not fake.refused
    assert [t for t in ann.texts if t.startswith("to Ann")] == [f"to Ann {n}" for n in range(8)]
    assert all(p.texts for p in phones)
    assert ticker.now >= 60.0  # the group's 21st waited a minute


async def test_a_429_that_comes_anyway_keeps_that_chat_quiet_as_asked(
    fake: FakeTelegram, limited: AnyApp, ticker: Ticker
) -> None:
    ann, bob = await _people(fake, 2)
    fake.fail_next(
        "sendMessage",
        status=429,
        description="Too Many Requests: retry after 30",
        retry_after=30,
        chat_id=ann.chat_id,
    )
    with pytest.raises(RetryAfter):
        await limited.bot.send_message(ann.chat_id, "refused")
    await limited.bot.send_message(bob.chat_id, "another chat goes on")
    assert ticker.now == 0.0
    ticker.now = 2.0
    # Within the wait: refused at once, without asking Telegram (and without holding the
    # sender for 28 s: the outbox tries again when the wait is over).
    with pytest.raises(RetryAfter) as refused:
        await limited.bot.send_message(ann.chat_id, "still too soon")
    assert refused.value.retry_after == timedelta(seconds=28)
    assert ticker.now == 2.0
    assert len([c for c in fake.refused if c.status == 429]) == 1  # Telegram asked once
    ticker.now = 30.0
    await limited.bot.send_message(ann.chat_id, "after the wait")
    assert ann.texts == ["after the wait"]
    assert bob.texts == ["another chat goes on"]


async def _restart_under_load(fake: FakeTelegram, ticker: Ticker, *, cautious: bool) -> float:
    """A run sends a burst of three to each of ten people (30 calls: the overall second
    is full too) and is killed; the next run starts that same moment and sends three
    more to each. Returns how long the second run took to send them (virtual seconds)."""
    last_run = ChatRateLimiter(
        clock=ticker, sleep=ticker.sleep, after_previous_run=False, room_for_replies=False
    )
    async for app in _app(fake, last_run):
        phones = await _people(fake, 10)
        for phone in phones:
            for n in range(3):
                await app.bot.send_message(phone.chat_id, f"before {n}")
    assert not fake.too_many  # the last run kept the limits
    started = ticker.now
    this_run = ChatRateLimiter(
        clock=ticker, sleep=ticker.sleep, after_previous_run=cautious, room_for_replies=False
    )

    async def three(app: AnyApp, phone: Phone) -> None:
        for n in range(3):
            with contextlib.suppress(RetryAfter):  # counted by the fake
                await app.bot.send_message(phone.chat_id, f"after {n}")

    async for app in _app(fake, this_run):
        await asyncio.gather(*(three(app, phone) for phone in phones))
    return ticker.now - started


async def test_a_restarted_bot_starts_cautious_and_gets_no_429(
    fake: FakeTelegram, ticker: Ticker
) -> None:
    took = await _restart_under_load(fake, ticker, cautious=True)
    assert fake.too_many == {}
    # The cost: each chat's first message waits a second, then one a second.
    assert took == pytest.approx(3.0)


async def test_a_limiter_starting_from_zero_after_a_restart_gets_429s(
    fake: FakeTelegram, ticker: Ticker
) -> None:
    """Why the limiter starts cautious: one that believes nothing was sent before it
    walks straight into what the killed run used (the fault seen in the crash runs)."""
    await _restart_under_load(fake, ticker, cautious=False)
    assert sum(fake.too_many.values()) >= 10


async def _reply(app: AnyApp, chat_id: int, text: str) -> None:
    """A reply to the person in front of the bot: made outside :func:`paced`."""
    token = _PACED.set(False)
    try:
        await app.bot.send_message(chat_id, text)
    finally:
        _PACED.reset(token)


async def test_a_reply_is_not_held_to_the_pace_of_its_chat(
    fake: FakeTelegram, ticker: Ticker
) -> None:
    """The sender has just sent what the chat's pace allows; the person taps: the
    answer goes at once (paced sending kept one call of the burst for it), no 429."""
    limiter = ChatRateLimiter(clock=ticker, sleep=ticker.sleep, after_previous_run=False)
    async for app in _app(fake, limiter):
        (ann,) = await _people(fake, 1)
        await app.bot.send_message(ann.chat_id, "offer 1")
        await app.bot.send_message(ann.chat_id, "offer 2")
        assert ticker.now == 0.0  # a burst of two for paced calls
        await _reply(app, ann.chat_id, "your answer")
        assert ticker.now == 0.0  # not made to wait for the chat's turn
        await app.bot.send_message(ann.chat_id, "offer 3")
        assert ticker.now >= 1.0  # the pace counted the reply
    assert ann.texts == ["offer 1", "offer 2", "your answer", "offer 3"]
    assert not fake.too_many


async def _drain(app: AnyApp, chat_id: int, count: int) -> None:
    for n in range(count):
        await app.bot.send_message(chat_id, f"notice {n}")


async def _tap_every(app: AnyApp, chat_id: int, ticker: Ticker, waited: list[float]) -> None:
    """Ten answers 1.5 s apart (on the ticker the drain moves); how long each waited."""
    for n in range(10):
        at = ticker.now
        await _reply(app, chat_id, f"answer {n}")
        waited.append(ticker.now - at)
        while ticker.now < at + 1.5:  # noqa: ASYNC110 - virtual time, moved by the drain
            await asyncio.sleep(0)


async def test_a_person_tapping_during_a_long_drain_to_their_chat_gets_no_429(
    fake: FakeTelegram, ticker: Ticker
) -> None:
    """Twenty messages drain into Ann's chat at the chat's pace while she taps every
    1.5 s: each answer goes without waiting, and Telegram refuses nothing."""
    limiter = ChatRateLimiter(clock=ticker, sleep=ticker.sleep)
    waited: list[float] = []
    async for app in _app(fake, limiter):
        (ann,) = await _people(fake, 1)
        await asyncio.gather(
            _drain(app, ann.chat_id, 20), _tap_every(app, ann.chat_id, ticker, waited)
        )
        assert not fake.too_many
        assert waited == [0.0] * 10
        notices = [t for t in ann.texts if t.startswith("notice")]
        assert notices == [f"notice {n}" for n in range(20)]


async def test_a_chat_tapped_nonstop_still_gets_its_queued_message(ticker: Ticker) -> None:
    """Replies are not held to the chat's pace, and they count; but a message queued for
    that chat goes within a few seconds, not only once the tapping stops (here a
    script answers every half second while the message waits, for a minute)."""
    fake = FakeTelegram()  # no limits kept: this is about the limiter's own queue
    chat: list[tuple[AnyApp, int]] = []
    tapping = False

    async def tapping_meanwhile(seconds: float) -> None:
        nonlocal tapping
        ticker.now += min(seconds, 0.5)
        if ticker.now < 60.0 and not tapping:  # a reply waiting its turn is not a new tap
            tapping = True
            try:
                await _reply(*chat[0], "answer")
            finally:
                tapping = False

    limiter = ChatRateLimiter(clock=ticker, sleep=tapping_meanwhile, after_previous_run=False)
    async for app in _app(fake, limiter):
        (ann,) = await _people(fake, 1)
        chat.append((app, ann.chat_id))
        for _ in range(3):
            await _reply(app, ann.chat_id, "answer")
        await app.bot.send_message(ann.chat_id, "the offer")
        assert ticker.now <= 6.0  # a few seconds, not the minute the tapping lasts
    assert ann.texts[-1] == "the offer"
