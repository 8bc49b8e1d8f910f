"""Who hears that a worker is late (a reminder left unanswered, an arrival overdue, a
follow-up not marked): the one rule every reminder chain ends with, in one place, so
the chains (first contact, arrival, crisis follow-ups, linkages, handovers) cannot drift.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.people import Person, Role
from bot.domain.referral import Referral
from bot.services import Services, rota
from bot.services.notices import Notice, NoticeKind
from storage import people
from storage.db import Conn


async def coordinators_to_tell(
    tx: Conn, services: Services, team_id: str | None, now: datetime, worker: Person
) -> list[Person]:
    """The coordinators on duty now; every coordinator of the station only if none is
    (nobody is woken for a reminder when someone is on duty, and it never goes to
    nobody at night). Never the worker who is late: a coordinator on duty who took the
    case himself does not count as the one on duty to tell."""
    everyone = [
        c for c in await people.coordinators_for(tx, team_id) if c.reachable and c.id != worker.id
    ]
    shift = await rota.on_duty(services, team_id=None, role=Role.COORDINATOR, at=now, conn=tx)
    on_duty = [c for c in everyone if c.on_duty(shift, now)]
    return on_duty or everyone


async def tell_coordinators(
    tx: Conn,
    services: Services,
    referral: Referral,
    worker: Person,
    now: datetime,
    kind: NoticeKind,
    values: dict[str, str],
) -> list[Notice]:
    """A ``kind`` notice about ``referral`` to each coordinator :func:`coordinators_to_tell`
    names for its station's team, with the late worker's name added to ``values``."""
    team = services.config.team_of(referral.station_id)
    told = await coordinators_to_tell(tx, services, team.id if team else None, now, worker)
    return [
        Notice(kind, c, referral.id, values={**values, "worker": worker.display_name}) for c in told
    ]
