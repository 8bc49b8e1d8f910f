"""The case-work stages hold content: the assessment's needs, the plan's goals and its
review date (reminded, also across a restart), each intervention contact, and a way
back to assessment. All of it is the holder's: sealed at rest, never sent to the
officer, erased with the case."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.domain.referral import Urgency
from bot.engine import reminders, retention
from bot.i18n import Translator
from bot.sandbox import FakeTelegram, Phone
from bot.sandbox.fake_telegram.seen import SeenMessage
from bot.sandbox.world import World, world
from bot.services import case_work as case_work_service
from storage import audit
from storage.db import fetch_all
from tests.stories import close_case, draft, enrol, file, station
from tests.test_case_endings import THURSDAY_1000
from tests.test_sealing import _raw_bytes, _with_key_file

GOAL = "CanaryGoal: rent arrears settled"
WHOM = "CanaryWhom the aunt"
NOTE = "CanaryNote: she is safe at her sister's"


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
        for table in ("case_work", "case_reviews"):  # no row of the case's stages survives
            left = await fetch_all(
                w.services.db.reader,
                f"SELECT referral_id FROM {table} WHERE referral_id = ?",  # noqa: S608
                (referral.id,),
            )
            assert left == [], table


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
        clock.advance(timedelta(days=6, hours=22, minutes=59))  # 08:59 on day 7
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


async def _plan_with_goals(li: Phone, *goals: str) -> None:
    await _to_assessment(li)
    await li.tap("✔ Plan agreed")
    for goal in goals:
        await li.tap("🎯 Add a goal")
        await li.send(goal)


def _case_card(phone: Phone) -> SeenMessage:
    return next(m for m in reversed(phone.bot_messages) if m.button("🤝 Hand over"))


async def test_the_holders_cards_sent_later_show_the_stages_and_no_fourth_goal(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": (), "Zhou Min": ()})
        li, zhou = s.workers["Li Na"], s.workers["Zhou Min"]
        referral = await file(w, draft("family_dispute"))
        await li.tap("✅ Accept")
        await li.tap("✔ First contact made")
        await li.tap("✔ Assessment started")
        await li.tap("📋 Needs")
        await li.tap("⬜ Housing")
        await li.tap("✔ Done")
        await li.tap("✔ Plan agreed")
        for number in (1, 2, 3):
            await li.tap("🎯 Add a goal")
            await li.send(f"{GOAL} {number}")
        await li.send("/mine")
        await w.settle()
        card = _case_card(li)
        assert "Needs: Housing" in card.plain and f"Goal 3: {GOAL} 3" in card.plain
        assert "🎯 Add a goal" not in card.button_labels()  # three at most, on /mine too
        assert "✏️ Edit goals" in card.button_labels()
        answer = await li.tap_data(f"c:{referral.id}:pg", message_id=card.message_id)
        assert answer.text == "The plan already holds three goals." and answer.show_alert
        # Handed over: the new holder's card from the sender shows what the stages hold.
        await li.tap("🤝 Hand over", message=card)
        await li.tap("Zhou Min · on duty · 0 open")
        await li.send("Going on leave tomorrow")
        await zhou.tap("✅ I take it over")
        await w.settle()
        card = _case_card(zhou)  # sent by the sender: what the stages hold, counted
        assert "Needs: 1 · Goals: 3" in card.plain and GOAL not in card.plain
        assert "Housing" not in card.plain and card.protect_content
        assert "🎯 Add a goal" not in card.button_labels()
        await zhou.send("/mine")  # his own card: in full, protected
        await w.settle()
        card = _case_card(zhou)
        assert f"Goal 1: {GOAL} 1" in card.plain and "Needs: Housing" in card.plain
        assert card.protect_content
        handed = next(m for m in li.bot_messages if m.plain.endswith("Handed over to Zhou Min."))
        assert GOAL not in handed.plain  # the old holder's card keeps nothing of it
        for secret in (GOAL, "Housing"):
            assert not any(secret in t for t in s.officer.texts), secret


async def test_a_worker_rewords_and_removes_a_goal(config_path: Path) -> None:
    _with_key_file(config_path)
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        referral = await file(w, draft("family_dispute"))
        await _plan_with_goals(li, f"{GOAL} 1", f"{GOAL} 2")
        await li.tap("✏️ Edit goals")
        assert li.last.button_labels() == ["✏️ Goal 1", "✏️ Goal 2", "⬅ Back"]
        second = li.last.button("✏️ Goal 2")
        assert second is not None and second.callback_data is not None
        await li.tap("✏️ Goal 1")
        assert f"Goal 1: {GOAL} 1" in li.last.plain
        assert "Type the new line for this goal, or remove it." in li.last.plain
        assert li.last.button_labels() == ["🗑 Remove this goal", "Cancel"]
        await li.send("x" * 300)  # too long: refused, nothing lost
        assert "the limit is 200" in li.texts[-2]
        await li.send("CanaryReworded: school attendance weekly")
        assert "Goal changed." in li.last.plain
        assert "Goal 1: CanaryReworded: school attendance weekly" in li.last.plain
        assert f"Goal 2: {GOAL} 2" in li.last.plain
        await li.tap("✏️ Edit goals")
        await li.tap("✏️ Goal 2")
        answer = await li.tap("🗑 Remove this goal")
        assert answer.text == "Goal removed."
        assert f"{GOAL} 2" not in li.last.plain and "Goal 2:" not in li.last.plain
        assert "🎯 Add a goal" in li.last.button_labels()
        # the list drawn before: the removed goal's button changes nothing
        answer = await li.tap_data(second.callback_data, message_id=li.last.message_id)
        assert answer.text == "This button is no longer active." and answer.show_alert
        changed = await audit.entries(w.services.db.reader, action="case.goal_changed")
        removed = await audit.entries(w.services.db.reader, action="case.goal_removed")
        assert len(changed) == 1 and len(removed) == 1
        assert changed[0].subject == referral.ref and changed[0].detail is None
        raw = _raw_bytes(config_path)
        assert b"CanaryReworded" not in raw
        assert not any("Canary" in t for t in s.officer.texts)


async def test_an_unmarked_plan_review_reaches_the_coordinator_once_across_a_restart(
    config_path: Path,
) -> None:
    clock = FakeClock()
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        s = await station(w, {"Li Na": ()})
        coordinator = await enrol(
            w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw"
        )
        li = s.workers["Li Na"]
        referral = await file(w, draft("family_dispute"))
        await _plan_with_goals(li, GOAL)
        await li.tap("📅 Review date")
        await li.tap("In 7 days")
        clock.advance(timedelta(days=7, minutes=1))
        await remind(w)
        reminder = li.last
        assert "review date has come" in reminder.plain
        assert "Goals: 1" in reminder.plain and GOAL not in reminder.plain  # counted
        assert "✔ Reviewed" in reminder.button_labels()
        clock.advance(timedelta(days=1, hours=23))
        await remind(w)
        assert not any("plan review" in t for t in coordinator.texts)
    clock.advance(timedelta(hours=2))  # the wait ends while the bot is down
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await remind(w)
        await remind(w)
        told = [t for t in coordinator.texts if "plan review" in t]
        assert told == [
            f"⏰ {referral.ref} · Family dispute · Routine\nLi Na has not marked the plan "
            "review of this case as done since being reminded."
        ]
        assert not any("plan review" in t for t in s.officer.texts)
        clock.advance(timedelta(days=5))
        await remind(w)
        assert sum("plan review" in t for t in coordinator.texts) == 1  # once


async def test_reviewed_stops_the_chain_and_sets_the_next_date_in_simplified_chinese(
    config_path: Path,
) -> None:
    tr = Translator("zh_Hans")
    clock = FakeClock()
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        s = await station(w, {})
        coordinator = await enrol(
            w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw"
        )
        wu = await enrol(
            w, 251, "Wu Fang", "--role", "social_worker", "--team", "xuhui-sw", language="zh_Hans"
        )
        await wu.send("/available")
        referral = await file(w, draft("family_dispute"))
        await wu.tap(tr("✅ Accept"))
        await wu.tap(tr("✔ First contact made"))
        await wu.tap(tr("✔ Assessment started"))
        await wu.tap(tr("✔ Plan agreed"))
        await wu.tap(tr("📅 Review date"))
        await wu.tap(tr.n("In {count} day", "In {count} days", 7))
        clock.advance(timedelta(days=7, minutes=1))
        await remind(w)
        assert "检讨日期到了" in wu.last.plain
        answer = await wu.tap("✔ 已检讨")
        assert answer.text == tr("Saved.")
        assert "计划已检讨。要定下一次检讨日期吗？" in wu.last.plain
        assert "不定新日期" in wu.last.button_labels()
        await wu.tap(tr.n("In {count} day", "In {count} days", 14))
        assert "✔ 已检讨" not in wu.last.button_labels()
        again = await wu.tap_data(f"c:{referral.id}:rk", message_id=wu.last.message_id)
        assert again.text == tr("This button is no longer active.")
        clock.advance(timedelta(days=5))
        await remind(w)
        assert not any("Wu Fang" in t for t in coordinator.texts)  # reviewed: nobody told
        clock.advance(timedelta(days=10))
        await remind(w)
        assert "检讨日期到了" in wu.last.plain  # the next date's reminder
        assert not any("review" in t for t in s.officer.texts)


async def test_a_double_tap_neither_unticks_a_need_nor_logs_a_second_contact(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        await file(w, draft("family_dispute"))
        await _to_assessment(li)
        await li.tap("📋 Needs")
        housing = li.last.button("⬜ Housing")
        assert housing is not None and housing.callback_data is not None
        await li.tap("⬜ Housing")
        # the same tap again (a double tap, or a retry after a slow network): still ticked
        again = await li.tap_data(housing.callback_data, message_id=li.last.message_id)
        assert again.text == "Saved."
        assert "☑️ Housing" in li.last.button_labels()
        await li.tap("☑️ Housing")  # unticking is its own button, and also idempotent
        unticked = li.last.button("⬜ Housing")
        assert unticked is not None
        await li.tap("✔ Done")
        assert "Needs:" not in li.last.plain
        await li.tap("✔ Plan agreed")
        await li.tap("✔ Intervention under way")
        card = li.last
        visit = card.button("🏠 Visit")
        assert visit is not None and visit.callback_data is not None
        first = await li.tap("🏠 Visit", message=card)
        assert first.text == "Contact logged."
        second = await li.tap_data(visit.callback_data, message_id=card.message_id)
        assert second.text == "Already logged." and not second.show_alert
        await li.tap("Skip")
        assert "1 contact logged; the last: 🏠 Visit" in li.last.plain
        # a real second visit, minutes later, is logged
        w.clock.advance(timedelta(minutes=3))
        assert (await li.tap("🏠 Visit")).text == "Contact logged."
        await li.tap("Skip")
        assert "2 contacts logged; the last: 🏠 Visit" in li.last.plain


async def test_back_to_assessment_clears_the_review_nobody_is_reminded(
    config_path: Path,
) -> None:
    clock = FakeClock()
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        s = await station(w, {"Li Na": ()})
        coordinator = await enrol(
            w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw"
        )
        li = s.workers["Li Na"]
        await file(w, draft("family_dispute"))
        await _plan_with_goals(li, GOAL)
        await li.tap("📅 Review date")
        await li.tap("In 7 days")
        await li.tap("✔ Intervention under way")
        answer = await li.tap("↩ Back to assessment")
        assert answer.text == (
            "Back to assessment. What was recorded is kept; the review date is cleared "
            "(set a new one with the next plan)."
        )
        assert "Plan review:" not in li.last.plain
        assert f"Goal 1: {GOAL}" in li.last.plain  # kept
        clock.advance(timedelta(days=7, minutes=1))
        await remind(w)
    clock.advance(timedelta(days=3))  # across a restart, past the coordinators' wait
    async with world(config_path, clock=clock, telegram=telegram) as w:
        await remind(w)
        await remind(w)
        assert not any("review date has come" in t for t in li.texts)
        assert not any("plan review" in t for t in coordinator.texts)
        # the next plan gets a date of its own, reminded as before
        await li.tap("✔ Plan agreed")
        await li.tap("📅 Review date")
        await li.tap("In 7 days")
        clock.advance(timedelta(days=7, minutes=1))
        await remind(w)
        assert sum("review date has come" in t for t in li.texts) == 1


async def test_a_reminded_review_is_closed_by_going_back_to_assessment(
    config_path: Path,
) -> None:
    clock = FakeClock()
    telegram = FakeTelegram(clock=clock.now)
    async with world(config_path, clock=clock, telegram=telegram) as w:
        s = await station(w, {"Li Na": ()})
        coordinator = await enrol(
            w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw"
        )
        li = s.workers["Li Na"]
        await file(w, draft("family_dispute"))
        await _plan_with_goals(li, GOAL)
        await li.tap("📅 Review date")
        await li.tap("In 7 days")
        clock.advance(timedelta(days=7, minutes=1))
        await remind(w)
        assert "review date has come" in li.last.plain
        await li.tap("↩ Back to assessment", message=li.last)
        assert "✔ Reviewed" not in li.last.button_labels()
        assert "due: tap" not in li.last.plain
        before = len(li.bot_messages)
        clock.advance(timedelta(days=3))
        await remind(w)
        assert not any("plan review" in t for t in coordinator.texts)
        assert not any("review" in m.plain for m in li.bot_messages[before:])


async def test_goals_are_edited_during_the_intervention_too(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        await file(w, draft("family_dispute"))
        await _plan_with_goals(li, f"{GOAL} 1")
        await li.tap("✔ Intervention under way")
        assert "✏️ Edit goals" in li.last.button_labels()
        await li.tap("✏️ Edit goals")
        await li.tap("✏️ Goal 1")
        await li.send("CanaryReworded: weekly school attendance")
        assert "Goal changed." in li.last.plain
        assert "Goal 1: CanaryReworded: weekly school attendance" in li.last.plain
        assert "Status: Intervention" in li.last.plain
        assert not any("Canary" in t for t in s.officer.texts)


async def test_a_lapsed_with_whom_says_the_contact_stays_logged(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        await file(w, draft("family_dispute"))
        await _to_assessment(li)
        await li.tap("✔ Plan agreed")
        await li.tap("✔ Intervention under way")
        await li.tap("📞 Phone")
        w.clock.advance(timedelta(minutes=31))
        await li.send(WHOM)
        assert li.last.plain == (
            "You logged the contact more than 30 minutes ago, so I did not keep this as "
            "its line. The contact stays logged; nothing else changed."
        )
        await li.send("/mine")
        await w.settle()
        card = _case_card(li)
        assert "1 contact logged; the last: 📞 Phone" in card.plain
        assert WHOM not in card.plain
        assert not any(WHOM in t for t in s.officer.texts)


async def test_a_review_reminder_sent_after_going_back_makes_sense_in_assessment(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        await file(w, draft("family_dispute"))
        await _plan_with_goals(li, GOAL)
        await li.tap("📅 Review date")
        await li.tap("In 7 days")
        card = li.last
        w.clock.advance(timedelta(days=7, minutes=1))
        await case_work_service.reviews_due(w.services)  # written, not sent yet
        await li.tap("↩ Back to assessment", message=card)
        await w.settle()
        reminder = next(m for m in reversed(li.bot_messages) if "review date has come" in m.plain)
        assert reminder.plain.endswith(
            "The plan's review date has come, and the case is back at assessment: set a "
            "new review date once the plan is agreed again."
        )
        assert "📋 Needs" in reminder.button_labels()
        assert "📅 Review date" not in reminder.button_labels()
        assert "✔ Reviewed" not in reminder.button_labels()


async def test_logging_contacts_counts_as_an_update_and_the_weekly_nudge_waits_for_morning(
    config_path: Path,
) -> None:
    """A worker who logs visits is working the case: "No update for 7 days" counts from
    the last contact, not from the last stage change; and it never rings at night."""
    async with world(config_path) as w:  # Thursday 10:00 local
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        await file(w, draft("family_dispute"))
        await _to_assessment(li)
        await li.tap("✔ Plan agreed")
        await li.tap("✔ Intervention under way")
        w.clock.advance(timedelta(days=5))
        await li.tap("📞 Phone")  # Tuesday 10:00
        await li.tap("Skip")
        stale = "No update for 7 days."
        w.clock.advance(timedelta(days=3))  # 8 days after the last stage change
        await remind(w)
        assert not any(stale in t for t in li.texts)
        w.clock.advance(timedelta(days=4, hours=13))  # 7 days 13 hours on: 23:00 local
        await remind(w)
        assert not any(stale in t for t in li.texts)  # not at night
        w.clock.advance(timedelta(hours=9))  # 08:00
        await remind(w)
        assert stale in li.last.plain


async def test_a_review_reminded_before_a_handover_is_reminded_to_the_new_holder(
    config_path: Path,
) -> None:
    """Li is reminded of the plan review, then hands the case to Zhou: Zhou is reminded
    himself, and only after the wait are the coordinators told that he has not marked
    it done (never the day after he took it, for a reminder he never had)."""
    clock = FakeClock(THURSDAY_1000)
    async with world(config_path, clock=clock) as w:
        s = await station(w, {"Li Na": (), "Zhou Min": ()})
        li, zhou = s.workers["Li Na"], s.workers["Zhou Min"]
        coordinator = await enrol(
            w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw"
        )
        await coordinator.send("/available")
        await file(w, draft("family_dispute"))
        await _plan_with_goals(li, GOAL)
        await li.tap("📅 Review date")
        await li.tap("In 7 days")
        clock.advance(timedelta(days=7, hours=1))
        await remind(w)
        assert any("review date has come" in t for t in li.texts)
        clock.advance(timedelta(minutes=30))  # Li reads it, then hands the case over
        await li.send("/mine")
        await w.settle()
        await li.tap("🤝 Hand over", message=_case_card(li))
        await li.tap(next(b for b in li.last.button_labels() if b.startswith("Zhou Min")))
        await li.send("Leave from tomorrow.")
        await zhou.tap("✅ I take it over")
        await w.settle()
        clock.advance(timedelta(hours=1))
        await remind(w)
        reminded = [m for m in zhou.bot_messages if "review date has come" in m.plain]
        assert len(reminded) == 1 and "✔ Reviewed" in reminded[0].button_labels()
        clock.advance(timedelta(days=1, hours=1))
        await remind(w)
        assert not any("plan review" in t for t in coordinator.texts)
        clock.advance(timedelta(days=1))
        await remind(w)
        told = [t for t in coordinator.texts if "plan review" in t]
        assert len(told) == 1 and "Zhou Min has not marked the plan review" in told[0]
        assert sum("review date has come" in t for t in li.texts) == 1  # not Li again


async def test_a_reminder_counts_what_the_stages_hold_and_only_the_protected_card_says_it(
    config_path: Path,
) -> None:
    """What the worker typed about the person (goals, with whom, how a crisis follow-up
    went) is on their own /mine card, protected from forwarding and saving; a reminder
    the bot sends by itself only counts it."""
    clock = FakeClock(THURSDAY_1000)
    async with world(config_path, clock=clock) as w:
        s = await station(w, {"Li Na": ("domestic_violence",)})
        li = s.workers["Li Na"]
        await file(w, draft("domestic_violence", urgency=Urgency.URGENT))
        await li.tap("✅ Accept")
        await li.tap("✔ First contact made")
        clock.advance(timedelta(hours=24))
        await remind(w)
        await li.tap("✔ Followed up")
        await li.send(NOTE)
        await li.send("/mine")
        await w.settle()
        await li.tap("✔ Assessment started", message=_case_card(li))
        await li.tap("📋 Needs")
        await li.tap("⬜ Housing")
        await li.tap("✔ Done")
        await li.tap("✔ Plan agreed")
        await li.tap("🎯 Add a goal")
        await li.send(GOAL)
        await li.tap("📅 Review date")
        await li.tap("In 7 days")
        await li.tap("✔ Intervention under way")
        await li.tap("🏠 Visit")
        await li.send(WHOM)
        assert WHOM in li.last.plain and li.last.protect_content  # the reply to her typing
        clock.advance(timedelta(days=7))
        await remind(w)
        reminder = next(m for m in li.bot_messages if "review date has come" in m.plain)
        assert (
            "Needs: 1 · Goals: 1 · Contacts: 1, last 🏠 Visit 2026-11-27 · Follow-up notes: 1"
            in reminder.plain
        )
        for typed in (GOAL, WHOM, NOTE, "Housing"):
            assert typed not in reminder.plain, typed
        assert reminder.protect_content  # its buttons redraw it as the full card
        await li.send("/mine")
        await w.settle()
        card = _case_card(li)
        for typed in (GOAL, WHOM, NOTE, "Housing"):
            assert typed in card.plain, typed
        assert card.protect_content
