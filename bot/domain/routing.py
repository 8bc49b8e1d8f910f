"""Who gets offered a referral: the on-duty workers of the covering team.

Pure rules over candidates the storage layer has gathered. Load is spread by offering
to the least-loaded first, and nobody at their open-case cap is offered anything:
burnout is a named risk in this work, not an optimisation detail.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.people import Person
from bot.domain.referral import SKILL_FOR, Category, Skill


@dataclass(frozen=True)
class Candidate:
    person: Person
    skills: frozenset[Skill]
    open_cases: int


def can_take(candidate: Candidate, cap: int) -> bool:
    person = candidate.person
    return person.active and person.reachable and person.available and candidate.open_cases < cap


def first_wave(
    candidates: Iterable[Candidate], category: Category, cap: int, exclude: set[int]
) -> list[Candidate]:
    """Everyone eligible; only those with the category's skill if any of them is free."""
    eligible = sorted(
        (c for c in candidates if c.person.id not in exclude and can_take(c, cap)),
        key=lambda c: (c.open_cases, c.person.id),
    )
    needed = SKILL_FOR.get(category)
    skilled = [c for c in eligible if needed in c.skills] if needed else []
    return skilled or eligible


def next_candidate(
    candidates: Iterable[Candidate], category: Category, cap: int, exclude: set[int]
) -> Candidate | None:
    """After a decline: the best eligible worker not yet offered this referral."""
    wave = first_wave(candidates, category, cap, exclude)
    return wave[0] if wave else None
