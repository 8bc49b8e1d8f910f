"""``/phone``: a person adds their own number in chat and verifies it with the code the
fake Twilio receives; nobody else ever sees the number, and it is sealed at rest."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.i18n import Translator
from bot.paging.sender import PageSender
from bot.sandbox import Phone
from bot.sandbox.fake_twilio import FakeTwilio
from bot.sandbox.world import World, world
from bot.services import paging
from handlers.phone import code_question
from storage import people
from storage.sealing import new_key
from storage.timefmt import from_db
from tests.stories import OFFICER_ID, enrol

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "twilio-auth-token-for-tests"
FROM = "+85230000000"
TYPED = "6123 4567"
NUMBER = "+85261234567"


@asynccontextmanager
async def paging_world(config_path: Path) -> AsyncIterator[tuple[World, FakeTwilio]]:
    """The bot with Twilio at a local fake, and a key sealing personal data at rest."""
    clock = FakeClock()
    (config_path.parent / "referral.key").write_text(new_key() + "\n", encoding="utf-8")
    twilio = FakeTwilio(SID, TOKEN, clock)
    await twilio.start()
    text = config_path.read_text(encoding="utf-8")
    config_path.write_text(
        text.replace(
            "[telegram]",
            f'[paging]\nbase_url = "{twilio.base_url}"\naccount_sid = "{SID}"\n'
            f'from_number = "{FROM}"\nauth_token = "{TOKEN}"\ndefault_region = "HK"\n\n'
            "[telegram]",
        ).replace("[database]", '[privacy]\nkey_file = "referral.key"\n\n[database]'),
        encoding="utf-8",
    )
    try:
        async with world(config_path, clock=clock) as w:
            assert isinstance(w.pager, PageSender)
            yield w, twilio
    finally:
        await twilio.close()


def code_of(twilio: FakeTwilio) -> str:
    found = re.search(r"[0-9]{6}", twilio.messages[-1].body)
    assert found is not None
    return found[0]


def everything_seen(w: World, *phones: Phone) -> str:
    return "\n".join(
        "\n".join(m.text or "" for m in p.messages)
        + "\n"
        + "\n".join(b.text for m in p.messages for row in m.buttons or [] for b in row)
        for p in phones
    )


async def add_number(phone: Phone, tr: Translator, typed: str = TYPED) -> None:
    await phone.send("/phone")
    await phone.tap(tr("Add a number"))
    await phone.send(typed)


async def test_a_coordinator_in_traditional_chinese_adds_and_verifies_her_number(
    config_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    tr = Translator("zh_Hant")
    async with paging_world(config_path) as (w, twilio):
        li = await enrol(
            w,
            500,
            "Coordinator Li",
            "--role",
            "coordinator",
            "--team",
            "xuhui-sw",
            language="zh_Hant",
        )
        officer = await enrol(
            w, OFFICER_ID, "Officer Wang", "--role", "officer", "--station", "tianping"
        )
        await li.send("/phone")
        assert tr("You have not added a number yet.") in li.last.text
        await li.tap(tr("Add a number"))
        await li.send(TYPED)
        # the code went by SMS, in her language, to the number in E.164
        assert [m.to for m in twilio.messages] == [NUMBER]
        code = code_of(twilio)
        assert twilio.messages[0].body == tr("Your referral-bot code is {code}").replace(
            "{code}", code
        )
        assert "••••4567" in li.last.text
        wrong = "000000" if code != "000000" else "111111"
        await li.send(wrong)
        assert li.last.text == tr.n(
            "That code is not right. {count} try left.",
            "That code is not right. {count} tries left.",
            4,
            count=4,
        )
        await li.send(code)
        assert "••••4567" in li.last.text and tr("verified") in li.last.text
        assert not any(m.text == code for m in li.messages)  # the typed code was deleted
        await li.send("/phone")
        assert tr("verified") in li.last.text and "••••4567" in li.last.text
        person = await people.by_telegram_id(w.services.db.reader, 500)
        assert person is not None
        (voice, sms) = await paging.contact_methods(w.services, person.id)
        assert voice.usable and sms.usable and voice.address == NUMBER
        # sealed at rest: not in the file, not in the outbox's row of the code
        raw = Path(w.services.db.path).read_bytes()
        for wal in Path(w.services.db.path).parent.glob("*-wal"):
            raw += wal.read_bytes()
        assert NUMBER.encode() not in raw and b"61234567" not in raw
        assert code.encode() not in raw
        # the audit trail says what was done, never the number
        async with w.services.db.reader.execute(
            "SELECT action, detail FROM audit_log WHERE action LIKE 'phone.%'"
        ) as cursor:
            audited = [tuple(row) for row in await cursor.fetchall()]
        assert [a for a, _ in audited] == ["phone.added", "phone.verified"]
        assert not any("4567" in (d or "") for _, d in audited)
        # nobody else saw it, no log line holds it or the code
        assert "4567" not in everything_seen(w, officer)
        for secret in (NUMBER, TYPED, "61234567", code):
            assert secret not in caplog.text


async def test_a_bad_number_is_asked_again_politely(config_path: Path) -> None:
    tr = Translator("en")
    async with paging_world(config_path) as (w, twilio):
        ann = await enrol(w, 200, "Ann", "--role", "social_worker", "--team", "xuhui-sw")
        await add_number(ann, tr, "12")
        assert "does not look like a phone number" in ann.last.text
        assert "for example" in ann.last.text
        assert twilio.messages == []
        await ann.send("+852 6123 4567")  # the question is still open
        assert len(twilio.messages) == 1
        assert ann.last.text == code_question(tr, _number("+85261234567"))


def _number(address: str):  # type: ignore[no-untyped-def]
    from bot.domain.phones import PhoneNumber

    return PhoneNumber(1, address, ())


async def test_an_expired_code_offers_a_new_one_and_new_codes_are_rate_limited(
    config_path: Path,
) -> None:
    tr = Translator("en")
    async with paging_world(config_path) as (w, twilio):
        ann = await enrol(w, 200, "Ann", "--role", "social_worker", "--team", "xuhui-sw")
        await add_number(ann, tr)
        first = code_of(twilio)
        w.clock.advance(timedelta(minutes=11))
        await ann.send(first)
        assert ann.last.text.startswith(tr("That code has expired."))
        answer = await ann.tap(tr("Send a new code"))
        assert len(twilio.messages) == 2
        second = code_of(twilio)
        # another at once: wait a minute
        await ann.send("/phone")
        answer = await ann.tap(tr("Send a new code"))
        assert "wait a minute" in (answer.text or "")
        assert len(twilio.messages) == 2
        for _ in range(3):
            w.clock.advance(timedelta(minutes=1, seconds=1))
            await ann.send("/phone")
            await ann.tap(tr("Send a new code"))
        assert len(twilio.messages) == 5
        w.clock.advance(timedelta(minutes=1, seconds=1))
        await ann.send("/phone")
        answer = await ann.tap(tr("Send a new code"))
        assert "5 codes in the last hour" in (answer.text or "")
        assert len(twilio.messages) == 5
        # the older codes stopped working; the newest works
        await ann.send(second)
        assert "not right" in ann.last.text
        await ann.send(code_of(twilio))
        assert ann.last.text.startswith("Verified")


async def test_five_wrong_codes_use_up_the_tries(config_path: Path) -> None:
    tr = Translator("en")
    async with paging_world(config_path) as (w, twilio):
        ann = await enrol(w, 200, "Ann", "--role", "social_worker", "--team", "xuhui-sw")
        await add_number(ann, tr)
        code = code_of(twilio)
        wrong = "000000" if code != "000000" else "111111"
        for left in (4, 3, 2, 1):
            await ann.send(wrong)
            assert f"{left} tr" in ann.last.text
        await ann.send(wrong)
        assert ann.last.text.startswith(tr("That code is not right, and no tries are left."))
        await ann.send(code)  # too late: not taken as a code
        await ann.send("/phone")
        assert tr("waiting for the code") in ann.last.text


async def test_a_worker_removes_a_number_and_changes_its_channels(config_path: Path) -> None:
    tr = Translator("en")
    async with paging_world(config_path) as (w, twilio):
        ann = await enrol(w, 200, "Ann", "--role", "social_worker", "--team", "xuhui-sw")
        await add_number(ann, tr)
        await ann.send(code_of(twilio))
        await ann.tap(tr("Call {number}", number="••••4567"))
        assert "••••4567 · call · verified" in ann.last.text
        person = await people.by_telegram_id(w.services.db.reader, 200)
        assert person is not None
        (voice,) = await paging.contact_methods(w.services, person.id)
        assert voice.kind.value == "voice" and voice.usable
        await ann.tap(tr("Both {number}", number="••••4567"))
        assert "••••4567 · call and SMS · verified" in ann.last.text
        await ann.tap(tr("Remove {number}", number="••••4567"))
        assert "Remove ••••4567?" in ann.last.text
        await ann.tap(tr("Yes, remove it"))
        assert tr("You have not added a number yet.") in ann.last.text
        assert await paging.contact_methods(w.services, person.id) == []


async def test_a_refused_number_shows_failing_and_adding_it_again_clears_it(
    config_path: Path,
) -> None:
    tr = Translator("en")
    async with paging_world(config_path) as (w, twilio):
        ann = await enrol(w, 200, "Ann", "--role", "social_worker", "--team", "xuhui-sw")
        await add_number(ann, tr)
        await ann.send(code_of(twilio))
        person = await people.by_telegram_id(w.services.db.reader, 200)
        assert person is not None
        methods = await paging.contact_methods(w.services, person.id)
        await paging.mark_failing(w.services, methods[1].id, "twilio 21614")
        await ann.send("/phone")
        assert "not working" in ann.last.text
        assert "it cannot receive text messages" in ann.last.text
        w.clock.advance(timedelta(minutes=2))
        await add_number(ann, tr)
        await ann.send(code_of(twilio))
        assert "••••4567 · call and SMS · verified" in ann.last.text
        assert all(m.usable for m in await paging.contact_methods(w.services, person.id))


async def test_a_number_twilio_refuses_for_the_code_shows_as_not_working(
    config_path: Path,
) -> None:
    """The code's SMS refused (21211): no SMS, and /phone says why in plain words."""
    tr = Translator("en")
    async with paging_world(config_path) as (w, twilio):
        ann = await enrol(w, 200, "Ann", "--role", "social_worker", "--team", "xuhui-sw")
        twilio.refuse(NUMBER, 21211)
        await add_number(ann, tr)
        assert twilio.messages == []
        await ann.send("/phone")
        assert "••••4567 · call and SMS · not working" in ann.last.text
        assert "the phone company says it is not a valid number" in ann.last.text


