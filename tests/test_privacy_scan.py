"""One story with canary personal data from filing to closure, then a scan of everything
the bot let out of its hands: every log line (text and JSON, at DEBUG), every Bot API
call, the raw database files and a backup. The only places the canaries may appear are
the officer's own chat while he types them and the protected reveals to the person who
holds the case."""

from __future__ import annotations

import io
import json
import logging
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import logs
from bot.clock import FakeClock
from bot.domain.draft import Draft
from bot.domain.referral import Urgency
from bot.engine import escalation
from bot.sandbox import FakeTelegram
from bot.sandbox.world import World, world
from bot.services import cases as cases_service
from tests.stories import (
    CANARY_NAME,
    CANARY_PHONE,
    CANARY_PLACE,
    OFFICER_ID,
    close_case,
    draft,
    enrol,
    file,
    station,
)

CANARY_ID = "11010519491231002X"  # a Chinese resident ID number
CANARY_MAIL = "canary.victim@example.com"
CANARY_TEXT = "CanaryTyped"
SUMMARY = f"CanarySummary: neighbour {CANARY_MAIL} says ID {CANARY_ID}, door broken"
CANARIES = (CANARY_NAME, CANARY_PHONE, CANARY_PLACE, "CanarySummary", CANARY_ID, CANARY_MAIL)
TYPED = (CANARY_PHONE, CANARY_ID, CANARY_MAIL, CANARY_TEXT)  # what workers type about a case
THURSDAY_1400 = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)  # 14:00 in Shanghai, in hours


class Windows:
    """Stretches of API calls (by index) in which the officer was typing a referral."""

    def __init__(self) -> None:
        self.spans: list[range] = []

    async def file(self, w: World, d: Draft) -> None:
        start = len(w.telegram.calls)
        await file(w, d)
        self.spans.append(range(start, len(w.telegram.calls)))

    def typing(self, index: int) -> bool:
        return any(index in span for span in self.spans)


def _with_key_and_hiding(config_path: Path) -> None:
    text = config_path.read_text(encoding="utf-8")
    privacy = '[privacy]\nkey_file = "referral.key"\nhide_details_at_closure = true\n\n'
    config_path.write_text(text.replace("[telegram]", privacy + "[telegram]"), encoding="utf-8")


