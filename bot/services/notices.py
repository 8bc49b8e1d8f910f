"""What to tell whom after a change: the services decide, the handlers render and send.

A service returns notices rather than sending, so "the state changed" and "who must
hear about it" are decided together in one place and written to the outbox in the
same transaction (``bot/services/outbox.py``). Rendering happens at send time in the recipient's
own language, from the referral as it is then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.domain.people import Person
from bot.domain.referral import Referral


class NoticeKind(StrEnum):
    # to social workers
    OFFER = "offer"  # a new redacted offer card
    OFFER_TAKEN = "offer_taken"  # edit an open card: taken by someone else
    OFFER_WITHDRAWN = "offer_withdrawn"  # edit an open card: the officer withdrew
    # A coordinator's assignment, to the assignee: "I take it" or "I can't" (a card).
    ASSIGNMENT = "assignment"
    REVEAL = "reveal"  # the full details, to the worker who accepted (protected)
    REMIND_CONTACT = "remind_contact"  # first contact is due
    REMIND_STALE = "remind_stale"  # no update for a week
    REMIND_ARRIVAL = "remind_arrival"  # the arrival target passed, not marked arrived
    FOLLOW_UP = "follow_up"  # a crisis case: follow up with the person (Followed up)
    REMIND_FOLLOW_UP = "remind_follow_up"  # …not yet marked followed up
    LINKAGE_FOLLOW_UP = "linkage_follow_up"  # did the linked service happen? (4 answers)
    REMIND_LINKAGE = "remind_linkage"  # …not yet answered
    REMIND_REVIEW = "remind_review"  # the plan's review date came
    POLICE_ANSWER = "police_answer"  # the officer at the scene: police leave, or stay
    # One open case with its buttons, for /mine: the list can be long and goes at the
    # chat's pace, so the sender sends it and the bot goes on answering everyone else.
    CASE_CARD = "case_card"
    # A case handed on (bot/services/transfers.py)
    HANDOVER_OFFER = "handover_offer"  # a colleague asks you to take over: I take it / I can't
    HANDOVER_REFUSED = "handover_refused"  # to the holder: the colleague cannot; keep it
    HANDED_OVER = "handed_over"  # edit the holder's card: who has the case now
    # edit the colleague's request card: withdrawn unanswered (the case went back to
    # the coordinators, or its holder left), so no "I take it over" is left live
    HANDOVER_WITHDRAWN = "handover_withdrawn"
    # to the officer
    SUBMITTED = "submitted"  # edit the review card: "Submitted as R-…", no buttons left
    FILED = "filed"  # sent, and offered to how many workers
    NOBODY_AVAILABLE = "nobody_available"
    ALL_DECLINED = "all_declined"
    ACCEPTED = "accepted"  # by whom, and how to reach them
    CONTACTED = "contacted"
    RETURNED = "returned"  # returned to police, with the reason
    CLOSED = "closed"  # outcome and the one-line note
    # Consent "not asked" at filing; at first contact the person (or the guardian)
    # declined social work, so the case ended there.
    CONSENT_DECLINED = "consent_declined"
    REOPENED = "reopened"
    ON_WAY = "on_way"  # the worker attending in person set off (with an estimate)
    ARRIVED = "arrived"  # …and arrived (with the officer's buttons)
    # The appropriate adult's attendance ended (to the officer or the adult, whoever
    # did not mark it, and to the coordinator on duty), with its times.
    QUESTIONING_ENDED = "questioning_ended"
    HELD = "held"  # routine, outside service hours: waits for the next shift
    HELD_BY_COORDINATOR = "held_by_coordinator"  # a coordinator decided it can wait
    ESCALATED = "escalated"  # nobody accepted in time: told the next level
    ASSIGNED = "assigned"  # a coordinator gave it to a worker, who confirmed (to the officer)
    ASSIGNMENT_PENDING = "assignment_pending"  # assigned, waiting for the worker to confirm
    ASSIGNMENT_REFUSED = "assignment_refused"  # the assignee could not take it
    NOW_WITH = "now_with"  # a worker took the case over from a colleague
    BACK_TO_COORDINATORS = "back_to_coordinators"  # handed back, or its holder left
    # to coordinators
    ESCALATION = "escalation"  # a card: take it, or assign it to a worker
    # A worker's typed decline reason, as a reply to an open card (the card is left as
    # the coordinator has it). The value is the one rows were first written under.
    DECLINE_REASON = "escalation_redrawn"
    CONTACT_OVERDUE = "contact_overdue"  # a worker has not made first contact in time
    FOLLOW_UP_OVERDUE = "follow_up_overdue"  # a crisis follow-up is not marked done
    LINKAGE_OVERDUE = "linkage_overdue"  # a linkage's follow-up is not answered
    REVIEW_OVERDUE = "review_overdue"  # a plan review reminded and not marked done
    ARRIVAL_OVERDUE = "arrival_overdue"  # a worker attending in person is not there yet
    UNREACHABLE = "unreachable"  # someone blocked the bot: fix it before the night
    # A page's provider refused someone's number or gateway id (bot/paging/sender.py):
    # values "person" (their display name) and "channel" (voice, sms, webhook)
    CONTACT_FAILING = "contact_failing"
    # ...and to the person whose number it was: enter it again with /phone (values
    # "channel")
    PAGE_REFUSED = "page_refused"
    # A provider refuses the deployment's own requests (Twilio's account or From number,
    # a wrong URL, the gateway's 4xx other than 422): to the admins, once per outage
    # (values "provider": twilio or gateway, "code")
    PAGING_MISCONFIGURED = "paging_misconfigured"
    # A coordinator said "I'm on it" (pressed 1 on a page's call, or the button on the
    # escalation card): to the other coordinators paged or told (values "name", "at"
    # ISO time, "via": call or telegram), and to the officer (ON_IT_OFFICER)
    ON_IT = "on_it"
    ON_IT_OFFICER = "on_it_officer"
    HANDOVER = "handover"  # the morning summary of the night
    GAP_WARNING = "gap_warning"  # tonight has hours nobody covers
    HANDOVER_UNANSWERED = "handover_unanswered"  # a colleague has not answered a handover
    # care for the workers (bot/services/care.py): a critical case ended, offer a
    # debrief; the worker asked for one; a coordinator arranged it (to the worker); nobody
    # had after [care] debrief_remind_hours (to the coordinators, once)
    DEBRIEF_OFFER = "debrief_offer"
    DEBRIEF_ASKED = "debrief_asked"
    DEBRIEF_ARRANGED = "debrief_arranged"
    DEBRIEF_WAITING = "debrief_waiting"
    # Accountability reports (issue 18), to the person who asked with /report or to each
    # administrator on the 1st: the picture (sendPhoto, the headline as its caption) and
    # the spreadsheet (sendDocument). Values "file" (a report_files row, deleted once
    # sent), "start", "end", "stations" and "headline" (JSON: [[msgid, value], ...]).
    REPORT_PICTURE = "report_picture"
    REPORT_FILE = "report_file"
    # the /report card edited once the files are written (after them in the chat's
    # queue): value "state" "sent" (no buttons left) or "failed" (the buttons back,
    # "token" their card's token); ``message_id`` the card.
    REPORT_CARD = "report_card"
    # to the people whose duty a coordinator changed with /cover
    COVER = "cover"  # put on duty, taken off, or covering for someone
    COVERED_FOR = "covered_for"  # taken off duty: someone else covers for them


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    recipient: Person
    referral_id: int | None  # None: about a person, not a referral
    offer_id: int | None = None
    message_id: int | None = None  # the card to edit (SUBMITTED)
    values: dict[str, str] = field(default_factory=dict)  # e.g. worker name, reason
    outbox_id: int | None = None  # set once written to the outbox
    attempts: int = 0  # earlier failed sends (from the outbox)
    written_at: datetime | None = None  # when it was written to the outbox


@dataclass(frozen=True)
class Changed:
    """``referral`` as it is now; ``changed`` False when nothing happened (stale tap)."""

    referral: Referral | None
    changed: bool
    notices: tuple[Notice, ...] = ()
