"""A night escalation rings the coordinator's phone (issue 17, "Done when").

The bot runs against the fake Bot API, a local fake Twilio and the bot's own keypress
endpoint on loopback, on the fake clock: the coordinator on duty has a verified voice
number and SMS; at the planned minute (and not before) Twilio is asked to call and to
text her, in her language, with no personal details; the last level repeats the pages
until she says "I'm on it", by pressing 1 or by the button on her escalation card; then
her pages stop and the other coordinator and the officer hear.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tornado.netutil import bind_sockets

from bot.clock import FakeClock
from bot.config import ConfigError, load_config
from bot.domain.paging import Channel, ContactKind, PageContent
from bot.domain.referral import Referral, Urgency
from bot.engine import escalation
from bot.paging import inbound
from bot.paging.sender import backoff
from bot.paging.text import page_text
from bot.sandbox import FakeTelegram, Phone
from bot.sandbox.fake_twilio import FakeTwilio, Sent
from bot.sandbox.world import World, world
from bot.services import paging
from handlers.paging import names
from storage import audit, people
from tests.stories import CANARY_NAME, CANARY_PHONE, CANARY_PLACE, draft, enrol, file, station

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "twilio-auth-token-for-tests"
FROM = "+85230000000"
CHEN_NUMBER = "+85291234567"
BOSS_NUMBER = "+85297654321"
CANARIES = (CANARY_NAME, CANARY_PHONE, CANARY_PLACE, "CanarySummary")

THURSDAY_2340 = datetime(2026, 11, 26, 15, 40, tzinfo=UTC)  # 23:40 in Shanghai: night
THURSDAY_1000 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai: in hours
# immediate: levels 1, 2, 3 at 5, 15 and 30 minutes after filing, then every 15.
LEVEL_1 = timedelta(minutes=5)
LEVEL_2 = timedelta(minutes=15)
LEVEL_3 = timedelta(minutes=30)
REPEAT = timedelta(minutes=15)


@dataclass
class Night:
    w: World
    twilio: FakeTwilio
    officer: Phone
    chen: Phone  # the coordinator on duty
    boss: Phone  # every station's coordinator, off duty
    referral: Referral

    def pages_to(self, number: str) -> list[Sent]:
        return [sent for sent in self.twilio.log if sent.to == number]

    async def tick(self) -> None:
        await escalation.tick(self.w.services)
        await self.w.settle()

    async def at(self, moment: timedelta) -> None:
        """Advance to ``moment`` after filing and take the engine's round."""
        self.w.clock.advance(self.referral.created_at + moment - self.w.clock.now())
        await self.tick()


def with_paging(config_path: Path, twilio: FakeTwilio, public_url: str) -> None:
    text = config_path.read_text(encoding="utf-8")
    text = text.replace(
        'stations = ["tianping", "xietu"]',
        'stations = ["tianping", "xietu"]\nservice_hours = ["mon-fri 09:00-18:00"]',
    )
    config_path.write_text(
        text.replace(
            "[telegram]",
            f'[paging]\nbase_url = "{twilio.base_url}"\naccount_sid = "{SID}"\n'
            f'from_number = "{FROM}"\npublic_url = "{public_url}"\n\n[telegram]',
        ),
        encoding="utf-8",
    )


async def add_verified(w: World, telegram_id: int, kind: ContactKind, number: str) -> None:
    """A verified method, as /phone (built beside this) leaves it."""
    person = await people.by_telegram_id(w.services.db.reader, telegram_id)
    assert person is not None
    method = await paging.add_contact_method(w.services, person.id, kind, number)
    assert await paging.verify_contact_method(w.services, method.id)


@dataclass
class Providers:
    """The fake Twilio and the socket of the bot's keypress endpoint, with the config
    pointing at both; they outlive a restart of the bot."""

    clock: FakeClock
    twilio: FakeTwilio
    sockets: list[socket.socket]


@asynccontextmanager
async def providers(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, start: datetime
) -> AsyncIterator[Providers]:
    clock = FakeClock(start)
    twilio = FakeTwilio(SID, TOKEN, clock)
    await twilio.start()
    sockets = bind_sockets(0, "127.0.0.1")
    with_paging(config_path, twilio, f"http://127.0.0.1:{sockets[0].getsockname()[1]}")
    monkeypatch.setenv("REFERRAL_BOT_PAGING__AUTH_TOKEN", TOKEN)
    try:
        yield Providers(clock, twilio, sockets)
    finally:
        await twilio.close()
        for bound in sockets:
            bound.close()


