"""A referral (转介): one incident passed from an officer to social work.

The vocabulary here follows the case-work steps (接案 → 评估 → 计划 → 介入 → 结案):
accepting is intake; a worker then marks first contact, assessment, plan and
intervention, and closes with an outcome the officer can read. Pure rules only.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NewType

# Categories and age bands are the deployment's (``[[categories]]`` and ``[[age_bands]]``
# in the configuration, defaults in bot/config.py): a referral holds their ids, and the
# rules below take what the configuration says about a category as CategoryFacts.
CategoryId = NewType("CategoryId", str)
AgeBandId = NewType("AgeBandId", str)


class Urgency(StrEnum):
    IMMEDIATE = "immediate"
    URGENT = "urgent"
    ROUTINE = "routine"


class Safety(StrEnum):
    """The safety screen: any of these means police keep the lead (co-response)."""

    DANGER_TO_LIFE = "danger_to_life"
    WEAPON_OR_INJURY = "weapon_or_injury"
    CHILD_AT_RISK = "child_at_risk"
    SELF_HARM = "self_harm"


class Consent(StrEnum):
    PERSON_AGREES = "person_agrees"
    GUARDIAN_AGREES = "guardian_agrees"
    NOT_ASKED = "not_asked"
    DECLINED = "declined"  # the referral becomes a consultation for the officer


class Questioning(StrEnum):
    """Why a minor is questioned, which the law treats differently: a suspect is
    interrogated (讯问), a victim or witness interviewed (询问)."""

    SUSPECT = "suspect"
    WITNESS = "witness"  # a victim or a witness


class Guardian(StrEnum):
    """Whether the minor's guardian is at the station for the questioning."""

    PRESENT = "present"
    ABSENT = "absent"
    UNREACHABLE = "unreachable"


class PoliceAnswer(StrEnum):
    """The officer's word once the worker is at the scene."""

    LEAVE = "leave"  # police may leave now
    STAY = "stay"  # we stay


class Eta(StrEnum):
    """The estimated arrivals a worker on the way can choose from, in minutes."""

    MIN_15 = "15"
    MIN_30 = "30"
    MIN_60 = "60"


class NotAskedReason(StrEnum):
    NO_TIME = "no_time"
    UNABLE = "unable"  # distressed, intoxicated, asleep…
    OTHER = "other"
    # A child's consent is the guardian's; the officer could not reach one. The worker
    # asks the guardian at first contact.
    GUARDIAN_NOT_REACHED = "guardian_not_reached"


# Below this age the consent asked is the guardian's (a child under 14 cannot consent to
# social work alone). Decided by the age band's configured ``max_age``: a band whose
# oldest person is under 14 is a child's band; a band reaching 14 or beyond is not.
GUARDIAN_CONSENT_UNDER = 14


def guardian_consents(max_age: int | None) -> bool:
    """Whether, for a person in a band whose oldest is ``max_age``, the guardian consents."""
    return max_age is not None and max_age < GUARDIAN_CONSENT_UNDER


def consent_choices(guardian: bool) -> tuple[Consent, ...]:
    """The answers the consent step offers: for a child the guardian agrees, was not
    reached, or declines (the person's own "agrees" is not theirs to give); for anyone
    else every answer, a guardian's included (an adult under guardianship)."""
    if guardian:
        return (Consent.GUARDIAN_AGREES, Consent.NOT_ASKED, Consent.DECLINED)
    return tuple(Consent)


class Skill(StrEnum):
    APPROPRIATE_ADULT = "appropriate_adult"  # 合适成年人 trained
    DOMESTIC_VIOLENCE = "domestic_violence"
    MENTAL_HEALTH = "mental_health"


class Status(StrEnum):
    OFFERED = "offered"  # filed; waiting for a worker to accept
    ACCEPTED = "accepted"  # 接案
    CONTACTED = "contacted"  # first contact made
    ASSESSMENT = "assessment"  # 评估
    PLAN = "plan"  # 计划/契约
    INTERVENTION = "intervention"  # 介入
    CLOSED = "closed"  # 结案
    RETURNED = "returned"  # returned to police
    WITHDRAWN = "withdrawn"  # by the officer, before acceptance


