"""The guard in front of every handler, as people meet it: the flood limit that no person
filing at human speed meets, strangers answered once a window, buttons tapped in a group
chat, and input no phone should send (whitespace-only text, forged button data)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.domain.flood import BURST, COOL_DOWN, FORGET_EVERY, FloodGate
from bot.domain.referral import Status
from bot.domain.strangers import CAPACITY, WINDOW, OnceAWindow
from bot.sandbox import FakeTelegram, Phone, SeenMessage
from bot.sandbox.world import World, world
from bot.services import drafts
from bot.services import people as people_service
from bot.services import referrals as referral_service
from bot.telegram_link import ChatRateLimiter
from storage import audit
from tests.conftest import ADMIN_ID
from tests.stories import OFFICER_ID, draft, enrol, file, station, up_to_where
from tests.test_flood_limits import Ticker

START = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
IN_A_GROUP = "Buttons work only in your private chat with me."
STALE = "This button is no longer active."


# -- the flood limit --------------------------------------------------------------------------


def test_a_person_at_human_speed_never_meets_the_limit_a_script_soon_does() -> None:
    gate = FloodGate()
    # The fastest officer: a tap or a typed answer every second and a half, for an hour.
    for step in range(2400):
        assert gate.admit(1, START + timedelta(seconds=1.5 * step)), step
    # Bursts at once (a frozen clock): twice the updates of two filings back to back.
    assert all(gate.admit(2, START) for _ in range(BURST))
    # A stuck client resending 20 times a second for a minute is held to one a second...
    taken = sum(gate.admit(3, START + timedelta(seconds=n / 20)) for n in range(1200))
    assert taken <= BURST + 60
    # ...and is taken again once it has been quiet for a while.
    assert gate.admit(3, START + timedelta(minutes=2))


def test_the_limit_forgets_those_who_stopped_writing_but_not_who_it_holds_back() -> None:
    """Every id that writes gets a bucket; 100,000 made-up ids over half an hour must not
    stay in memory for the life of the bot. A bucket full again is forgotten (a new one
    starts the same); one that holds someone back is kept until the cool-down ends."""
    gate = FloodGate()
    while gate.admit(7, START):  # a script empties its bucket and is held back
        pass
    every = timedelta(minutes=30) / 100_000
    for who in range(100_000):
        gate.admit(10_000 + who, START + who * every)
    assert len(gate) < 5_000  # about the last minute's ids, not all of them
    later = START + timedelta(minutes=40)
    for step in range(FORGET_EVERY):
        gate.admit(1, later + timedelta(seconds=2 * step))  # an officer at human speed
    assert len(gate) == 1
    # Held back: kept through a sweep, and still refused within its cool-down.
    held = FloodGate(cool_down=timedelta(hours=1))
    while held.admit(7, START):
        pass
    for step in range(FORGET_EVERY):
        held.admit(1, START + timedelta(minutes=2, seconds=2 * step))
    assert not held.admit(7, START + timedelta(minutes=40))


async def test_an_officer_files_three_referrals_in_a_row_without_being_slowed(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        for category in ("family_dispute", "elderly", "other"):
            await file(w, draft(category))  # the clock stands still: faster than any person
        await s.officer.send("/mine")
        assert not any("very fast" in text for text in s.officer.texts)
        assert s.officer.last.plain.startswith("Your latest referrals:")


async def test_a_typed_answer_over_the_limit_is_quoted_back_to_be_sent_again(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        officer = s.officer
        await up_to_where(officer)
        card = officer.last
        assert card.buttons
        while "very fast" not in officer.last.plain:  # a stuck app resends a command
            await officer.send("/whoami")
        await officer.send("Market street 5")
        typed = officer.messages[-2]
        assert typed.plain == "Market street 5" and not typed.from_bot
        told = officer.last
        assert told.reply_to_message_id == typed.message_id  # the message shows it quoted
        assert told.plain == (
            "You are sending messages very fast, so I did not read this one. Please wait "
            "10 seconds, then send it again."
        )
        answer = await officer.tap_data(
            card.buttons[0][0].callback_data or "", message_id=card.message_id
        )
        assert answer.text == ("You are tapping very fast. Please wait 10 seconds, then tap again.")
        stored = await drafts.current(w.services, await _person_id(w, OFFICER_ID))
        assert stored is not None and stored.draft.place is None  # nothing taken meanwhile

        w.clock.advance(timedelta(seconds=10))
        await officer.send("Market street 5")
        stored = await drafts.current(w.services, await _person_id(w, OFFICER_ID))
        assert stored is not None and stored.draft.place == "Market street 5"


async def test_a_flood_is_answered_a_few_times_then_quietly_dropped(config_path: Path) -> None:
    async with world(config_path) as w:
        officer = await enrol(w, OFFICER_ID, "Wang", "--role", "officer", "--station", "tianping")
        for _ in range(BURST + 20):
            await officer.send("/whoami")
        told = [t for t in officer.texts if "very fast" in t]
        assert (
            told
            == ["You are sending messages very fast. Please wait 10 seconds, then try again."] * 5
        )
        w.clock.advance(timedelta(seconds=10))
        await officer.send("/whoami")
        assert officer.last.plain.startswith("Wang")


async def _person_id(w: World, telegram_id: int) -> int:
    found = await people_service.find(w.services, telegram_id)
    assert found is not None
    return found.id


# -- strangers: one answer a window ---------------------------------------------------------

STRANGER_TEXT = "Hello. This bot links police stations with social workers"
STRANGER_ALERT = "Only invited people can use this bot. Send /start to see how."


def test_each_id_is_answered_once_a_window_in_bounded_memory() -> None:
    answered = OnceAWindow()
    assert answered.should_answer(1, START)
    assert not answered.should_answer(1, START + WINDOW - timedelta(seconds=1))
    assert answered.should_answer(2, START)  # each id its own window
    assert answered.should_answer(1, START + WINDOW)
    assert answered.should_answer(1, START)  # a clock set back ends the silence
    # 100,000 made-up ids at one instant: each answered once, the memory capped.
    many = OnceAWindow()
    assert all(many.should_answer(who, START) for who in range(100_000))
    assert len(many) == CAPACITY
    # The same many ids over half an hour: only the last window's are remembered.
    spread = OnceAWindow()
    every = timedelta(minutes=30) / 100_000
    assert all(spread.should_answer(who, START + who * every) for who in range(100_000))
    assert len(spread) <= WINDOW / every + 1
    # Later, one more stranger: everything older than the window is forgotten.
    assert spread.should_answer(-1, START + timedelta(hours=1))
    assert len(spread) == 1


async def _stranger_says_hello(w: World, times: int) -> Phone:
    """Someone not enrolled writes "hello" ``times`` times, as fast as they can."""
    stranger = w.phone(7777, "Someone")
    for _ in range(times):
        await stranger.send("hello")
    return stranger


def _stranger_answers(phone: Phone) -> list[str]:
    return [m.plain for m in phone.bot_messages if m.plain.startswith(STRANGER_TEXT)]


async def test_a_stranger_writing_30_messages_is_answered_once_then_once_after_the_window(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        stranger = await _stranger_says_hello(w, 1)
        assert _stranger_answers(stranger) == [stranger.last.plain]
        calls = len(w.telegram.calls)
        for n in range(29):  # what a curious person or a script sends: all kinds
            await stranger.send(("/start", "/help", "/new", "hello?", "/start@bot")[n % 5])
        await stranger.send_photo()
        w.clock.advance(WINDOW - timedelta(seconds=1))
        await stranger.send("still nothing?")
        assert len(stranger.bot_messages) == 1
        assert w.telegram.calls[calls:] == []  # nothing asked of Telegram at all

        w.clock.advance(timedelta(seconds=1))
        for _ in range(30):
            await stranger.send("/start")
        assert len(_stranger_answers(stranger)) == len(stranger.bot_messages) == 2


async def test_a_strangers_flood_past_the_limit_is_not_answered_either(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        code = await w.invite("--role", "officer", "--station", "tianping")
        stranger = await _stranger_says_hello(w, BURST + 20)
        assert len(stranger.bot_messages) == 1  # no "you are sending very fast" either
        await stranger.send(f"/start {code}")  # but an invited person is told what to do
        assert stranger.last.plain.startswith("You are sending messages very fast.")
        w.clock.advance(COOL_DOWN)
        await stranger.send(f"/start {code}")
        assert "You are now enrolled as: Officer." in stranger.last.plain


async def test_a_stranger_who_enrols_meets_the_flood_limit_like_anyone(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        code = await w.invite("--role", "officer", "--station", "tianping")
        stranger = await _stranger_says_hello(w, 1)
        await stranger.send(f"/start {code}")
        for _ in range(BURST + 20):  # within the window in which they were a stranger
            await stranger.send("/whoami")
        told = [t for t in stranger.texts if "very fast" in t]
        assert len(told) == 5


@pytest.mark.parametrize("typed", [False, True])
async def test_an_invite_code_in_a_strangers_flood_is_answered_and_enrols(
    config_path: Path, typed: bool
) -> None:
    async with world(config_path) as w:
        code = await w.invite("--role", "officer", "--station", "tianping")
        stranger = await _stranger_says_hello(w, 15)
        await stranger.send(code if typed else f"/start {code}")
        assert "You are now enrolled as: Officer." in stranger.last.plain
        for _ in range(14):
            await stranger.send("/whoami")  # enrolled now: every message is answered
        assert len(stranger.bot_messages) == 1 + 1 + 14


async def test_a_wrong_code_in_a_strangers_flood_is_answered(config_path: Path) -> None:
    async with world(config_path) as w:
        stranger = await _stranger_says_hello(w, 15)
        await stranger.send("/start WRONGCODE123")
        assert "That invite code is not valid." in stranger.last.plain
        await stranger.send("hello")
        assert len(stranger.bot_messages) == 2


async def test_a_strangers_taps_always_stop_the_spinner_with_the_alert_once_a_window(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        stranger = await _stranger_says_hello(w, 1)
        at = stranger.last.message_id
        answers = [await stranger.tap_data("inv:admin", message_id=at) for _ in range(20)]
        assert (answers[0].text, answers[0].show_alert) == (STRANGER_ALERT, True)
        assert {(a.text, a.show_alert) for a in answers[1:]} == {(None, False)}
        answered = [c for c in w.telegram.calls if c.method == "answerCallbackQuery"]
        assert len(answered) == 20  # every spinner stopped, each tap answered once
        w.clock.advance(WINDOW)
        answer = await stranger.tap_data("o:1:a", message_id=at)
        assert (answer.text, answer.show_alert) == (STRANGER_ALERT, True)
        assert len(stranger.bot_messages) == 1  # taps never use up the answer in the chat


async def test_five_strangers_flooding_hold_up_no_officer(config_path: Path) -> None:
    """Under Telegram's per-chat limits (a burst of three, then one a second), five
    strangers writing 30 messages each used to hold up the officer's answer by seconds:
    the bot waited for each stranger's chat in turn. Now it answers each of them once."""
    ticker, clock = Ticker(), FakeClock()
    telegram = FakeTelegram(clock=clock.now)
    telegram.enforce_limits(clock=ticker)
    limiter = ChatRateLimiter(clock=ticker, sleep=ticker.sleep)
    async with world(config_path, clock=clock, telegram=telegram, rate_limiter=limiter) as w:
        officer = await enrol(w, OFFICER_ID, "Wang", "--role", "officer", "--station", "tianping")
        strangers = [w.phone(7000 + n, f"Stranger {n}") for n in range(5)]
        started = ticker.now
        for _ in range(30):
            for stranger in strangers:
                await stranger.send("hello")
        await officer.send("/whoami")
        assert officer.last.plain.startswith("Wang")
        assert ticker.now - started < 1.5  # the officer waited for nobody's chat
        assert [len(s.bot_messages) for s in strangers] == [1] * 5
        assert not w.telegram.too_many


