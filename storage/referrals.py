"""Referrals and their append-only history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.referral import (
    WORKING,
    AgeBandId,
    CategoryId,
    Consent,
    Guardian,
    Outcome,
    PoliceAnswer,
    Questioning,
    Referral,
    Resource,
    ReturnReason,
    Safety,
    Status,
    Urgency,
)
from storage.db import Conn, Row, fetch_all, fetch_one
from storage.sealing import SEALED, Sealer, erase_referral, seal, unseal
from storage.timefmt import from_db, to_db

WORKING_STATUSES = tuple(sorted(status.value for status in WORKING))
# How many open cases a worker holds: one definition for routing, the cap and /mine.
OPEN_CASES_OF = (
    f"SELECT count(*) FROM referrals WHERE assignee_id = ? AND status IN {WORKING_STATUSES}"  # noqa: S608
)


def _time(value: str | None) -> datetime | None:
    return from_db(value) if value else None


def _number(value: object) -> float | None:
    return None if value is None else float(str(value))


PERSONAL = SEALED["referrals"].columns


def _sealed(conn: Conn, name: str, value: object) -> object:
    """Personal columns are stored sealed (the registry in storage/sealing.py)."""
    if name in PERSONAL:
        return seal(conn, "referrals", name, None if value is None else str(value))
    return value


def _opened(conn: Conn, row: Row, name: str) -> str | None:
    return unseal(conn, "referrals", name, row[name])


def _referral(conn: Conn, row: Row) -> Referral:
    return Referral(
        id=row["id"],
        ref=row["ref"],
        station_id=row["station_id"],
        officer_id=row["officer_id"],
        category=CategoryId(row["category"]),
        urgency=Urgency(row["urgency"]),
        co_response=bool(row["co_response"]),
        safety=frozenset(Safety(s) for s in row["safety"].split(",") if s),
        appropriate_adult_now=bool(row["appropriate_adult_now"]),
        age_band=AgeBandId(row["age_band"]) if row["age_band"] else None,
        consent=Consent(row["consent"]) if row["consent"] else None,
        consent_note=row["consent_note"],
        consultation=bool(row["consultation"]),
        status=Status(row["status"]),
        assignee_id=row["assignee_id"],
        created_at=from_db(row["created_at"]),
        accepted_at=_time(row["accepted_at"]),
        holder_since=_time(row["holder_since"]),
        contacted_at=_time(row["contacted_at"]),
        closed_at=_time(row["closed_at"]),
        outcome=Outcome(row["outcome"]) if row["outcome"] else None,
        resource_type=Resource(row["resource_type"]) if row["resource_type"] else None,
        person_name=_opened(conn, row, "person_name"),
        person_phone=_opened(conn, row, "person_phone"),
        no_phone=bool(row["no_phone"]),
        place=_opened(conn, row, "place"),
        latitude=_number(_opened(conn, row, "latitude")),
        longitude=_number(_opened(conn, row, "longitude")),
        summary=_opened(conn, row, "summary"),
        resource_name=_opened(conn, row, "resource_name"),
        closing_note=_opened(conn, row, "closing_note"),
        plan=row["plan"],
        level=row["level"],
        rounds=row["rounds"],
        held=bool(row["held"]),
        next_action_at=_time(row["next_action_at"]),
        updated_at=_time(row["updated_at"]),
        on_way_at=_time(row["on_way_at"]),
        arrived_at=_time(row["arrived_at"]),
        contact_reminded_at=_time(row["contact_reminded_at"]),
        contact_escalated_at=_time(row["contact_escalated_at"]),
        stale_reminded_at=_time(row["stale_reminded_at"]),
        at_scene=bool(row["at_scene"]),
        eta_minutes=row["eta_minutes"],
        arrival_reminded_at=_time(row["arrival_reminded_at"]),
        arrival_escalated_at=_time(row["arrival_escalated_at"]),
        police_answer=PoliceAnswer(row["police_answer"]) if row["police_answer"] else None,
        police_answered_at=_time(row["police_answered_at"]),
        questioning=Questioning(row["questioning"]) if row["questioning"] else None,
        questioning_at=_time(row["questioning_at"]),
        guardian=Guardian(row["guardian"]) if row["guardian"] else None,
        questioning_ended_at=_time(row["questioning_ended_at"]),
        incident_number=_opened(conn, row, "incident_number"),
        return_reason=ReturnReason(row["return_reason"]) if row["return_reason"] else None,
    )


async def ref_exists(conn: Conn, ref: str) -> bool:
    return await fetch_one(conn, "SELECT 1 FROM referrals WHERE ref = ?", (ref,)) is not None


async def insert(conn: Conn, *, now: datetime, **values: Any) -> int:
    """Insert a new referral; ``values`` are column names and values (no SQL from callers)."""
    allowed = {
        "ref",
        "station_id",
        "officer_id",
        "category",
        "urgency",
        "co_response",
        "status",
        "safety",
        "appropriate_adult_now",
        "at_scene",
        "questioning",
        "questioning_at",
        "guardian",
        "age_band",
        "consent",
        "consent_note",
        "consultation",
        "person_name",
        "person_phone",
        "no_phone",
        "place",
        "latitude",
        "longitude",
        "summary",
        "incident_number",
        "plan",
        "level",
        "held",
        "next_action_at",
        "officer_card_message_id",
    }
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"not referral columns: {sorted(unknown)}")
    columns = [*values, "created_at", "updated_at"]
    params = [
        *(to_db(v) if isinstance(v, datetime) else _sealed(conn, k, v) for k, v in values.items()),
        to_db(now),
        to_db(now),
    ]
    cursor = await conn.execute(
        f"INSERT INTO referrals ({', '.join(columns)})"  # noqa: S608 - names checked above
        f" VALUES ({', '.join('?' * len(columns))})",
        params,
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def held(
    conn: Conn, referral_id: int, person_id: int, at: frozenset[Status] = WORKING
) -> Referral | None:
    """The referral if ``person_id`` holds it at one of the statuses ``at`` (by default
    while it is worked); None otherwise: the one guard of the holder's stage taps,
    linkages and follow-ups, so a stale tap of a former holder changes nothing."""
    referral = await by_id(conn, referral_id)
    if referral is None or referral.assignee_id != person_id or referral.status not in at:
        return None
    return referral


async def by_id(conn: Conn, referral_id: int) -> Referral | None:
    """The referral; read again unchanged, the same (immutable) value as last time: a
    row read by key is read many times in a burst (by the sender for every notice
    about it), and making a Referral of its forty columns cost more than the read."""
    row = await fetch_one(conn, "SELECT * FROM referrals WHERE id = ?", (referral_id,))
    if row is None:
        return None
    sealer = getattr(conn, "sealer", None)
    if not isinstance(sealer, Sealer):
        return _referral(conn, row)
    stored = tuple(row)
    known = sealer.recall(stored)
    if isinstance(known, Referral):
        return known
    made = _referral(conn, row)
    sealer.keep(stored, made)
    return made


async def try_accept(
    conn: Conn, referral_id: int, assignee_id: int, now: datetime, *, cap: int
) -> bool:
    """First accept wins: only a referral still on offer can be accepted, once, and only
    by a worker holding fewer than ``cap`` open cases."""
    cursor = await conn.execute(
        "UPDATE referrals SET status = 'accepted', assignee_id = ?, accepted_at = ?,"  # noqa: S608
        " holder_since = ?, updated_at = ?, next_action_at = NULL"
        f" WHERE id = ? AND status = 'offered' AND ({OPEN_CASES_OF}) < ?",
        (assignee_id, to_db(now), to_db(now), to_db(now), referral_id, assignee_id, cap),
    )
    return cursor.rowcount == 1


async def open_count(conn: Conn, assignee_id: int) -> int:
    row = await fetch_one(conn, OPEN_CASES_OF, (assignee_id,))
    return int(row[0]) if row else 0


async def move(
    conn: Conn,
    referral_id: int,
    *,
    from_status: Status,
    to_status: Status,
    now: datetime,
    assignee_id: int | None = None,
    officer_id: int | None = None,
    columns: dict[str, object] | None = None,
) -> bool:
    """Change the status only if it is still ``from_status`` (double taps change nothing).

    ``assignee_id``/``officer_id`` restrict the change to that worker's or officer's
    referral; ``columns`` set outcome columns at the same time.
    """
    values = columns or {}
    allowed = {
        "contacted_at",
        "closed_at",
        "outcome",
        "resource_type",
        "resource_name",
        "closing_note",
        "consent",
        "return_reason",
    }
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"not settable here: {sorted(unknown)}")
    sets = ["status = ?", "updated_at = ?", *(f"{name} = ?" for name in values)]
    params: list[Any] = [
        to_status.value,
        to_db(now),
        *(to_db(v) if isinstance(v, datetime) else _sealed(conn, k, v) for k, v in values.items()),
    ]
    where = ["id = ?", "status = ?"]
    params += [referral_id, from_status.value]
    if assignee_id is not None:
        where.append("assignee_id = ?")
        params.append(assignee_id)
    if officer_id is not None:
        where.append("officer_id = ?")
        params.append(officer_id)
    cursor = await conn.execute(
        f"UPDATE referrals SET {', '.join(sets)} WHERE {' AND '.join(where)}",  # noqa: S608
        params,
    )
    return cursor.rowcount == 1


async def add_event(
    conn: Conn,
    referral_id: int,
    *,
    now: datetime,
    actor_id: int | None,
    from_status: Status | None,
    to_status: Status,
    reason: str | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO referral_events (referral_id, at, actor_id, from_status, to_status, reason)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            referral_id,
            to_db(now),
            actor_id,
            from_status.value if from_status else None,
            to_status.value,
            seal(conn, "referral_events", "reason", reason),  # free text typed by a person
        ),
    )


async def events(conn: Conn, referral_id: int) -> list[tuple[Status | None, Status, int | None]]:
    rows = await fetch_all(
        conn,
        "SELECT from_status, to_status, actor_id FROM referral_events"
        " WHERE referral_id = ? ORDER BY id",
        (referral_id,),
    )
    return [
        (
            Status(r["from_status"]) if r["from_status"] else None,
            Status(r["to_status"]),
            r["actor_id"],
        )
        for r in rows
    ]


async def of_officer(conn: Conn, officer_id: int, limit: int = 10) -> list[Referral]:
    rows = await fetch_all(
        conn,
        "SELECT * FROM referrals WHERE officer_id = ? ORDER BY id DESC LIMIT ?",
        (officer_id, limit),
    )
    return [_referral(conn, r) for r in rows]


async def open_cases_of(conn: Conn, assignee_id: int) -> list[Referral]:
    rows = await fetch_all(
        conn,
        f"SELECT * FROM referrals WHERE assignee_id = ? AND status IN {WORKING_STATUSES}"  # noqa: S608
        " ORDER BY id",
        (assignee_id,),
    )
    return [_referral(conn, r) for r in rows]


async def on_offer_for_team(conn: Conn, team_id: str) -> list[Referral]:
    """Referrals still waiting for a worker at the stations the team covers."""
    rows = await fetch_all(
        conn,
        "SELECT r.* FROM referrals r JOIN coverage c ON c.station_id = r.station_id"
        " WHERE c.team_id = ? AND r.status = 'offered' ORDER BY r.id",
        (team_id,),
    )
    return [_referral(conn, r) for r in rows]


async def transition(
    conn: Conn,
    referral_id: int,
    *,
    from_status: Status,
    to_status: Status,
    now: datetime,
    actor_id: int | None,
    reason: str | None = None,
    assignee_id: int | None = None,
    officer_id: int | None = None,
    columns: dict[str, object] | None = None,
) -> bool:
    """:func:`move` and, if it happened, the history row for it, in one call."""
    moved = await move(
        conn,
        referral_id,
        from_status=from_status,
        to_status=to_status,
        now=now,
        assignee_id=assignee_id,
        officer_id=officer_id,
        columns=columns,
    )
    if moved:
        await add_event(
            conn,
            referral_id,
            now=now,
            actor_id=actor_id,
            from_status=from_status,
            to_status=to_status,
            reason=reason,
        )
    return moved


async def due(conn: Conn, now: datetime, limit: int = 100) -> list[Referral]:
    """Referrals still on offer whose next escalation step has fallen due, oldest first."""
    rows = await fetch_all(
        conn,
        "SELECT * FROM referrals WHERE status = 'offered' AND next_action_at IS NOT NULL"
        " AND next_action_at <= ? ORDER BY next_action_at LIMIT ?",
        (to_db(now), limit),
    )
    return [_referral(conn, r) for r in rows]


async def next_due(conn: Conn) -> datetime | None:
    """When the earliest pending escalation step falls due (None: nothing pending).

    One step down the partial index on ``next_action_at``: the engine asks after every
    round, to plan the next one."""
    row = await fetch_one(
        conn,
        "SELECT next_action_at FROM referrals WHERE status = 'offered'"
        " AND next_action_at IS NOT NULL ORDER BY next_action_at LIMIT 1",
    )
    return _time(row["next_action_at"]) if row else None


async def set_escalation(
    conn: Conn,
    referral_id: int,
    *,
    seen_next_action_at: datetime | None,
    level: int,
    rounds: int,
    held: bool,
    next_action_at: datetime | None,
    now: datetime,
) -> bool:
    """Record the step just taken, only if nobody else took it (the timer is unchanged
    since it was read): two ticks, or a tick and a restart, never fire one step twice."""
    seen = to_db(seen_next_action_at) if seen_next_action_at else None
    cursor = await conn.execute(
        "UPDATE referrals SET level = ?, rounds = ?, held = ?, next_action_at = ?,"
        " updated_at = ? WHERE id = ? AND status = 'offered' AND next_action_at IS ?",
        (
            level,
            rounds,
            int(held),
            to_db(next_action_at) if next_action_at else None,
            to_db(now),
            referral_id,
            seen,
        ),
    )
    return cursor.rowcount == 1


TIMESTAMPS = frozenset(
    {
        "on_way_at",
        "arrived_at",
        "contact_reminded_at",
        "contact_escalated_at",
        "stale_reminded_at",
        "arrival_reminded_at",
        "arrival_escalated_at",
        "questioning_ended_at",
        "debrief_asked_at",
        "debrief_reminded_at",
    }
)


# (who, referral_id, at) of each taking since the moment given three times: see
# takings_since; the reports (storage/report_figures.py) count from it too.
TAKINGS = (
    "SELECT person_id AS who, referral_id, responded_at AS at FROM offers"
    " WHERE state = 'accepted' AND responded_at >= ?"
    " UNION ALL SELECT actor_id, referral_id, at FROM referral_events"
    " WHERE to_status = 'accepted' AND actor_id IS NOT NULL AND reason IS NULL AND at >= ?"
    " UNION ALL SELECT to_id, referral_id, responded_at FROM case_handovers"
    " WHERE state = 'taken' AND responded_at >= ?"
)


async def takings_since(conn: Conn, since: datetime) -> list[tuple[int, int, datetime]]:
    """(person id, referral id, when) of each moment someone became responsible for a
    case since ``since``: what night call-outs are counted from (bot/domain/care.py).

    Three records say it: an offer card accepted (an ordinary offer, or a coordinator's
    assignment the worker confirmed with "I take it": the offer row is the worker's,
    where the event row names the coordinator); an acceptance without a card (a
    coordinator's "Take it myself": the event's actor, with no reason); and a
    colleague's request to take a case over, taken. One moment may appear twice (an
    offer accepted is also an event); the domain counts each (person, case, night)
    once."""
    when = to_db(since)
    rows = await fetch_all(conn, TAKINGS, (when, when, when))
    return [(row["who"], row["referral_id"], from_db(row["at"])) for row in rows]


@dataclass(frozen=True)
class Debrief:
    """A worker's request for a debrief after a critical case, as it stands."""

    asked_at: datetime | None
    arranged_at: datetime | None
    arranged_by: int | None
    asked_by: int | None = None  # None before 0028: the holder asked

    def arranged_for(self, person_id: int) -> bool:
        """Whether a coordinator has arranged ``person_id``'s debrief: the request of
        the worker who asked (any worker of the case, for a request before 0028)."""
        return self.arranged_at is not None and self.asked_by in (None, person_id)


