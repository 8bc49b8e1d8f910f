"""How the domain's words read on a phone, in one table per kind (translated on use).

Free of Telegram, so the cards (handlers/) and the reports' files (bot/reports/) read
the same words.

Categories and age bands are the deployment's: their names come from the configuration,
in the reader's language, not from the catalogue (see :func:`category` and :func:`age_band`).
"""

from __future__ import annotations

from bot.config import Config
from bot.domain.case_work import ContactMode, Need
from bot.domain.referral import (
    Consent,
    DeclineReason,
    Guardian,
    NotAskedReason,
    Outcome,
    Questioning,
    Resource,
    ReturnReason,
    Safety,
    Status,
    Urgency,
)
from bot.i18n import N_, Translator

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
CONSENT = {
    Consent.PERSON_AGREES: N_("The person agrees to be contacted"),
    Consent.GUARDIAN_AGREES: N_("A guardian agrees"),
    Consent.NOT_ASKED: N_("Not asked"),
    Consent.DECLINED: N_("Declined: consultation only, the person is not contacted"),
}
# For a person under 14 (an age band whose oldest is under 14) the consent is the
# guardian's, in the words police use for it.
CONSENT_GUARDIAN = {
    Consent.PERSON_AGREES: CONSENT[Consent.PERSON_AGREES],  # not offered: kept for old data
    Consent.GUARDIAN_AGREES: N_("The guardian agrees"),
    Consent.NOT_ASKED: N_("Guardian not reached yet"),
    Consent.DECLINED: N_("The guardian declined: consultation only, the child is not contacted"),
}
NOT_ASKED = {
    NotAskedReason.NO_TIME: N_("No time at the scene"),
    NotAskedReason.UNABLE: N_("The person could not answer"),
    NotAskedReason.OTHER: N_("Other reason"),
}
# The appropriate adult's request: the law questions a suspect (讯问) and a victim or
# witness (询问) differently, and the adult must know which before setting off.
QUESTIONING = {
    Questioning.SUSPECT: N_("Suspect (interrogation)"),
    Questioning.WITNESS: N_("Victim or witness (interview)"),
}
GUARDIAN = {
    Guardian.PRESENT: N_("Guardian present"),
    Guardian.ABSENT: N_("Guardian absent"),
    Guardian.UNREACHABLE: N_("Guardian unreachable"),
}
# What the worker records at first contact when the officer could not ask.
CONSENT_AT_CONTACT = {
    False: N_("Does the person agree to social work?"),
    True: N_("Does the guardian agree to social work for the child?"),
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
# The assessment's checklist of presenting needs, and how a contact was made.
NEED = {
    Need.FAMILY_CONFLICT: N_("Family conflict"),
    Need.VIOLENCE: N_("Violence"),
    Need.MENTAL_HEALTH: N_("Mental health"),
    Need.SUBSTANCE_USE: N_("Substance use"),
    Need.MONEY: N_("Money"),
    Need.HOUSING: N_("Housing"),
    Need.CARING: N_("Caring duties"),
    Need.SCHOOL: N_("Schooling"),
    Need.WORK: N_("Work"),
    Need.LEGAL: N_("Legal matters"),
}
CONTACT_MODE = {
    ContactMode.PHONE: N_("📞 Phone"),
    ContactMode.VISIT: N_("🏠 Visit"),
    ContactMode.OFFICE: N_("🏢 Office"),
}
DECLINE = {
    DeclineReason.BUSY: N_("Busy with another case"),
    DeclineReason.OFF_SHIFT: N_("Off shift"),
    DeclineReason.LACKS_SKILL: N_("Lacks the skill"),
    DeclineReason.CONFLICT: N_("Conflict of interest"),
    DeclineReason.OTHER: N_("Other reason"),
}
# Why a worker returns a case to the police (the buttons; the reports count them).
RETURN_REASON = {
    ReturnReason.POLICE_MATTER: N_("Needs police action (crime or danger)"),
    ReturnReason.NOT_SOCIAL_WORK: N_("Not a matter for social work"),
    ReturnReason.OUTSIDE_AREA: N_("Outside our area or service"),
    ReturnReason.WRONG_DETAILS: N_("Details wrong or incomplete"),
    ReturnReason.OTHER: N_("Other reason"),
}
OUTCOME = {
    Outcome.RESOLVED: N_("Resolved"),
    Outcome.LINKED: N_("Linked to a resource"),
    Outcome.CLIENT_DECLINED: N_("Client declined"),
    Outcome.UNREACHABLE: N_("Unreachable"),
    Outcome.TRANSFERRED: N_("Transferred to another agency"),
}
RESOURCE = {
    Resource.COMMUNITY: N_("Residents' committee / community"),
    Resource.WOMENS_FEDERATION: N_("Women's federation"),
    Resource.SHELTER: N_("Shelter"),
    Resource.LEGAL: N_("Legal"),
    Resource.MEDIATION: N_("Mediation"),
    Resource.MENTAL_HEALTH: N_("Psychiatric / mental health"),
    Resource.ADDICTION: N_("Addiction service"),
    Resource.SCHOOL: N_("School"),
    Resource.HOTLINE: N_("Hotline"),
    Resource.CIVIL_AFFAIRS: N_("Civil affairs"),
    Resource.GOVERNMENT: N_("Government service"),
    Resource.NGO: N_("NGO"),
    Resource.MEDICAL: N_("Medical"),
    Resource.VOLUNTEERS: N_("Volunteers"),
    Resource.FAMILY: N_("Family"),
}


def consent_names(guardian: bool) -> dict[Consent, str]:
    """The consent answers' names (untranslated) for a child's band or any other."""
    return CONSENT_GUARDIAN if guardian else CONSENT


def consent(
    tr: Translator, given: Consent, reason: NotAskedReason | str | None, *, guardian: bool
) -> str:
    """ "Not asked (No time at the scene)", "Guardian not reached yet": the consent as
    recorded, with why it was not asked (a stored reason an older or newer version
    wrote, unknown here, is left out)."""
    text = tr(consent_names(guardian)[given])
    if given is not Consent.NOT_ASKED or reason is None:
        return text
    try:
        why = NotAskedReason(reason)
    except ValueError:
        return text
    if why is NotAskedReason.GUARDIAN_NOT_REACHED:
        return tr(CONSENT_GUARDIAN[Consent.NOT_ASKED])
    return tr("{consent} ({reason})", consent=text, reason=tr(NOT_ASKED[why]))


def guardian_band(config: Config, band_id: str | None) -> bool:
    """Whether a referral's age band (as configured now) is a child's: guardian consent."""
    band = config.age_band(band_id) if band_id else None
    return band is not None and band.guardian_consents


DECLINE_BY_VALUE = {reason.value: label for reason, label in DECLINE.items()}

# What the audit log's action codes mean, for /audit (every code the bot writes; one
# written by a newer version and missing here is shown as its code).
AUDIT_ACTION = {
    "referral.filed": N_("Referral filed"),
    "referral.accepted": N_("Accepted"),
    "referral.assigned": N_("Assigned"),
    "referral.assignment_offered": N_("Assigned, waiting for confirmation"),
    "referral.assignment_refused": N_("Could not take an assignment"),
    "referral.revealed": N_("Details sent to them"),
    "referral.details_hidden": N_("Details taken off the chat"),
    "referral.withdrawn": N_("Withdrawn by the officer"),
    "referral.escalation_step": N_("Escalated"),
    "referral.page_acknowledged": N_("Said they are on it (no more pages to them)"),
    "referral.erased": N_("Personal details erased"),
    "referral.handed_over": N_("Took the case over from"),
    "referral.handed_back": N_("Handed the case back to the coordinators"),
    "referral.holder_deactivated": N_("Holder's access turned off: back to the coordinators"),
    "handover.asked": N_("Asked a colleague to take the case over"),
    "handover.declined": N_("Could not take the case over"),
    "handover.refused": N_("Refused: handover not allowed"),
    "referral.legal_hold": N_("Legal hold: kept from erasure"),
    "referral.legal_hold_lifted": N_("Legal hold lifted"),
    "offer.declined": N_("Declined"),
    "offer.decline_explained": N_("Gave a reason for declining"),
    "offer.refused": N_("Refused: not their offer"),
    "case.refused": N_("Refused: not their case"),
    "scene.refused": N_("Refused: not their referral"),
    "escalation.refused": N_("Refused on a coordinator's card"),
    "action.refused": N_("Refused: not allowed for their role"),
    "referral.consent_at_contact": N_("Consent recorded at first contact"),
    "care.debrief_arranged": N_("Arranged a debrief for"),
    "appropriate_adult.on_way_at": N_("Appropriate adult on the way"),
    "appropriate_adult.arrived_at": N_("Appropriate adult arrived"),
    "attendance.on_way": N_("On the way to the scene"),
    "attendance.arrived": N_("Arrived at the scene"),
    "case.followed_up": N_("Followed up a crisis case"),
    "case.follow_up_noted": N_("Added a line on how a crisis follow-up went"),
    "case.linked": N_("Linked the person to a service"),
    "case.linkage_answered": N_("Answered whether a linked service happened"),
    "case.linkage_removed": N_("Removed a linkage recorded by mistake"),
    "case.goal_changed": N_("Changed a goal of the plan"),
    "case.goal_removed": N_("Removed a goal from the plan"),
    "case.plan_reviewed": N_("Marked the plan review done"),
    "attendance.police_leave": N_("Officer: police may leave now"),
    "attendance.police_stay": N_("Officer: we stay"),
    "attendance.questioning_ended": N_("Questioning ended"),
    "audit.viewed": N_("Read this audit trail"),
    "worker.available": N_("Available"),
    "worker.away": N_("Away"),
    "person.unreachable": N_("Cannot be reached by the bot"),
    "person.activated": N_("Access turned on"),
    "person.deactivated": N_("Access turned off"),
    "person.skills": N_("Skills changed"),
    "invite.created": N_("Invite created"),
    "invite.redeemed": N_("Invite used"),
    "invite.failed": N_("Invite code refused"),
    "invite.throttled": N_("Too many invite attempts"),
    "admin.bootstrap": N_("First administrator enrolled"),
    "rota.imported": N_("Rota imported"),
    "directory.imported": N_("Resource directory imported"),
    "rota.covers.imported": N_("Rota changes imported"),
    "rota.cover": N_("Rota changed"),
    "rota.cover.refused": N_("Refused: rota change"),
    "phone.added": N_("Added a phone number"),
    "phone.verified": N_("Verified a phone number"),
    "phone.removed": N_("Removed a phone number"),
    "paging.gateway_set": N_("Agency gateway set for a person"),
    "paging.gateway_removed": N_("Agency gateway removed for a person"),
    "key.rotated": N_("Encryption key changed"),
    "database.exported": N_("Database backed up"),
    "database.restored": N_("Database restored"),
}
# The cards a refused tap was on, and what it tried there (audit_trail's Tap codes).
TAP_CARD = {
    "offer": N_("offer"),
    "case": N_("case"),
    "escalation": N_("coordinator's card"),
    "handover": N_("request to take a case over"),
    "scene": N_("officer's card at the scene"),
    "withdraw": N_("Withdraw"),
}
TAP_VERB = {
    "accept": N_("Accept"),
    "open": N_("Decline"),
    "decline": N_("Decline"),
    "back": N_("Back"),
    "show_details": N_("Show details"),
    "close": N_("Close case"),
    "return_to_police": N_("Return to police"),
    "reopen": N_("Reopen"),
    "on_way": N_("On my way"),
    "arrived": N_("Arrived"),
    "eta": N_("Estimated arrival"),
    "questioning_ended": N_("Questioning ended"),
    "step": N_("Next step"),
    "consent_agrees": N_("Consent at first contact: agrees"),
    "consent_declines": N_("Consent at first contact: declines"),
    "followed_up": N_("Followed up"),
    "close_linked": N_("Close as linked"),
    "linkage_answer": N_("Did the service happen?"),
    "remove_linkage": N_("Remove a linkage"),
    "link_service": N_("Link a service"),
    "hand_over": N_("Hand over"),
    "hand_to": N_("Hand over to…"),
    "hand_back": N_("Back to the coordinator"),
    "take_over": N_("I take it over"),
    "cannot_take_over": N_("I can't"),
    "cannot": N_("I can't"),
    "police_leave": N_("Police may leave now"),
    "police_stay": N_("We stay"),
    "outcome": N_("Outcome"),
    "resource": N_("Resource"),
    "directory_entry": N_("Resource from the directory"),
    "resource_typed": N_("Another resource (typed)"),
    "take": N_("Take it myself"),
    "assign_list": N_("Assign to…"),
    "assign": N_("Assign"),
    "assign_anyway": N_("Assign anyway"),
    "officer_contact": N_("Show officer contact"),
    "hold": N_("Hold until morning"),
    "on_it": N_("I'm on it"),
    "ask_debrief": N_("Ask for a debrief"),
    "debrief_arranged": N_("Debrief arranged"),
    "rest": N_("Rest after a night call-out"),
    "needs": N_("Needs"),
    "need": N_("Tick a need"),
    "add_goal": N_("Add a goal"),
    "review_date": N_("Review date"),
    "log_contact": N_("Log a contact"),
    "back_to_assessment": N_("Back to assessment"),
    "edit_goals": N_("Edit goals"),
    "edit_goal": N_("Edit a goal"),
    "remove_goal": N_("Remove a goal"),
    "reviewed": N_("Plan reviewed"),
}


def category(tr: Translator, config: Config, category_id: str) -> str:
    """The category's configured name in the reader's language, retired or not.

    An id missing from the configuration altogether (the deployment deleted the entry
    instead of retiring it) has no name left in any language. It reads "Category no
    longer in use", translated, without the id: ids are ASCII words ("wage_dispute"),
    and an officer reading Chinese in Hong Kong or Macau should not meet an English
    word in the middle of a card. The administrator finds the id in ``check-config``,
    which warns about such entries, and gives it its names back as a retired entry.
    Such referrals still count, each under its own id."""
    found = config.category(category_id)
    if found is not None:
        return found.name(tr.language)
    return tr("Category no longer in use")


def age_band(tr: Translator, config: Config, band_id: str) -> str:
    """The age band's configured name in the reader's language (as :func:`category`)."""
    found = config.age_band(band_id)
    if found is not None:
        return found.name(tr.language)
    return tr("Age band no longer in use")
