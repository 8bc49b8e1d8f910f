"""Crisis follow-up: a domestic violence, mental health or self-harm case prompts its
holder to follow up 24 and 72 hours after first contact; unanswered, the worker is
reminded and then the coordinator on duty is told, across a restart; the prompts go
to whoever holds the case and stop when it ends. After the tap the worker may type one
line on how it went: on their own card only, sealed at rest, erased with the case."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import logs
from bot.clock import FakeClock
from bot.domain.referral import Safety, Urgency
from bot.engine import reminders, retention
from bot.i18n import Translator
from bot.sandbox import FakeTelegram, Phone
from bot.sandbox.fake_telegram.seen import SeenMessage
from bot.sandbox.world import World, world
from storage.db import fetch_all
from tests.stories import close_case, draft, enrol, file, station
from tests.test_sealing import _raw_bytes, _with_key_file

THURSDAY_1000 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
PROMPT_24 = "24 hours since first contact: follow up with the person"
REMINDER_24 = "The follow-up due 24 hours after first contact is not marked yet."
ASK_LINE = (
    "How did it go? Type one line if you like (only you see it, on your case card), or tap Skip."
)


async def remind(w: World) -> None:
    await reminders.tick(w.services)
    await w.settle()


def seen(phone: Phone, text: str) -> int:
    return sum(text in t for t in phone.texts)


async def test_a_domestic_violence_case_is_followed_up_at_24_and_72_hours(
    config_path: Path,
) -> None:
    clock = FakeClock(THURSDAY_1000)
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        s = await station(w, {"Li Na": ("domestic_violence",)})
        coordinator = await enrol(
            w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw"
        )
        referral = await file(w, draft("domestic_violence", urgency=Urgency.URGENT))
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")
        await li.tap("✔ First contact made")
        clock.advance(timedelta(hours=23, minutes=59))
        await remind(w)
        assert seen(li, PROMPT_24) == 0
        clock.advance(timedelta(minutes=1))
        await remind(w)
        await remind(w)  # once, not twice
        assert seen(li, PROMPT_24) == 1
        assert li.last.plain == (
            f"⏰ {referral.ref} · Domestic violence · Urgent\n{PROMPT_24}, then tap "
            "“✔ Followed up”."
        )
        assert li.last.button_labels() == ["✔ Followed up"]
    clock.advance(timedelta(hours=4))  # the bot was down when the reminder fell due
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await remind(w)
        await remind(w)
        assert seen(li, REMINDER_24) == 1
        assert not any("crisis follow-up" in t for t in coordinator.texts)
    clock.advance(timedelta(hours=4))
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await remind(w)
        await remind(w)
        told = [t for t in coordinator.texts if "crisis follow-up" in t]
        assert told == [
            f"⏰ {referral.ref} · Domestic violence · Urgent\nLi Na has not marked the "
            "crisis follow-up due 24 hours after first contact."
        ]
        assert seen(li, REMINDER_24) == 1  # the worker is not told again
        answer = await li.tap("✔ Followed up")
        assert answer.text == "Saved."
        done = f"{referral.ref} · Domestic violence · Urgent\n✔ Followed up at 2026-11-27 18:00."
        assert li.last.plain == f"{done}\n{ASK_LINE}"
        assert li.last.button_labels() == ["Skip"]
        await li.tap("Skip")  # no line: the follow-up stays recorded
        assert li.last.plain == done
        assert li.last.button_labels() == []
        # The first prompt's button, still on the phone, records nothing twice.
        again = await li.tap("✔ Followed up")
        assert again.text == "Already recorded."
        clock.advance(timedelta(hours=40))  # 72 hours after first contact
        await remind(w)
        assert seen(li, "72 hours since first contact: follow up with the person") == 1
        await li.tap("✔ Followed up")
        before = len(li.texts)
        clock.advance(timedelta(days=2))
        await remind(w)
        assert len(li.texts) == before  # followed up in time: no reminder
        assert len([t for t in coordinator.texts if "crisis follow-up" in t]) == 1


async def test_self_harm_is_followed_up_whatever_the_category_and_by_the_new_holder(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": (), "Zhou Min": ()})
        li, zhou = s.workers["Li Na"], s.workers["Zhou Min"]
        referral = await file(w, draft("family_dispute", safety=frozenset({Safety.SELF_HARM})))
        await li.tap("✅ Accept")
        await li.tap("✔ First contact made")
        await li.tap("🤝 Hand over")
        await li.tap("Zhou Min · on duty · 0 open")
        await li.send("Going on leave")
        await zhou.tap("✅ I take it over")
        w.clock.advance(timedelta(hours=24))
        await remind(w)
        assert seen(zhou, PROMPT_24) == 1
        assert seen(li, PROMPT_24) == 0
        # The old holder's tap on the new holder's prompt: not hers.
        answer = await li.tap_data(f"c:{referral.id}:f:24", message_id=li.last.message_id)
        assert answer.text == "This case is not yours."
        # The case is closed: no more prompts, and the old prompt's button is dead.
        await zhou.tap("Close case", message=_case_card(zhou))
        await zhou.tap("Resolved")
        await zhou.send("Settled")
        w.clock.advance(timedelta(hours=48))
        await remind(w)
        assert seen(zhou, "72 hours since first contact") == 0
        stale = await zhou.tap("✔ Followed up")
        assert stale.text == "This button is no longer active."


async def test_an_ordinary_case_is_not_followed_up(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        await file(w, draft("neighbour_dispute"))
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")
        await li.tap("✔ First contact made")
        w.clock.advance(timedelta(hours=80))
        await remind(w)
        assert seen(li, "since first contact") == 0


@pytest.mark.parametrize(
    ("language", "prompt", "saved"),
    [
        ("en", PROMPT_24 + ", then tap “✔ Followed up”.", "✔ Followed up at 2026-11-27 10:00."),
        (
            "zh-cn",
            "首次联系后已过 24 小时：请跟进当事人的情况，然后点“✔ 已跟进”。",
            "✔ 已于 2026-11-27 10:00 跟进。",
        ),
        (
            "zh-hk",
            "首次聯絡後已過 24 小時：請跟進當事人的情況，然後按「✔ 已跟進」。",
            "✔ 已於 2026-11-27 10:00 跟進。",
        ),
    ],
)
async def test_a_worker_reads_and_answers_the_prompt_in_their_language(
    config_path: Path, language: str, prompt: str, saved: str
) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_1000)) as w:
        await station(w, {})
        worker = await enrol(
            w, 250, "Lin", "--role", "social_worker", "--team", "xuhui-sw", language=language
        )
        status, _, err = await w.cli("skills", "250", "--set", "mental_health")
        assert status == 0, err
        await worker.send("/available")
        tr = Translator(worker_language(worker))
        await file(w, draft("mental_health", urgency=Urgency.URGENT))
        await worker.tap(tr("✅ Accept"))
        await worker.tap(tr("✔ First contact made"))
        w.clock.advance(timedelta(hours=24))
        await remind(w)
        assert worker.last.plain.splitlines()[1] == prompt
        answer = await worker.tap(tr("✔ Followed up"))
        assert answer.text == tr("Saved.")
        assert worker.last.plain.splitlines()[1] == saved


def worker_language(phone: Phone) -> str:
    """The catalogue the bot chose from the phone's language."""
    return {"en": "en", "zh-cn": "zh_Hans", "zh-hk": "zh_Hant"}[phone.language_code or "en"]