def _debrief(row: Row) -> Debrief:
    return Debrief(
        _time(row["debrief_asked_at"]),
        _time(row["debrief_arranged_at"]),
        row["debrief_arranged_by"],
        row["debrief_asked_by"],
    )


async def debrief(conn: Conn, referral_id: int) -> Debrief | None:
    row = await fetch_one(conn, "SELECT * FROM referrals WHERE id = ?", (referral_id,))
    return None if row is None else _debrief(row)


async def ask_debrief(conn: Conn, referral_id: int, by_id: int, now: datetime) -> bool:
    """A worker asks for a debrief after this case: once (False if asked before)."""
    cursor = await conn.execute(
        "UPDATE referrals SET debrief_asked_at = ?, debrief_asked_by = ?"
        " WHERE id = ? AND debrief_asked_at IS NULL",
        (to_db(now), by_id, referral_id),
    )
    return cursor.rowcount == 1


async def offer_debrief(conn: Conn, referral_id: int, person_id: int, now: datetime) -> bool:
    """Record that the coordinators were prompted to offer ``person_id`` a debrief after
    this case: once per case and worker (False if it was recorded before)."""
    cursor = await conn.execute(
        "INSERT OR IGNORE INTO debrief_offers (referral_id, person_id, offered_at)"
        " VALUES (?, ?, ?)",
        (referral_id, person_id, to_db(now)),
    )
    return cursor.rowcount == 1