async def filed(w: World, twilio: FakeTwilio, chen_language: str) -> Night:
    """An immediate domestic violence referral that Li Na does not take; Coord Chen
    (on duty) has a verified voice number and SMS, the Night Boss (off duty) an SMS."""
    s = await station(w, {"Li Na": ("domestic_violence",), "Zhou Min": ()})
    chen = await enrol(
        w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw", language=chen_language
    )
    await chen.send("/available")
    boss = await enrol(w, 301, "Night Boss", "--role", "coordinator")
    await add_verified(w, 300, ContactKind.VOICE, CHEN_NUMBER)
    await add_verified(w, 300, ContactKind.SMS, CHEN_NUMBER)
    await add_verified(w, 301, ContactKind.SMS, BOSS_NUMBER)
    referral = await file(w, draft("domestic_violence", urgency=Urgency.IMMEDIATE))
    return Night(w, twilio, s.officer, chen, boss, referral)


@asynccontextmanager
async def night(
    config_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    start: datetime = THURSDAY_2340,
    chen_language: str = "en",
) -> AsyncIterator[Night]:
    """The bot running, with its keypress endpoint, and the referral filed at ``start``."""
    async with (
        providers(config_path, monkeypatch, start) as p,
        world(config_path, clock=p.clock) as w,
    ):
        server = inbound.server(w.services, names(w.services.config))
        server.add_sockets(p.sockets)
        try:
            yield await filed(w, p.twilio, chen_language)
        finally:
            server.stop()
            await server.close_all_connections()


def no_personal_data(twilio: FakeTwilio) -> None:
    for sent in twilio.log:
        for canary in CANARIES:
            assert canary not in sent.body, (sent.kind, canary)


