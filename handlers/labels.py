"""How the domain's words read on a phone, in one table per kind (translated on use)."""

from __future__ import annotations

from bot.domain.referral import (
    AgeBand,
    Category,
    Consent,
    DeclineReason,
    NotAskedReason,
    Outcome,
    Resource,
    Safety,
    Status,
    Urgency,
)
from bot.i18n import N_

CATEGORY = {
    Category.FAMILY_DISPUTE: N_("Family dispute"),
    Category.NEIGHBOUR_DISPUTE: N_("Neighbour dispute"),
    Category.RENTAL_DISPUTE: N_("Rental dispute"),
    Category.CONSUMER_DISPUTE: N_("Consumer dispute"),
    Category.JUVENILE: N_("Juvenile"),
    Category.DOMESTIC_VIOLENCE: N_("Domestic violence"),
    Category.MENTAL_HEALTH: N_("Mental health"),
    Category.ELDERLY: N_("Elderly or vulnerable person"),
    Category.OTHER: N_("Other"),
}
URGENCY = {
    Urgency.IMMEDIATE: N_("Immediate"),
    Urgency.URGENT: N_("Urgent"),
    Urgency.ROUTINE: N_("Routine"),
}
SAFETY = {
    Safety.DANGER_TO_LIFE: N_("Immediate danger to life"),
    Safety.WEAPON_OR_INJURY: N_("Weapon or injury"),
    Safety.CHILD_AT_RISK: N_("Child at risk"),
    Safety.SELF_HARM: N_("Self-harm or suicide intent"),
}
AGE_BAND = {
    AgeBand.UNDER_14: N_("Under 14"),
    AgeBand.FROM_14_TO_17: N_("14–17"),
    AgeBand.ADULT: N_("Adult (18–64)"),
    AgeBand.OVER_65: N_("65 or older"),
}
CONSENT = {
    Consent.PERSON_AGREES: N_("The person agrees to be contacted"),
    Consent.GUARDIAN_AGREES: N_("A guardian agrees"),
    Consent.NOT_ASKED: N_("Not asked"),
    Consent.DECLINED: N_("Declined: consultation only, the person is not contacted"),
}
NOT_ASKED = {
    NotAskedReason.NO_TIME: N_("No time at the scene"),
    NotAskedReason.UNABLE: N_("The person could not answer"),
    NotAskedReason.OTHER: N_("Other reason"),
}
STATUS = {
    Status.OFFERED: N_("Waiting for a social worker"),
    Status.ACCEPTED: N_("Accepted"),
    Status.CONTACTED: N_("First contact made"),
    Status.ASSESSMENT: N_("Assessment"),
    Status.PLAN: N_("Plan"),
    Status.INTERVENTION: N_("Intervention"),
    Status.CLOSED: N_("Closed"),
    Status.RETURNED: N_("Returned to police"),
    Status.WITHDRAWN: N_("Withdrawn"),
}
# The button that moves a case to this status.
STEP_BUTTON = {
    Status.CONTACTED: N_("✔ First contact made"),
    Status.ASSESSMENT: N_("✔ Assessment started"),
    Status.PLAN: N_("✔ Plan agreed"),
    Status.INTERVENTION: N_("✔ Intervention under way"),
}
DECLINE = {
    DeclineReason.BUSY: N_("Busy with another case"),
    DeclineReason.OFF_SHIFT: N_("Off shift"),
    DeclineReason.LACKS_SKILL: N_("Lacks the skill"),
    DeclineReason.CONFLICT: N_("Conflict of interest"),
    DeclineReason.OTHER: N_("Other reason"),
}
OUTCOME = {
    Outcome.RESOLVED: N_("Resolved"),
    Outcome.LINKED: N_("Linked to a resource"),
    Outcome.CLIENT_DECLINED: N_("Client declined"),
    Outcome.UNREACHABLE: N_("Unreachable"),
    Outcome.TRANSFERRED: N_("Transferred to another agency"),
}
RESOURCE = {
    Resource.GOVERNMENT: N_("Government service"),
    Resource.NGO: N_("NGO"),
    Resource.MEDICAL: N_("Medical"),
    Resource.LEGAL: N_("Legal"),
    Resource.VOLUNTEERS: N_("Volunteers"),
    Resource.FAMILY: N_("Family"),
}
DECLINE_BY_VALUE = {reason.value: label for reason, label in DECLINE.items()}