async def debrief_offers(conn: Conn, referral_id: int) -> list[int]:
    """The ids of the workers a debrief was offered to after this case, first first."""
    rows = await fetch_all(
        conn,
        "SELECT person_id FROM debrief_offers WHERE referral_id = ? ORDER BY offered_at, id",
        (referral_id,),
    )
    return [row["person_id"] for row in rows]


async def debrief_offers_since(
    conn: Conn, since: datetime
) -> list[tuple[Referral, Debrief, int, datetime]]:
    """(case, its debrief, worker id, when) of each debrief offered since ``since`` (the
    morning handover lists those of the night, under the worker each was for)."""
    rows = await fetch_all(
        conn,
        "SELECT r.*, o.person_id AS offered_to, o.offered_at AS offered"
        " FROM debrief_offers AS o JOIN referrals AS r ON r.id = o.referral_id"
        " WHERE r.erased_at IS NULL AND o.offered_at >= ? ORDER BY r.id, o.id",
        (to_db(since),),
    )
    return [(_referral(conn, r), _debrief(r), r["offered_to"], from_db(r["offered"])) for r in rows]


async def debriefs_asked_since(conn: Conn, since: datetime) -> list[tuple[Referral, Debrief]]:
    """Debriefs asked for since ``since`` and not yet arranged (the morning handover)."""
    rows = await fetch_all(
        conn,
        "SELECT * FROM referrals WHERE erased_at IS NULL AND debrief_asked_at >= ?"
        " AND debrief_arranged_at IS NULL ORDER BY id",
        (to_db(since),),
    )
    return [(_referral(conn, r), _debrief(r)) for r in rows]