async def test_a_night_escalation_pages_on_time_repeats_and_stops_at_the_keypress(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with night(config_path, monkeypatch, chen_language="zh_Hans") as n:
        ref = n.referral.ref
        await n.at(LEVEL_1)
        await n.at(LEVEL_2 - timedelta(minutes=1))
        assert n.twilio.log == []  # nothing before the planned minute (level 1 pages nobody)
        await n.at(LEVEL_2)  # the coordinator on duty: a call and an SMS, in Chinese
        call, sms = sorted(n.pages_to(CHEN_NUMBER), key=lambda s: s.kind)
        assert (call.kind, sms.kind) == ("call", "sms")
        category, urgency = names(n.w.services.config)(
            "zh_Hans", PageContent(ref, "domestic_violence", "immediate")
        )
        said = page_text(ref, category, urgency, "zh_Hans")
        assert sms.body.startswith(said) and said in call.spoken and "请打开 Telegram" in said
        assert n.pages_to(BOSS_NUMBER) == []  # level 2 is the coordinator on duty only

        await n.at(LEVEL_3 - timedelta(minutes=1))
        assert len(n.twilio.log) == 2
        await n.at(LEVEL_3)  # every coordinator: Chen again, and the Boss
        assert len(n.pages_to(CHEN_NUMBER)) == 4 and len(n.pages_to(BOSS_NUMBER)) == 1
        await n.at(LEVEL_3 + REPEAT)  # the repeat: everyone who has not acknowledged
        assert len(n.pages_to(CHEN_NUMBER)) == 6 and len(n.pages_to(BOSS_NUMBER)) == 2

        latest_call = [s for s in n.pages_to(CHEN_NUMBER) if s.kind == "call"][-1]
        answer = await n.twilio.press(latest_call, "1")
        assert answer.status_code == 200 and "<Say" in answer.text
        await n.w.settle()
        assert any("Coord Chen" in t and ref in t and "call" in t for t in n.boss.texts)
        assert n.officer.last.plain.endswith("🙋 Coordinator Coord Chen is on it.")

        await n.at(LEVEL_3 + 2 * REPEAT)  # the next repeat: held, Chen is on it
        assert len(n.pages_to(CHEN_NUMBER)) == 6 and len(n.pages_to(BOSS_NUMBER)) == 2
        await n.at(LEVEL_3 + 3 * REPEAT)  # the hold's 30 minutes are over: the Boss only
        assert len(n.pages_to(CHEN_NUMBER)) == 6 and len(n.pages_to(BOSS_NUMBER)) == 3
        no_personal_data(n.twilio)

        records, acks = await paging.history(n.w.services, n.referral.id)
        chen = await people.by_telegram_id(n.w.services.db.reader, 300)
        assert chen is not None
        assert [(a.person_id, a.via) for a in acks] == [(chen.id, "call")]
        mine = [r for r in records if r.person_id == chen.id]
        assert len(mine) == 6 and all(r.sent_at and r.acknowledged_via == "call" for r in mine)
        assert {r.channel for r in mine} == {Channel.VOICE, Channel.SMS}
        said_on_it = await audit.entries(
            n.w.services.db.reader, action="referral.page_acknowledged"
        )
        assert [(e.subject, e.detail) for e in said_on_it] == [(ref, "call")]


async def test_im_on_it_on_the_card_stops_the_pages_and_the_others_hear(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with night(config_path, monkeypatch) as n:
        await n.at(LEVEL_1)
        await n.at(LEVEL_2)
        assert len(n.pages_to(CHEN_NUMBER)) == 2
        await n.at(LEVEL_3)
        assert len(n.pages_to(CHEN_NUMBER)) == 4
        await n.chen.tap("🙋 I'm on it")
        assert (n.chen.callback_answers[-1].text or "").startswith("Recorded: you are on it.")
        await n.chen.tap("🙋 I'm on it")  # a second tap changes nothing
        assert n.chen.callback_answers[-1].text == "You already said you are on it."
        on_it = [t for t in n.boss.texts if t.startswith("🙋 Coord Chen is on")]
        assert len(on_it) == 1 and "by Telegram" in on_it[0] and "23:40" not in on_it[0]
        assert sum("is on it" in t for t in n.officer.texts) == 1
        await n.at(LEVEL_3 + REPEAT)  # the Boss was told Chen is on it: his pages hold
        assert len(n.pages_to(BOSS_NUMBER)) == 1
        await n.at(LEVEL_3 + 2 * REPEAT)  # 30 minutes on, still nobody has accepted it
        assert len(n.pages_to(CHEN_NUMBER)) == 4  # no more for her
        assert len(n.pages_to(BOSS_NUMBER)) == 2  # the Boss has not said so
        # The Boss is on it too: recorded, and Chen hears.
        await n.boss.tap("🙋 I'm on it")
        assert any(t.startswith("🙋 Night Boss is on") for t in n.chen.texts)
        _, acks = await paging.history(n.w.services, n.referral.id)
        assert [a.via for a in acks] == ["telegram", "telegram"]


async def test_pages_to_the_others_hold_after_im_on_it_and_resume_across_a_restart(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chen says she is on it at level 3: the Boss keeps his Telegram reminders but his
    phone is left alone for ``hold_after_ack_minutes`` (30); the referral still waiting
    when the hold ends, the next repeat pages him again, also after a restart."""
    telegram = FakeTelegram()
    async with providers(config_path, monkeypatch, THURSDAY_2340) as p:
        async with world(config_path, clock=p.clock, telegram=telegram) as w:
            n = await filed(w, p.twilio, "en")
            await n.at(LEVEL_1)
            await n.at(LEVEL_2)
            await n.at(LEVEL_3)
            assert len(n.pages_to(BOSS_NUMBER)) == 1
            await n.chen.tap("🙋 I'm on it")
            reminders = len(n.boss.texts)
            await n.at(LEVEL_3 + REPEAT)
            assert len(n.pages_to(BOSS_NUMBER)) == 1  # held
            assert len(n.boss.texts) > reminders  # but still reminded on Telegram
            await n.at(LEVEL_3 + 2 * REPEAT - timedelta(minutes=1))
            assert len(n.pages_to(BOSS_NUMBER)) == 1
        async with world(config_path, clock=p.clock, telegram=telegram) as w:
            n.w = w
            await n.at(LEVEL_3 + 2 * REPEAT)  # the hold is over, the referral still waits
            assert len(n.pages_to(BOSS_NUMBER)) == 2
            assert len(n.pages_to(CHEN_NUMBER)) == 4  # never again for her


async def test_a_page_waiting_when_someone_is_on_it_is_held(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Boss's level-3 page is still waiting (Twilio down) when Chen says she is on
    it: it is not sent during the hold."""
    async with night(config_path, monkeypatch) as n:
        await n.at(LEVEL_1)
        await n.at(LEVEL_2)
        n.twilio.fail_next(503, times=3)  # Chen's call and SMS, the Boss's SMS
        await n.at(LEVEL_3)
        assert len(n.pages_to(BOSS_NUMBER)) == 0
        await n.chen.tap("🙋 I'm on it")
        n.w.clock.advance(backoff(0))
        await n.w.settle()
        assert n.pages_to(BOSS_NUMBER) == []


async def test_a_coordinator_telegram_cannot_reach_is_still_paged(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chen, on duty, blocked the bot: no card for her, but her phone rings at level 2,
    and level 2 counts as told (the ladder waits there before every coordinator)."""
    async with night(config_path, monkeypatch) as n:
        chen = await people.by_telegram_id(n.w.services.db.reader, 300)
        assert chen is not None
        async with n.w.services.db.statement() as conn:
            await people.set_reachable(conn, chen.id, False, n.w.clock.now())
        await n.at(LEVEL_1)
        before = len(n.chen.texts)
        await n.at(LEVEL_2)
        assert sorted(s.kind for s in n.pages_to(CHEN_NUMBER)) == ["call", "sms"]
        assert len(n.chen.texts) == before  # Telegram cannot reach her: no card
        assert n.pages_to(BOSS_NUMBER) == [] and not any("⏫" in t for t in n.boss.texts)
        await n.at(LEVEL_3)  # every coordinator, at the planned minute
        assert len(n.pages_to(CHEN_NUMBER)) == 4 and len(n.pages_to(BOSS_NUMBER)) == 1


async def test_a_daytime_escalation_pages_nobody_when_night_only(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with night(config_path, monkeypatch, start=THURSDAY_1000) as n:
        await n.at(LEVEL_1)
        await n.at(LEVEL_2)
        assert "⏫" in n.chen.last.plain  # told on Telegram…
        await n.at(LEVEL_3 + REPEAT)
        assert n.twilio.log == []  # …but nobody's phone rings by day


async def test_a_page_waiting_when_the_referral_is_taken_is_not_sent(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checked at send time: the page written by the step, the card taken before the
    page sender came round, and the page is given up."""
    async with night(config_path, monkeypatch) as n:
        await n.at(LEVEL_1)
        n.w.clock.advance(n.referral.created_at + LEVEL_2 - n.w.clock.now())
        await escalation.tick(n.w.services)
        await n.w.sender.settle()  # Telegram only: the pages wait
        await n.chen.tap("🙋 Take it myself")
        await n.w.settle()
        assert n.twilio.log == []
        records, _ = await paging.history(n.w.services, n.referral.id)
        assert len(records) == 2 and all(r.given_up_at and not r.sent_at for r in records)


async def test_a_restart_between_the_step_and_the_send_pages_once(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    telegram = FakeTelegram()
    async with providers(config_path, monkeypatch, THURSDAY_2340) as p:
        async with world(config_path, clock=p.clock, telegram=telegram) as w:
            n = await filed(w, p.twilio, "en")
            await n.at(LEVEL_1)
            p.clock.advance(LEVEL_2 - LEVEL_1)
            await escalation.tick(w.services)  # the step and its pages committed; then down
        assert p.twilio.log == []
        async with world(config_path, clock=p.clock, telegram=telegram) as w:
            for _ in range(2):
                await escalation.tick(w.services)
                await w.settle()
            assert sorted(s.kind for s in p.twilio.log) == ["call", "sms"]
            records, _ = await paging.history(w.services, n.referral.id)
            assert len(records) == 2
            steps = await audit.entries(w.services.db.reader, action="referral.escalation_step")
            assert len(steps) == 2  # level 1 and level 2, once each


async def test_provider_errors_at_night_then_the_call_goes_once(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with night(config_path, monkeypatch) as n:
        await n.at(LEVEL_1)
        n.twilio.fail_next(503, times=2)
        await n.at(LEVEL_2)  # two 503s (the call and the SMS each once, in page order)
        assert n.twilio.log == []
        n.w.clock.advance(backoff(0))
        await n.w.settle()
        n.w.clock.advance(backoff(1))
        await n.w.settle()
        assert sorted(s.kind for s in n.pages_to(CHEN_NUMBER)) == ["call", "sms"]
        n.w.clock.advance(backoff(5))
        await n.w.settle()
        assert len(n.pages_to(CHEN_NUMBER)) == 2 and n.twilio.requests == 4


async def test_a_refused_number_tells_the_coordinators_and_its_owner(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with night(config_path, monkeypatch) as n:
        await n.at(LEVEL_1)
        n.twilio.refuse(CHEN_NUMBER, 21614)
        await n.at(LEVEL_2)
        assert n.twilio.log == []
        await n.w.settle()  # what the refusals wrote to the outbox
        # The call and the SMS are refused: each method is failing, each told once.
        told = "⚠️ Your number could not be reached; please enter it again with /phone."
        assert n.chen.texts.count(told) == 2
        warned = [t for t in n.boss.texts if t.startswith("⚠️ Coord Chen cannot be paged")]
        assert len(warned) == 2 and any("phone call" in t for t in warned)
        assert any("SMS" in t for t in warned)
        await n.at(LEVEL_3)  # failing methods are not paged again, nor told again
        assert n.pages_to(CHEN_NUMBER) == [] and len(n.pages_to(BOSS_NUMBER)) == 1
        assert n.twilio.requests == 3 and n.chen.texts.count(told) == 2


async def test_an_urgency_override_pages_by_day_from_level_1(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``[paging.urgency] immediate = { from_level = 1, night_only = false }``: Zhou Min,
    told at level 1 at 10:00, is paged too (her SMS); the coordinators' rules are the
    same override."""
    text = config_path.read_text(encoding="utf-8")
    config_path.write_text(
        text.replace(
            "[telegram]",
            "[paging.urgency]\nimmediate = { from_level = 1, night_only = false }\n\n[telegram]",
            1,
        ),
        encoding="utf-8",
    )
    async with night(config_path, monkeypatch, start=THURSDAY_1000) as n:
        await add_verified(n.w, 201, ContactKind.SMS, "+85290000201")  # Zhou Min
        await n.at(LEVEL_1)
        assert [s.to for s in n.twilio.log] == ["+85290000201"]
        await n.at(LEVEL_2)
        assert len(n.pages_to(CHEN_NUMBER)) == 2


def test_the_paging_rule_of_a_referral(config_path: Path) -> None:
    text = config_path.read_text(encoding="utf-8")
    config_path.write_text(
        text.replace(
            "[telegram]",
            "[paging]\nfrom_level = 3\n\n[paging.urgency]\nimmediate = { from_level = 1 }\n\n"
            "[paging.categories]\ndomestic_violence = { night_only = false }\n\n[telegram]",
            1,
        ),
        encoding="utf-8",
    )
    paging_config = load_config(config_path).paging
    assert paging_config.rule("family_dispute", Urgency.URGENT) == (3, True)
    assert paging_config.rule("family_dispute", Urgency.IMMEDIATE) == (1, True)
    assert paging_config.rule("domestic_violence", Urgency.IMMEDIATE) == (1, False)
    assert paging_config.rule("domestic_violence", Urgency.ROUTINE) == (3, False)
    config_path.write_text(
        text.replace(
            "[telegram]", "[paging.categories]\nno_such = { from_level = 1 }\n\n[telegram]"
        ),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"paging\.categories\.no_such"):
        load_config(config_path)


async def test_a_deployment_mistake_marks_no_number_failing_and_tells_the_admins_once(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Twilio 21606 (the From number cannot send), a trial account's 21608, a 404 from a
    wrong base_url: the deployment's mistake, not Coord Chen's number. Nobody is told
    their number is bad; the admin hears once; the pages go once it is fixed."""
    async with night(config_path, monkeypatch) as n:
        admin = await enrol(n.w, 400, "Admin Wu", "--role", "admin")
        await n.at(LEVEL_1)
        n.twilio.fail_next(400, times=2, code=21606)
        n.twilio.fail_next(404, times=1, code=20404)
        with caplog.at_level("ERROR", logger="referral_bot.paging"):
            await n.at(LEVEL_2)  # the call and the SMS: 21606
            n.w.clock.advance(backoff(0))
            await n.w.settle()  # the first retry: 404, then the SMS goes
        chen = await people.by_telegram_id(n.w.services.db.reader, 300)
        assert chen is not None
        methods = await paging.contact_methods(n.w.services, chen.id)
        assert all(m.failing_since is None for m in methods)
        assert not [t for t in n.chen.texts if "could not be reached" in t]
        assert not [t for t in n.boss.texts if "cannot be paged" in t]
        told = [t for t in admin.texts if t.startswith("⚠️ Paging is not working: Twilio")]
        assert len(told) == 1 and "21606" in told[0]
        errors = [r for r in caplog.records if "refuses the bot's requests" in r.getMessage()]
        assert len(errors) == 1 and CHEN_NUMBER not in errors[0].getMessage()
        assert TOKEN not in caplog.text
        n.w.clock.advance(backoff(1))
        await n.w.settle()
        assert sorted(s.kind for s in n.pages_to(CHEN_NUMBER)) == ["call", "sms"]


async def test_pressing_1_after_the_referral_was_taken_says_so(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chen took it herself in Telegram, then presses 1 on the call that was ringing:
    nothing is recorded, and the call says so instead of thanking her."""
    async with night(config_path, monkeypatch) as n:
        await n.at(LEVEL_1)
        await n.at(LEVEL_2)
        call = next(s for s in n.pages_to(CHEN_NUMBER) if s.kind == "call")
        await n.chen.tap("🙋 Take it myself")
        answer = await n.twilio.press(call, "1")
        assert answer.status_code == 200
        said = "This referral has already been taken. Nothing to do. Goodbye."
        assert said in answer.text and "Thank you" not in answer.text
        _, acks = await paging.history(n.w.services, n.referral.id)
        assert acks == []
