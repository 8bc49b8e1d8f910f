"""Aggregate queries for the accountability reports (issue 18).

Every query here groups in SQL and returns counts by ids; none selects a personal or
sealed column (names, phones, places, summaries, notes, typed reasons, the names of
linked services), so a report cannot leak one even by mistake. The referrals counted
are those filed in the period (``Scope``) at the stations asked for; what happened to
them (acceptance, escalation, outcome) is counted whenever it happened.

Local time: the caller cuts the period into UTC buckets labelled with their local
hour, weekday and night (bot/domain/figures.py) and passes them as one JSON
parameter; a referral joins its bucket by equality (SQLite indexes the bucket list
by itself: the CROSS JOINs keep the referrals outside, so the buckets are the side
looked up), so no referral is loaded to convert its time.

One pass first (:func:`prepare`): each referral of the scope with its bucket's labels
and the moments its history says (first acceptance, first contact, withdrawal) goes
into a temporary table of the report's own connection, and the figures are grouped
from it. Reading the history once per referral rather than once per figure is what
keeps a year of a busy district under two seconds (bench/reports.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from bot.domain.figures import Slot
from storage.db import Conn, fetch_all
from storage.timefmt import to_db


@dataclass(frozen=True)
class Scope:
    """Referrals filed in [first, last) (UTC) at ``stations`` (empty: every station)."""

    first: datetime
    last: datetime
    stations: tuple[str, ...]
    step: int  # bucket minutes (bot/domain/figures.py)
    slots: Sequence[Slot]

    def where(self, alias: str = "r") -> tuple[str, list[Any]]:
        sql = f"{alias}.created_at >= ? AND {alias}.created_at < ?"
        params: list[Any] = [to_db(self.first), to_db(self.last)]
        if self.stations:
            sql += f" AND {alias}.station_id IN ({', '.join('?' * len(self.stations))})"
            params.extend(self.stations)
        return sql, params

    @cached_property
    def slots_json(self) -> str:
        return json.dumps(
            [
                [
                    s.bucket,
                    s.hour,
                    s.weekday,
                    int(s.night),
                    to_db(s.night_end) if s.night_end else None,
                ]
                for s in self.slots
            ]
        )


# The bucket of a referral's filing time, spelled as bot/domain/figures.bucket_key does.
_BUCKET = (
    "substr(r.created_at, 1, 14)"
    " || printf('%02d', CAST(substr(r.created_at, 15, 2) AS INTEGER) / ? * ?)"
)
_SLOTS = (
    "slots (bucket, hour, weekday, night, night_end) AS MATERIALIZED ("
    "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'),"
    " json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]')"
    " FROM json_each(?))"
)
# A referral's first move to a status: one seek in referral_events_report (0038).
_FIRST = (
    "(SELECT MIN(e.at) FROM referral_events e WHERE e.referral_id = r.id"
    " AND e.to_status = {status})"
)
# The per-referral facts the figures are grouped from (see prepare).
FACTS = "temp.report_facts"
# The [care] night's buckets, for the per-worker table (see per_worker).
NIGHTS = "temp.report_care_nights"


async def prepare(conn: Conn, scope: Scope) -> None:
    """Fill :data:`FACTS` with the referrals of ``scope``: their own columns the figures
    use, their bucket's local labels, and from their history the first acceptance (not
    referrals.accepted_at, which a re-acceptance after a hand-back or a return
    overwrites), the first contact (the first move to "contacted", or, for a person
    who declined at first contact, that close; not referrals.contacted_at, which a
    second holder's contact overwrites) and the withdrawal. On the report's own
    connection (a temporary table is its alone), before any figure below."""
    where, params = scope.where()
    accepted, contacted, withdrawn = (
        _FIRST.format(status=f"'{status}'") for status in ("accepted", "contacted", "withdrawn")
    )
    # Declined at first contact: the close from "accepted" is that first contact.
    declined = _FIRST.format(status="'closed' AND e.from_status = 'accepted'")
    await conn.execute(f"DROP TABLE IF EXISTS {FACTS}")
    await conn.execute(
        f"CREATE TABLE {FACTS} (id INTEGER PRIMARY KEY, station_id TEXT, category TEXT,"
        " urgency TEXT, level INTEGER, status TEXT, outcome TEXT, consultation INTEGER,"
        " consent TEXT, adult INTEGER, attended INTEGER, arrived_at TEXT,"
        " questioning_at TEXT, created_at TEXT, hour TEXT, weekday TEXT, night INTEGER,"
        " night_end TEXT, accepted TEXT, contacted TEXT, withdrawn TEXT,"
        " held INTEGER NOT NULL DEFAULT 0, held_by_coordinator INTEGER NOT NULL DEFAULT 0)"
    )
    await conn.execute(
        f"WITH {_SLOTS} INSERT INTO {FACTS} (id, station_id, category, urgency, level,"  # noqa: S608
        " status, outcome, consultation, consent, adult, attended, arrived_at,"
        " questioning_at, created_at, hour, weekday, night, night_end, accepted, contacted,"
        " withdrawn) SELECT r.id, r.station_id, r.category, r.urgency,"
        " COALESCE(r.first_level, r.level), r.status, r.outcome, r.consultation, r.consent,"
        " r.appropriate_adult_now, (r.co_response = 1 OR r.at_scene = 1"
        " OR r.appropriate_adult_now = 1), r.arrived_at, r.questioning_at, r.created_at,"
        " s.hour, s.weekday, s.night, s.night_end,"
        f" {accepted}, CASE WHEN r.consent = 'declined' AND r.consultation = 0"
        f" THEN NULLIF(MIN(COALESCE({contacted}, '9'), COALESCE({declined}, '9')), '9')"
        f" ELSE {contacted} END, {withdrawn}"
        f" FROM referrals r CROSS JOIN slots s ON s.bucket = {_BUCKET} WHERE {where}",
        [scope.slots_json, scope.step, scope.step, *params],
    )
    # The notices are the record of a hold (the referral's ``held`` column clears when
    # the morning comes); the few there are, read through their own index.
    for kind in ("held", "held_by_coordinator"):
        await conn.execute(
            f"UPDATE {FACTS} SET {kind} = 1 WHERE id IN (SELECT o.referral_id FROM outbox o"  # noqa: S608
            " WHERE o.kind IN ('held', 'held_by_coordinator') AND o.kind = ?)",
            [kind],
        )


async def _rows(conn: Conn, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in await fetch_all(conn, sql, params)]


async def by_category_station(conn: Conn, scope: Scope) -> list[tuple[str, str, int]]:
    return await _rows(
        conn,
        f"SELECT category, station_id, COUNT(*) FROM {FACTS}"  # noqa: S608
        " GROUP BY category, station_id ORDER BY category, station_id",
        (),
    )


async def by_urgency(conn: Conn, scope: Scope) -> list[tuple[str, int]]:
    return await _rows(
        conn,
        f"SELECT urgency, COUNT(*) FROM {FACTS} GROUP BY urgency",  # noqa: S608
        (),
    )


async def by_time(conn: Conn, scope: Scope) -> list[tuple[str, str, int, int]]:
    """(local hour, local weekday, night 0/1, referrals)."""
    return await _rows(
        conn,
        f"SELECT hour, weekday, night, COUNT(*) FROM {FACTS}"  # noqa: S608
        " GROUP BY hour, weekday, night",
        (),
    )


async def acceptance_minutes(conn: Conn, scope: Scope) -> list[tuple[str, int, float, int]]:
    """(urgency, night 0/1, minutes from filing to first acceptance to 0.1, referrals):
    a histogram the caller takes the median and percentiles of."""
    return await _rows(
        conn,
        "SELECT urgency, night, ROUND((julianday(accepted) - julianday(created_at))"  # noqa: S608
        f" * 1440, 1) AS minutes, COUNT(*) FROM {FACTS} WHERE accepted IS NOT NULL"
        " GROUP BY urgency, night, minutes",
        (),
    )


async def answered_at_level(conn: Conn, scope: Scope) -> list[tuple[int, int]]:
    """(escalation level the referral had reached when it was first accepted, referrals):
    ``referrals.first_level`` (kept at the first acceptance, migration 0038), not the
    current level, which a hand-back sets to the coordinators' (2) when the case goes
    back on offer. The same first acceptance as the minutes to acceptance."""
    return await _rows(
        conn,
        f"SELECT level, COUNT(*) FROM {FACTS} WHERE accepted IS NOT NULL GROUP BY level",  # noqa: S608
        (),
    )


async def assignments(conn: Conn, scope: Scope) -> list[tuple[str, int]]:
    """(state, offers) of the coordinators' assignments made for the referrals of the
    period: a worker's offer with ``assigned_by`` set (bot/services/coordinator.py), the
    card that asks them to confirm. Confirmed is 'accepted'; the assignee's "I can't"
    (or their deactivation before answering) is 'declined' with the code 'cannot' or
    'left' (storage/offers.refuse_assignment). Not the coordinators' own escalation
    cards (``kind = 'coordinator'``), which are the question, not an assignment."""
    return await _rows(
        conn,
        "SELECT state, COUNT(*) FROM offers WHERE assigned_by IS NOT NULL"  # noqa: S608
        f" AND referral_id IN (SELECT id FROM {FACTS}) GROUP BY state",
        (),
    )


async def declines(conn: Conn, scope: Scope) -> list[tuple[str, int]]:
    """(decline reason id or '', offers) of the offers workers declined themselves for the
    referrals of the period: worker offers that were no assignment (an assignee's "I
    can't" is counted with the assignments). The reason is the button's id; the
    decliner's own words are a sealed note."""
    return await _rows(
        conn,
        "SELECT COALESCE(reason, ''), COUNT(*) FROM offers WHERE state = 'declined'"  # noqa: S608
        " AND kind = 'worker' AND assigned_by IS NULL"
        f" AND referral_id IN (SELECT id FROM {FACTS}) GROUP BY reason",
        (),
    )


async def unanswered_at_night_end(conn: Conn, scope: Scope, now: datetime) -> list[tuple[str, int]]:
    """(urgency, referrals) filed at night, whose night is over by ``now``, that nobody
    had accepted when it ended (the gap this product exists to close); a referral the
    officer withdrew during the night is not counted, nor one held for the morning (the
    officer told it waits for service hours, or a coordinator held it): it waited on
    purpose. Held referrals do count in the minutes to acceptance, whose wait they are."""
    return await _rows(
        conn,
        f"SELECT urgency, COUNT(*) FROM {FACTS} WHERE night = 1 AND night_end <= ?"  # noqa: S608
        " AND held = 0 AND held_by_coordinator = 0"
        " AND COALESCE(accepted > night_end, 1) AND COALESCE(withdrawn > night_end, 1)"
        " GROUP BY urgency",
        [to_db(now)],
    )


async def first_contact(conn: Conn, scope: Scope) -> list[tuple[str, float | None, int]]:
    """(urgency, minutes from the first acceptance to the first contact to 0.1 or None
    while there was none, referrals) of the referrals accepted: a histogram the caller
    holds against the reminders' targets."""
    return await _rows(
        conn,
        "SELECT urgency, ROUND((julianday(contacted) - julianday(accepted)) * 1440, 1),"  # noqa: S608
        f" COUNT(*) FROM {FACTS} WHERE accepted IS NOT NULL GROUP BY 1, 2",
        (),
    )


async def arrival(
    conn: Conn, scope: Scope
) -> list[tuple[int, str, float | None, float | None, int]]:
    """(appropriate adult 1 or on scene 0, urgency, minutes from the first acceptance to
    "Arrived" to 0.1 or None, minutes from the first acceptance to the planned start of
    the questioning when that is later (the appropriate adult's target then) or None,
    referrals) of the referrals a worker was asked to attend in person (a co-response,
    a worker at the scene, an appropriate adult), accepted or not."""
    return await _rows(
        conn,
        "SELECT adult, urgency, ROUND((julianday(arrived_at) - julianday(accepted))"  # noqa: S608
        " * 1440, 1), CASE WHEN adult = 1 AND questioning_at > accepted"
        " THEN ROUND((julianday(questioning_at) - julianday(accepted)) * 1440, 1) END,"
        f" COUNT(*) FROM {FACTS} WHERE attended GROUP BY 1, 2, 3, 4",
        (),
    )


async def held(conn: Conn, scope: Scope) -> list[tuple[str, int]]:
    """(notice kind, referrals): the referrals the officer was told wait for the team's
    service hours ('held': routine, outside hours) or that a coordinator held
    ('held_by_coordinator'), each counted once however often it was held. The notices
    are the record: the referral's ``held`` column clears when the morning comes."""
    rows = await _rows(
        conn,
        f"SELECT COALESCE(SUM(held), 0), COALESCE(SUM(held_by_coordinator), 0) FROM {FACTS}",  # noqa: S608
        (),
    )
    return [("held", int(rows[0][0])), ("held_by_coordinator", int(rows[0][1]))]


async def consultations(conn: Conn, scope: Scope) -> tuple[int, int]:
    """(referrals filed as consultations, referrals whose person declined at first
    contact): consent declined at filing makes ``consultation`` 1; declined at first
    contact, ``consent`` becomes 'declined' on a referral that was not one. The columns
    as they are now: a referral declined at first contact and reopened later still
    counts as a first-contact consultation."""
    rows = await _rows(
        conn,
        "SELECT COALESCE(SUM(consultation = 1), 0),"  # noqa: S608
        f" COALESCE(SUM(consultation = 0 AND consent = 'declined'), 0) FROM {FACTS}",
        (),
    )
    return int(rows[0][0]), int(rows[0][1])


async def ends(conn: Conn, scope: Scope) -> list[tuple[str, str, int]]:
    """(status, outcome id or '', referrals) of the referrals that are closed, returned
    to the police or withdrawn, by their status now: a case returned and offered again
    counts where it is now, not as returned (returns_by_reason counts the same way)."""
    return await _rows(
        conn,
        f"SELECT status, COALESCE(outcome, ''), COUNT(*) FROM {FACTS}"  # noqa: S608
        " WHERE status IN ('closed', 'returned', 'withdrawn') GROUP BY status, outcome",
        (),
    )


async def returns_by_reason(conn: Conn, scope: Scope) -> list[tuple[str, int]]:
    """(reason id or '' for a case returned before reasons were kept, referrals) of the
    referrals returned to the police: the button the worker chose, never their line."""
    where, params = scope.where()
    return await _rows(
        conn,
        "SELECT COALESCE(r.return_reason, ''), COUNT(*) FROM referrals r"  # noqa: S608
        f" WHERE {where} AND r.status = 'returned' GROUP BY r.return_reason",
        params,
    )


async def linkages(conn: Conn, scope: Scope) -> list[tuple[str, str, int]]:
    """(resource kind, follow-up answer or '' while none, linkages); never the name."""
    where, params = scope.where()
    return await _rows(
        conn,
        "SELECT l.kind, COALESCE(l.answer, ''), COUNT(*) FROM linkages l"  # noqa: S608
        f" JOIN referrals r ON r.id = l.referral_id WHERE {where}"
        " GROUP BY l.kind, l.answer ORDER BY l.kind",
        params,
    )


async def display_names(conn: Conn, person_ids: Sequence[int]) -> dict[int, str]:
    """The workers' names for the coordinators' per-worker table (and nothing else)."""
    if not person_ids:
        return {}
    rows = await fetch_all(
        conn,
        f"SELECT id, display_name FROM people WHERE id IN ({', '.join('?' * len(person_ids))})",  # noqa: S608
        list(person_ids),
    )
    return {row["id"]: row["display_name"] for row in rows}


# storage/referrals.TAKINGS without reading the events' reason (sealed): an acceptance
# event with an offer accepted at the same moment is that offer's (the worker's own, or
# a coordinator's assignment the worker confirmed, whose event names the coordinator),
# counted by the offer row; one without is a coordinator's "Take it myself".
_TAKINGS = (
    "SELECT person_id AS who, referral_id, responded_at AS at FROM offers"
    " WHERE state = 'accepted' AND responded_at >= ?"
    " UNION ALL SELECT e.actor_id, e.referral_id, e.at FROM referral_events e"
    " LEFT JOIN (SELECT referral_id, responded_at FROM offers WHERE state = 'accepted') a"
    " ON a.referral_id = e.referral_id AND a.responded_at = e.at"
    " WHERE e.to_status = 'accepted' AND e.actor_id IS NOT NULL AND e.at >= ?"
    " AND a.referral_id IS NULL"
    " UNION ALL SELECT to_id, referral_id, responded_at FROM case_handovers"
    " WHERE state = 'taken' AND responded_at >= ?"
)


async def per_worker(conn: Conn, scope: Scope) -> list[tuple[int, int, int]]:
    """(person id, cases taken, night call-outs) of each person who became responsible
    for a case at the scope's stations in [first, last) (see _TAKINGS). ``scope``'s
    buckets are labelled with the ``[care]`` night (bot/services/reports.py), and a
    call-out is counted as bot/domain/care.night_counts counts it: each (worker, case,
    night) once, a night named by its end. Counted here rather than in Python: a
    year's takings are some hundred thousand rows."""
    since = to_db(scope.first)
    # The referrals are read only to keep the stations asked for.
    stations = ""
    if scope.stations:
        stations = (
            " AND t.referral_id IN (SELECT id FROM referrals"  # noqa: S608
            f" WHERE station_id IN ({', '.join('?' * len(scope.stations))}))"
        )
    # The buckets as a keyed table: joined to a subquery's rows, SQLite would not index
    # a CTE's and would compare every taking with every bucket.
    await conn.execute(f"DROP TABLE IF EXISTS {NIGHTS}")
    await conn.execute(f"CREATE TABLE {NIGHTS} (bucket TEXT PRIMARY KEY, night_end TEXT)")
    await conn.execute(
        f"INSERT INTO {NIGHTS} SELECT json_extract(value, '$[0]'), json_extract(value, '$[4]')"  # noqa: S608
        " FROM json_each(?) WHERE json_extract(value, '$[3]') = 1",
        [scope.slots_json],
    )
    bucket = _BUCKET.replace("r.created_at", "t.at")
    return await _rows(
        conn,
        f"WITH taken AS (SELECT t.who AS who, t.referral_id AS referral_id,"  # noqa: S608
        f" {bucket} AS bucket FROM ({_TAKINGS}) t WHERE t.at < ?{stations})"
        " SELECT taken.who, COUNT(DISTINCT taken.referral_id), COUNT(DISTINCT"
        f" taken.referral_id || ' ' || (SELECT n.night_end FROM {NIGHTS} n"
        " WHERE n.bucket = taken.bucket)) FROM taken GROUP BY taken.who",
        [
            scope.step,
            scope.step,
            since,
            since,
            since,
            to_db(scope.last),
            *scope.stations,
        ],
    )