async def arrange_debrief(conn: Conn, referral_id: int, by_id: int, now: datetime) -> bool:
    """A coordinator marks the worker's request arranged: once (False if it was not
    asked, or someone marked it already)."""
    cursor = await conn.execute(
        "UPDATE referrals SET debrief_arranged_at = ?, debrief_arranged_by = ?"
        " WHERE id = ? AND debrief_asked_at IS NOT NULL AND debrief_arranged_at IS NULL",
        (to_db(now), by_id, referral_id),
    )
    return cursor.rowcount == 1


async def debriefs_waiting(conn: Conn, asked_before: datetime) -> list[Referral]:
    """Debriefs asked for before ``asked_before`` that nobody has marked arranged and
    whose coordinators were not reminded yet (the engine's timer)."""
    rows = await fetch_all(
        conn,
        "SELECT * FROM referrals WHERE debrief_asked_at IS NOT NULL"
        " AND debrief_asked_at <= ? AND debrief_arranged_at IS NULL"
        " AND debrief_reminded_at IS NULL AND erased_at IS NULL ORDER BY id",
        (to_db(asked_before),),
    )
    return [_referral(conn, r) for r in rows]


async def touch(conn: Conn, referral_id: int, now: datetime) -> None:
    """Something was recorded on the case (a linkage, a stage record, a follow-up): an
    update, so the "no update for a week" reminder counts from now."""
    await conn.execute(
        "UPDATE referrals SET updated_at = ? WHERE id = ?", (to_db(now), referral_id)
    )


