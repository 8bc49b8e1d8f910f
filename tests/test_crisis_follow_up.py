"""Crisis follow-up: a domestic violence, mental health or self-harm case prompts its
holder to follow up 24 and 72 hours after first contact; unanswered, the worker is
reminded and then the coordinator on duty is told, across a restart; the prompts go
to whoever holds the case and stop when it ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.domain.referral import Safety, Urgency
from bot.engine import reminders
from bot.i18n import Translator
from bot.sandbox import FakeTelegram, Phone
from bot.sandbox.fake_telegram.seen import SeenMessage
from bot.sandbox.world import World, world
from tests.stories import draft, enrol, file, station

THURSDAY_1000 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
PROMPT_24 = "24 hours since first contact: follow up with the person"
REMINDER_24 = "The follow-up due 24 hours after first contact is not marked yet."
ASK_LINE = (
    "How did it go? Type one line if you like (only you see it, on your case card), "
    "or tap Skip."
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
