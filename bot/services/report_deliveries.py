"""Report files sent through the outbox (issue 18): /report in chat, the monthly report.

A rendered report (:mod:`bot.services.report_files`) is not sent "best effort" from
memory: its picture and spreadsheet are stored as rows, and two outbox notices
(``REPORT_PICTURE``, ``REPORT_FILE``) name them, written with the audit line of each
file in one transaction. The sender sends them like any notice, so a crash or a
flood wait between the commit and the send only delays them, and the retry sends the
same bytes. Once a notice is sent or given up its file is deleted: a report can name
workers, and nothing needs it any more.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING

from bot.domain.people import Person, Role
from bot.domain.report import Report
from bot.services import Services, outbox
from bot.services.notices import Notice, NoticeKind
from storage import meta
from storage import report_deliveries as store
from storage.db import Conn

if TYPE_CHECKING:
    from bot.services.report_files import ReportFile

FILE_KINDS = frozenset({NoticeKind.REPORT_PICTURE, NoticeKind.REPORT_FILE})
PICTURE = "png"  # a file of this format goes as a photo; any other as a document


def caption_values(report: Report) -> dict[str, str]:
    """What a file's caption says, kept with its notice (rendered at send time, in the
    reader's language): the period, the stations and the headline figures."""
    return {
        "start": report.start.isoformat(),
        "end": report.end.isoformat(),
        "stations": ",".join(report.stations),
        "headline": json.dumps([[msgid, value] for msgid, value in report.headline]),
    }


def period_of(values: dict[str, str]) -> tuple[date, date]:
    return date.fromisoformat(values["start"]), date.fromisoformat(values["end"])


def headline_of(values: dict[str, str]) -> list[tuple[str, str]]:
    """The headline as (English msgid, value as text)."""
    return [(str(m), str(v)) for m, v in json.loads(values.get("headline") or "[]")]


async def write(
    tx: Conn,
    services: Services,
    person: Person,
    report: Report,
    files: tuple[ReportFile, ...],
    *,
    via: str,
    actor_person_id: int | None,
) -> list[Notice]:
    """Store ``files`` for ``person``, write a notice for each and its audit line, in
    the caller's transaction; the notices, with their outbox ids."""
    # Imported here: report_files reaches the handlers (bot/reports/labels.py reads
    # their row labels), and the handlers' sender imports this module.
    from bot.services.report_files import record_export

    now = services.clock.now()
    written: list[Notice] = []
    for one in files:
        file_id = await store.insert(
            tx, fmt=one.format.value, filename=one.filename, content=one.content, now=now
        )
        picture = one.format.value == PICTURE
        kind = NoticeKind.REPORT_PICTURE if picture else NoticeKind.REPORT_FILE
        values = {"file": str(file_id), **caption_values(report)}
        [notice] = await outbox.enqueue(tx, services, [Notice(kind, person, None, values=values)])
        assert notice.outbox_id is not None
        await store.attach(tx, file_id, notice.outbox_id)
        await record_export(
            tx, services, report, one.format, actor_person_id=actor_person_id, via=via
        )
        written.append(notice)
    return written


def stations_for(services: Services, person: Person) -> tuple[str, ...] | None:
    """The stations ``person``'s reports cover: () for all (an administrator, or a
    coordinator with no team: the overnight cover of every station), their team's
    stations for a team's coordinator (as :func:`bot.services.coordinator.covers`
    draws a coordinator's area); None if they may have no report (no such role, or
    a team no longer in the configuration: never "all" by mistake)."""
    if person.has(Role.ADMIN):
        return ()
    scope = person.scope(Role.COORDINATOR)
    if scope is None:
        return None
    if scope.all_stations:
        return ()
    team = services.config.team(scope.team_id or "")
    if team is None or not team.stations:
        return None
    return tuple(team.stations)


async def requested(services: Services, token: str) -> bool:
    """The /report card ``token`` has made its report already (a second tap)."""
    return await store.requested(services.db.reader, token)


async def for_person(
    services: Services,
    person: Person,
    report: Report,
    files: tuple[ReportFile, ...],
    token: str,
) -> list[Notice] | None:
    """The report asked for on the /report card ``token``, on its way to ``person``;
    None if that card made one already (a double tap: nothing is written)."""
    async with services.db.write() as tx:
        if not await store.claim_request(tx, token, person.id, services.clock.now()):
            return None
        return await write(
            tx, services, person, report, files, via="chat", actor_person_id=person.id
        )


async def for_admins(
    services: Services,
    key: str,
    report: Report,
    admins: list[Person],
    rendered: Mapping[str, tuple[ReportFile, ...]],
) -> list[Notice]:
    """The monthly report (bot/engine/monthly_report.py) on its way to each of
    ``admins`` in their language (``rendered`` by language), audited per file (via
    "monthly", the admin as the person it was exported for), and ``key`` remembered,
    all in one transaction: written once, whatever restarts."""
    notices: list[Notice] = []
    async with services.db.write() as tx:
        if await meta.get(tx, key) is not None:
            return []  # written already (one bot runs on a database: not expected)
        for admin in admins:
            notices += await write(
                tx,
                services,
                admin,
                report,
                rendered[admin.language],
                via="monthly",
                actor_person_id=admin.id,
            )
        await meta.put(tx, key, services.clock.now().isoformat())
    return notices


async def file_of(services: Services, notice: Notice) -> store.StoredFile | None:
    """The file a report notice sends; None once it is gone (sent and forgotten)."""
    raw = notice.values.get("file", "")
    if not raw.isdigit():
        return None
    return await store.get(services.db.reader, int(raw))


async def settled(services: Services, notice: Notice) -> None:
    """After a try of a report notice: its file goes if the notice is sent or given up."""
    if notice.kind not in FILE_KINDS or not notice.values.get("file", "").isdigit():
        return
    async with services.db.statement() as conn:
        await store.forget_sent(conn, int(notice.values["file"]))


async def sweep(services: Services) -> int:
    """Delete the files whose notices are done (a crash between a send and its
    :func:`settled` leaves one behind)."""
    async with services.db.statement() as conn:
        return await store.sweep(conn)
