"""What the case-work stages hold: the assessment's presenting needs, the plan's goals
and review date, the intervention's contacts (评估 → 计划 → 介入), and the line a worker
may add after a crisis follow-up (危机介入).

The worker's own case text: sealed at rest, never shown to the officer. Pure rules only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.quiet import on_day


class Need(StrEnum):
    """The assessment's short checklist of presenting needs, ticked in a few taps."""

    FAMILY_CONFLICT = "family_conflict"
    VIOLENCE = "violence"
    MENTAL_HEALTH = "mental_health"
    SUBSTANCE_USE = "substance_use"
    MONEY = "money"
    HOUSING = "housing"
    CARING = "caring"  # caring duties (a child, an ill or older relative)
    SCHOOL = "school"
    WORK = "work"
    LEGAL = "legal"


class ContactMode(StrEnum):
    """How an intervention contact was made: logged in one tap."""

    PHONE = "phone"
    VISIT = "visit"
    OFFICE = "office"


GOAL_LIMIT = 3  # the plan holds up to three one-line goals
# A second contact of the same kind, by the same worker on the same case, this soon
# after the first is a double tap or a tap retried on a slow network, not a new
# contact: it is refused ("Already logged."), so the count on the card stays true.
# Two real contacts the same way are minutes apart at the least.
CONTACT_REPEAT_WINDOW = timedelta(minutes=2)
# The review dates a plan can be given, in days from today: one tap each.
REVIEW_DAYS = (7, 14, 28)


@dataclass(frozen=True)
class Contact:
    id: int
    mode: ContactMode
    at: datetime
    with_whom: str | None = None


@dataclass(frozen=True)
class FollowUpNote:
    """The one line a worker typed after a crisis follow-up (how it went), with the
    prompt's hours after first contact. Case text like the rest: the holder's only."""

    hours: int
    at: datetime
    line: str


@dataclass(frozen=True)
class Goal:
    """One of the plan's goals; ``id`` names its row, so a tap on an old list edits the
    goal it showed or nothing (never the goal that took its place)."""

    id: int
    text: str


@dataclass(frozen=True)
class CaseWork:
    """Everything recorded at the stages of one case."""

    needs: frozenset[Need] = frozenset()
    goals: tuple[Goal, ...] = ()
    contacts: tuple[Contact, ...] = field(default=())
    review_at: datetime | None = None
    follow_ups: tuple[FollowUpNote, ...] = ()  # crisis follow-ups' lines, by their hours
    # The review date came and was reminded, and nothing has marked it done yet
    # ("Reviewed", a new review date, back to assessment).
    review_pending: bool = False

    @property
    def goals_full(self) -> bool:
        return len(self.goals) >= GOAL_LIMIT

    def goal(self, goal_id: int) -> Goal | None:
        return next((g for g in self.goals if g.id == goal_id), None)


def review_date(now: datetime, days: int, zone: ZoneInfo) -> datetime | None:
    """The review ``days`` from today, at the start of the working day there (not at
    the minute of the tap, which may be late at night), or None for a choice no
    button offers."""
    return on_day(now, days, zone) if days in REVIEW_DAYS else None
