"""The chase every reminder chain runs: ask → remind the worker → tell the coordinators.

First contact, arrival, crisis follow-ups and linkages' follow-ups all wait for one
thing the worker should do. Once a clock has started (the question was asked, the case
accepted, the arrival target passed) the worker is reminded after ``remind_after``, and
the coordinators are told after ``escalate_after``; when the bot was down through the
reminder the worker still hears first, in the same round. Each chain keeps its own
stamps and clocks; this decides, from those alone, which steps are due, so the chains
cannot drift apart.

Day-scale chains (crisis and linkage follow-ups) pass their :class:`QuietHours`: each
step due at night waits for the morning, and the wait before the coordinators hear
counts from the worker's reminder as it was due, so the worker always has a daytime
wait of their own before anyone else is told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.quiet import QuietHours


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
    quiet: QuietHours | None = None,
) -> tuple[Step, ...]:
    """The steps due at ``now``, in the order they are sent.

    ``started`` is when the question is to be asked when ``stamped.asked`` is false
    (then asking is all that is due: the wait for an answer starts when it is asked),
    and otherwise when it was asked. With ``quiet``, no step is due inside the quiet
    hours, and one that fell due in them is due at their end."""

    def moved(when: datetime) -> datetime:
        return quiet.after(when) if quiet is not None else when

    def come(when: datetime) -> bool:
        return quiet.due(when, now) if quiet is not None else now >= when

    if not stamped.asked:
        return (Step.ASK,) if come(started) else ()
    if now < started:
        return ()
    remind_at = moved(started + remind_after)
    escalate_at = moved(remind_at + (escalate_after - remind_after))
    if come(escalate_at) and not stamped.escalated:
        first = () if stamped.reminded else (Step.REMIND,)  # after downtime, worker first
        return (*first, Step.ESCALATE)
    if come(remind_at) and not stamped.reminded:
        return (Step.REMIND,)
    return ()
