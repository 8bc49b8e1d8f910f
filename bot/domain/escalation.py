"""Escalation: who is told next when nobody has accepted a referral in time.

The plan (how long to wait at each level) is frozen onto the referral when it is
filed, so editing the policy at 2 a.m. does not change cases already in flight.

Levels: 0 on-duty workers with the needed skill (or all on-duty workers of the team
when none has it) → 1 every on-duty worker of the team and its backup team → 2 the
on-duty coordinator → 3 every coordinator, repeated every ``repeat_every`` minutes
up to ``repeat_limit`` times. A level with nobody to tell is skipped at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from enum import IntEnum

from bot.domain.referral import Urgency


class Level(IntEnum):
    SKILLED = 0
    TEAM = 1
    COORDINATOR = 2
    ALL_COORDINATORS = 3


@dataclass(frozen=True)
class Plan:
    """Minutes to wait at levels 0, 1 and 2, then the repeating last level."""

    waits: tuple[int, int, int]
    repeat_every: int
    repeat_limit: int

    def wait(self, level: Level) -> timedelta:
        if level is Level.ALL_COORDINATORS:
            return timedelta(minutes=self.repeat_every)
        return timedelta(minutes=self.waits[level])

    def to_json(self) -> str:
        return json.dumps(
            {
                "waits": list(self.waits),
                "repeat_every": self.repeat_every,
                "repeat_limit": self.repeat_limit,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Plan:
        data = json.loads(text)
        waits = tuple(int(w) for w in data["waits"])
        assert len(waits) == 3
        return cls(
            (waits[0], waits[1], waits[2]), int(data["repeat_every"]), int(data["repeat_limit"])
        )


def officer_hears(level: Level, rounds: int) -> bool:
    """Whether the officer is told that ``level`` was reached. Each level is news once:
    the last level's repeats (``rounds`` counts them; 0 is its first round) remind the
    coordinators, and telling the officer "all coordinators have been alerted" again
    every quarter of an hour would only read as a second alarm."""
    return level is not Level.ALL_COORDINATORS or rounds == 0


def held_for_morning(
    never_waits: bool, urgency: Urgency, appropriate_adult_now: bool, in_service_hours: bool
) -> bool:
    """Outside service hours a routine referral waits for the team's next shift; the
    categories the configuration says never wait (domestic violence and mental health by
    default) and an appropriate adult needed now never wait."""
    return (
        urgency is Urgency.ROUTINE
        and not in_service_hours
        and not never_waits
        and not appropriate_adult_now
    )
