"""Paging as people read it: one line per referral for the morning handover and the
coordinator's escalation card ("R-… paged 03:12 (Chen: call, SMS), acknowledged 03:14 by
call (Chen)"), and /status's paging lines. Pure functions of what the services found.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.domain.paging import Channel
from bot.i18n import N_, Html, Translator
from bot.services.page_trail import PageTrail, PagingHealth

CHANNEL = {
    Channel.VOICE: N_("call"),
    Channel.SMS: N_("SMS"),
    Channel.WEBHOOK: N_("gateway"),
}
VIA = {"call": N_("call"), "telegram": N_("Telegram")}
# Between people whose channels are listed with commas (Chen: call, SMS; Wong: SMS).
PEOPLE_SEPARATOR = N_("; ")  # translators: "；" in Chinese


def trail_line(tr: Translator, zone: ZoneInfo, trail: PageTrail) -> str:
    """Whom paging reached about the referral, on what, when, and who said they are on
    it: times local, to the minute; only display names."""
    people = tr(PEOPLE_SEPARATOR).join(
        tr(
            "{name}: {channels}",
            name=one.name,
            channels=Html(tr.join(tr(CHANNEL[c]) for c in one.channels)),
        )
        for one in trail.paged
    )
    if trail.first_sent is None:
        if trail.waiting:
            return tr("📟 {ref}: page not sent yet ({people})", ref=trail.ref, people=Html(people))
        return tr("📟 {ref}: could not be paged ({people})", ref=trail.ref, people=Html(people))
    paged = {"ref": trail.ref, "time": f"{trail.first_sent.astimezone(zone):%H:%M}"}
    if not trail.on_it:
        return tr(
            "📟 {ref} paged {time} ({people}), not acknowledged", people=Html(people), **paged
        )
    acks = tr.join(
        tr(
            "{time} by {via} ({name})",
            time=f"{ack.at.astimezone(zone):%H:%M}",
            via=tr(VIA[ack.via]) if ack.via in VIA else ack.via,
            name=ack.name,
        )
        for ack in trail.on_it
    )
    return tr(
        "📟 {ref} paged {time} ({people}), acknowledged {acks}",
        people=Html(people),
        acks=Html(acks),
        **paged,
    )


def status_lines(tr: Translator, found: PagingHealth) -> list[str]:
    """/status's paging: the channels configured, the last day's pages, and whose
    contact methods a provider refused (names only: /status is for administrators)."""
    if not found.channels:
        return [tr("Paging: off (Telegram only).")]
    lines = [
        tr(
            "Paging: {channels}.",
            channels=Html(tr.join(tr(CHANNEL[c]) for c in found.channels)),
        ),
        tr(
            "Pages: {waiting} waiting; {sent} sent and {given_up} given up in the last day.",
            waiting=str(found.waiting),
            sent=str(found.sent),
            given_up=str(found.given_up),
        ),
    ]
    if found.failing:
        whose = tr.join(
            tr("{name} ({channel})", name=name, channel=tr(CHANNEL[channel]))
            for name, channel in found.failing
        )
        lines.append(
            tr.n(
                "⚠️ {count} contact method failing: {whose}.",
                "⚠️ {count} contact methods failing: {whose}.",
                len(found.failing),
                whose=Html(whose),
            )
        )
    else:
        lines.append(tr("No contact method failing."))
    return lines
