"""The figures of an accountability report (issue 18): what came in, how fast it was
answered — at night above all — and what became of it, for a period and stations.

The period is local days in ``config.zone``; its UTC bounds and buckets come from
bot/domain/figures.py, the counts from storage/report_figures.py (grouped in SQL,
no personal column read). "Night" is the coordinators' night, ``[coordination]
night_starts`` to ``handover_at``: the night escalation pages for when a team has no
service hours (bot/services/escalation.is_night). A team's own service hours are not
used here: one report covers teams with different hours, and counting each referral
against its own team's hours would need the rota of every day of the period.

What some figures mean, beyond their titles:
- Every time is from the FIRST acceptance (minutes to acceptance, first contact,
  arrival) and the escalation level is the one at that acceptance: a case handed back
  and taken again keeps its first clock, since the person has waited since then.
- A referral held for service hours (or by a coordinator) keeps its whole wait in the
  minutes to acceptance: that is how long it waited, on purpose or not; it is left out
  of "unanswered when the night ended", whose point is the nights nobody answered.
- Ends, returns and consultations count each referral's status now: a referral whose
  person declined at first contact counts as a consultation there even if it was
  reopened later, and one returned to the police and offered again counts where it is
  now (closed, or still open), not as returned.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from bot.domain import figures as fig
from bot.domain.escalation import Level
from bot.domain.referral import DeclineReason, ReturnReason, Urgency
from bot.domain.report import Cell, Report, Table
from bot.i18n import N_
from bot.services import Services
from storage import report_figures as q
from storage.db import Conn

DAY, NIGHT = "day", "night"
WAITING = "waiting"  # a linkage whose follow-up question is not answered yet
UNKNOWN = "unknown"  # a return from before the reasons' buttons (no reason kept)
# Label ids of the new tables' rows (bot/reports/labels.py names them).
APPROPRIATE_ADULT, ON_SCENE = "appropriate_adult", "on_scene"
SERVICE_HOURS, BY_COORDINATOR = "service_hours", "by_coordinator"
AT_FILING, AT_FIRST_CONTACT = "at_filing", "at_first_contact"


async def figures(
    services: Services,
    start: date,
    end: date,
    stations: tuple[str, ...],
    *,
    per_worker: bool,
) -> Report:
    """The report's tables for the local days ``start``..``end`` (inclusive) at
    ``stations`` (empty: all). ``per_worker`` adds the table naming workers, for
    coordinators only. Raises :class:`bot.domain.figures.BadPeriod` for a period the
    report will not count (see check_period).

    The queries run on a read-only connection of their own (Database.report_reader),
    not on the bot's shared reader: a year's report would make every other read of
    the bot wait behind it."""
    fig.check_period(start, end, services.clock.now().astimezone(services.config.zone).date())
    async with services.db.report_reader() as conn:
        return await _figures(services, conn, start, end, stations, per_worker=per_worker)


async def _figures(
    services: Services,
    conn: Conn,
    start: date,
    end: date,
    stations: tuple[str, ...],
    *,
    per_worker: bool,
) -> Report:
    config = services.config
    zone = config.zone
    coordination = config.coordination
    starts = coordination.clock_time(coordination.night_starts)
    ends = coordination.clock_time(coordination.handover_at)
    step = fig.step_minutes(start, end, zone, starts, ends)
    first, last = fig.bounds(start, end, zone)
    scope = q.Scope(first, last, stations, step, fig.slots(start, end, zone, starts, ends, step))
    now = services.clock.now()
    await q.prepare(conn, scope)

    tables: list[Table] = []
    category_station = await q.by_category_station(conn, scope)
    tables.append(
        Table(
            "by_category_station",
            N_("Referrals by category and station"),
            (N_("Category"), N_("Station"), N_("Referrals")),
            tuple(category_station),
            chart="bar",
        )
    )
    urgencies = dict(await q.by_urgency(conn, scope))
    tables.append(
        Table(
            "by_urgency",
            N_("Referrals by urgency"),
            (N_("Urgency"), N_("Referrals")),
            tuple((u.value, urgencies.get(u.value, 0)) for u in Urgency),
            chart="column",
        )
    )
    hours: dict[str, int] = defaultdict(int)
    weekdays: dict[str, int] = defaultdict(int)
    nights: dict[str, int] = defaultdict(int)
    for hour, weekday, night, n in await q.by_time(conn, scope):
        hours[hour] += n
        weekdays[weekday] += n
        nights[NIGHT if night else DAY] += n
    tables.append(
        Table(
            "by_hour",
            N_("Referrals by hour of day"),
            (N_("Hour"), N_("Referrals")),
            tuple((f"{h:02d}", hours[f"{h:02d}"]) for h in range(24)),
            chart="column",
            parts=_day_and_night_hours(scope.slots),
        )
    )
    tables.append(
        Table(
            "by_weekday",
            N_("Referrals by weekday"),
            (N_("Weekday"), N_("Referrals")),
            tuple((str(d), weekdays[str(d)]) for d in range(7)),
            chart="column",
        )
    )
    tables.append(
        Table(
            "day_night",
            N_("Referrals by day and night"),
            (N_("When"), N_("Referrals")),
            ((DAY, nights[DAY]), (NIGHT, nights[NIGHT])),
            chart="column",
            headline=(N_("Share filed at night (%)"),),
        )
    )

    histograms: dict[tuple[str, str], list[tuple[float, int]]] = defaultdict(list)
    for urgency, night, minutes, n in await q.acceptance_minutes(conn, scope):
        histograms[(urgency, NIGHT if night else DAY)].append((float(minutes), n))
    timing: list[tuple[Cell, ...]] = []
    for u in Urgency:
        for when in (DAY, NIGHT):
            counts = histograms.get((u.value, when), [])
            timing.append(
                (
                    u.value,
                    when,
                    sum(n for _, n in counts),
                    fig.median(counts),
                    fig.percentile(counts, 0.9),
                )
            )
    tables.append(
        Table(
            "time_to_acceptance",
            N_("Minutes from filing to first acceptance"),
            (
                N_("Urgency"),
                N_("When"),
                N_("Accepted"),
                N_("Median minutes"),
                N_("90th percentile minutes"),
            ),
            tuple(timing),
            basis=(2,),
            headline=(N_("Median minutes to acceptance"),),
        )
    )

    tables.append(await _first_contact(services, conn, scope))
    tables.append(await _arrival(services, conn, scope))

    levels = dict(await q.answered_at_level(conn, scope))
    tables.append(
        Table(
            "answered_at_level",
            N_("Escalation level at acceptance"),
            (N_("Level"), N_("Referrals")),
            tuple((str(int(level)), levels.get(int(level), 0)) for level in Level),
            chart="column",
        )
    )
    held = dict(await q.held(conn, scope))
    tables.append(
        Table(
            "held",
            N_("Referrals that waited for service hours"),
            (N_("How held"), N_("Referrals")),
            (
                (SERVICE_HOURS, held.get("held", 0)),
                (BY_COORDINATOR, held.get("held_by_coordinator", 0)),
            ),
        )
    )
    # A coordinator's assignment is the worker's card with assigned_by set; "declined"
    # there is the assignee's "I can't" (bot/reports/labels.py: "Could not take it").
    assignments = dict(await q.assignments(conn, scope))
    tables.append(
        Table(
            "coordinator_assignments",
            N_("Coordinator assignments by answer"),
            (N_("Answer"), N_("Assignments")),
            tuple(sorted(assignments.items())),
        )
    )
    declines: dict[str, int] = defaultdict(int)
    for reason, n in await q.declines(conn, scope):
        declines[reason or DeclineReason.OTHER.value] += n
    tables.append(
        Table(
            "declines_by_reason",
            N_("Offers declined by reason"),
            (N_("Reason"), N_("Declines")),
            tuple((r.value, declines.get(r.value, 0)) for r in DeclineReason),
            chart="bar",
        )
    )
    unanswered = dict(await q.unanswered_at_night_end(conn, scope, now))
    tables.append(
        Table(
            "unanswered_at_night_end",
            N_("Referrals filed at night still unanswered when the night ended, held ones aside"),
            (N_("Urgency"), N_("Referrals")),
            tuple((u.value, unanswered.get(u.value, 0)) for u in Urgency),
        )
    )

    outcomes: dict[str, int] = defaultdict(int)
    otherwise: dict[str, int] = defaultdict(int)
    for status, outcome, n in await q.ends(conn, scope):
        if status == "closed":
            outcomes[outcome] += n
        else:
            otherwise[status] += n
    tables.append(
        Table(
            "closed_by_outcome",
            N_("Closed cases by outcome"),
            (N_("Outcome"), N_("Referrals")),
            tuple(sorted(outcomes.items())),
            chart="bar",
        )
    )
    tables.append(
        Table(
            "returned_withdrawn",
            N_("Returned to the police and withdrawn"),
            (N_("Status"), N_("Referrals")),
            (("returned", otherwise["returned"]), ("withdrawn", otherwise["withdrawn"])),
        )
    )
    returned = dict(await q.returns_by_reason(conn, scope))
    tables.append(
        Table(
            "returned_by_reason",
            N_("Returned to the police by reason"),
            (N_("Reason"), N_("Referrals")),
            (
                *((r.value, returned.get(r.value, 0)) for r in ReturnReason),
                (UNKNOWN, returned.get("", 0)),  # returned before reasons were kept
            ),
            chart="bar",
        )
    )
    at_filing, at_contact = await q.consultations(conn, scope)
    tables.append(
        Table(
            "consultations",
            N_("Referrals that became consultations"),
            (N_("When consent was declined"), N_("Referrals")),
            ((AT_FILING, at_filing), (AT_FIRST_CONTACT, at_contact)),
        )
    )
    tables.append(
        Table(
            "linkages",
            N_("Linkages by resource kind and follow-up answer"),
            (N_("Resource kind"), N_("Follow-up answer"), N_("Linkages")),
            tuple(
                (kind, answer or WAITING, n) for kind, answer, n in await q.linkages(conn, scope)
            ),
            chart="bar",
        )
    )

    if per_worker:
        tables.append(await _per_worker(services, conn, scope, start, end))

    total = sum(urgencies.values())
    all_minutes = [c for counts in histograms.values() for c in counts]
    median = fig.median(all_minutes)
    headline: tuple[tuple[str, str | int | float], ...] = (
        (N_("Referrals"), total),
        (N_("Share filed at night (%)"), round(100 * nights[NIGHT] / total, 1) if total else 0.0),
        (N_("Median minutes to acceptance"), median if median is not None else "–"),
        (N_("Unanswered when the night ended"), sum(unanswered.values())),
    )
    return Report(start, end, stations or ("*",), tuple(tables), headline)


def _day_and_night_hours(slots: Sequence[fig.Slot]) -> tuple[tuple[int, ...], ...]:
    """The rows of by_hour (hour h is row h) wholly in the night and wholly in the day,
    as the day_night table counts them: their sums are its two figures, so suppress
    takes each as a partition (bot/domain/report.py, Table.parts). An hour the night's
    bound cuts (a night from 22:30) is in neither: its split is not published, and
    taking the whole hours' sums as known is the cautious reading."""
    flags: dict[int, set[bool]] = defaultdict(set)
    for slot in slots:
        flags[int(slot.hour)].add(slot.night)
    night = tuple(h for h in range(24) if flags[h] == {True})
    day = tuple(h for h in range(24) if flags[h] == {False})
    return night, day


