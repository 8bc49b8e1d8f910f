"""Quiet hours: day-scale follow-ups do not ring at night.

A crisis follow-up 24 hours after a first contact at 22:30, a linkage's "did the
service happen?", a plan review, their reminders and the coordinators' notices are
things to do in the working day; a phone buzzing at 02:30 for them wears out the
people on call and teaches them to mute the bot, which then misses the urgent ones.
So these steps, when they fall due inside ``[reminders] quiet_from``–``quiet_until``
(local time), wait for the end of the quiet hours, and none is sent while they last
(also after a restart in the night). First contact, arrival and escalation of a new
referral are urgent and never wait: they do not use this module.

Steps counted in days (a linkage's follow-up, a plan review) fall due at
:data:`DAY_STARTS` on their day, not at the minute of the tap that set them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY_STARTS = time(9, 0)  # when a follow-up counted in days falls due on its day


@dataclass(frozen=True)
class QuietHours:
    """From ``start`` to ``end`` local time (across midnight when ``end`` < ``start``;
    none when they are equal)."""

    start: time
    end: time
    zone: ZoneInfo

    def inside(self, when: datetime) -> bool:
        """Whether ``when`` falls inside the quiet hours."""
        if self.start == self.end:
            return False
        local = when.astimezone(self.zone).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def after(self, when: datetime) -> datetime:
        """``when``, or the end of the quiet hours it falls inside."""
        if not self.inside(when):
            return when
        local = when.astimezone(self.zone)
        end = datetime.combine(local.date(), self.end, self.zone)
        if end <= local:  # quiet across midnight, ``when`` before it: ends tomorrow
            end = datetime.combine(local.date() + timedelta(days=1), self.end, self.zone)
        return end.astimezone(when.tzinfo)

    def due(self, when: datetime, now: datetime) -> bool:
        """Whether a step that fell due at ``when`` may be sent at ``now``: its time
        (moved past the quiet hours) has come, and it is not night now either (a round
        that runs late, or the first after a restart at night, waits for morning)."""
        return now >= self.after(when) and not self.inside(now)


def on_day(now: datetime, days: int, zone: ZoneInfo, at: time = DAY_STARTS) -> datetime:
    """``at`` local time on the day ``days`` after ``now``'s local day."""
    local = now.astimezone(zone)
    day = local.date() + timedelta(days=days)
    return datetime.combine(day, at, zone).astimezone(now.tzinfo)
