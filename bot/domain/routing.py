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
    on_duty: bool  # by the rota, /available, or /away (see Person.on_duty)


def can_take(candidate: Candidate, cap: int) -> bool:
    person = candidate.person
    return person.active and person.reachable and candidate.on_duty and candidate.open_cases < cap


def first_wave(
    candidates: Iterable[Candidate],
    category: Category,
    cap: int,
    exclude: set[int],
    required: Skill | None = None,
) -> list[Candidate]:
    """Everyone eligible; only those with the category's skill if any of them is free.
    ``required`` (an appropriate adult before a minor is questioned) is never relaxed."""
    eligible = sorted(
        (
            c
            for c in candidates
            if c.person.id not in exclude
            and can_take(c, cap)
            and (required is None or required in c.skills)
        ),
        key=lambda c: (c.open_cases, c.person.id),
    )
    needed = SKILL_FOR.get(category)
    skilled = [c for c in eligible if needed in c.skills] if needed else []
    return skilled or eligible


def next_candidate(
    candidates: Iterable[Candidate],
    category: Category,
    cap: int,
    exclude: set[int],
    required: Skill | None = None,
) -> Candidate | None:
    """After a decline: the best eligible worker not yet offered this referral."""
    wave = first_wave(candidates, category, cap, exclude, required)
    return wave[0] if wave else None


def required_skill(appropriate_adult_now: bool) -> Skill | None:
    """A minor about to be questioned needs a trained appropriate adult, nobody else."""
    return Skill.APPROPRIATE_ADULT if appropriate_adult_now else None
