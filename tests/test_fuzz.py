"""Random input, as a stuck client, a modified app or a curious stranger sends it.

A few thousand seeded (so repeatable) random updates go through the real bot and the
strict fake Telegram: texts of any Unicode (control characters, whitespace-only, HTML
specials, right-to-left, emoji, 4096 characters), commands with odd arguments, locations,
photos, edits, and taps carrying real button data, mutated data (huge, negative or
non-ASCII numbers, a trailing newline, codes swapped) and random data; from enrolled
people of every role, a deactivated one and strangers, in their private chats and in a
group. Now and then the officer is mid-filing at a step that takes typed text (the place,
the person, the summary) and types there: blank-looking answers, names with phone and ID
numbers, odd Unicode. The bot must log no error at all (the autouse fixture fails on any
"referral_bot.errors" record; this test on any ERROR record, the library's included)
and answer every tap (the fake fails the tap otherwise).
"""

from __future__ import annotations

import logging
import random
import string
from datetime import timedelta
from pathlib import Path

import pytest

from bot.domain.flood import BURST
from bot.sandbox import Group, Phone
from bot.sandbox.world import World, world
from tests.conftest import ADMIN_ID
from tests.stories import draft, enrol, file, station

UPDATES = 650  # a seed; six seeds take about 8 seconds
SEEDS = (1, 2, 3, 4, 5, 6)
MID_FILING = 0.05  # the officer restarts a referral and types at the place, person or summary
COMMANDS = (
    "/start",
    "/help",
    "/new",
    "/resume",
    "/cancel",
    "/mine",
    "/available",
    "/away",
    "/oncall",
    "/cover",
    "/audit",
    "/invite",
    "/status",
    "/whoami",
    "/language",
    "/nonsense",
)
ARGUMENTS = (
    "",
    " R-AAAA",
    " 08:00",
    " 2h",
    " tomorrow",
    " 99999999999999999999999",
    " -1",
    " ١٢",
    " \u3000",
    " <b>&amp;",
    " ABCDEF234567",
)
WHITESPACE = ("\u3000", "\u2028", "\u2029", "\x1c", "\x1d", "\x1e", "\x1f", "\u00a0", "\x0b")
ALPHABETS = (
    string.printable,
    "".join(chr(c) for c in range(0x00, 0x20)),
    "张三李四派出所社工转介家庭暴力",
    "<>&\"'/;:",
    "٣١٢\u202e\u200f\u200b\u0301",
    "😀🚓🏠👩\u200d👧",
    "".join(WHITESPACE),
)
# What an officer types at the place, the person and the summary: blank-looking answers
# (a Chinese keyboard's full-width space), names with phones and ID numbers, odd Unicode.
TYPED = (
    "张三 13800138000",
    "电话：１３８００１３８０００，张三",
    "张三 110105194912310021",
    "11010519491231002X",
    "Chen Mei 138 0013 8000 1234 5678 901",
    "张三 13800138000 李四 13900139000",
    "Tel: +86 (21) 6431 2345",
    "\u200b",
    "\u200f\u202e",
    "\ufeff",
    "<b>&amp;</b>",
    "x" * 1001,
)
CODES = ("d", "o", "c", "k", "w", "p", "inv", "lang", "r", "x", "ref")
HUGE = ("99999999999999999999999", "9223372036854775808", "-1", "١", "0", "", "1e3", " 1")