def _case_card(phone: Phone) -> SeenMessage:
    """The newest message on the phone with the case card's buttons."""
    return next(m for m in reversed(phone.bot_messages) if m.button("Close case"))


async def test_after_downtime_only_the_latest_follow_up_is_asked(config_path: Path) -> None:
    clock = FakeClock(THURSDAY_1000)
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        s = await station(w, {"Li Na": ("domestic_violence",)})
        await file(w, draft("domestic_violence", urgency=Urgency.URGENT))
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")
        await li.tap("✔ First contact made")
    clock.advance(timedelta(hours=73))  # the bot was down through both
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await remind(w)
        clock.advance(timedelta(hours=9))
        await remind(w)
        assert seen(li, PROMPT_24) == 0
        assert seen(li, "72 hours since first contact") == 1
        assert seen(li, "due 72 hours after first contact is not marked yet") == 1
        assert seen(li, "due 24 hours") == 0


LINE = "CanaryFollowUp called her, staying with sister, safe"


async def test_the_worker_adds_how_it_went_and_only_they_ever_see_it(
    config_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _with_key_file(config_path)
    caplog.set_level(logging.DEBUG)  # first: caplog puts back the root level it found
    levels = {name: logging.getLogger(name).level for name in logs.PAYLOAD_LOGGERS}
    logs.configure(logging.DEBUG)  # the most an operator can turn on; undone below
    try:
        await _a_line_only_the_worker_sees(config_path)
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    assert "case.follow_up_noted" in caplog.text  # the step is logged, the line never
    assert "CanaryFollowUp" not in caplog.text


async def _a_line_only_the_worker_sees(config_path: Path) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_1000)) as w:
        s = await station(w, {"Li Na": ("domestic_violence",)})
        chen = await enrol(w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw")
        referral = await file(w, draft("domestic_violence", urgency=Urgency.URGENT))
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")
        await li.tap("✔ First contact made")
        w.clock.advance(timedelta(hours=24))
        await remind(w)
        await li.tap("✔ Followed up")
        assert ASK_LINE in li.last.plain
        # Too long: told so politely, given the text back; the question still waits.
        await li.send("x" * 201)
        assert li.texts[-2] == (
            "That is 201 characters; the limit is 200. Please send a shorter answer. "
            "Your text is below so you can copy and shorten it."
        )
        await li.send(LINE)
        assert li.last.plain.splitlines()[-2:] == [
            f"24-hour follow-up, 2026-11-27 10:00: {LINE}",
            "Saved.",
        ]
        assert "Close case" in li.last.button_labels()  # the holder's case card
        # The tap was recorded before the line: no reminder follows.
        w.clock.advance(timedelta(hours=9))
        await remind(w)
        assert seen(li, REMINDER_24) == 0
        await close_case(li)
        assert not any("CanaryFollowUp" in t for t in s.officer.texts)
        await chen.send(f"/audit {referral.ref}")
        assert "Added a line on how a crisis follow-up went" in chen.last.plain
        assert not any("CanaryFollowUp" in t for t in chen.texts)
        assert b"CanaryFollowUp" not in _raw_bytes(config_path)
        # Retention erases the line with the case.
        w.clock.advance(timedelta(days=366))
        assert await retention.tick(w.services) == 1
        left = await fetch_all(
            w.services.db.reader, "SELECT id FROM case_work WHERE referral_id = ?", (referral.id,)
        )
        assert left == []


async def test_an_ignored_question_lapses_and_swallows_nothing_else(config_path: Path) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_1000)) as w:
        s = await station(w, {"Li Na": ("domestic_violence",)})
        referral = await file(w, draft("domestic_violence", urgency=Urgency.URGENT))
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")
        await li.tap("✔ First contact made")
        w.clock.advance(timedelta(hours=24))
        await remind(w)
        await li.tap("✔ Followed up")
        question = li.last
        w.clock.advance(timedelta(minutes=31))  # called away; back later
        await li.send("Can you show my cases?")
        assert li.last.plain == (
            "You marked the follow-up more than 30 minutes ago, so I did not keep this as "
            "its line. The follow-up stays recorded; nothing else changed."
        )
        await li.send("Can you show my cases?")  # asked once, never again
        assert li.last.plain == "Sorry, I did not understand that. /help shows what you can do."
        card = next(m for m in li.bot_messages if m.message_id == question.message_id)
        assert card.button_labels() == []  # the lapsed question lost its Skip button
        w.clock.advance(timedelta(hours=8))
        await remind(w)
        assert seen(li, REMINDER_24) == 0  # the tap stands
        # The 72-hour one: tapped, then the worker goes straight to closing the case.
        w.clock.advance(timedelta(hours=40))
        await remind(w)
        await li.tap("✔ Followed up")
        await li.tap("Close case", message=_case_card(li))
        await li.tap("Resolved")
        await li.send("Settled with both parties.")
        assert "Closed. The officer will be told." in li.last.plain
        assert any("Settled with both parties." in t for t in s.officer.texts)
        work = await fetch_all(
            w.services.db.reader,
            "SELECT id FROM case_work WHERE referral_id = ? AND kind = 'follow_up'",
            (referral.id,),
        )
        assert work == []


