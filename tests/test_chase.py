"""The one chase every reminder chain runs (bot/domain/chase.py), on its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.chase import Stamped, Step, due

START = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
DAY = timedelta(days=1)
NOTHING = Stamped()


def at(after: timedelta, stamped: Stamped = NOTHING) -> tuple[Step, ...]:
    return due(START, DAY, 2 * DAY, START + after, stamped)


def test_nothing_is_due_before_the_clock_starts() -> None:
    assert due(START, DAY, 2 * DAY, START - timedelta(seconds=1), Stamped(asked=False)) == ()


def test_the_question_is_asked_first_and_alone() -> None:
    assert due(START, DAY, 2 * DAY, START + 5 * DAY, Stamped(asked=False)) == (Step.ASK,)


def test_the_worker_is_reminded_after_the_wait_and_once() -> None:
    assert at(DAY - timedelta(seconds=1)) == ()
    assert at(DAY) == (Step.REMIND,)
    assert at(DAY, Stamped(reminded=True)) == ()


def test_the_coordinators_are_told_after_the_second_wait_and_once() -> None:
    assert at(2 * DAY, Stamped(reminded=True)) == (Step.ESCALATE,)
    assert at(3 * DAY, Stamped(reminded=True, escalated=True)) == ()


def test_after_downtime_the_worker_still_hears_before_the_coordinators() -> None:
    assert at(9 * DAY) == (Step.REMIND, Step.ESCALATE)


def test_a_reminder_missed_after_the_escalation_is_still_sent() -> None:
    assert at(3 * DAY, Stamped(escalated=True)) == (Step.REMIND,)


def test_both_at_once_when_the_waits_are_equal() -> None:
    assert due(START, timedelta(0), timedelta(0), START, Stamped()) == (
        Step.REMIND,
        Step.ESCALATE,
    )
