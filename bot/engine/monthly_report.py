"""The monthly report: on the 1st at ``[reports] monthly_at`` (local time), each
administrator gets the previous month's report for every station, picture and
spreadsheet, in their own language (issue 18).

Checked against the database once a minute, like the daily messages
(``bot/engine/daily.py``), rather than kept as an in-memory timer: a key per month and
administrator (``monthly_report:2026-11:<person id>``) is remembered in the
transaction that writes that administrator's files, their notices and their audit
lines, so each administrator's report is written once, never twice across restarts,
and a crash before that commit leaves nothing half done.

The month-wide key (``monthly_report:2026-11``) is what the versions before the
per-administrator key remembered once they had sent the month to every administrator:
found, the month counts as sent to everyone (an upgrade within the catch-up window
must not send last month's report a second time).

Caught up within :data:`CATCH_UP` (7 days) after the time: a bot down over the 1st
still sends it when it comes back (the 2nd at 10:00, say). A week, because the monthly
report is what the agency sends on to the police bureau and its funders in the first
days of the month: a report a few days late is still the one they need, while one
arriving in the second half of the month, after they have made their own from /report,
would be noise. The month's figures do not change by waiting (they are counted from
the referrals' own timestamps).

No per-worker table: it goes to administrators, who see the figures, not who worked
the nights (that is the coordinators' /report). Administrators are the active people
with the admin role; ``admins`` of the configuration become such people when they first
write to the bot, so one who never has is not there to send to yet: one who starts the
bot within the catch-up (the 2nd, say) gets the month's report then, on the next
minute's check. Once the window has passed with an administrator never reached, a
warning is logged, once (counts, no names). One who blocked the bot is handled by the
sender as any unreachable person.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from bot.domain.people import Person, Role
from bot.services import Services, report_deliveries, report_files
from bot.services import people as people_service
from bot.services.notices import Notice

log = logging.getLogger("referral_bot.monthly_report")

INTERVAL = timedelta(minutes=1)
CATCH_UP = timedelta(days=7)
KEY = "monthly_report:{month}"  # + ":<person id>" per admin, e.g. monthly_report:2026-11:7


def due_at(services: Services, now: datetime) -> datetime:
    """This month's 1st at ``monthly_at``, local."""
    zone = services.config.zone
    first = now.astimezone(zone).date().replace(day=1)
    at = services.config.coordination.clock_time(services.config.reports.monthly_at)
    return datetime.combine(first, at, tzinfo=zone)


def previous_month(first: date) -> tuple[date, date]:
    last = first - timedelta(days=1)
    return last.replace(day=1), last


async def tick(services: Services) -> list[Notice]:
    """Write the previous month's report for each administrator it is due to and not
    written for yet; the notices written (the sender sends them)."""
    if not services.config.reports.monthly:
        return []
    now = services.clock.now()
    due = due_at(services, now)
    if now < due:
        return []
    start, end = previous_month(due.date())
    key = KEY.format(month=f"{start:%Y-%m}")
    if await people_service.remembered(services, key) is not None:
        return []  # the month-wide key of a version before the per-admin one: sent to all
    late = now >= due + CATCH_UP
    if late and await people_service.remembered(services, f"{key}:missed") is not None:
        return []
    admins = [p for p in await people_service.active_people(services) if p.has(Role.ADMIN)]
    waiting = [
        p for p in admins if await people_service.remembered(services, f"{key}:{p.id}") is None
    ]
    if late:
        await _missed(services, key, admins, waiting)
        return []
    known = {p.telegram_id for p in admins}
    if any(t not in known for t in services.config.admins):
        await _seen_waiting(services, key)  # a configured admin the bot cannot reach yet
    if not waiting:
        return []
    report = await report_files.outgoing(services, start, end, (), per_worker=False)
    rendered: dict[str, tuple[report_files.ReportFile, report_files.ReportFile]] = {}
    for language in sorted({p.language for p in waiting}):
        rendered[language] = await report_deliveries.render_both(report, language, services)
    return await report_deliveries.for_admins(services, key, report, waiting, rendered)


async def _seen_waiting(services: Services, key: str) -> None:
    """Within the window: an administrator is waited for (remembered, for _missed)."""
    if await people_service.remembered(services, f"{key}:waiting") is None:
        await people_service.remember(services, f"{key}:waiting", services.clock.now().isoformat())


async def _missed(
    services: Services, key: str, admins: list[Person], waiting: list[Person]
) -> None:
    """Once the catch-up window has passed: a warning, once, if an administrator the
    bot waited for within the window was never reached (a configured one who never
    wrote to the bot, or one who became an administrator too late). A bot that was not
    running in the window (a deployment started on the 20th) warns of nothing. Counts
    only: no names in the log."""
    known = {p.telegram_id for p in admins}
    never_started = [t for t in services.config.admins if t not in known]
    await people_service.remember(services, f"{key}:missed", services.clock.now().isoformat())
    if await people_service.remembered(services, f"{key}:waiting") is None:
        return  # the bot was not running in the window (a new deployment): nothing missed
    if not (never_started or waiting):
        return  # remembered all the same: the month is not looked at again
    log.warning(
        "monthly report %s: the %d-day catch-up passed with %d administrator(s) never "
        "reached (%d configured but never wrote to the bot)",
        key.rsplit(":", 1)[-1],
        CATCH_UP.days,
        len(never_started) + len(waiting),
        len(never_started),
    )
