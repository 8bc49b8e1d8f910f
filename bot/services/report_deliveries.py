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

import asyncio
import enum
import json
import logging
from collections.abc import Mapping
from datetime import date

from bot.domain.people import Person, Role
from bot.domain.report import Report
from bot.logs import where
from bot.services import Services, outbox, report_files
from bot.services.notices import Notice, NoticeKind
from bot.services.report_files import ReportFile, record_export
from storage import meta
from storage import people as people_store
from storage import report_deliveries as store
from storage.db import Conn

log = logging.getLogger("referral_bot.report_deliveries")
Request = store.Request

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
    now = services.clock.now()
    written: list[Notice] = []
    for one in files:
        file_id = await store.insert(
            tx, fmt=one.format.value, filename=one.filename, content=one.content, now=now
        )
        picture = one.format.value == PICTURE
        kind = NoticeKind.REPORT_PICTURE if picture else NoticeKind.REPORT_FILE
        values = {"file": str(file_id), "via": via, **caption_values(report)}
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


class Asked(enum.Enum):
    QUEUED = "queued"  # written: the report is made outside the update
    ALREADY = "already"  # this card, or another of this person's, is on its way


async def ask(services: Services, request: Request) -> Asked:
    """Write the /report tap's request, unless the card asked already or the person
    has one not yet made (one report at a time per person: repeated taps, forged
    tokens and other cards cannot stack renders)."""
    async with services.db.write() as tx:
        if await store.waiting_for(tx, request.person_id):
            return Asked.ALREADY
        if not await store.claim_request(tx, request, services.clock.now()):
            return Asked.ALREADY
    return Asked.QUEUED


async def pending(services: Services) -> list[Request]:
    return await store.pending(services.db.reader)


async def render_both(
    report: Report, language: str, services: Services
) -> tuple[ReportFile, ReportFile]:
    """The picture and the spreadsheet, rendered off the event loop (CPU-bound)."""
    config = services.config
    picture, sheet = await asyncio.gather(
        asyncio.to_thread(report_files.render, report, report_files.Format.PNG, language, config),
        asyncio.to_thread(report_files.render, report, report_files.Format.XLSX, language, config),
    )
    return picture, sheet


async def make(services: Services, request: Request, making: set[str]) -> list[Notice]:
    """Make the report ``request`` asked for: figures, files (rendered off the event
    loop), then the files, their notices, their audit lines, the card's "Sent" and the
    request marked made, in one transaction (the commit wakes the sender). Nothing if
    it is being made already (``making``: this process's) or was made. A failure is
    logged (its kind only: no personal data), the request dropped and the card given
    its buttons back with an apology, through the outbox too."""
    if request.token in making:
        return []
    making.add(request.token)
    try:
        person = await people_store.by_id(services.db.reader, request.person_id)
        card = {"token": request.token}
        if person is None:  # cannot happen (no person is ever deleted): nothing to tell
            async with services.db.write() as tx:
                await store.finish(tx, request.token, services.clock.now())
            return []
        # Worked out again: the role and the team may have changed since the tap, and a
        # report covering more than the person may see now is not made.
        if not person.active or not covers(stations_for(services, person), request.stations):
            async with services.db.write() as tx:  # no longer theirs to have: nothing made
                if not await store.finish(tx, request.token, services.clock.now()):
                    return []
                return await _card(tx, services, person, request, {**card, "state": "gone"})
        try:
            found = await report_files.outgoing(
                services, request.start, request.end, request.stations, per_worker=True
            )
            files = await render_both(found, request.language, services)
            async with services.db.write() as tx:
                if not await store.finish(tx, request.token, services.clock.now()):
                    return []  # made meanwhile (a second process: not expected)
                written = await write(
                    tx, services, person, found, files, via="chat", actor_person_id=person.id
                )
                # The card names its files' notices: at send time it says which arrived.
                sent = {**card, "state": "sent", "files": _ids(written)}
                written += await _card(tx, services, person, request, sent)
                return written
        except Exception as exc:
            # The location, not the message: an exception's message can quote data.
            log.error("a /report request could not be made: %s\n%s", type(exc).__name__, where(exc))
            async with services.db.write() as tx:
                await store.drop(tx, request.token)
                return await _card(tx, services, person, request, {**card, "state": "failed"})
    finally:
        making.discard(request.token)


