"""The chase every reminder chain runs: ask → remind the worker → tell the coordinators.

First contact, arrival, crisis follow-ups and linkages' follow-ups all wait for one
thing the worker should do. Once a clock has started (the question was asked, the case
accepted, the arrival target passed) the worker is reminded after ``remind_after``, and
the coordinators are told after ``escalate_after``; when the bot was down through the
reminder the worker still hears first, in the same round. Each chain keeps its own
stamps and clocks; this decides, from those alone, which steps are due, so the chains
cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Step(StrEnum):
    ASK = "ask"
    REMIND = "remind"
    ESCALATE = "escalate"


@dataclass(frozen=True)
class Stamped:
    """Which steps were already taken (sent once: a taken step is never due again)."""

    asked: bool = True  # most chains start with the question already put
    reminded: bool = False
    escalated: bool = False


def due(
    started: datetime,
    remind_after: timedelta,
    escalate_after: timedelta,
    now: datetime,
    stamped: Stamped,
) -> tuple[Step, ...]:
    """The steps due at ``now``, in the order they are sent.

    ``started`` is when the question is to be asked when ``stamped.asked`` is false
    (then asking is all that is due: the wait for an answer starts when it is asked),
    and otherwise when it was asked."""
    if now < started:
        return ()
    if not stamped.asked:
        return (Step.ASK,)
    if now >= started + escalate_after and not stamped.escalated:
        first = () if stamped.reminded else (Step.REMIND,)  # after downtime, worker first
        return (*first, Step.ESCALATE)
    if now >= started + remind_after and not stamped.reminded:
        return (Step.REMIND,)
    return ()
