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
from storage.timefmt import from_db, to_db


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
# The first acceptance: referrals.accepted_at is overwritten when a returned or
# handed-back case is accepted again; the history keeps the first.
_FIRST_ACCEPTED = (
    "(SELECT e.at FROM referral_events e WHERE e.referral_id = r.id"
    " AND e.to_status = 'accepted' ORDER BY e.id LIMIT 1)"
)


async def _rows(conn: Conn, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in await fetch_all(conn, sql, params)]


async def by_category_station(conn: Conn, scope: Scope) -> list[tuple[str, str, int]]:
    where, params = scope.where()
    return await _rows(
        conn,
        f"SELECT category, station_id, COUNT(*) FROM referrals r WHERE {where}"  # noqa: S608
        " GROUP BY category, station_id ORDER BY category, station_id",
        params,
    )


async def by_urgency(conn: Conn, scope: Scope) -> list[tuple[str, int]]:
    where, params = scope.where()
    return await _rows(
        conn,
        f"SELECT urgency, COUNT(*) FROM referrals r WHERE {where} GROUP BY urgency",  # noqa: S608
        params,
    )


async def by_time(conn: Conn, scope: Scope) -> list[tuple[str, str, int, int]]:
    """(local hour, local weekday, night 0/1, referrals)."""
    where, params = scope.where()
    return await _rows(
        conn,
        f"WITH {_SLOTS} SELECT s.hour, s.weekday, s.night, COUNT(*)"  # noqa: S608
        f" FROM referrals r CROSS JOIN slots s ON s.bucket = {_BUCKET}"
        f" WHERE {where} GROUP BY s.hour, s.weekday, s.night",
        [scope.slots_json, scope.step, scope.step, *params],
    )


async def acceptance_minutes(conn: Conn, scope: Scope) -> list[tuple[str, int, float, int]]:
    """(urgency, night 0/1, minutes from filing to first acceptance to 0.1, referrals):
    a histogram the caller takes the median and percentiles of."""
    where, params = scope.where()
    return await _rows(
        conn,
        f"WITH {_SLOTS}, firsts AS (SELECT r.urgency AS urgency, s.night AS night,"  # noqa: S608
        f" ROUND((julianday({_FIRST_ACCEPTED}) - julianday(r.created_at)) * 1440, 1) AS minutes"
        f" FROM referrals r CROSS JOIN slots s ON s.bucket = {_BUCKET} WHERE {where})"
        " SELECT urgency, night, minutes, COUNT(*) FROM firsts WHERE minutes IS NOT NULL"
        " GROUP BY urgency, night, minutes",
        [scope.slots_json, scope.step, scope.step, *params],
    )


async def answered_at_level(conn: Conn, scope: Scope) -> list[tuple[int, int]]:
    """(escalation level the referral had reached when it was first accepted, referrals).
    The level stops moving once a referral is accepted (storage/referrals.set_escalation
    moves only referrals on offer), so the level of an accepted referral is the level it
    was answered at."""
    where, params = scope.where()
    return await _rows(
        conn,
        f"SELECT r.level, COUNT(*) FROM referrals r WHERE {where}"  # noqa: S608
        f" AND {_FIRST_ACCEPTED} IS NOT NULL GROUP BY r.level",
        params,
    )


async def offers_by(conn: Conn, scope: Scope, *, kind: str) -> list[tuple[str, str, int]]:
    """(state, decline reason id or '', offers) of the offers of ``kind`` ('worker' or
    'coordinator': a coordinator's assignment) made for the referrals of the period.
    The reason is the button's id; the decliner's own words are a sealed note."""
    where, params = scope.where()
    return await _rows(
        conn,
        "SELECT o.state, COALESCE(o.reason, ''), COUNT(*) FROM offers o"  # noqa: S608
        f" JOIN referrals r ON r.id = o.referral_id WHERE {where} AND o.kind = ?"
        " GROUP BY o.state, o.reason",
        [*params, kind],
    )


async def unanswered_at_night_end(conn: Conn, scope: Scope, now: datetime) -> list[tuple[str, int]]:
    """(urgency, referrals) filed at night, whose night is over by ``now``, that nobody
    had accepted when it ended (the gap this product exists to close); a referral the
    officer withdrew during the night is not counted."""
    where, params = scope.where()
    return await _rows(
        conn,
        f"WITH {_SLOTS} SELECT r.urgency, COUNT(*) FROM referrals r"  # noqa: S608
        f" CROSS JOIN slots s ON s.bucket = {_BUCKET}"
        f" WHERE {where} AND s.night = 1 AND s.night_end <= ?"
        f" AND COALESCE({_FIRST_ACCEPTED} > s.night_end, 1)"
        " AND NOT EXISTS (SELECT 1 FROM referral_events w WHERE w.referral_id = r.id"
        " AND w.to_status = 'withdrawn' AND w.at <= s.night_end)"
        " GROUP BY r.urgency",
        [scope.slots_json, scope.step, scope.step, *params, to_db(now)],
    )


# The first contact: the first move to "contacted", or, for a person who declined at
# first contact (the case closes there as a consultation), that close. Not
# referrals.contacted_at, which a second holder's contact overwrites.
_FIRST_CONTACT = (
    "(SELECT MIN(c.at) FROM referral_events c WHERE c.referral_id = r.id"
    " AND (c.to_status = 'contacted' OR (c.from_status = 'accepted' AND c.to_status = 'closed'"
    " AND r.consent = 'declined' AND r.consultation = 0)))"
)