async def stamp(conn: Conn, referral_id: int, column: str, now: datetime) -> bool:
    """Set a once-only time (e.g. arrived_at); False if it was already set."""
    if column not in TIMESTAMPS:
        raise ValueError(column)
    touch = (
        ""
        if column.endswith("reminded_at") or column.endswith("escalated_at")
        else (", updated_at = ?")
    )
    params: tuple[object, ...] = (
        (to_db(now), to_db(now), referral_id) if touch else (to_db(now), referral_id)
    )
    cursor = await conn.execute(
        f"UPDATE referrals SET {column} = ?{touch} WHERE id = ? AND {column} IS NULL",  # noqa: S608
        params,
    )
    return cursor.rowcount == 1


async def set_on_way(conn: Conn, referral_id: int, now: datetime, eta_minutes: int) -> bool:
    """The worker set off, expecting to arrive in ``eta_minutes``: kept once (a double tap,
    or a second estimate, changes nothing); never after "Arrived"."""
    cursor = await conn.execute(
        "UPDATE referrals SET on_way_at = ?, eta_minutes = ?, updated_at = ?"
        " WHERE id = ? AND on_way_at IS NULL AND arrived_at IS NULL",
        (to_db(now), eta_minutes, to_db(now), referral_id),
    )
    return cursor.rowcount == 1