class DeclineReason(StrEnum):
    BUSY = "busy"
    OFF_SHIFT = "off_shift"
    LACKS_SKILL = "lacks_skill"
    CONFLICT = "conflict"
    OTHER = "other"


class ReturnReason(StrEnum):
    """Why a worker hands a case back to the police: the button they tap (the reports
    count these); the officer also gets the worker's own typed line."""

    POLICE_MATTER = "police_matter"  # needs police action: a crime or danger
    NOT_SOCIAL_WORK = "not_social_work"
    OUTSIDE_AREA = "outside_area"  # outside the team's area or service
    WRONG_DETAILS = "wrong_details"  # details wrong or incomplete
    OTHER = "other"


class Outcome(StrEnum):
    RESOLVED = "resolved"
    LINKED = "linked"  # linked to a resource
    CLIENT_DECLINED = "client_declined"
    UNREACHABLE = "unreachable"
    TRANSFERRED = "transferred"  # to another agency


class Resource(StrEnum):
    GOVERNMENT = "government"
    NGO = "ngo"
    MEDICAL = "medical"
    LEGAL = "legal"
    VOLUNTEERS = "volunteers"
    FAMILY = "family"
    # The local directory's kinds (居委会/社区, 妇联, shelters, …); "legal" is legal aid.
    COMMUNITY = "community"
    WOMENS_FEDERATION = "womens_federation"
    SHELTER = "shelter"
    MEDIATION = "mediation"
    MENTAL_HEALTH = "mental_health"
    ADDICTION = "addiction"
    SCHOOL = "school"
    HOTLINE = "hotline"
    CIVIL_AFFAIRS = "civil_affairs"


# The worker's path through a case, one step at a time.
NEXT_STEP: dict[Status, Status] = {
    Status.ACCEPTED: Status.CONTACTED,
    Status.CONTACTED: Status.ASSESSMENT,
    Status.ASSESSMENT: Status.PLAN,
    Status.PLAN: Status.INTERVENTION,
}
WORKING = frozenset(
    {Status.ACCEPTED, Status.CONTACTED, Status.ASSESSMENT, Status.PLAN, Status.INTERVENTION}
)
OPEN = WORKING | {Status.OFFERED}
REOPEN_WINDOW = timedelta(days=30)
SUMMARY_LIMIT = 1000
PLACE_LIMIT = 200
NAME_LIMIT = 64
PHONE_LIMIT = 32
REASON_LIMIT = 200
INCIDENT_LIMIT = 32  # a police incident number: letters, digits, - and /


@dataclass(frozen=True)
class CategoryFacts:
    """What the deployment says about one category (see ``CategorySettings``).

    ``never_waits``: a routine referral of it is not held for the team's service hours.
    ``skill``: workers with it are offered it first. ``urgency``: the suggestion when no
    safety answer raises it. A category the configuration no longer lists has these
    defaults: an ordinary one."""

    never_waits: bool = False
    skill: Skill | None = None
    urgency: Urgency = Urgency.ROUTINE

    @property
    def asks_appropriate_adult(self) -> bool:
        """The urgency step offers "minor questioned now: appropriate adult needed" for
        the categories whose workers need that training first (juveniles by default)."""
        return self.skill is Skill.APPROPRIATE_ADULT


_REF_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_reference() -> str:
    """A short reference that means nothing (no date, station or count leaks): R-7F3K."""
    return "R-" + "".join(secrets.choice(_REF_ALPHABET) for _ in range(4))


def suggested_urgency(
    facts: CategoryFacts, safety: frozenset[Safety], appropriate_adult_now: bool = False
) -> Urgency:
    """What the officer is offered pre-selected; they confirm or change it with one tap."""
    if appropriate_adult_now or safety & {
        Safety.DANGER_TO_LIFE,
        Safety.WEAPON_OR_INJURY,
        Safety.SELF_HARM,
    }:
        return Urgency.IMMEDIATE
    if safety:
        return Urgency.URGENT
    return facts.urgency


def can_reopen(status: Status, closed_at: datetime | None, now: datetime) -> bool:
    return status is Status.CLOSED and closed_at is not None and now - closed_at <= REOPEN_WINDOW


