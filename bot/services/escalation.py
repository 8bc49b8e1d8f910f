"""One escalation step: tell the next level, skip empty levels, schedule the next step.

Called by the engine when a referral's ``next_action_at`` falls due, and at filing
when nobody at level 0 can be offered it. Runs inside the caller's write transaction,
which first claims the step (the timer must be unchanged since it was read), so a
step fires once even across overlapping ticks or a restart.

At the levels ``[paging]`` names (by default the coordinators', at night) the people a
step tells are also paged by call, SMS or the agency's gateway, in the same
transaction: the step fires once, so its pages are written once. The last level's
repeats page again whoever has not said "I'm on it", except while a hold after
someone's "I'm on it" lasts ([paging] hold_after_ack_minutes). Telegram's reach decides
only who gets a card: a coordinator who blocked the bot is still paged.

The engine takes many steps in one transaction; :class:`Lookups` lets them share what
they would each read alike (the officer, a team's coordinators, the next shift).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from datetime import datetime, timedelta
from typing import TypeVar, cast

from bot.domain import care
from bot.domain.escalation import Level, Plan, held_for_morning, officer_hears
from bot.domain.people import Person, Role
from bot.domain.referral import Referral
from bot.domain.rota import WeeklyWindow, next_start
from bot.domain.routing import can_take, required_skill
from bot.services import Services, paging, rota
from bot.services.notices import Notice, NoticeKind
from bot.services.offers import candidates, offer_wave
from storage import audit, offers, people, referrals
from storage.db import Conn
from storage.offers import OfferState

LATE = timedelta(minutes=1)
T = TypeVar("T")


class Lookups:
    """Reads and reckonings that the steps of one write transaction make alike, made
    once. Valid only inside the transaction it was made for: nothing else writes while
    it is open (one writer, ``BEGIN IMMEDIATE``), and a step writes none of what is kept
    here (people, roles, the rota, the config's service hours)."""

    def __init__(self) -> None:
        self._kept: dict[Hashable, object] = {}

    async def get(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        if key not in self._kept:
            self._kept[key] = await load()
        return cast(T, self._kept[key])

    def reckon(self, key: Hashable, work: Callable[[], T]) -> T:
        if key not in self._kept:
            self._kept[key] = work()
        return cast(T, self._kept[key])


def plan_of(services: Services, referral: Referral) -> Plan:
    if referral.plan:
        return Plan.from_json(referral.plan)
    return services.config.escalation.plan(referral.category, referral.urgency)


async def step(
    tx: Conn,
    services: Services,
    referral: Referral,
    now: datetime,
    lookups: Lookups | None = None,
) -> list[Notice]:
    """The referral's due step, decided and recorded in ``tx``; the notices to send.
    ``lookups``: shared by the steps of one transaction (one of its own if not given)."""
    lookups = lookups or Lookups()
    if not await referrals.set_escalation(
        tx,
        referral.id,
        seen_next_action_at=referral.next_action_at,
        level=referral.level,
        rounds=referral.rounds,
        held=referral.held,
        next_action_at=None,
        now=now,
    ):
        return []  # somebody else took this step
    due = referral.next_action_at.isoformat() if referral.next_action_at else "now"
    await audit.record(
        tx, now=now, action="referral.escalation_step", subject=referral.ref, detail=f"due {due}"
    )
    plan = plan_of(services, referral)
    # After downtime the step fires as soon as the bot is back; people are told how late.
    late = now - referral.next_action_at if referral.next_action_at else None
    lateness = {"late": str(int(late.total_seconds() // 60))} if late and late > LATE else {}
    officer = await lookups.get(
        ("person", referral.officer_id), lambda: people.by_id(tx, referral.officer_id)
    )
    assert officer is not None
    notices: list[Notice] = []
    if referral.held:  # the morning: start as if just filed, with whoever has no card yet
        history = await offers.of_referral(tx, referral.id)
        has_card = {o.person_id for o in history if o.state is not OfferState.EXPIRED}
        notices = await offer_wave(tx, services, referral, exclude=has_card)
        if notices or any(o.state is OfferState.OPEN for o in history):
            await _schedule(tx, referral, Level.SKILLED, 0, now + plan.wait(Level.SKILLED), now)
            filed = [Notice(NoticeKind.FILED, officer, referral.id)] if notices else []
            return [*notices, *filed]
        level, rounds = Level.SKILLED, 0
    else:
        level, rounds = Level(min(referral.level, Level.ALL_COORDINATORS)), referral.rounds
        morning = _morning_if_holdable(services, referral, now, lookups)
        if morning is not None:  # filed in hours, still waiting after they ended
            await _schedule(tx, referral, level, rounds, morning, now, held=True)
            return [Notice(NoticeKind.HELD, officer, referral.id)]
    while True:
        if level is Level.ALL_COORDINATORS:
            rounds += 1
        else:
            level = Level(level + 1)
        if level is Level.ALL_COORDINATORS and rounds > plan.repeat_limit:
            # The ladder is done: start again with the team's next shift, never go dormant.
            await _rest_until_next_shift(tx, services, referral, level, rounds, now, lookups)
            return notices
        told, out_of_reach = await _tell_level(tx, services, referral, level, lateness, lookups)
        paged = 0
        if _pages(services, referral, level, now, lookups):
            # Telegram's reach chooses only who gets a card: a coordinator who blocked
            # the bot is paged all the same, which is when a call is needed most.
            persons = [*(n.recipient for n in told), *out_of_reach]
            paged = await paging.page_people(tx, services, referral, persons)
        if told or paged:  # paged counts as told: the level is not empty
            await _schedule(tx, referral, level, rounds, now + plan.wait(level), now)
            if not officer_hears(level, rounds):
                return [*notices, *told]  # a repeat: the officer heard at the first round
            escalated = Notice(
                NoticeKind.ESCALATED,
                officer,
                referral.id,
                values={"level": str(int(level)), **lateness},
            )
            return [*notices, *told, escalated]
        if level is Level.ALL_COORDINATORS:  # nobody at all to tell: wait for the next shift
            await _rest_until_next_shift(tx, services, referral, level, rounds, now, lookups)
            return [*notices, Notice(NoticeKind.NOBODY_AVAILABLE, officer, referral.id)]


def _windows(services: Services, referral: Referral) -> list[WeeklyWindow]:
    team = services.config.team_of(referral.station_id)
    return team.service_windows() if team else []


def _service_hours(
    services: Services, referral: Referral, now: datetime, lookups: Lookups
) -> tuple[bool, datetime | None]:
    """(in the team's service hours now, when they next start): a team without service
    hours is always in them (nothing is held for its morning)."""
    windows, zone = _windows(services, referral), services.config.zone

    def reckoned() -> tuple[bool, datetime | None]:
        in_hours = not windows or any(w.contains(now, zone) for w in windows)
        return in_hours, next_start(windows, now, zone)

    return lookups.reckon(("service hours", referral.station_id, now), reckoned)


def is_night(services: Services, referral: Referral, now: datetime, lookups: Lookups) -> bool:
    """The night paging is for: outside the team's service hours, the same hours a
    routine referral is held out of; for a team without service hours (always "in
    hours" for the hold), the coordinators' night, [coordination] night_starts to
    handover_at, so such a deployment is not left never paging."""
    if _windows(services, referral):
        return not _service_hours(services, referral, now, lookups)[0]
    coordination = services.config.coordination
    return care.is_night(
        now,
        services.config.zone,
        coordination.clock_time(coordination.night_starts),
        coordination.clock_time(coordination.handover_at),
    )


def _pages(
    services: Services, referral: Referral, level: Level, now: datetime, lookups: Lookups
) -> bool:
    """Whether the people told at ``level`` are paged too ([paging]: from which level,
    only at night, per urgency and category)."""
    from_level, night_only = services.config.paging.rule(referral.category, referral.urgency)
    if level < from_level:
        return False
    return not night_only or is_night(services, referral, now, lookups)


def _morning_if_holdable(
    services: Services, referral: Referral, now: datetime, lookups: Lookups
) -> datetime | None:
    """A routine referral that may wait, escalating outside service hours: its next shift."""
    never_waits = services.config.category_facts(referral.category).never_waits
    if not held_for_morning(never_waits, referral.urgency, referral.appropriate_adult_now, False):
        return None  # never held, in service hours or out: no need to reckon the hours
    in_hours, start = _service_hours(services, referral, now, lookups)
    if not held_for_morning(
        never_waits, referral.urgency, referral.appropriate_adult_now, in_hours
    ):
        return None
    return start


RETRY_WHEN_NOBODY = timedelta(hours=1)


async def _rest_until_next_shift(
    tx: Conn,
    services: Services,
    referral: Referral,
    level: Level,
    rounds: int,
    now: datetime,
    lookups: Lookups,
) -> None:
    """Start again from level 0 at the next chance someone new is on: the team's next
    service hours or rota shift, and in any case within the hour. Never dormant."""
    chances = [now + RETRY_WHEN_NOBODY]
    service = lookups.reckon(
        ("next service", referral.station_id, now),
        lambda: next_start(_windows(services, referral), now, services.config.zone),
    )
    if service is not None:
        chances.append(service)
    team = services.config.team_of(referral.station_id)
    if team is not None:
        team_id = team.id
        shift = await lookups.get(
            ("next shift", team_id, now),
            lambda: rota.next_shift(
                services, team_id=team_id, role=Role.SOCIAL_WORKER, after=now, conn=tx
            ),
        )
        if shift is not None:
            chances.append(shift[0])
    await _schedule(tx, referral, level, rounds, min(chances), now, held=True)


async def _schedule(
    tx: Conn,
    referral: Referral,
    level: Level,
    rounds: int,
    at: datetime | None,
    now: datetime,
    *,
    held: bool = False,
) -> None:
    await referrals.set_escalation(
        tx,
        referral.id,
        seen_next_action_at=None,
        level=int(level),
        rounds=rounds,
        held=held,
        next_action_at=at,
        now=now,
    )


async def _tell_level(
    tx: Conn,
    services: Services,
    referral: Referral,
    level: Level,
    lateness: dict[str, str],
    lookups: Lookups,
) -> tuple[list[Notice], list[Person]]:
    """The notices (cards) to the people ``level`` tells, and the coordinators it would
    tell whom Telegram cannot reach (they blocked the bot): no card for them, but they
    are paged like the others when the level pages."""
    history = await offers.of_referral(tx, referral.id)
    told_before = {o.person_id for o in history if o.state is not OfferState.EXPIRED}
    now = services.clock.now()
    if level is Level.TEAM:
        cap = services.config.cases.max_open_per_worker
        pool = await candidates(tx, services, referral, with_backup=True)
        need = required_skill(referral.appropriate_adult_now)
        fresh = [
            c.person
            for c in pool
            if c.person.id not in told_before
            and can_take(c, cap)
            and (need is None or need in c.skills)
        ]
        return [
            Notice(
                NoticeKind.OFFER,
                person,
                referral.id,
                offer_id=await offers.insert(tx, referral.id, person.id, now),
            )
            for person in fresh
        ], []
    team = services.config.team_of(referral.station_id)
    team_id = team.id if team else None
    coordinators = [
        c
        for c in await lookups.get(
            ("coordinators", team_id), lambda: people.coordinators_for(tx, team_id)
        )
        if c.id != referral.officer_id
    ]
    if level is Level.COORDINATOR:
        shift = await rota.on_duty(services, team_id=None, role=Role.COORDINATOR, at=now)
        coordinators = [
            c for c in coordinators if c.on_duty(shift, now) and c.id not in told_before
        ]
    return [
        Notice(
            NoticeKind.ESCALATION,
            person,
            referral.id,
            offer_id=await offers.insert(tx, referral.id, person.id, now, kind="coordinator"),
            values=lateness,
        )
        for person in coordinators
        if person.reachable
    ], [person for person in coordinators if not person.reachable]
