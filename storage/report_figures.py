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
from storage.referrals import TAKINGS
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


async def takings(
    conn: Conn, first: datetime, last: datetime, stations: tuple[str, ...]
) -> list[tuple[int, int, datetime]]:
    """(person id, referral id, when) of each moment in [first, last) someone became
    responsible for a case at ``stations`` (empty: all): what
    storage/referrals.takings_since reads, bounded for a period and a set of stations,
    for bot/domain/care.night_counts."""
    since = to_db(first)
    sql = (
        f"SELECT t.who, t.referral_id, t.at FROM ({TAKINGS}) t"  # noqa: S608
        " JOIN referrals r ON r.id = t.referral_id WHERE t.at < ?"
    )
    params: list[Any] = [since, since, since, to_db(last)]
    if stations:
        sql += f" AND r.station_id IN ({', '.join('?' * len(stations))})"
        params.extend(stations)
    rows = await fetch_all(conn, sql, params)
    return [(row["who"], row["referral_id"], from_db(row["at"])) for row in rows]