async def remove_number(phone: Phone, tr: Translator) -> None:
    await phone.send("/phone")
    await phone.tap(tr("Remove {number}", number="••••4567"))
    await phone.tap(tr("Yes, remove it"))


async def test_removing_and_adding_a_number_again_does_not_reset_the_code_limits(
    config_path: Path,
) -> None:
    """The review's loop: Add → Remove → Add, a minute apart, sent a code each time."""
    tr = Translator("en")
    async with paging_world(config_path) as (w, twilio):
        li = await enrol(w, 500, "Coord Li", "--role", "coordinator", "--team", "xuhui-sw")
        for _ in range(12):
            await add_number(li, tr)
            await remove_number(li, tr)
            w.clock.advance(timedelta(minutes=1, seconds=1))
        assert len(twilio.messages) == 5
        await add_number(li, tr)
        assert li.last.text == tr("You asked for 5 codes in the last hour. Please try again later.")
        # an hour on: five more, and then the day's ten are used up
        w.clock.advance(timedelta(hours=1))
        for _ in range(5):
            await add_number(li, tr)
            await remove_number(li, tr)
            w.clock.advance(timedelta(minutes=1, seconds=1))
        assert len(twilio.messages) == 10
        w.clock.advance(timedelta(hours=1))
        await add_number(li, tr)
        assert li.last.text == tr(
            "You asked for 10 codes in the last 24 hours. Please try again tomorrow."
        )
        assert len(twilio.messages) == 10
        w.clock.advance(timedelta(hours=23))
        await add_number(li, tr)
        assert len(twilio.messages) == 11