def _text(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.25:
        text = rng.choice(COMMANDS) + rng.choice(ARGUMENTS)
    elif roll < 0.33:
        text = "".join(rng.choices(WHITESPACE, k=rng.randint(1, 6)))
    elif roll < 0.38:
        text = rng.choice("a张😀<\x01") * 4096
    elif roll < 0.43:
        text = "".join(rng.choices(string.ascii_letters + string.digits, k=12))
    else:
        alphabet = rng.choice(ALPHABETS)
        text = "".join(rng.choices(alphabet, k=rng.randint(1, 80)))
    text = text.encode("utf-16-le")[: 4096 * 2].decode("utf-16-le", errors="ignore")
    return text if text.strip(" \t\r\n") else "?"


def _typed(rng: random.Random) -> str:
    """An answer at a typed step: blank-looking more often than anything else."""
    roll = rng.random()
    if roll < 0.4:
        return "".join(rng.choices(WHITESPACE, k=rng.randint(1, 3)))
    if roll < 0.7:
        return rng.choice(TYPED)
    return _text(rng)


def _data(rng: random.Random, real: list[str]) -> str:
    roll = rng.random()
    if roll < 0.45 and real:
        data = rng.choice(real)
    elif roll < 0.75 and real:
        parts = rng.choice(real).split(":")
        spot = rng.randrange(len(parts))
        parts[spot] = rng.choice((*HUGE, rng.choice(CODES), parts[spot] + "\n"))
        data = ":".join(parts[: rng.randint(1, len(parts) + 1)])
    else:
        fields = [rng.choice(CODES)]
        for _ in range(rng.randint(0, 5)):
            fields.append(rng.choice((*HUGE, "a", "x", "s", "r", "ok", "k", "abcdef", "zh_Hans")))
        data = ":".join(fields)
    return data.encode()[:64].decode(errors="ignore") or "x"


def _buttons(phones: list[Phone], group: Group) -> list[str]:
    """Every callback data visible on any screen: what real taps would send."""
    chats: list[Phone | Group] = [*phones, group]
    return [
        button.callback_data
        for chat in chats
        for message in chat.messages
        if not message.deleted
        for row in message.buttons
        for button in row
        if button.callback_data
    ]


async def _people(w: World) -> list[Phone]:
    s = await station(w, {"Li Na": (), "Zhou Min": ("appropriate_adult",)})
    coordinator = await enrol(w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw")
    overnight = await enrol(w, 301, "Coord Wu", "--role", "coordinator")
    admin = w.phone(ADMIN_ID, "Admin")
    await admin.send("/help")
    gone = await enrol(w, 400, "Officer Gone", "--role", "officer", "--station", "tianping")
    await w.cli("deactivate", "400")
    await file(w, draft("domestic_violence"))
    await s.workers["Li Na"].tap("✅ Accept")
    await file(w, draft("juvenile"))
    strangers = [w.phone(7001, "Stranger"), w.phone(7002, "Другой", language="ru")]
    return [s.officer, *s.workers.values(), coordinator, overnight, admin, gone, *strangers]


async def _tap_filing(officer: Phone, action: str) -> bool:
    """Tap the newest card's filing button for ``action`` (in whatever language the
    officer reads); False when there is none (say the officer is over the flood limit)."""
    card = next((m for m in reversed(officer.bot_messages) if m.buttons), None)
    if card is None:
        return False
    for row in card.buttons:
        for button in row:
            data = button.callback_data or ""
            if data.startswith("d:") and data.split(":")[2:3] == [action]:
                await officer.tap_data(data, message_id=card.message_id)
                return True
    return False


async def _mid_filing(rng: random.Random, w: World, officer: Phone) -> None:
    """The officer starts a referral afresh and taps up to a step that takes typed
    text (the place, the person or the summary), then types there."""
    w.clock.advance(timedelta(seconds=15))  # a person's pace: within the flood limit
    await officer.send("/cancel")
    await officer.send("/new")
    steps = rng.randint(1, 3)  # where, the person, the summary
    for action in ("c", "s0", "u"):
        if not await _tap_filing(officer, action):
            return
    if steps > 1:
        await officer.send("Market street")
    if steps > 2:
        for action in ("a", "np", "cs"):
            if not await _tap_filing(officer, action):
                return
    for _ in range(rng.randint(1, 3)):
        await officer.send(_typed(rng))


async def _one(rng: random.Random, person: Phone, phones: list[Phone], group: Group) -> str:
    """One random update from ``person``; returns its kind, for the tally."""
    in_group = rng.random() < 0.12
    roll = rng.random()
    if roll < 0.45:
        if in_group:
            await group.send(person, _text(rng))
        else:
            await person.send(_text(rng))
        return "message"
    if roll < 0.9:
        data = _data(rng, _buttons(phones, group))
        if in_group:  # the bot posts nothing there: the tap names any message
            target = rng.choice(group.messages[-8:])
            await group.tap_data(person, data, message_id=target.message_id)
            return "tap"
        # Telegram sends taps only from the bot's own messages with buttons; the data
        # on them is the client's to forge. (Strangers have none: an old card, say.)
        cards = [m for m in person.bot_messages if m.buttons and not m.deleted] or [
            m for m in person.bot_messages if m.kind == "text" and not m.deleted
        ]
        if not cards:
            await person.send(rng.choice(("/language", "/help")))
            return "message"
        await person.tap_data(data, message_id=rng.choice(cards[-8:]).message_id)
        return "tap"
    if roll < 0.94:
        await person.send_location(rng.uniform(-90, 90), rng.uniform(-180, 180))
        return "location"
    if roll < 0.97:
        own = [m for m in person.messages if not m.from_bot and m.kind == "text"]
        if own:
            await person.edit(rng.choice(own), _text(rng))
            return "edit"
    await rng.choice((person.send_photo, person.send_sticker, person.send_voice))()
    return "media"


@pytest.mark.parametrize("seed", SEEDS)
async def test_random_updates_raise_no_error_and_every_tap_is_answered(
    config_path: Path, caplog: pytest.LogCaptureFixture, seed: int
) -> None:
    rng = random.Random(seed)  # noqa: S311 - test input, not secrets
    async with world(config_path) as w:
        phones = await _people(w)
        group = w.telegram.group(-100_900, "Station chat")
        await group.send(phones[0], "/help")
        tally: dict[str, int] = {}
        while sum(tally.values()) < UPDATES:
            w.clock.advance(timedelta(seconds=rng.choice((0, 0, 1, 1, 2, 3, 5, 30, 900))))
            person = rng.choice(phones)
            if rng.random() < MID_FILING:
                await _mid_filing(rng, w, phones[0])
                tally["filing"] = tally.get("filing", 0) + 1
                continue
            # Now and then a stuck client: a burst at one instant, past the flood limit.
            for _ in range(BURST + 10 if rng.random() < 0.003 else 1):
                kind = await _one(rng, person, phones, group)
                tally[kind] = tally.get(kind, 0) + 1
        assert group.bot_messages == []
        w.clock.advance(timedelta(minutes=1))  # past any flood cool-down
        await phones[0].send("/whoami")  # still running
        assert phones[0].last.plain.startswith("Officer Wang")
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors[:5]]
    assert tally["tap"] > UPDATES / 3 and tally["message"] > UPDATES / 3