def _ids(notices: list[Notice]) -> str:
    return ",".join(str(n.outbox_id) for n in notices if n.outbox_id is not None)


async def arrived(services: Services, card: Notice) -> str:
    """At the card's send time (after its files, which go first in the person's queue):
    what the card says. "sent" if every file it names was sent, "picture" or
    "spreadsheet" if only that one was, "unsent" if none was (refused at send time:
    the reader may no longer have it, or Telegram refused it); its own state otherwise
    (a failure, a report no longer theirs, a card written before cards named files)."""
    state = card.values.get("state", "")
    ids = [int(i) for i in card.values.get("files", "").split(",") if i.isdigit()]
    if state != "sent" or not ids:
        return state
    kinds = await store.sent_kinds(services.db.reader, ids)
    if kinds >= {NoticeKind.REPORT_PICTURE.value, NoticeKind.REPORT_FILE.value}:
        return "sent"
    if NoticeKind.REPORT_PICTURE.value in kinds:
        return "picture"
    if NoticeKind.REPORT_FILE.value in kinds:
        return "spreadsheet"
    return "unsent"


async def _card(
    tx: Conn, services: Services, person: Person, request: Request, values: dict[str, str]
) -> list[Notice]:
    """The /report card's edit, after the files in the person's queue."""
    if request.message_id is None:
        return []
    return await outbox.enqueue(
        tx,
        services,
        [
            Notice(
                NoticeKind.REPORT_CARD, person, None, message_id=request.message_id, values=values
            )
        ],
    )


async def make_pending(services: Services, making: set[str]) -> int:
    """Make every request still waiting (one a crash left, or one whose task is gone),
    one at a time, after deleting the files a crash left behind their sent notices;
    how many requests were looked at."""
    await sweep(services)
    waiting = await pending(services)
    for request in waiting:
        await make(services, request, making)
    return len(waiting)


def covers(allowed: tuple[str, ...] | None, asked: tuple[str, ...]) -> bool:
    """A report of ``asked`` stations (() or ("*",): all) is within what a person may
    see now (``allowed``, from :func:`stations_for`: () all, None nothing)."""
    if allowed is None:
        return False
    if not allowed:
        return True
    wanted = {s for s in asked if s}
    return bool(wanted) and "*" not in wanted and wanted <= set(allowed)


async def still_allowed(services: Services, notice: Notice) -> bool:
    """At send time: the report file's reader is still active and may still have it:
    an administrator for the monthly report (its values say "via" "monthly"); for
    /report, a coordinator or an administrator whose stations now cover the file's (an
    administrator made a team's coordinator, or a coordinator moved to another team,
    no longer gets a file of every station or of the old team; its per-worker table
    goes only to a coordinator or an administrator, which that also checks)."""
    person = await people_store.by_id(services.db.reader, notice.recipient.id)
    if person is None or not person.active:
        return False
    if notice.values.get("via") == "monthly":
        return person.has(Role.ADMIN)
    stations = tuple(notice.values.get("stations", "").split(","))
    return covers(stations_for(services, person), stations)


async def for_admins(
    services: Services,
    key: str,
    report: Report,
    admins: list[Person],
    rendered: Mapping[str, tuple[ReportFile, ...]],
) -> list[Notice]:
    """The monthly report (bot/engine/monthly_report.py) on its way to each of
    ``admins`` in their language (``rendered`` by language), audited per file (via
    "monthly", the admin as the person it was exported for), and remembered per admin
    (``key`` followed by ":<person id>"), all in one transaction: each admin's written
    once, whatever restarts, and an admin who starts the bot later gets it then."""
    notices: list[Notice] = []
    async with services.db.write() as tx:
        for admin in admins:
            mine = f"{key}:{admin.id}"
            if await meta.get(tx, mine) is not None:
                continue  # written already (one bot runs on a database: not expected)
            notices += await write(
                tx,
                services,
                admin,
                report,
                rendered[admin.language],
                via="monthly",
                actor_person_id=admin.id,
            )
            await meta.put(tx, mine, services.clock.now().isoformat())
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