async def test_codes_to_one_number_by_two_people_count_against_the_number(
    config_path: Path,
) -> None:
    tr = Translator("en")
    async with paging_world(config_path) as (w, twilio):
        ann = await enrol(w, 200, "Ann", "--role", "social_worker", "--team", "xuhui-sw")
        bo = await enrol(w, 201, "Bo", "--role", "social_worker", "--team", "xuhui-sw")
        await add_number(ann, tr)
        await add_number(bo, tr)
        for person in (ann, bo, ann):
            w.clock.advance(timedelta(minutes=1, seconds=1))
            await person.send("/phone")
            await person.tap(tr("Send a new code"))
        assert len(twilio.messages) == 5
        w.clock.advance(timedelta(minutes=1, seconds=1))
        await bo.send("/phone")
        answer = await bo.tap(tr("Send a new code"))
        assert answer.text == tr(
            "This number was sent 5 codes in the last hour. Please try again later."
        )
        assert len(twilio.messages) == 5


async def test_new_codes_do_not_bring_new_guesses(config_path: Path) -> None:
    tr = Translator("en")
    async with paging_world(config_path) as (w, twilio):
        ann = await enrol(w, 200, "Ann", "--role", "social_worker", "--team", "xuhui-sw")
        await add_number(ann, tr)
        wrong = "000000" if code_of(twilio) != "000000" else "111111"
        for _ in range(4):
            await ann.send(wrong)
        w.clock.advance(timedelta(minutes=1, seconds=1))
        await ann.send("/phone")
        await ann.tap(tr("Send a new code"))
        assert len(twilio.messages) == 2
        wrong = "000000" if code_of(twilio) != "000000" else "111111"
        await ann.send(wrong)
        assert ann.last.text == (
            tr("That code is not right, and no tries are left.")
            + " "
            + tr("You typed 5 wrong codes in the last hour. Please try again in an hour.")
        )
        # no new code (it would bring no guess) until the hour is over
        w.clock.advance(timedelta(minutes=1, seconds=1))
        await ann.send("/phone")
        answer = await ann.tap(tr("Send a new code"))
        assert answer.text == tr(
            "You typed 5 wrong codes in the last hour. Please try again in an hour."
        )
        assert len(twilio.messages) == 2
        w.clock.advance(timedelta(hours=1))
        await ann.send("/phone")
        await ann.tap(tr("Send a new code"))
        await ann.send(code_of(twilio))
        assert ann.last.text.startswith("Verified")


