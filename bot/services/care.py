"""Care for the workers (issue 16): a debrief after a critical case, night call-outs
counted so night duty can be shared fairly, and rest offered after one.

What a coordinator hears goes through the outbox, in the transaction that closed the
case or recorded the worker's request.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.domain import care
from bot.domain.people import Person
from bot.domain.referral import Referral, Status
from bot.services import Services, offers, outbox
from bot.services.notices import Notice, NoticeKind
from bot.services.overdue import coordinators_to_tell
from bot.services.rota.duty import team_workers
from storage import referrals
from storage.db import Conn


async def debrief_prompts(
    tx: Conn, services: Services, referral: Referral, worker: Person, now: datetime
) -> list[Notice]:
    """For a case with a critical safety answer that just ended: its team's coordinators
    (on duty, else all) are prompted to offer ``worker`` a debrief. Nothing otherwise."""
    if not care.critical(referral.safety):
        return []
    team = services.config.team_of(referral.station_id)
    return [
        Notice(NoticeKind.DEBRIEF_OFFER, c, referral.id, values={"worker": worker.display_name})
        for c in await coordinators_to_tell(tx, services, team.id if team else None, now, worker)
    ]


def may_ask_debrief(referral: Referral) -> bool:
    """The worker's "Ask for a debrief": on a critical case once it has ended."""
    ended = referral.status in (Status.CLOSED, Status.RETURNED)
    return ended and bool(care.critical(referral.safety))


async def ask_debrief(services: Services, worker: Person, referral: Referral) -> bool | None:
    """The worker asks for a debrief: the coordinators hear it. True: asked now; False:
    asked before (nothing sent again); None: this case does not call for one."""
    if referral.assignee_id != worker.id or not may_ask_debrief(referral):
        return None
    now = services.clock.now()
    async with services.db.write() as tx:
        if not await referrals.stamp(tx, referral.id, "debrief_asked_at", now):
            return False
        team = services.config.team_of(referral.station_id)
        notices = [
            Notice(NoticeKind.DEBRIEF_ASKED, c, referral.id, values={"worker": worker.display_name})
            for c in await coordinators_to_tell(
                tx, services, team.id if team else None, now, worker
            )
        ]
        await outbox.enqueue(tx, services, notices)
    return True


async def night_callouts(services: Services, since: datetime | None = None) -> dict[int, int]:
    """Night call-outs per worker id since ``since`` (the start of this month, local)."""
    config = services.config
    settings = config.coordination
    start = since or care.month_start(services.clock.now(), config.zone)
    found = await referrals.acceptances_since(services.db.reader, start)
    return care.night_counts(
        found,
        config.zone,
        settings.clock_time(settings.night_starts),
        settings.clock_time(settings.handover_at),
    )


def is_night(services: Services, at: datetime) -> bool:
    settings = services.config.coordination
    return care.is_night(
        at,
        services.config.zone,
        settings.clock_time(settings.night_starts),
        settings.clock_time(settings.handover_at),
    )


def ranked(counts: dict[int, int], people: Iterable[Person]) -> list[tuple[str, int]]:
    """(name, night call-outs) of ``people``, most first: what coordinators read."""
    found = [(p.display_name, counts.get(p.id, 0)) for p in people]
    return sorted(found, key=lambda one: (-one[1], one[0]))


async def night_table(services: Services, team_ids: Iterable[str]) -> list[tuple[str, int]]:
    """This month's night call-outs of every worker of ``team_ids``, most first, so
    coordinators can share night duty fairly (/oncall, the morning handover)."""
    counts = await night_callouts(services)
    workers: dict[int, Person] = {}
    for team_id in team_ids:
        for person in await team_workers(services, team_id):
            workers[person.id] = person
    return ranked(counts, workers.values())


def rest_offer(services: Services, referral: Referral) -> datetime | None:
    """Until when the worker who just took ``referral`` may rest, if its acceptance was
    a night call-out and that rest has not already ended (None otherwise)."""
    accepted = referral.held_since
    if accepted is None or not is_night(services, accepted):
        return None
    until = care.rest_until(accepted, services.config.zone)
    return until if until > services.clock.now() else None


async def rest(services: Services, worker: Person, referral: Referral) -> datetime | None:
    """The worker's one tap after a night call-out: away (no new offers) until noon.
    None: the card is not theirs, or not a night call-out's, or the rest is over."""
    until = rest_offer(services, referral) if referral.assignee_id == worker.id else None
    if until is not None:
        await offers.went_away(services, worker, until)
    return until