# -- buttons tapped in a group chat -----------------------------------------------------------


def _data(message: SeenMessage, label: str) -> str:
    button = message.button(label)
    assert button is not None and button.callback_data is not None, message.button_labels()
    return button.callback_data


def _screens(phones: list[Phone]) -> list[tuple[int, int, str, list[str], bool]]:
    return [
        (p.chat_id, m.message_id, m.plain, m.button_labels(), m.deleted)
        for p in phones
        for m in p.messages
    ]


async def test_no_button_tapped_in_a_group_is_acted_on(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        officer, li = s.officer, s.workers["Li Na"]
        coordinator = await enrol(
            w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw"
        )
        admin = w.phone(ADMIN_ID, "Admin")
        await admin.send("/help")
        held = await file(w, draft("domestic_violence"))
        await li.tap("✅ Accept")
        show, step = _data(li.last, "🔒 Show details"), _data(li.last, "✔ First contact made")
        await li.tap("Return to police")
        await li.tap("Not a matter for social work")  # a question with a Cancel button
        question = li.last
        offered = await file(w, draft("elderly"))
        offer_card = li.last
        await officer.send("/new")
        draft_card = officer.last
        await officer.send("/language")
        await admin.send("/invite")

        group = w.telegram.group(-100_321, "Station chat")
        await group.send(officer, "/help")
        at = group.messages[-1].message_id
        taps: list[tuple[Phone, str]] = [
            (officer, _data(draft_card, "Family dispute")),
            (li, _data(offer_card, "✅ Accept")),
            (li, _data(offer_card, "Decline")),
            (li, show),
            (li, step),
            (li, _data(question, "Cancel")),
            (coordinator, f"k:{held.id}:c"),
            (coordinator, f"k:{offered.id}:t"),
            (officer, f"w:{offered.id}"),
            (officer, _data(officer.last, "简体中文")),
            (admin, _data(admin.last, "Officer")),
            (admin, "inv:officer:tianping"),
            (coordinator, "r:k"),
            (w.phone(7777, "Stranger"), f"c:{held.id}:s"),
        ]
        phones = [officer, li, coordinator, admin]
        screens, calls = _screens(phones), len(w.telegram.calls)
        trail = await audit.entries(w.services.db.reader)
        for presser, data in taps:
            answer = await group.tap_data(presser, data, message_id=at)
            expected = None if presser.chat_id == 7777 else IN_A_GROUP
            assert (answer.text, answer.show_alert) == (expected, False), data
        assert group.bot_messages == []
        assert _screens(phones) == screens  # no details, pin or card anywhere, no edit
        assert {c.method for c in w.telegram.calls[calls:]} == {"answerCallbackQuery"}
        assert await audit.entries(w.services.db.reader) == trail
        assert (await referral_service.get(w.services, held.id)).status is Status.ACCEPTED  # type: ignore[union-attr]
        assert (await referral_service.get(w.services, offered.id)).status is Status.OFFERED  # type: ignore[union-attr]


async def test_details_shown_again_go_to_the_holders_own_chat(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        await file(w, draft("domestic_violence"))
        await li.tap("✅ Accept")
        shown = len([m for m in li.bot_messages if m.protect_content])
        await li.tap("🔒 Show details")
        assert len([m for m in li.bot_messages if m.protect_content]) == shown + 1


async def test_a_double_tap_on_decline_shows_the_reasons_once(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        await file(w, draft("other"))
        card = li.last
        decline = _data(card, "Decline")
        await li.tap("Decline")
        reasons = card.button_labels()
        answer = await li.tap_data(decline, message_id=card.message_id)
        assert (answer.text, card.button_labels()) == (None, reasons)


# -- input no phone should send -------------------------------------------------------------


@pytest.mark.parametrize("text", ["\u3000", "\u2028", "\x1c", "\u3000 \u2028"])
async def test_a_strangers_whitespace_only_message_gets_the_usual_answer(
    config_path: Path, text: str
) -> None:
    async with world(config_path) as w:
        stranger = w.phone(7777, "Someone")
        await stranger.send(text)
        assert stranger.last.plain.startswith("Hello. This bot links police stations")


FORGED = [
    "o:99999999999999999999999:a",
    "c:99999999999999999999999:s",
    "k:99999999999999999999999:c",
    "w:99999999999999999999999",
    "k:1:p:99999999999999999999999",
    "c:1:s\n",
    "o:١:a",
    "c:-1:s",
    "o:1:r:nonsense",
    "c:1:n:nonsense",
    "r:kok:1:a:1:n:999999999999",
    "r:c:1:a\n",
    "inv:nobody",
    "lang:",
    "p:x:",
    "d:zz:c:juvenile",
    "",
    "x" * 64,
]


@pytest.mark.parametrize("data", FORGED)
async def test_forged_button_data_is_no_longer_active_for_every_role(
    config_path: Path, data: str
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        coordinator = await enrol(
            w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw"
        )
        admin = w.phone(ADMIN_ID, "Admin")
        await admin.send("/help")
        await file(w, draft("other"))
        for phone in (s.officer, s.workers["Li Na"], coordinator, admin):
            answer = await phone.tap_data(data, message_id=phone.last.message_id)
            assert (answer.text, answer.show_alert) == (STALE, True), (phone, data)
