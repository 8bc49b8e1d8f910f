"""The case-work stages hold content: the assessment's needs, the plan's goals and its
review date (reminded, also across a restart), each intervention contact, and a way
back to assessment. All of it is the holder's: sealed at rest, never sent to the
officer, erased with the case."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.engine import reminders, retention
from bot.i18n import Translator
from bot.sandbox import FakeTelegram, Phone
from bot.sandbox.world import World, world
from storage.db import fetch_all
from tests.stories import close_case, draft, enrol, file, station
from tests.test_sealing import _raw_bytes, _with_key_file

GOAL = "CanaryGoal: rent arrears settled"
WHOM = "CanaryWhom the aunt"


async def remind(w: World) -> None:
    await reminders.tick(w.services)
    await w.settle()


async def _to_assessment(li: Phone) -> None:
    await li.tap("✅ Accept")
    await li.tap("✔ First contact made")
    await li.tap("✔ Assessment started")


async def test_a_worker_records_needs_goals_and_contacts_the_officer_sees_none(
    config_path: Path,
) -> None:
    _with_key_file(config_path)
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        referral = await file(w, draft("family_dispute"))
        await _to_assessment(li)
        await li.tap("📋 Needs")
        assert "Never shown to the officer." in li.last.plain
        await li.tap("⬜ Money")
        await li.tap("⬜ Housing")
        await li.tap("☑️ Money")  # untick
        await li.tap("⬜ Family conflict")
        assert "☑️ Housing" in li.last.button_labels()
        await li.tap("✔ Done")
        assert "Needs: Family conflict, Housing" in li.last.plain
        await li.tap("✔ Plan agreed")
        for number in (1, 2, 3):
            await li.tap("🎯 Add a goal")
            assert f"goal {number} of 3" in li.last.plain
            await li.send(f"{GOAL} {number}")
            assert "Goal saved." in li.last.plain
        assert f"Goal 3: {GOAL} 3" in li.last.plain
        assert "🎯 Add a goal" not in li.last.button_labels()  # three at most
        await li.tap("📅 Review date")
        await li.tap("In 14 days")
        assert "Plan review: 2026-12-10" in li.last.plain
        await li.tap("✔ Intervention under way")
        await li.tap("🏠 Visit")  # one tap logs it
        await li.send(WHOM)
        assert "1 contact logged; the last: 🏠 Visit, 2026-11-26 10:" in li.last.plain
        assert WHOM in li.last.plain
        await li.tap("📞 Phone")
        await li.tap("Skip")
        assert "2 contacts logged; the last: 📞 Phone" in li.last.plain
        await li.tap("↩ Back to assessment")
        assert "Status: Assessment" in li.last.plain
        assert "Needs: Family conflict, Housing" in li.last.plain  # kept
        assert "📋 Needs" in li.last.button_labels()
        await li.tap("✔ Plan agreed")
        await close_case(li)
        officer_saw = "\n".join(s.officer.texts)
        for secret in (GOAL, WHOM, "Housing", "Family conflict", "Visit"):
            assert secret not in officer_saw, secret
        raw = _raw_bytes(config_path)
        for secret in (GOAL, WHOM, '"housing"', '"visit"'):  # as the JSON would hold them
            assert secret.encode() not in raw, secret
        # Retention erases the stages' content with the case's other sealed values.
        w.clock.advance(timedelta(days=366))
        assert await retention.tick(w.services) == 1
        left = await fetch_all(
            w.services.db.reader,
            "SELECT id FROM case_work WHERE referral_id = ?",
            (referral.id,),
        )
        assert left == []


async def test_a_stale_stage_button_changes_nothing(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        referral = await file(w, draft("family_dispute"))
        await _to_assessment(li)
        await li.tap("✔ Plan agreed")
        card = li.last
        await li.tap("↩ Back to assessment")
        # the plan's "Add a goal" from a card drawn before: refused politely
        answer = await li.tap_data(f"c:{referral.id}:pg", message_id=card.message_id)
        assert answer.text == "This button is no longer active." and answer.show_alert
        answer = await li.tap_data(f"c:{referral.id}:lc:phone", message_id=card.message_id)
        assert answer.text == "This button is no longer active."
        answer = await li.tap_data(f"c:{referral.id}:rv:9", message_id=card.message_id)
        assert answer.text == "This button is no longer active."  # no such review choice
        assert "Status: Assessment" in li.last.plain


async def test_the_plan_review_is_reminded_once_across_a_restart(config_path: Path) -> None:
    clock = FakeClock()
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        await file(w, draft("family_dispute"))
        await _to_assessment(li)
        await li.tap("✔ Plan agreed")
        await li.tap("📅 Review date")
        await li.tap("In 7 days")
        clock.advance(timedelta(days=6, hours=23))
        await remind(w)
        assert not any("review date has come" in t for t in li.texts)
    clock.advance(timedelta(hours=2))  # the bot is down when the review falls due
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await remind(w)
        await remind(w)
        assert sum("review date has come" in t for t in li.texts) == 1
        assert not any("review date has come" in t for t in s.officer.texts)


async def test_a_worker_reading_traditional_chinese_ticks_needs_and_logs_a_contact(
    config_path: Path,
) -> None:
    tr = Translator("zh_Hant")
    async with world(config_path) as w:
        s = await station(w, {})
        chan = await enrol(
            w,
            250,
            "Chan Ka Yan",
            "--role",
            "social_worker",
            "--team",
            "xuhui-sw",
            language="zh_Hant",
        )
        await chan.send("/available")
        await file(w, draft("family_dispute"))
        await chan.tap(tr("✅ Accept"))
        await chan.tap(tr("✔ First contact made"))
        await chan.tap(tr("✔ Assessment started"))
        await chan.tap("📋 需要")
        assert "不會顯示給警員。" in chan.last.plain
        await chan.tap("⬜ 住屋")
        await chan.tap("✔ 完成")
        assert "需要：住屋" in chan.last.plain
        await chan.tap(tr("✔ Plan agreed"))
        await chan.tap(tr("✔ Intervention under way"))
        await chan.tap("📞 電話")
        await chan.tap("略過")
        assert "已記錄 1 次聯絡；最近一次：📞 電話" in chan.last.plain
        assert not any("住屋" in t or "電話，" in t for t in s.officer.texts)