@pytest.mark.parametrize(
    ("language", "line", "shown", "saved"),
    [
        ("en", LINE, f"24-hour follow-up, 2026-11-27 10:00: {LINE}", "Saved."),
        (
            "zh-hk",
            "已致電，她暫住妹妹家，安全",
            "24 小時跟進（2026-11-27 10:00）：已致電，她暫住妹妹家，安全",
            "已儲存。",
        ),
        (
            "zh-cn",
            "已致电，她暂住妹妹家，安全",
            "24 小时跟进（2026-11-27 10:00）：已致电，她暂住妹妹家，安全",
            "已保存。",
        ),
    ],
)
async def test_the_line_is_asked_and_shown_in_the_workers_language(
    config_path: Path, language: str, line: str, shown: str, saved: str
) -> None:
    async with world(config_path, clock=FakeClock(THURSDAY_1000)) as w:
        s = await station(w, {})
        worker = await enrol(
            w, 250, "Lin", "--role", "social_worker", "--team", "xuhui-sw", language=language
        )
        status, _, err = await w.cli("skills", "250", "--set", "mental_health")
        assert status == 0, err
        await worker.send("/available")
        tr = Translator(worker_language(worker))
        await file(w, draft("mental_health", urgency=Urgency.URGENT))
        await worker.tap(tr("✅ Accept"))
        await worker.tap(tr("✔ First contact made"))
        w.clock.advance(timedelta(hours=24))
        await remind(w)
        await worker.tap(tr("✔ Followed up"))
        asked = {
            "en": ASK_LINE,
            "zh-hk": "跟進情況如何？可以輸入一行（只有你會在個案卡上看到），或按「略過」。",
            "zh-cn": "跟进情况如何？可以输入一行（只有你能在个案卡上看到），或点“跳过”。",
        }[language]
        assert worker.last.plain.splitlines()[-1] == asked
        assert worker.last.button_labels() == [tr("Skip")]
        await worker.send(line)
        assert worker.last.plain.splitlines()[-2:] == [shown, saved]
        assert not any(line in t for t in s.officer.texts)
