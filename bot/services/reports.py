"""The figures of an accountability report (issue 18): what came in, how fast it was
answered — at night above all — and what became of it, for a period and stations.

The period is local days in ``config.zone``; its UTC bounds and buckets come from
bot/domain/figures.py, the counts from storage/report_figures.py (grouped in SQL,
no personal column read). "Night" is the coordinators' night, ``[coordination]
night_starts`` to ``handover_at``: the night escalation pages for when a team has no
service hours (bot/services/escalation.is_night). A team's own service hours are not
used here: one report covers teams with different hours, and counting each referral
against its own team's hours would need the rota of every day of the period.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from bot.domain import figures as fig
from bot.domain.care import night_counts
from bot.domain.escalation import Level
from bot.domain.referral import DeclineReason, ReturnReason, Urgency
from bot.domain.report import Cell, Report, Table
from bot.i18n import N_
from bot.services import Services
from storage import report_figures as q

DAY, NIGHT = "day", "night"
WAITING = "waiting"  # a linkage whose follow-up question is not answered yet
UNKNOWN = "unknown"  # a return from before the reasons' buttons (no reason kept)


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
    coordinators only."""
    config = services.config
    zone = config.zone
    coordination = config.coordination
    starts = coordination.clock_time(coordination.night_starts)
    ends = coordination.clock_time(coordination.handover_at)
    step = fig.step_minutes(start, end, zone, starts, ends)
    first, last = fig.bounds(start, end, zone)
    scope = q.Scope(first, last, stations, step, fig.slots(start, end, zone, starts, ends, step))
    now = services.clock.now()
    conn = services.db.reader

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
        )
    )

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
    assignments: dict[str, int] = defaultdict(int)
    for state, _, n in await q.offers_by(conn, scope, kind="coordinator"):
        assignments[state] += n
    tables.append(
        Table(
            "coordinator_assignments",
            N_("Coordinator assignments by answer"),
            (N_("Answer"), N_("Assignments")),
            tuple(sorted(assignments.items())),
        )
    )
    declines: dict[str, int] = defaultdict(int)
    for state, reason, n in await q.offers_by(conn, scope, kind="worker"):
        if state == "declined":
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
            N_("Referrals filed at night still unanswered when the night ended"),
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
        tables.append(await _per_worker(services, scope))

    total = sum(urgencies.values())
    all_minutes = [c for counts in histograms.values() for c in counts]
    median = fig.median(all_minutes)
    headline: tuple[tuple[str, str | int | float], ...] = (
        (N_("Referrals"), total),
        (N_("Share filed at night (%)"), round(100 * nights[NIGHT] / total, 1) if total else 0),
        (N_("Median minutes to acceptance"), median if median is not None else "–"),
        (N_("Unanswered when the night ended"), sum(unanswered.values())),
    )
    return Report(start, end, stations or ("*",), tuple(tables), headline)


async def _per_worker(services: Services, scope: q.Scope) -> Table:
    """Cases taken and night call-outs per worker (the fairness of night duty), counted
    as the care service counts them: each (worker, case, night) once, with the
    ``[care]`` night. The first cell is the worker's name: coordinators only."""
    care = services.config.care
    coordination = services.config.coordination
    conn = services.db.reader
    taken = await q.takings(conn, scope.first, scope.last, scope.stations)
    cases: dict[int, set[int]] = defaultdict(set)
    for who, referral_id, _ in taken:
        cases[who].add(referral_id)
    nights = night_counts(
        taken,
        services.config.zone,
        coordination.clock_time(care.night_starts),
        coordination.clock_time(care.night_ends),
    )
    names = await q.display_names(conn, sorted(cases))
    rows = sorted(
        ((names.get(who, str(who)), len(ids), nights.get(who, 0)) for who, ids in cases.items()),
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
