"""Care for the workers (issue 16): a debrief after a critical case, night call-outs
counted so night duty can be shared fairly, and rest offered after one.

What a coordinator hears goes through the outbox, in the transaction that ended the
case or recorded the worker's request. A request is followed through: one coordinator
marks it arranged (the worker hears), or after ``[care] debrief_remind_hours`` the
coordinators are reminded once (a stamp on the referral, checked by the engine).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.domain import care
from bot.domain.people import Person, Role
from bot.domain.referral import WORKING, Referral, Status
from bot.services import Services, offers, outbox
from bot.services.notices import Notice, NoticeKind
from bot.services.rota.duty import team_workers
from storage import audit, people, referrals
from storage.db import Conn


async def debrief_prompts(
    tx: Conn, services: Services, referral: Referral, worker: Person, now: datetime
) -> list[Notice]:
    """For a case with a critical safety answer that just ended for ``worker`` (closed,
    declined at first contact, returned to police, handed back to the coordinators): the
    worker's team's coordinators (:func:`debrief_coordinators`) are prompted to offer
    ``worker`` a debrief, once per case and worker (a reopened case closed again by the
    same worker does not prompt twice; a colleague who took it over and ended it is
    prompted for too, having handled the same incident; the worker can still ask).
    Nothing otherwise."""
    if not care.critical(referral.safety):
        return []
    if not await referrals.offer_debrief(tx, referral.id, worker.id, now):
        return []
    return [
        Notice(NoticeKind.DEBRIEF_OFFER, c, referral.id, values={"worker": worker.display_name})
        for c in await debrief_coordinators(tx, services, referral, worker)
    ]


async def offered_to(services: Services, referral_id: int) -> list[str]:
    """The names of the workers a debrief was offered to after this case (none once
    retention erased it)."""
    reader = services.db.reader
    ids = await referrals.debrief_offers(reader, referral_id)
    found = await people.by_ids(reader, ids)
    return [found[i].display_name for i in ids if i in found]


def hushed(services: Services) -> bool:
    """Whether a debrief notice goes without sound now: a debrief is never urgent, so in
    the quiet hours (``[reminders] quiet_from``/``quiet_until``) it arrives silently, to
    the coordinator on duty too, and the morning handover lists it again."""
    config = services.config
    return config.reminders.quiet(config.zone).inside(services.clock.now())


async def debrief_coordinators(
    tx: Conn, services: Services, referral: Referral, worker: Person
) -> list[Person]:
    """Who hears about a worker's debrief: the coordinators of the worker's own team
    (their supervisors), on duty or not, never whoever happens to be on the night rota;
    only if the team has none, the coordinators of the case's station (all stations
    included). A debrief is not urgent: one at night also waits in the morning
    handover (:func:`night_debriefs`)."""
    team_id = worker.team_id
    if team_id is None:
        team = services.config.team_of(referral.station_id)
        team_id = team.id if team else None
    found = [
        c for c in await people.coordinators_for(tx, team_id) if c.reachable and c.id != worker.id
    ]
    own = [
        c
        for c in found
        if any(s.role is Role.COORDINATOR and s.team_id == team_id for s in c.scopes)
    ]
    return own or found


def may_ask_debrief(referral: Referral) -> bool:
    """The worker's "Ask for a debrief": on any case they hold or held, open or ended
    (violence may surface only later; whether the safety screen was critical does not
    decide who needs one). An erased case has nothing left to ask about."""
    return referral.status is not Status.OFFERED


async def held(services: Services, worker: Person, referral: Referral) -> bool:
    """Whether ``worker`` holds ``referral`` or held it once (handed it over since)."""
    if referral.assignee_id == worker.id:
        return True
    events = await referrals.events(services.db.reader, referral.id)
    return any(actor == worker.id and to in WORKING for _, to, actor in events)


async def ask_debrief(services: Services, worker: Person, referral: Referral) -> bool | None:
    """The worker asks for a debrief: their team's coordinators hear it. True: asked
    now; False: asked before (nothing sent again); None: not a case of theirs."""
    if not may_ask_debrief(referral) or not await held(services, worker, referral):
        return None
    now = services.clock.now()
    async with services.db.write() as tx:
        if not await referrals.ask_debrief(tx, referral.id, worker.id, now):
            return False
        notices = [
            Notice(NoticeKind.DEBRIEF_ASKED, c, referral.id, values={"worker": worker.display_name})
            for c in await debrief_coordinators(tx, services, referral, worker)
        ]
        await outbox.enqueue(tx, services, notices)
    return True


async def asker(tx: Conn, referral: Referral) -> Person | None:
    """The worker who asked for the debrief (the holder, for a request before 0028)."""
    found = await referrals.debrief(tx, referral.id)
    who = found.asked_by if found is not None and found.asked_by else referral.assignee_id
    return await people.by_id(tx, who) if who else None


@dataclass(frozen=True)
class Pending:
    """A debrief offered or asked for in the night, for the morning handover: the
    worker's name and the case reference, nothing else."""

    worker: str
    ref: str