async def _code_rows(w: World) -> list[tuple[str | None, str | None]]:
    async with w.services.db.reader.execute(
        "SELECT vals, dead_at FROM outbox WHERE kind = 'phone_code' ORDER BY id"
    ) as cursor:
        return [(row[0], row[1]) for row in await cursor.fetchall()]


async def test_a_code_sms_given_up_keeps_no_code(config_path: Path) -> None:
    tr = Translator("en")
    async with paging_world(config_path) as (w, twilio):
        ann = await enrol(w, 200, "Ann", "--role", "social_worker", "--team", "xuhui-sw")
        twilio.refuse(NUMBER, 21211)
        await add_number(ann, tr)
        assert twilio.messages == []
        ((vals, dead_at),) = await _code_rows(w)
        assert dead_at is not None and vals == "{}"


async def test_a_code_sms_held_back_past_its_expiry_is_not_sent(config_path: Path) -> None:
    tr = Translator("en")
    async with paging_world(config_path) as (w, twilio):
        ann = await enrol(w, 200, "Ann", "--role", "social_worker", "--team", "xuhui-sw")
        twilio.fail_next(503, times=6)  # Twilio down for eight minutes
        await add_number(ann, tr)
        for _ in range(11):
            w.clock.advance(timedelta(minutes=1))
            await w.settle()
        assert twilio.messages == []  # Twilio was back, but the code had expired
        ((vals, dead_at),) = await _code_rows(w)
        assert dead_at is not None and vals == "{}"
        await ann.send("/phone")
        assert (
            tr("The code could not be sent to it before it expired. You can ask for a new code.")
            in ann.last.text
        )
        await ann.tap(tr("Send a new code"))
        await ann.send(code_of(twilio))
        assert ann.last.text.startswith("Verified")


async def test_a_code_waiting_to_be_sent_survives_choosing_call_only(config_path: Path) -> None:
    """Twilio is down a moment when the number is added, and the person then picks
    "Call" only: the code's SMS still goes to the number once Twilio is back."""
    tr = Translator("en")
    async with paging_world(config_path) as (w, twilio):
        ann = await enrol(w, 200, "Ann", "--role", "social_worker", "--team", "xuhui-sw")
        twilio.fail_next(503, times=1)
        await add_number(ann, tr)
        assert twilio.messages == []
        await ann.send("/phone")
        await ann.tap(tr("Call {number}").format(number="••••4567"))
        w.clock.advance(timedelta(minutes=1))
        await w.settle()
        assert [m.to for m in twilio.messages] == [NUMBER]
        await ann.send(code_of(twilio))
        assert ann.last.text.startswith("Verified")


async def test_a_code_sms_the_deployment_keeps_refusing_is_given_up_at_its_expiry(
    config_path: Path,
) -> None:
    """Twilio refuses for a reason of the account's (21606: the From number cannot send
    SMS): the code's SMS is retried, but never past the code's ten minutes."""
    tr = Translator("en")
    async with paging_world(config_path) as (w, twilio):
        ann = await enrol(w, 200, "Ann", "--role", "social_worker", "--team", "xuhui-sw")
        twilio.fail_next(400, times=50, code=21606)
        written = w.clock.now()
        await add_number(ann, tr)
        for _ in range(30):
            w.clock.advance(timedelta(seconds=30))
            await w.settle()
        ((vals, dead_at),) = await _code_rows(w)
        assert dead_at is not None and vals == "{}"
        assert from_db(dead_at) <= written + timedelta(minutes=10, seconds=30)
        assert twilio.messages == []