async def _per_worker(
    services: Services, conn: Conn, scope: q.Scope, start: date, end: date
) -> Table:
    """Cases taken and night call-outs per worker (the fairness of night duty), counted
    as the care service counts them (bot/domain/care.night_counts): each (worker, case,
    night) once, with the ``[care]`` night, whose buckets are labelled here. The first
    cell is the worker's name: coordinators only."""
    care = services.config.care
    coordination = services.config.coordination
    zone = services.config.zone
    starts = coordination.clock_time(care.night_starts)
    ends = coordination.clock_time(care.night_ends)
    step = fig.step_minutes(start, end, zone, starts, ends)
    care_scope = q.Scope(
        scope.first,
        scope.last,
        scope.stations,
        step,
        fig.slots(start, end, zone, starts, ends, step),
    )
    counted = await q.per_worker(conn, care_scope)
    names = await q.display_names(conn, sorted(who for who, _, _ in counted))
    rows = sorted(
        ((names.get(who, str(who)), cases, nights) for who, cases, nights in counted),
        key=lambda row: (-row[1], row[0]),
    )
    return Table(
        "per_worker",
        N_("Cases taken and night call-outs per worker"),
        (N_("Worker"), N_("Cases taken"), N_("Night call-outs")),
        tuple(rows),
        chart="bar",
        counts=False,  # the agency's own staff, for its coordinators: nothing to hide
    )