async def night_debriefs(
    services: Services, coordinator: Person, since: datetime, until: datetime
) -> list[Pending]:
    """The debriefs offered or asked for during the night hours of ``since``..``until``
    that ``coordinator`` is among those to hear about and nobody has arranged yet: each
    under the worker it was for (an offer's, not whoever holds the case now; a request's
    asker), once per worker and case."""
    reader = services.db.reader
    waiting: list[tuple[Referral, int]] = []
    for referral, debrief, person_id, at in await referrals.debrief_offers_since(reader, since):
        if at <= until and is_night(services, at) and not debrief.arranged_for(person_id):
            waiting.append((referral, person_id))
    for referral, debrief in await referrals.debriefs_asked_since(reader, since):
        asked, who = debrief.asked_at, debrief.asked_by or referral.assignee_id
        if asked is not None and asked <= until and is_night(services, asked) and who:
            waiting.append((referral, who))
    found: list[Pending] = []
    seen: set[tuple[int, int]] = set()
    for referral, person_id in sorted(waiting, key=lambda one: one[0].id):
        worker = await people.by_id(reader, person_id)
        if worker is None or (referral.id, person_id) in seen:
            continue
        seen.add((referral.id, person_id))
        told = await debrief_coordinators(reader, services, referral, worker)
        if any(c.id == coordinator.id for c in told):
            found.append(Pending(worker.display_name, referral.ref))
    return found


async def night_callouts(services: Services, since: datetime | None = None) -> dict[int, int]:
    """Night call-outs per worker id since ``since`` (the start of this month, local)."""
    config = services.config
    start = since or care.month_start(services.clock.now(), config.zone)
    found = await referrals.takings_since(services.db.reader, start)
    return care.night_counts(found, config.zone, *_night(services))


def _night(services: Services) -> tuple[time, time]:
    """``[care] night_starts`` and ``night_ends``: the hours of a night call-out (not the
    coordinators' "overnight", which begins when the office day ends)."""
    settings = services.config.care
    clock_time = services.config.coordination.clock_time
    return clock_time(settings.night_starts), clock_time(settings.night_ends)


def is_night(services: Services, at: datetime) -> bool:
    return care.is_night(at, services.config.zone, *_night(services))


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
    """Until when the worker who just took ``referral`` (accepted it, confirmed an
    assignment, took it over from a colleague) may rest, if that was a night call-out and
    the rest has not already ended (None otherwise)."""
    accepted = referral.held_since
    if accepted is None or not is_night(services, accepted):
        return None
    until = care.rest_until(accepted, services.config.zone)
    return until if until > services.clock.now() else None


@dataclass(frozen=True)
class Rest:
    """Until when the worker is away after the rest tap (None: until /available), and
    whether an away they had set already ran longer (it is kept, never shortened)."""

    until: datetime | None
    already: bool = False


async def rest(services: Services, worker: Person, referral: Referral) -> Rest | None:
    """The worker's one tap after a night call-out: away (no new offers) until noon, or
    longer if they had already set a longer away (/away until Friday stays Friday).
    None: the card is not theirs, or not a night call-out's, or the rest is over."""
    until = rest_offer(services, referral) if referral.assignee_id == worker.id else None
    if until is None:
        return None
    away = await offers.went_away(services, worker, until, extend_only=True)
    if away == until:
        return Rest(until)
    return Rest(None if away == offers.FOREVER else away, already=True)


@dataclass(frozen=True)
class Arranged:
    """A coordinator's "Debrief arranged": ``done`` when this tap recorded it; else
    ``by`` names who did before (None: the case has no request waiting, e.g. forged)."""

    done: bool
    by: str | None = None
    notices: tuple[Notice, ...] = ()


async def arrange_debrief(services: Services, coordinator: Person, referral: Referral) -> Arranged:
    """One tap on the request's notice: recorded once, audited, and the worker hears
    that the coordinator will be in touch. A second coordinator's tap changes nothing."""
    now = services.clock.now()
    async with services.db.write() as tx:
        if not await referrals.arrange_debrief(tx, referral.id, coordinator.id, now):
            found = await referrals.debrief(tx, referral.id)
            if found is None or found.arranged_by is None:
                return Arranged(False)
            by = await people.by_id(tx, found.arranged_by)
            return Arranged(False, by.display_name if by else "?")
        worker = await asker(tx, referral)
        await audit.record(
            tx,
            now=now,
            action="care.debrief_arranged",
            actor_person_id=coordinator.id,
            actor_telegram_id=coordinator.telegram_id,
            subject=referral.ref,
            detail=f"person:{worker.id}" if worker else None,
        )
        told = (
            [
                Notice(
                    NoticeKind.DEBRIEF_ARRANGED,
                    worker,
                    referral.id,
                    values={"coordinator": coordinator.display_name},
                )
            ]
            if worker is not None
            else []
        )
        sent = await outbox.enqueue(tx, services, told)
    return Arranged(True, coordinator.display_name, tuple(sent))


async def debriefs_due(tx: Conn, services: Services, now: datetime) -> list[Notice]:
    """Requests nobody marked arranged within ``[care] debrief_remind_hours``: the
    worker's team's coordinators are reminded, once (stamped in ``tx``, so a restart
    neither repeats nor loses it), never in the quiet hours (:mod:`bot.domain.quiet`).
    Not enqueued: the reminder round does."""
    hours = services.config.care.debrief_remind_hours
    notices: list[Notice] = []
    if services.config.reminders.quiet(services.config.zone).inside(now):
        return notices  # not urgent: waits for the end of the quiet hours
    for referral in await referrals.debriefs_waiting(tx, now - timedelta(hours=hours)):
        if not await referrals.stamp(tx, referral.id, "debrief_reminded_at", now):
            continue
        worker = await asker(tx, referral)
        if worker is None:
            continue
        notices += [
            Notice(
                NoticeKind.DEBRIEF_WAITING, c, referral.id, values={"worker": worker.display_name}
            )
            for c in await debrief_coordinators(tx, services, referral, worker)
        ]
    return notices