async def first_contact(conn: Conn, scope: Scope) -> list[tuple[str, float | None, int]]:
    """(urgency, minutes from the first acceptance to the first contact to 0.1 or None
    while there was none, referrals) of the referrals accepted: a histogram the caller
    holds against the reminders' targets."""
    where, params = scope.where()
    return await _rows(
        conn,
        f"WITH firsts AS (SELECT r.urgency AS urgency, {_FIRST_ACCEPTED} AS accepted,"  # noqa: S608
        f" {_FIRST_CONTACT} AS contacted FROM referrals r WHERE {where})"
        " SELECT urgency, ROUND((julianday(contacted) - julianday(accepted)) * 1440, 1),"
        " COUNT(*) FROM firsts WHERE accepted IS NOT NULL GROUP BY 1, 2",
        params,
    )


async def arrival(
    conn: Conn, scope: Scope
) -> list[tuple[int, str, float | None, float | None, int]]:
    """(appropriate adult 1 or on scene 0, urgency, minutes from the first acceptance to
    "Arrived" to 0.1 or None, minutes from the first acceptance to the planned start of
    the questioning when that is later (the appropriate adult's target then) or None,
    referrals) of the referrals a worker was asked to attend in person (a co-response,
    a worker at the scene, an appropriate adult), accepted or not."""
    where, params = scope.where()
    return await _rows(
        conn,
        "WITH asked AS (SELECT r.appropriate_adult_now AS adult, r.urgency AS urgency,"  # noqa: S608
        f" {_FIRST_ACCEPTED} AS accepted, r.arrived_at AS arrived,"
        " r.questioning_at AS planned FROM referrals r"
        f" WHERE {where} AND (r.co_response = 1 OR r.at_scene = 1"
        " OR r.appropriate_adult_now = 1))"
        " SELECT adult, urgency, ROUND((julianday(arrived) - julianday(accepted)) * 1440, 1),"
        " CASE WHEN adult = 1 AND planned > accepted"
        " THEN ROUND((julianday(planned) - julianday(accepted)) * 1440, 1) END,"
        " COUNT(*) FROM asked GROUP BY 1, 2, 3, 4",
        params,
    )


async def held(conn: Conn, scope: Scope) -> list[tuple[str, int]]:
    """(notice kind, referrals): the referrals the officer was told wait for the team's
    service hours ('held': routine, outside hours) or that a coordinator held
    ('held_by_coordinator'), each counted once however often it was held. The notices
    are the record: the referral's ``held`` column clears when the morning comes."""
    where, params = scope.where()
    return await _rows(
        conn,
        "SELECT o.kind, COUNT(DISTINCT o.referral_id) FROM outbox o"  # noqa: S608
        f" JOIN referrals r ON r.id = o.referral_id WHERE {where}"
        " AND o.kind IN ('held', 'held_by_coordinator') GROUP BY o.kind",
        params,
    )


async def consultations(conn: Conn, scope: Scope) -> tuple[int, int]:
    """(referrals filed as consultations, referrals whose person declined at first
    contact): consent declined at filing makes ``consultation`` 1; declined at first
    contact, ``consent`` becomes 'declined' on a referral that was not one."""
    where, params = scope.where()
    rows = await _rows(
        conn,
        "SELECT COALESCE(SUM(r.consultation = 1), 0),"  # noqa: S608
        " COALESCE(SUM(r.consultation = 0 AND r.consent = 'declined'), 0)"
        f" FROM referrals r WHERE {where}",
        params,
    )
    return int(rows[0][0]), int(rows[0][1])


async def ends(conn: Conn, scope: Scope) -> list[tuple[str, str, int]]:
    """(status, outcome id or '', referrals) of the referrals that are closed, returned
    to the police or withdrawn. Why a case was returned is the worker's own words
    (sealed), so returns are counted, not sorted by reason."""
    where, params = scope.where()
    return await _rows(
        conn,
        "SELECT r.status, COALESCE(r.outcome, ''), COUNT(*) FROM referrals r"  # noqa: S608
        f" WHERE {where} AND r.status IN ('closed', 'returned', 'withdrawn')"
        " GROUP BY r.status, r.outcome",
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
    " WHERE e.to_status = 'accepted' AND e.actor_id IS NOT NULL AND e.at >= ?"
    " AND NOT EXISTS (SELECT 1 FROM offers a WHERE a.referral_id = e.referral_id"
    " AND a.state = 'accepted' AND a.responded_at = e.at)"
    " UNION ALL SELECT to_id, referral_id, responded_at FROM case_handovers"
    " WHERE state = 'taken' AND responded_at >= ?"
)


async def takings(
    conn: Conn, first: datetime, last: datetime, stations: tuple[str, ...]
) -> list[tuple[int, int, datetime]]:
    """(person id, referral id, when) of each moment in [first, last) someone became
    responsible for a case at ``stations`` (empty: all): what
    storage/referrals.takings_since reads (see _TAKINGS), bounded for a period and a
    set of stations, for bot/domain/care.night_counts."""
    since = to_db(first)
    sql = (
        f"SELECT t.who, t.referral_id, t.at FROM ({_TAKINGS}) t"  # noqa: S608
        " JOIN referrals r ON r.id = t.referral_id WHERE t.at < ?"
    )
    params: list[Any] = [since, since, since, to_db(last)]
    if stations:
        sql += f" AND r.station_id IN ({', '.join('?' * len(stations))})"
        params.extend(stations)
    rows = await fetch_all(conn, sql, params)
    return [(row["who"], row["referral_id"], from_db(row["at"])) for row in rows]