@dataclass(frozen=True)
class Referral:
    """A filed referral as stored. Fields marked sensitive never leave for shared places:
    offer cards, groups and logs carry only the reference and the redacted fields."""

    id: int
    ref: str
    station_id: str
    officer_id: int
    category: CategoryId
    urgency: Urgency
    co_response: bool
    safety: frozenset[Safety]
    appropriate_adult_now: bool
    age_band: AgeBandId | None
    consent: Consent | None
    consent_note: str | None
    consultation: bool
    status: Status
    assignee_id: int | None
    created_at: datetime
    accepted_at: datetime | None  # the first acceptance by whoever took it from the offer
    contacted_at: datetime | None
    closed_at: datetime | None
    outcome: Outcome | None
    resource_type: Resource | None
    # sensitive
    person_name: str | None
    person_phone: str | None
    no_phone: bool
    place: str | None
    latitude: float | None
    longitude: float | None
    summary: str | None
    resource_name: str | None
    closing_note: str | None
    # escalation (see bot/domain/escalation.py)
    plan: str | None = None
    level: int = 0
    rounds: int = 0
    held: bool = False
    next_action_at: datetime | None = None
    # appropriate adult and reminders (see bot/engine/reminders.py)
    updated_at: datetime | None = None
    on_way_at: datetime | None = None
    arrived_at: datetime | None = None
    contact_reminded_at: datetime | None = None
    contact_escalated_at: datetime | None = None
    stale_reminded_at: datetime | None = None
    # attendance at the scene (see :func:`arrival_target` and bot/services/attendance.py)
    at_scene: bool = False  # the officer asked for a worker at the scene
    eta_minutes: int | None = None  # the estimate the worker chose with "On my way"
    arrival_reminded_at: datetime | None = None
    arrival_escalated_at: datetime | None = None
    police_answer: PoliceAnswer | None = None
    police_answered_at: datetime | None = None
    # the appropriate adult's request (when appropriate_adult_now)
    questioning: Questioning | None = None
    questioning_at: datetime | None = None  # None: now
    guardian: Guardian | None = None
    questioning_ended_at: datetime | None = None
    # sensitive: the police's own incident number, to match the referral to their record
    incident_number: str | None = None
    # when the current holder got it (accepted, confirmed, or took it over): the
    # holder's clocks (arrival, first contact) run from here
    holder_since: datetime | None = None
    # why it went back to the police (None: not returned, or returned before the code)
    return_reason: ReturnReason | None = None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def attended(self) -> bool:
        """A worker is expected in person: a co-response, a worker asked for at the scene,
        or an appropriate adult at the questioning. Only these run the arrival clock."""
        return self.co_response or self.at_scene or self.appropriate_adult_now

    @property
    def held_since(self) -> datetime | None:
        """When the current holder got the case (the acceptance for rows from before
        the holder was kept)."""
        return self.holder_since or self.accepted_at

    @property
    def attendance_finished(self) -> bool:
        """The worker's attendance is over: questioning ended, or police told they may
        leave. A change of holder then keeps its times; otherwise the new holder's
        attendance starts again."""
        return self.questioning_ended_at is not None or (self.police_answer is PoliceAnswer.LEAVE)

    @property
    def expected_at(self) -> datetime | None:
        """When the worker on the way said they would arrive."""
        if self.on_way_at is None or self.eta_minutes is None:
            return None
        return self.on_way_at + timedelta(minutes=self.eta_minutes)


def arrival_target(referral: Referral, minutes: int) -> datetime | None:
    """When the holding worker should be there: ``minutes`` (the deployment's target for
    the referral's urgency, or the appropriate adult's) after they got the case (a
    colleague who took it over starts the clock again); for an appropriate adult asked
    for a later questioning, its start (the adult must be there before it starts),
    unless the holder got it after that. None: no clock runs."""
    since = referral.held_since
    if not referral.attended or since is None:
        return None
    planned = referral.questioning_at if referral.appropriate_adult_now else None
    if planned is not None and planned > since:
        return planned
    return since + timedelta(minutes=minutes)
