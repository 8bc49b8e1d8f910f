"""The names of a report's row labels in the reader's language (issue 18).

A report's rows carry ids (bot/domain/report.py); this is the one place that turns each
table's ids into words, from the same tables the cards use (bot/labels.py) and the
deployment's own names for categories and stations. An id nobody knows (written by a
newer version, or a category deleted from the configuration) reads as itself, so a
figure is never dropped for want of a name.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot import labels as words
from bot.config import Config
from bot.domain.escalation import Level
from bot.domain.report import Labels
from bot.i18n import N_, Translator

WEEKDAYS = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)
WHEN = {"day": N_("Day"), "night": N_("Night")}
LEVEL = {
    str(int(Level.SKILLED)): N_("0 · skilled workers on duty"),
    str(int(Level.TEAM)): N_("1 · the whole team and backup"),
    str(int(Level.COORDINATOR)): N_("2 · coordinator on duty"),
    str(int(Level.ALL_COORDINATORS)): N_("3 · all coordinators"),
}
# An offer's state, as a coordinator's assignment ended (storage/offers.py).
ASSIGNMENT = {
    "open": N_("Not answered yet"),
    "accepted": N_("Confirmed"),
    "declined": N_("Could not take it"),
    "taken": N_("Taken by someone else"),
    "withdrawn": N_("Withdrawn by the officer"),
    "expired": N_("Expired"),
}
LINKAGE_ANSWER = {
    "yes": N_("Service happened"),
    "partly": N_("Partly"),
    "no": N_("Did not happen"),
    "declined": N_("The person declined"),
    "waiting": N_("Not followed up yet"),
}
STATUS = {str(k): v for k, v in words.STATUS.items()}
RETURN_REASON = {
    **{str(k): v for k, v in words.RETURN_REASON.items()},
    "unknown": N_("Not recorded (returned before reasons were kept)"),
}
# Who was asked to attend in person (bot/services/reports.py, table "arrival").
ATTENDANCE = {
    "appropriate_adult": N_("Appropriate adult"),
    "on_scene": N_("Social worker at the scene"),
}
# How a referral came to wait for service hours (table "held").
HELD = {
    "service_hours": N_("Routine, outside service hours"),
    "by_coordinator": N_("Held by a coordinator"),
}
# When the person's consent was declined (table "consultations").
CONSULTATION = {
    "at_filing": N_("At filing"),
    "at_first_contact": N_("At first contact"),
}


def report_labels(config: Config, language: str) -> Labels:
    """``labels(table key, id) -> text`` in ``language`` for every table the figures
    (bot/services/reports.py) produce; ``"station"`` names a station for the summary."""
    tr = Translator(language)
    enums: dict[str, Mapping[str, str]] = {
        "urgency": {str(k): v for k, v in words.URGENCY.items()},
        "decline": {str(k): v for k, v in words.DECLINE.items()},
        "outcome": {str(k): v for k, v in words.OUTCOME.items()},
        "resource": {str(k): v for k, v in words.RESOURCE.items()},
        "status": STATUS,
        "return_reason": RETURN_REASON,
        "when": WHEN,
        "level": LEVEL,
        "assignment": ASSIGNMENT,
        "linkage": LINKAGE_ANSWER,
        "weekday": {str(day): name for day, name in enumerate(WEEKDAYS)},
        "attendance": ATTENDANCE,
        "held": HELD,
        "consultation": CONSULTATION,
    }

    def station(label_id: str) -> str:
        found = next((s for s in config.stations if s.id == label_id), None)
        return found.name(language) if found else label_id

    def category(label_id: str) -> str:
        found = config.category(label_id)
        return found.name(language) if found else label_id

    def word(kind: str, label_id: str) -> str:
        msgid = enums[kind].get(label_id)
        return tr(msgid) if msgid else label_id

    def labels(key: str, label_id: str) -> str:
        if key == "station":
            return station(label_id)
        if key == "by_category_station":
            return category(label_id) if config.category(label_id) else station(label_id)
        if key == "coordinator_assignments":
            return word("assignment", label_id)
        for kind in KINDS.get(key, ()):
            if label_id in enums[kind]:
                return word(kind, label_id)
        return label_id

    return labels


# Which kinds of id each table's label columns hold.
KINDS: dict[str, tuple[str, ...]] = {
    "by_urgency": ("urgency",),
    "by_weekday": ("weekday",),
    "day_night": ("when",),
    "time_to_acceptance": ("urgency", "when"),
    "first_contact": ("urgency",),
    "arrival": ("attendance",),
    "held": ("held",),
    "consultations": ("consultation",),
    "answered_at_level": ("level",),
    "declines_by_reason": ("decline",),
    "unanswered_at_night_end": ("urgency",),
    "closed_by_outcome": ("outcome",),
    "returned_withdrawn": ("status",),
    "returned_by_reason": ("return_reason",),
    "linkages": ("resource", "linkage"),
}