async def _first_contact(services: Services, conn: Conn, scope: q.Scope) -> Table:
    """First contact against the target the reminders use (``[reminders]
    contact_hours``), from the first acceptance: a case handed back and accepted again
    keeps its first clock here (the reminders restart it for the new holder, but the
    person has waited since the first acceptance)."""
    reminders = services.config.reminders
    found: dict[str, list[tuple[float | None, int]]] = defaultdict(list)
    for urgency, minutes, n in await q.first_contact(conn, scope):
        found[urgency].append((None if minutes is None else float(minutes), n))
    rows: list[tuple[Cell, ...]] = []
    for u in Urgency:
        target = reminders.contact_target(u).total_seconds() / 60
        counts = found.get(u.value, [])
        timed = [(m, n) for m, n in counts if m is not None]
        rows.append(
            (
                u.value,
                sum(n for _, n in counts),
                sum(n for m, n in timed if m <= target),
                sum(n for m, n in timed if m > target),
                sum(n for m, n in counts if m is None),
                fig.median(timed),
            )
        )
    return Table(
        "first_contact",
        N_("First contact against its target, from the first acceptance"),
        (
            N_("Urgency"),
            N_("Accepted"),
            N_("Contacted within target"),
            N_("Contacted later"),
            N_("Not contacted"),
            N_("Median minutes after the first acceptance"),
        ),
        tuple(rows),
        basis=(2, 3),
        sums=((1, (2, 3, 4)),),
    )


