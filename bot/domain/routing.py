"""Who gets offered a referral: the on-duty workers of the covering team.

Pure rules over candidates the storage layer has gathered. Load is spread by offering
to the least-loaded first, and nobody at their open-case cap is offered anything:
burnout is a named risk in this work, not an optimisation detail.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.people import Person
from bot.domain.referral import Skill


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
    preferred: Skill | None,
    cap: int,
    exclude: set[int],
    required: Skill | None = None,
) -> list[Candidate]:
    """Everyone eligible; only those with ``preferred`` (the skill the configuration
    names for the category) if any of them is free.
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
    skilled = [c for c in eligible if preferred in c.skills] if preferred else []
    return skilled or eligible


def next_candidate(
    candidates: Iterable[Candidate],
    preferred: Skill | None,
    cap: int,
    exclude: set[int],
    required: Skill | None = None,
) -> Candidate | None:
    """After a decline: the best eligible worker not yet offered this referral."""
    wave = first_wave(candidates, preferred, cap, exclude, required)
    return wave[0] if wave else None


def required_skill(appropriate_adult_now: bool) -> Skill | None:
    """A minor about to be questioned needs a trained appropriate adult, nobody else."""
    return Skill.APPROPRIATE_ADULT if appropriate_adult_now else None