async def set_police_answer(
    conn: Conn, referral_id: int, answer: PoliceAnswer, now: datetime
) -> bool:
    """The officer's word at the scene, once the worker arrived. "We stay" can become
    "Police may leave now" later; leaving is final. False if nothing changed."""
    cursor = await conn.execute(
        "UPDATE referrals SET police_answer = ?, police_answered_at = ?, updated_at = ?"
        " WHERE id = ? AND arrived_at IS NOT NULL"
        " AND (police_answer IS NULL OR (police_answer = 'stay' AND ? = 'leave'))",
        (answer.value, to_db(now), to_db(now), referral_id, answer.value),
    )
    return cursor.rowcount == 1


async def working(conn: Conn) -> list[Referral]:
    """Every case a worker holds, for the reminder round."""
    rows = await fetch_all(
        conn,
        f"SELECT * FROM referrals WHERE status IN {WORKING_STATUSES} ORDER BY id",  # noqa: S608
    )
    return [_referral(conn, r) for r in rows]


async def clear_stamp(conn: Conn, referral_id: int, column: str) -> None:
    if column not in TIMESTAMPS:
        raise ValueError(column)
    await conn.execute(f"UPDATE referrals SET {column} = NULL WHERE id = ?", (referral_id,))  # noqa: S608


async def filed_between(
    conn: Conn, start: datetime, end: datetime, station_ids: list[str]
) -> list[Referral]:
    """Referrals filed in [start, end) at these stations, oldest first."""
    if not station_ids:
        return []
    marks = ",".join("?" * len(station_ids))
    rows = await fetch_all(
        conn,
        f"SELECT * FROM referrals WHERE created_at >= ? AND created_at < ?"  # noqa: S608
        f" AND station_id IN ({marks}) ORDER BY created_at",
        (to_db(start), to_db(end), *station_ids),
    )
    return [_referral(conn, r) for r in rows]