async def _arrival(services: Services, conn: Conn, scope: q.Scope) -> Table:
    """Arrival in person against the ``[arrival]`` targets, as the reminders hold it
    (bot/domain/referral.arrival_target): minutes after the acceptance, or for an
    appropriate adult asked for a later questioning, its start. Measured from the FIRST
    acceptance, as first contact is: the reminders restart for a new holder after a
    hand-back, but the officer has waited since then, so "Arrived later" may count a
    worker who came within their own target; the title says so. The median is of the
    minutes from the first acceptance to "Arrived"."""
    settings = services.config.arrival
    requests: dict[str, int] = defaultdict(int)
    within: dict[str, int] = defaultdict(int)
    later: dict[str, int] = defaultdict(int)
    minutes_of: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for adult, urgency, minutes, planned, n in await q.arrival(conn, scope):
        kind = APPROPRIATE_ADULT if adult else ON_SCENE
        requests[kind] += n
        if minutes is None:
            continue
        minutes_of[kind].append((float(minutes), n))
        target = (
            float(planned)
            if planned is not None
            else settings.target_minutes(Urgency(urgency), bool(adult))
        )
        if minutes <= target:
            within[kind] += n
        else:
            later[kind] += n
    return Table(
        "arrival",
        N_("Arrival in person against its target, from the first acceptance"),
        (
            N_("Attendance"),
            N_("Requests"),
            N_("Arrived within target"),
            N_("Arrived later"),
            N_("Never marked arrived"),
            N_("Median minutes after the first acceptance"),
        ),
        tuple(
            (
                kind,
                requests[kind],
                within[kind],
                later[kind],
                requests[kind] - within[kind] - later[kind],
                fig.median(minutes_of[kind]),
            )
            for kind in (APPROPRIATE_ADULT, ON_SCENE)
        ),
        basis=(2, 3),
        sums=((1, (2, 3, 4)),),
    )