@pytest.mark.expect_errors
async def test_canaries_appear_nowhere_but_the_reveals(
    config_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_key_and_hiding(config_path)
    caplog.set_level(logging.DEBUG)  # first: caplog puts back the root level it found
    levels = {name: logging.getLogger(name).level for name in logs.PAYLOAD_LOGGERS}
    logs.configure(logging.DEBUG)  # the most an operator can turn on; undone below
    json_out = io.StringIO()
    json_handler = logging.StreamHandler(json_out)
    json_handler.setFormatter(logs.JsonFormatter())
    logging.getLogger().addHandler(json_handler)
    clock = FakeClock(THURSDAY_1400)
    windows = Windows()
    try:
        async with world(config_path, clock=clock) as w:
            s = await station(w, {"Li Na": (), "Zhou Min": ()})
            chen = await enrol(w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw")
            await chen.send("/available")
            li, zhou = s.workers["Li Na"], s.workers["Zhou Min"]

            # 1. Li accepts, works the case, closes it with a note that quotes identifiers.
            await windows.file(w, draft("neighbour_dispute", summary=SUMMARY))
            await zhou.tap("Decline")
            await zhou.tap("Busy with another case")
            await li.tap("✅ Accept")
            await li.tap("✔ First contact made")
            await li.tap("Close case")
            await li.tap("Resolved")
            await li.send(f"{CANARY_TEXT} call {CANARY_PHONE} or {CANARY_MAIL}")

            # 2. Nobody takes the next one: the coordinator is woken and takes it himself;
            #    he returns it to police with a reason that quotes an ID number.
            await li.send("/away")
            await zhou.send("/away")
            await windows.file(w, draft("family_dispute", urgency=Urgency.URGENT))
            for _ in range(8):
                clock.advance(timedelta(minutes=10))
                await escalation.tick(w.services)
                await w.settle()
            await chen.tap("🙋 Take it myself")
            await chen.tap("Return to police")
            await chen.tap("Needs police action (crime or danger)")
            await chen.send(f"{CANARY_TEXT}: threats made, ID {CANARY_ID}")

            # 3. The officer and the coordinator look things up; a handler crashes on input.
            await s.officer.send("/mine")
            await chen.send("/mine")
            await windows.file(w, draft("elderly"))

            async def broken(*args: object, **kwargs: object) -> None:
                raise ValueError(f"cannot parse {CANARY_PHONE} {CANARY_ID}")

            monkeypatch.setattr(cases_service, "advance", broken)
            await s.workers["Li Na"].send("/available")
            await li.tap("✅ Accept")
            await li.tap("✔ First contact made")
            status, _, err = await w.cli("backup", str(config_path.parent / "copy.sqlite3"))
            assert status == 0, err
            calls = list(w.telegram.calls)
            holders = {li.chat_id, chen.chat_id}
    finally:
        logging.getLogger().removeHandler(json_handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)  # setLevel also clears the loggers' caches

    # What the story must have produced, or the scan proves nothing.
    reveals = [
        c
        for c in calls
        if c.method == "sendMessage" and c.params.get("protect_content") and "🔒" in str(c.params)
    ]
    assert {c.params["chat_id"] for c in reveals} == holders
    assert any(CANARY_NAME in str(c.params) for c in reveals)
    officer_news = [str(c.params) for c in calls if c.params.get("chat_id") == OFFICER_ID]
    assert any("Note:" in t and CANARY_TEXT in t for t in officer_news)  # the masked note
    assert any("threats made" in t for t in officer_news)  # the masked return reason
    assert any(c.params.get("text", "").startswith("⏫") for c in calls if "text" in c.params)
    assert "builtins.ValueError" in caplog.text

    for index, call in enumerate(calls):
        if call.params.get("chat_id") == OFFICER_ID and windows.typing(index):
            continue  # the officer's own words, on his own screen, while he files
        if call in reveals:
            continue  # the details, protected, to whoever holds the case
        text = json.dumps(call.params, ensure_ascii=False)
        for canary in (*CANARIES, *TYPED[:3]):
            assert canary not in text, (index, call.method, canary, text)

    json_lines = [json.loads(line) for line in json_out.getvalue().splitlines()]
    assert any(line.get("ref") and line.get("action") for line in json_lines)
    for output in (caplog.text, json_out.getvalue()):
        for canary in (*CANARIES, *TYPED):
            assert canary not in output, canary

    files = [*config_path.parent.glob("bot.sqlite3*"), config_path.parent / "copy.sqlite3"]
    raw = b"".join(path.read_bytes() for path in files)
    assert len(raw) > 10_000
    for canary in (*CANARIES, *TYPED):
        assert canary.encode() not in raw, canary


# A location pin as an officer's phone sends it, and the forms its digits take in text.
PIN = (31.1234567, 121.4567891)


def _number_forms(value: float) -> set[bytes]:
    """``value`` as it could sit on disk: written out (as typed, rounded or cut to 4-6
    decimals, as the review card shows it) and as SQLite stores a REAL (8 bytes)."""
    text = repr(value)
    whole, decimals = text.split(".")
    forms = {text, *(f"{value:.{n}f}" for n in (4, 5, 6))}
    forms |= {f"{whole}.{decimals[:n]}" for n in (4, 5, 6)}
    return {form.encode() for form in forms} | {struct.pack(">d", value)}


NUMBER_CANARIES = {
    *_number_forms(PIN[0]),
    *_number_forms(PIN[1]),
    CANARY_PHONE.encode(),
    CANARY_ID.encode(),
}


async def test_a_location_pin_and_numbers_are_nowhere_in_clear_on_disk(config_path: Path) -> None:
    """A pin sent at the Where step, filed, accepted, shown, closed; another officer's
    draft left half-done with a pin; a restart: the database file, its WAL and a backup
    made before and after the restart hold none of the pin's digits, phone or ID."""
    _with_key_and_hiding(config_path)
    clock = FakeClock(THURSDAY_1400)
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        summary = f"CanarySummary: her ID {CANARY_ID}"
        await file(
            w,
            draft("elderly", place=None, latitude=PIN[0], longitude=PIN[1], summary=summary),
        )
        await li.tap("✅ Accept")
        assert any(m.kind == "location" for m in li.bot_messages)  # the pin was shown
        await li.tap("✔ First contact made")
        await close_case(li, f"Visited; she asked to be called on {CANARY_PHONE}")
        # A second officer gets as far as the pin and stops there.
        other = await enrol(w, 102, "Officer Zhao", "--role", "officer", "--station", "tianping")
        await other.send("/new")
        for label in ("Older or vulnerable person", "None of these", "● Routine (suggested)"):
            await other.tap(label)
        await other.send_location(*PIN)
        assert "step 5 of 9" in other.last.plain  # past Where: the pin was taken
        status, _, err = await w.cli("backup", str(config_path.parent / "before.sqlite3"))
        assert status == 0, err
    async with world(config_path, clock=clock, telegram=telegram) as w:  # a restart
        await other.send("/resume")
        assert "step 5 of 9" in other.last.plain  # the unfinished draft, pin and all
        status, _, err = await w.cli("backup", str(config_path.parent / "after.sqlite3"))
        assert status == 0, err
        files = [
            *config_path.parent.glob("bot.sqlite3*"),
            config_path.parent / "before.sqlite3",
            config_path.parent / "after.sqlite3",
        ]
        assert any(path.name.endswith("-wal") for path in files)
        for path in files:
            raw = path.read_bytes()
            for canary in NUMBER_CANARIES:
                assert canary not in raw, (path.name, canary)