async def waiting_at(conn: Conn, station_ids: list[str]) -> list[Referral]:
    """Referrals at these stations still waiting for a worker, oldest first."""
    if not station_ids:
        return []
    marks = ",".join("?" * len(station_ids))
    rows = await fetch_all(
        conn,
        f"SELECT * FROM referrals WHERE status = 'offered' AND station_id IN ({marks})"  # noqa: S608
        " ORDER BY created_at",
        station_ids,
    )
    return [_referral(conn, r) for r in rows]


async def by_ref(conn: Conn, ref: str) -> Referral | None:
    row = await fetch_one(conn, "SELECT * FROM referrals WHERE ref = ?", (ref,))
    return _referral(conn, row) if row else None


async def by_officer_card(conn: Conn, officer_id: int, message_id: int) -> Referral | None:
    """The referral filed from the officer's card ``message_id`` (message ids are unique
    within the officer's chat with the bot)."""
    row = await fetch_one(
        conn,
        "SELECT * FROM referrals WHERE officer_id = ? AND officer_card_message_id = ?"
        " ORDER BY id DESC LIMIT 1",
        (officer_id, message_id),
    )
    return _referral(conn, row) if row else None


async def history(
    conn: Conn, referral_id: int
) -> list[tuple[datetime, int | None, str | None, str]]:
    """(when, who, from, to) for each status change, oldest first (from is None for
    the filing)."""
    rows = await fetch_all(
        conn,
        "SELECT at, actor_id, from_status, to_status FROM referral_events"
        " WHERE referral_id = ? ORDER BY id",
        (referral_id,),
    )
    return [(from_db(r["at"]), r["actor_id"], r["from_status"], r["to_status"]) for r in rows]


async def due_for_erasure(
    conn: Conn,
    *,
    short_before: datetime,
    long_before: datetime,
    reopenable_before: datetime,
) -> list[tuple[int, str]]:
    """(id, ref) of referrals whose personal fields are due to go: withdrawn ones and
    consultations after the short period, closed or returned ones after the long one.

    A person who said no is treated alike whenever they said it: a case closed as
    "client declined" because consent was declined at first contact goes after the
    short period, as a consultation (declined at filing) does, not after a year.
    A *closed* one of either kind may still be reopened by its worker for a while, so
    it waits for ``reopenable_before`` (the short period or the reopen window, the
    later of the two), never leaving a reopened case without its details."""
    short = to_db(short_before)
    rows = await fetch_all(
        conn,
        "SELECT id, ref FROM referrals WHERE erased_at IS NULL AND legal_hold = 0 AND ("
        " (status = 'withdrawn' AND updated_at < ?)"
        " OR (consultation = 1 AND status IN ('returned', 'withdrawn') AND updated_at < ?)"
        " OR (status = 'closed' AND (consultation = 1"
        "     OR (consent = 'declined' AND outcome = 'client_declined'))"
        "     AND updated_at < ?)"
        " OR (status IN ('closed', 'returned') AND updated_at < ?))",
        (short, short, to_db(reopenable_before), to_db(long_before)),
    )
    return [(r["id"], r["ref"]) for r in rows]


async def erase(conn: Conn, referral_id: int, now: datetime) -> None:
    """Blank every personal field of one referral, wherever it was kept (the sealed
    columns' registry says where) and record when."""
    await erase_referral(conn, referral_id)
    await conn.execute("UPDATE referrals SET erased_at = ? WHERE id = ?", (to_db(now), referral_id))


async def set_legal_hold(conn: Conn, ref: str, hold: bool) -> bool:
    cursor = await conn.execute(
        "UPDATE referrals SET legal_hold = ? WHERE ref = ?", (int(hold), ref)
    )
    return cursor.rowcount == 1
