"""What each notice says, in its reader's language: pure functions, one per kind.

A renderer takes the translator, the config and :class:`Facts` (the notice, its
referral, and whatever the notice needs from the database, read beforehand by
``handlers/notify.py``) and returns what to show: :class:`Shown`, a text and its
buttons. No database, no Telegram, no awaiting: so a text is tested by calling its
renderer, and what a notice says can be read apart from how it travels (sent, edited
onto a card, a silent reply). The renderers are looked up in :data:`RENDERERS`, one per
:class:`~bot.services.notices.NoticeKind`. Texts shared with the handlers (the offer,
the coordinator's card, the case card) come from :mod:`handlers.cards`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup

from bot import labels
from bot.config import Config
from bot.domain.care import critical
from bot.domain.case_work import CaseWork
from bot.domain.referral import PoliceAnswer, Referral, Resource, ReturnReason, Status
from bot.domain.rota import Change
from bot.i18n import N_, Html, Translator
from bot.privacy.masking import mask
from bot.services import report_deliveries
from bot.services.care import Pending
from bot.services.coordinator import Asked
from bot.services.cover import Gap
from bot.services.notices import Notice, NoticeKind
from bot.services.page_trail import PageTrail
from handlers import callbacks, cards, page_texts, report_texts
from handlers.replies import local_time


@dataclass(frozen=True)
class Facts:
    """Everything a notice's text is drawn from. The delivery side reads what a kind
    needs before rendering; a field a kind does not need keeps its default."""

    notice: Notice
    referral: Referral | None = None  # None for notices about a person (cover, handover…)
    now: datetime | None = None  # ESCALATION: to say how long the referral has waited
    asked: tuple[Asked, ...] = ()  # ESCALATION: who was offered it, and what each said
    # DECLINE_REASON: the worker who gave the reason; ESCALATION after "I can't": who
    # could not take it, and why
    declined: Asked | None = None
    delivered: int = 0  # FILED: how many workers have the offer card (0: nobody available)
    details_shown: bool = False  # REVEAL: reached the chat already (so not sent twice)
    overnight: tuple[Referral, ...] = ()  # HANDOVER: the night's referrals
    # HANDOVER: this month's night call-outs of the coordinator's workers, most first
    night_callouts: tuple[tuple[str, int], ...] = ()
    # HANDOVER: debriefs offered or asked for in the night (worker's name, case reference)
    debriefs: tuple[Pending, ...] = ()
    names: Mapping[int, str] = field(default_factory=dict)  # HANDOVER: who accepted, by id
    # HANDOVER: whom the holder took a referral over from, by referral id
    taken_from: Mapping[int, str] = field(default_factory=dict)
    # HANDOVER: the assignees a referral on offer waits for, by referral id
    confirming: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    # HANDOVER: what paging did for each referral that paged someone, by referral id;
    # ESCALATION: the referral's own (by its id too)
    paged: Mapping[int, PageTrail] = field(default_factory=dict)
    gaps: tuple[Gap, ...] = ()  # GAP_WARNING: tonight's uncovered hours
    # The holder's case card and reminders (HOLDER_CARDS in handlers/notify.py): what the
    # stages hold, read only when the reader holds the case (never the officer's, never
    # a coordinator's)
    work: CaseWork | None = None

    @property
    def case(self) -> Referral:
        """The referral the notice is about (every kind but those about a person)."""
        assert self.referral is not None, f"{self.notice.kind} needs its referral"
        return self.referral


@dataclass(frozen=True)
class Shown:
    """What a notice shows: its text, its buttons, (REVEAL only) a line sent on its own
    before the details, when the details are sent, (SUBMITTED only) a message with
    the officer's keyboard sent after the card's edit, and whether it is protected
    from forwarding and saving (the holder's case cards, which taps redraw in full)."""

    text: str
    buttons: InlineKeyboardMarkup | None = None
    lead: str | None = None
    follow_up: tuple[str, ReplyKeyboardMarkup] | None = None
    protect: bool = False  # sent with protect_content: a holder's case card


Renderer = Callable[[Translator, Config, Facts], Shown]
Body = Callable[[Translator, Config, Facts], str]


def render(tr: Translator, config: Config, facts: Facts) -> Shown:
    """What ``facts.notice`` shows, by its kind's renderer."""
    return RENDERERS[facts.notice.kind](tr, config, facts)


# -- to social workers ---------------------------------------------------------------------


def _offer(tr: Translator, config: Config, facts: Facts) -> Shown:
    assert facts.notice.offer_id is not None
    return Shown(
        cards.offer_text(tr, config, facts.case), cards.offer_buttons(tr, facts.notice.offer_id)
    )


def _assignment(tr: Translator, config: Config, facts: Facts) -> Shown:
    """A coordinator's assignment: "I take it" or "I can't"."""
    assert facts.notice.offer_id is not None
    by = facts.notice.values.get("by", "")
    return Shown(
        cards.assignment_text(tr, config, facts.case, by),
        cards.assignment_buttons(tr, facts.notice.offer_id),
    )


def _closed_offer(tr: Translator, config: Config, facts: Facts) -> Shown:
    """An offer or escalation card once someone else took it, a coordinator assigned it,
    or the officer withdrew it (no buttons)."""
    head = cards.headline(tr, config, facts.case)
    if facts.notice.kind is NoticeKind.OFFER_TAKEN:
        values = facts.notice.values
        return Shown(f"{head}\n" + taken_text(tr, values, facts.notice.recipient.id))
    return Shown(f"{head}\n" + tr("Withdrawn by the officer."))


def taken_text(tr: Translator, values: Mapping[str, str], reader_id: int) -> str:
    """Who has the referral now, as the card's reader says it: the coordinator who
    assigned it reads "You assigned it to Li Na", everyone else who assigned it to whom
    (not "Taken by Li Na", which hid that she did not choose it herself); a coordinator
    who took it reads so on their other cards too."""
    worker, by = values.get("worker", ""), values.get("by")
    if by is None and values.get("worker_id") == str(reader_id):  # a coordinator's own card
        return tr("You took it yourself.")
    if by is None:
        return tr("Taken by {worker}.", worker=worker)
    if values.get("by_id") == str(reader_id):
        return tr("You assigned it to {worker}.", worker=worker)
    return tr("Assigned by {coordinator} to {worker}.", coordinator=by, worker=worker)


def _reveal(tr: Translator, config: Config, facts: Facts) -> Shown:
    """The case card for the worker who holds it; a coordinator who assigned it is
    named first, on a line of its own ahead of the details."""
    referral, by = facts.case, facts.notice.values.get("by")
    lead = tr("Coordinator {name} assigned this referral to you.", name=by) if by else None
    handed = facts.notice.values.get("from")
    if handed:
        lead = tr("{name} handed this case over to you.", name=handed)
    return Shown(
        cards.case_text(tr, config, referral, facts.work, full=False),
        cards.case_buttons(tr, referral, facts.work),
        lead=lead,
        protect=True,
    )


def _reminder(tr: Translator, config: Config, facts: Facts, line: str) -> Shown:
    """A reminder to the holder: the case's headline, what its stages hold (counted,
    not their text: see :func:`cards.case_work_counts`), the line. Protected, as every
    message with the case's buttons is: a tap on them redraws it as the full card."""
    referral = facts.case
    held = cards.case_work_counts(tr, config, facts.work) if facts.work is not None else []
    text = "\n".join([f"⏰ {cards.headline(tr, config, referral)}", *held, line])
    return Shown(text, cards.case_buttons(tr, referral, facts.work), protect=True)


def _remind_contact(tr: Translator, config: Config, facts: Facts) -> Shown:
    return _reminder(
        tr,
        config,
        facts,
        tr("First contact is due. Tap “✔ First contact made” once you have reached the person."),
    )


def follow_up_buttons(tr: Translator, referral: Referral, hours: int) -> InlineKeyboardMarkup:
    """The crisis follow-up's one tap."""
    data = callbacks.case(referral.id, "f", str(hours))
    return InlineKeyboardMarkup([[InlineKeyboardButton(tr("✔ Followed up"), callback_data=data)]])


def _follow_up(tr: Translator, config: Config, facts: Facts) -> Shown:
    """A crisis case, some hours after first contact: follow up with the person."""
    hours = int(facts.notice.values.get("hours", "0"))
    line = tr.n(
        "{count} hour since first contact: follow up with the person, then tap “✔ Followed up”.",
        "{count} hours since first contact: follow up with the person, then tap “✔ Followed up”.",
        hours,
    )
    if facts.notice.kind is NoticeKind.REMIND_FOLLOW_UP:
        line = tr.n(
            "The follow-up due {count} hour after first contact is not marked yet. Follow "
            "up with the person, then tap “✔ Followed up”.",
            "The follow-up due {count} hours after first contact is not marked yet. Follow "
            "up with the person, then tap “✔ Followed up”.",
            hours,
        )
    return Shown(
        f"⏰ {cards.headline(tr, config, facts.case)}\n{line}",
        follow_up_buttons(tr, facts.case, hours),
    )


LINKAGE_ANSWERS = (
    ("ky", N_("✅ Yes")),
    ("kp", N_("◐ Partly")),
    ("kn", N_("✖ No")),
    ("kx", N_("🚫 The person declined")),
)


def linkage_buttons(tr: Translator, referral: Referral, linkage_id: int) -> InlineKeyboardMarkup:
    """The four answers to "did the service happen?"."""
    rows = [
        [
            InlineKeyboardButton(
                tr(label), callback_data=callbacks.case(referral.id, verb, str(linkage_id))
            )
            for verb, label in LINKAGE_ANSWERS[i : i + 2]
        ]
        for i in (0, 2)
    ]
    return InlineKeyboardMarkup(rows)


def _linkage_follow_up(tr: Translator, config: Config, facts: Facts) -> Shown:
    """Some days after a linkage: did the service happen?"""
    values = facts.notice.values
    name = values.get("name", "")
    reminder = facts.notice.kind is NoticeKind.REMIND_LINKAGE
    if values.get("inherited"):  # linked before this holder took the case over
        line = (
            tr(
                "Not answered yet: the person was linked to {name} before you took this case "
                "over. Did the service happen?",
                name=name,
            )
            if reminder
            else tr(
                "The person was linked to {name} before you took this case over. "
                "Did the service happen?",
                name=name,
            )
        )
    elif reminder:
        line = tr(
            "Not answered yet: you linked the person to {name}. Did the service happen?",
            name=name,
        )
    else:
        line = tr("You linked the person to {name}. Did the service happen?", name=name)
    return Shown(
        f"⏰ {cards.headline(tr, config, facts.case)}\n{line}",
        linkage_buttons(tr, facts.case, int(values.get("linkage", "0"))),
    )


def _linkage_overdue(tr: Translator, config: Config, facts: Facts) -> Shown:
    values = facts.notice.values
    return Shown(
        f"⏰ {cards.headline(tr, config, facts.case)}\n"
        + tr(
            "{worker} has not said whether the service happened ({name}).",
            worker=values.get("worker", ""),
            name=values.get("name", ""),
        )
    )


def _remind_arrival(tr: Translator, config: Config, facts: Facts) -> Shown:
    target = datetime.fromisoformat(facts.notice.values["target"])
    return _reminder(
        tr,
        config,
        facts,
        tr(
            "The arrival target ({time}) has passed. Tap “📍 Arrived” once you are there; "
            "if you cannot come, tell the officer.",
            time=local_time(target, config.zone),
        ),
    )


def _remind_review(tr: Translator, config: Config, facts: Facts) -> Shown:
    """The plan's review date came (the goals themselves are on the card, not here). A
    reminder written just before the case went back to assessment, and sent after, says
    so: the review buttons belong to the plan, which is being remade."""
    if facts.case.status not in (Status.PLAN, Status.INTERVENTION):
        line = tr(
            "The plan's review date has come, and the case is back at assessment: set a "
            "new review date once the plan is agreed again."
        )
        return _reminder(tr, config, facts, line)
    return _reminder(
        tr,
        config,
        facts,
        tr(
            "The plan's review date has come. Go over the goals with the person: carry on, "
            "set a new review date, or go back to assessment."
        ),
    )


def _review_overdue(tr: Translator, config: Config, facts: Facts) -> Shown:
    """To the coordinators: a plan review reminded and not marked done (no goal, no
    need: those are the holder's)."""
    return Shown(
        f"⏰ {cards.headline(tr, config, facts.case)}\n"
        + tr(
            "{worker} has not marked the plan review of this case as done since being reminded.",
            worker=facts.notice.values.get("worker", ""),
        )
    )


def _remind_stale(tr: Translator, config: Config, facts: Facts) -> Shown:
    days = int(facts.notice.values.get("days", "0"))
    return _reminder(
        tr,
        config,
        facts,
        tr.n(
            "No update for {count} day. Is the case still moving? Mark the next step or close it.",
            "No update for {count} days. Is the case still moving? Mark the next step or close it.",
            days,
        ),
    )


def _handover_offer(tr: Translator, config: Config, facts: Facts) -> Shown:
    """A colleague's request to take a case over: no personal details until taken."""
    values, referral = facts.notice.values, facts.case
    handover_id = int(values.get("handover", "0"))
    return Shown(
        f"{cards.headline(tr, config, referral)}\n"
        + tr(
            "{name} asks you to take over {ref}: {reason}",
            name=values.get("from", ""),
            ref=referral.ref,
            reason=mask(values.get("reason", "")),
        )
        + "\n"
        + tr("If you take it, the details come to you and the officer is told."),
        cards.handover_buttons(tr, handover_id),
    )


def _handover_withdrawn(tr: Translator, config: Config, facts: Facts) -> Shown:
    """The colleague's request card once the request went with the case (no button left)."""
    values = facts.notice.values
    if values.get("left"):
        why = tr(
            "This request was withdrawn: {name} no longer works with the bot, and the case "
            "went back to the coordinators.",
            name=values.get("from", ""),
        )
    else:
        why = tr("This request was withdrawn: the case went back to the coordinators.")
    return Shown(f"{cards.headline(tr, config, facts.case)}\n{why}")


def handed_over_text(tr: Translator, config: Config, referral: Referral, worker: str) -> str:
    """The old holder's case card once a colleague took the case over."""
    return f"{cards.headline(tr, config, referral)}\n" + tr(
        "Handed over to {worker}.", worker=worker
    )


def _handed_over(tr: Translator, config: Config, facts: Facts) -> Shown:
    return Shown(handed_over_text(tr, config, facts.case, facts.notice.values.get("worker", "")))


def _handover_refused(tr: Translator, config: Config, facts: Facts) -> Shown:
    """The colleague cannot take it: the case card again, with its buttons, for the
    holder who still has it."""
    referral = facts.case
    line = tr(
        "{worker} can't take over {ref}. The case stays with you.",
        worker=facts.notice.values.get("worker", ""),
        ref=referral.ref,
    )
    return Shown(
        f"{cards.case_text(tr, config, referral, facts.work, full=False)}\n{line}",
        cards.case_buttons(tr, referral, facts.work),
        protect=True,
    )


# -- to the officer ------------------------------------------------------------------------


def submitted_text(tr: Translator, referral: Referral) -> str:
    """The officer's review card once the referral is filed (also drawn by the handler
    that files it, when the officer's tap is answered at once)."""
    return tr("Submitted as {ref}.", ref=referral.ref)


def _submitted(tr: Translator, config: Config, facts: Facts) -> Shown:
    """The review card's new text; for an officer who filed with /new, the button for
    next time after it."""
    hint = (cards.button_hint(tr), cards.officer_keyboard(tr))
    return Shown(
        submitted_text(tr, facts.case), follow_up=hint if facts.notice.values.get("hint") else None
    )


def _to_officer(body: Body) -> Renderer:
    """The officer's notices: the referral's headline, then one step of its story
    (never the worker's case notes)."""

    def render(tr: Translator, config: Config, facts: Facts) -> Shown:
        return Shown(f"{cards.headline(tr, config, facts.case)}\n{body(tr, config, facts)}")

    return render


def _filed(tr: Translator, config: Config, facts: Facts) -> str:
    """How many workers the offer reached; none (nobody on duty, or every card refused)
    reads as "nobody available", which the officer must not take for "sent"."""
    if facts.delivered == 0:
        return _nobody_available(tr, config, facts)
    return tr.n(
        "Sent to {count} social worker. You will hear when they accept.",
        "Sent to {count} social workers. You will hear when one accepts.",
        facts.delivered,
    )


def _nobody_available(tr: Translator, config: Config, facts: Facts) -> str:
    return tr(
        "Filed, but no social worker is available right now. It stays open and is "
        "offered as soon as someone is."
    )


def _all_declined(tr: Translator, config: Config, facts: Facts) -> str:
    return tr(
        "Every available social worker declined. It stays open and is offered as soon "
        "as someone else is available."
    )


def _worker_link(facts: Facts) -> Html:
    """The worker's name, tappable to open a chat with them."""
    values = facts.notice.values
    return cards.person_link_to(
        int(values.get("worker_telegram_id", "0")), values.get("worker", "")
    )


def _accepted(tr: Translator, config: Config, facts: Facts) -> str:
    return tr("Accepted by {worker}. Tap the name to write to them.", worker=_worker_link(facts))


def _assigned(tr: Translator, config: Config, facts: Facts) -> str:
    """The assignee confirmed ("I take it"): who holds it now."""
    return tr(
        "{worker} confirmed and takes it (assigned by coordinator {coordinator}). "
        "Tap the name to write to them.",
        worker=_worker_link(facts),
        coordinator=facts.notice.values.get("by", ""),
    )


def _assignment_pending(tr: Translator, config: Config, facts: Facts) -> str:
    values = facts.notice.values
    return tr(
        "Assigned to {worker} by coordinator {coordinator}, waiting for confirmation. "
        "You will hear when they confirm.",
        worker=values.get("worker", ""),
        coordinator=values.get("by", ""),
    )


def _assignment_refused(tr: Translator, config: Config, facts: Facts) -> str:
    """Only that they could not: their reason is for the coordinators."""
    return tr(
        "{worker} could not take it. The coordinators are finding someone else.",
        worker=facts.notice.values.get("worker", ""),
    )


def _now_with(tr: Translator, config: Config, facts: Facts) -> str:
    text = tr(
        "{ref} is now with {worker}. Tap the name to write to them.",
        ref=facts.case.ref,
        worker=_worker_link(facts),
    )
    target = facts.notice.values.get("target")
    if target:  # a worker is still expected at the scene: the new holder's clock
        text += "\n" + tr(
            "The arrival clock starts again for {worker}: arrival target {time}.",
            worker=facts.notice.values.get("worker", ""),
            time=local_time(datetime.fromisoformat(target), config.zone),
        )
    return text


def _back_to_coordinators(tr: Translator, config: Config, facts: Facts) -> str:
    worker = facts.notice.values.get("worker", "")
    if facts.notice.values.get("left"):
        left = tr(
            "{worker} no longer works with the bot, so the coordinators have been asked to "
            "pass {ref} on. You will hear who takes it.",
            worker=worker,
            ref=facts.case.ref,
        )
        return left + _expected_again(tr, facts)
    text = tr(
        "{worker} handed {ref} back to the coordinators. You will hear who takes it.",
        worker=worker,
        ref=facts.case.ref,
    )
    return text + _expected_again(tr, facts)


def _expected_again(tr: Translator, facts: Facts) -> str:
    """A worker is still expected at the scene: whoever takes the case now sets off anew."""
    if not facts.notice.values.get("expected"):
        return ""
    return "\n" + tr(
        "A social worker is still expected at the scene: the arrival clock starts again "
        "for whoever takes the case."
    )


def _held(tr: Translator, config: Config, facts: Facts) -> str:
    referral = facts.case
    return tr(
        "Filed. It is outside the team's service hours, so this routine referral waits "
        "for their next shift ({time}). If it cannot wait, call the coordinator on duty.",
        time=local_time(referral.next_action_at or referral.created_at, config.zone),
    )


def _held_by_coordinator(tr: Translator, config: Config, facts: Facts) -> str:
    referral, values = facts.case, facts.notice.values
    return tr(
        "Coordinator {coordinator} decided this can wait for the team's next shift ({time}). "
        "Reason: {reason}",
        coordinator=values.get("by", ""),
        time=local_time(referral.next_action_at or referral.created_at, config.zone),
        reason=mask(values.get("reason", "")),
    )


def _escalated(tr: Translator, config: Config, facts: Facts) -> str:
    level = facts.notice.values.get("level")
    if level == "1":
        body = tr("Nobody has accepted yet: now offered to more social workers.")
    elif level == "2":
        body = tr("Nobody has accepted yet: the coordinator on duty has been alerted.")
    else:
        body = tr("Nobody has accepted yet: all coordinators have been alerted.")
    return body + _late(tr, facts.notice)


def _late(tr: Translator, notice: Notice) -> str:
    """A step the engine took late because the bot was offline says so ("" if on time)."""
    return cards.late_line(tr, notice.values.get("late"))


def _on_way(tr: Translator, config: Config, facts: Facts) -> str:
    """When the worker set off, when they expect to be there, and the target."""
    referral, zone = facts.case, config.zone
    worker = facts.notice.values.get("worker", "")
    set_off = local_time(referral.on_way_at or referral.created_at, zone)
    target = cards.arrival_due(config, referral)
    if referral.expected_at is not None and target is not None:
        text = tr(
            "{worker} set off at {time}. Expected at {expected}. Arrival target: {target}",
            worker=worker,
            time=set_off,
            expected=local_time(referral.expected_at, zone),
            target=local_time(target, zone),
        )
    else:
        text = tr("{worker} set off at {time}.", worker=worker, time=set_off)
    if referral.appropriate_adult_now:
        text += "\n" + tr("Questioning waits until the appropriate adult is there.")
    return text


def scene_card(tr: Translator, config: Config, referral: Referral, worker: str) -> Shown:
    """The officer's card once the worker arrived: the times, and what is left to say.
    At a scene: may police leave now, or do they stay ("We stay" can still become
    "Police may leave now")? At a questioning: it may start; "Questioning ended" closes
    the attendance. Drawn again, with what was said, after each tap."""
    zone = config.zone
    minutes = 0
    if referral.arrived_at and referral.held_since:
        minutes = int((referral.arrived_at - referral.held_since).total_seconds() // 60)
    arrived = local_time(referral.arrived_at or referral.created_at, zone)
    lines = [
        cards.headline(tr, config, referral),
        tr(
            "{worker} arrived at {time}, {minutes} min after accepting.",
            worker=worker,
            time=arrived,
            minutes=minutes,
        ),
    ]
    rid, rows = referral.id, []
    if referral.appropriate_adult_now:
        if referral.questioning_ended_at is None:
            lines.append(tr("The questioning may start. Tap “Questioning ended” when it is over."))
            ended = tr("⏹ Questioning ended")
            rows.append([InlineKeyboardButton(ended, callback_data=callbacks.scene(rid, "q"))])
        else:
            ended_at = local_time(referral.questioning_ended_at, zone)
            lines.append(tr("Questioning ended: {time}", time=ended_at))
    elif referral.police_answer is None:
        lines.append(tr("Can the police leave the scene now?"))
        rows.append(
            [
                InlineKeyboardButton(
                    tr("🚓 Police may leave now"), callback_data=callbacks.scene(rid, "l")
                ),
                InlineKeyboardButton(tr("We stay"), callback_data=callbacks.scene(rid, "s")),
            ]
        )
    else:
        when = local_time(referral.police_answered_at or referral.created_at, zone)
        if referral.police_answer is PoliceAnswer.LEAVE:
            lines.append(tr("You said police may leave: {time}", time=when))
        else:
            lines.append(tr("You said police stay: {time}", time=when))
            rows.append(
                [
                    InlineKeyboardButton(
                        tr("🚓 Police may leave now"), callback_data=callbacks.scene(rid, "l")
                    )
                ]
            )
    return Shown("\n".join(lines), InlineKeyboardMarkup(rows) if rows else None)


def _arrived(tr: Translator, config: Config, facts: Facts) -> Shown:
    return scene_card(tr, config, facts.case, facts.notice.values.get("worker", ""))


def _police_answer(tr: Translator, config: Config, facts: Facts) -> Shown:
    """The worker at the scene hears the officer's word (as it is when sent)."""
    referral, officer = facts.case, facts.notice.values.get("officer", "")
    when = local_time(referral.police_answered_at or referral.created_at, config.zone)
    if referral.police_answer is PoliceAnswer.LEAVE:
        line = tr(
            "🚓 {officer} says the police may leave the scene now ({time}).",
            officer=officer,
            time=when,
        )
    else:
        line = tr(
            "🚓 {officer} says the police stay at the scene with you ({time}).",
            officer=officer,
            time=when,
        )
    return Shown(f"{cards.headline(tr, config, referral)}\n{line}")


def _questioning_ended(tr: Translator, config: Config, facts: Facts) -> Shown:
    """The attendance's times, to whoever did not mark the end and to the coordinator."""
    referral, values, zone = facts.case, facts.notice.values, config.zone
    ended = local_time(referral.questioning_ended_at or referral.created_at, zone)
    lines = [
        cards.headline(tr, config, referral),
        tr(
            "Questioning ended at {time} (marked by {person}).",
            time=ended,
            person=values.get("by", ""),
        ),
        tr("Appropriate adult: {worker}", worker=values.get("worker", "")),
        tr("Requested: {time}", time=local_time(referral.created_at, zone)),
    ]
    if referral.accepted_at is not None:
        lines.append(tr("Accepted: {time}", time=local_time(referral.accepted_at, zone)))
    if referral.on_way_at is not None:
        lines.append(tr("On the way: {time}", time=local_time(referral.on_way_at, zone)))
    if referral.arrived_at is not None:
        lines.append(tr("Arrived: {time}", time=local_time(referral.arrived_at, zone)))
    return Shown("\n".join(lines))


def _contacted(tr: Translator, config: Config, facts: Facts) -> str:
    text = tr("{worker} has made first contact.", worker=facts.notice.values.get("worker", ""))
    if facts.notice.values.get("consent") == "agrees":  # consent was not asked at filing
        if labels.guardian_band(config, facts.case.age_band):
            return text + " " + tr("The guardian agrees to social work.")
        return text + " " + tr("The person agrees to social work.")
    return text


def _consent_declined(tr: Translator, config: Config, facts: Facts) -> str:
    """One line: who, that the person (or the child's guardian) said no, and that the
    case is closed, so the officer knows social work is not involved."""
    worker = facts.notice.values.get("worker", "")
    if labels.guardian_band(config, facts.case.age_band):
        return tr(
            "{worker} made first contact: the guardian declined social work. The case is closed.",
            worker=worker,
        )
    return tr(
        "{worker} made first contact: the person declined social work. The case is closed.",
        worker=worker,
    )


def _returned(tr: Translator, config: Config, facts: Facts) -> str:
    """Who, the reason's button in the officer's own words, then the worker's line
    (masked). A notice written before the buttons existed has only the line."""
    values = facts.notice.values
    why = values.get("why", "")
    if why in ReturnReason.__members__.values():
        body = tr(
            "Returned to police by {worker}. Reason: {why} — {reason}",
            worker=values.get("worker", ""),
            why=tr(labels.RETURN_REASON[ReturnReason(why)]),
            reason=mask(values.get("reason", "")),
        )
    else:
        body = tr(
            "Returned to police by {worker}. Reason: {reason}",
            worker=values.get("worker", ""),
            reason=mask(values.get("reason", "")),
        )
    # Not reopened from the bot: a new referral starts clean and the return's reason
    # stays on record.
    return body + "\n" + tr("If social work is needed again, file a new referral (/new).")


def _closed(tr: Translator, config: Config, facts: Facts) -> str:
    referral = facts.case
    outcome = tr(labels.OUTCOME[referral.outcome]) if referral.outcome else ""
    # The kinds of every service linked (never their names), else the one recorded.
    known = {kind.value for kind in Resource}
    kinds = [Resource(k) for k in facts.notice.values.get("resources", "").split(",") if k in known]
    if not kinds and referral.resource_type is not None:
        kinds = [referral.resource_type]
    if kinds:
        said = [tr(labels.RESOURCE[kind]) for kind in kinds]
        resource = said[0]
        if len(said) > 1:
            resource = tr("{items} and {last}", items=Html(tr.join(said[:-1])), last=Html(said[-1]))
        outcome = tr(
            "{outcome} ({resource})",  # translated: Chinese takes full-width brackets
            outcome=outcome,
            resource=Html(resource),
        )
    return tr(
        "Closed by {worker}. Outcome: {outcome}. Note: {note}",
        worker=facts.notice.values.get("worker", ""),
        outcome=outcome,
        note=mask(referral.closing_note or ""),
    )


def _reopened(tr: Translator, config: Config, facts: Facts) -> str:
    return tr("Reopened by {worker}.", worker=facts.notice.values.get("worker", ""))


# -- to coordinators -----------------------------------------------------------------------


def _escalation(tr: Translator, config: Config, facts: Facts) -> Shown:
    referral = facts.case
    assert facts.now is not None
    text = cards.escalation_text(tr, config, referral, list(facts.asked), facts.now)
    if referral.id in facts.paged:
        text += "\n" + page_texts.trail_line(tr, config.zone, facts.paged[referral.id])
    cannot = facts.declined
    if facts.notice.values.get("cannot") and cannot is not None:  # back from an assignment
        if cannot.reason == "left":  # deactivated before answering
            said = tr(
                "↩️ {name} cannot take {ref}: they no longer work with the bot.",
                name=cannot.name,
                ref=referral.ref,
            )
        else:
            said = tr(
                "↩️ {name} cannot take {ref}: “{reason}”",
                name=cannot.name,
                ref=referral.ref,
                reason=mask(cannot.note or ""),
            )
        text = f"{said}\n{text}"
    text += _why_back(tr, facts.notice) + _late(tr, facts.notice)
    return Shown(text, cards.escalation_buttons(tr, config, referral))


def _why_back(tr: Translator, notice: Notice) -> str:
    """Why an accepted case is before the coordinators again ("" for an escalation)."""
    values = notice.values
    if values.get("left"):
        return "\n" + tr(
            "↩️ Its holder {worker} was deactivated: please pass it on.", worker=values["left"]
        )
    if values.get("back_from"):
        return "\n" + tr(
            "↩️ {worker} handed it back: {reason}",
            worker=values["back_from"],
            reason=mask(values.get("reason", "")),
        )
    return ""


def _decline_reason(tr: Translator, config: Config, facts: Facts) -> Shown:
    """A worker's typed reason for declining, in their own words (identifiers typed into
    them are masked)."""
    asked = facts.declined
    assert asked is not None and asked.note
    return Shown(
        tr(
            "💬 {name} gave a reason for declining {ref}: “{note}”",
            name=asked.name,
            ref=facts.case.ref,
            note=mask(asked.note),
        )
    )


def _contact_overdue(tr: Translator, config: Config, facts: Facts) -> Shown:
    referral = facts.case
    return Shown(
        f"⏰ {cards.headline(tr, config, referral)}\n"
        + tr(
            "{worker} accepted this at {time} and has not yet marked first contact.",
            worker=facts.notice.values.get("worker", ""),
            time=local_time(referral.held_since or referral.created_at, config.zone),
        )
    )


def _critical_answers(tr: Translator, referral: Referral) -> str:
    return tr.join([tr(labels.SAFETY[s]) for s in labels.SAFETY if s in critical(referral.safety)])


def _debrief_offer(tr: Translator, config: Config, facts: Facts) -> Shown:
    """A critical case ended: the coordinator is prompted to offer its worker a debrief."""
    referral = facts.case
    return Shown(
        f"🫂 {cards.headline(tr, config, referral)}\n"
        + tr(
            "{worker} has finished this case, which had a critical safety answer ({answers}). "
            "Please offer {worker} a debrief.",
            worker=facts.notice.values.get("worker", ""),
            answers=_critical_answers(tr, referral),
        )
    )


def _debrief_asked(tr: Translator, config: Config, facts: Facts) -> Shown:
    """The worker asks for a debrief: one tap says it is arranged (the worker hears)."""
    referral = facts.case
    worker = facts.notice.values.get("worker", "")
    if critical(referral.safety):
        text = tr(
            "{worker} asks for a debrief after this case ({answers}). Please get in touch.",
            worker=worker,
            answers=_critical_answers(tr, referral),
        )
    else:  # a case without a critical answer: what the worker went through is theirs to say
        text = tr(
            "{worker} asks for a debrief about this case. Please get in touch.", worker=worker
        )
    return Shown(
        f"🫂 {cards.headline(tr, config, referral)}\n" + text,
        cards.debrief_arranged_buttons(tr, referral.id),
    )


def _debrief_waiting(tr: Translator, config: Config, facts: Facts) -> Shown:
    """Nobody marked the worker's request arranged in time: the coordinators, once."""
    referral = facts.case
    return Shown(
        f"⏰ {cards.headline(tr, config, referral)}\n"
        + tr(
            "{worker} asked for a debrief after this case and nobody has marked it "
            "arranged yet. Please get in touch with {worker}.",
            worker=facts.notice.values.get("worker", ""),
        ),
        cards.debrief_arranged_buttons(tr, referral.id),
    )


def _debrief_arranged(tr: Translator, config: Config, facts: Facts) -> Shown:
    """To the worker: a coordinator has their request and will be in touch."""
    return Shown(
        f"🫂 {cards.headline(tr, config, facts.case)}\n"
        + tr(
            "{coordinator} has arranged your debrief after this case and will be in touch.",
            coordinator=facts.notice.values.get("coordinator", ""),
        )
    )


def _follow_up_overdue(tr: Translator, config: Config, facts: Facts) -> Shown:
    values = facts.notice.values
    return Shown(
        f"⏰ {cards.headline(tr, config, facts.case)}\n"
        + tr.n(
            "{worker} has not marked the crisis follow-up due {count} hour after first contact.",
            "{worker} has not marked the crisis follow-up due {count} hours after first contact.",
            int(values.get("hours", "0")),
            worker=values.get("worker", ""),
        )
    )


def _handover_unanswered(tr: Translator, config: Config, facts: Facts) -> Shown:
    values = facts.notice.values
    return Shown(
        f"⏰ {cards.headline(tr, config, facts.case)}\n"
        + tr(
            "{name} asked {worker} at {time} to take this case over, and has had no answer. "
            "{name} still holds it.",
            name=values.get("from", ""),
            worker=values.get("worker", ""),
            time=local_time(datetime.fromisoformat(values["since"]), config.zone),
        )
    )


def _arrival_overdue(tr: Translator, config: Config, facts: Facts) -> Shown:
    referral, values = facts.case, facts.notice.values
    target = datetime.fromisoformat(values["target"])
    lines = [
        f"⏰ {cards.headline(tr, config, referral)}",
        tr(
            "{worker} accepted this at {time} and is not there yet: the arrival target "
            "({target}) has passed.",
            worker=values.get("worker", ""),
            time=local_time(referral.held_since or referral.created_at, config.zone),
            target=local_time(target, config.zone),
        ),
    ]
    if referral.on_way_at is not None:
        lines.append(tr("On the way: {time}", time=local_time(referral.on_way_at, config.zone)))
    return Shown("\n".join(lines))


def _unreachable(tr: Translator, config: Config, facts: Facts) -> Shown:
    return Shown(
        tr(
            "⚠️ {person} cannot be reached by the bot (they blocked it or left Telegram). "
            "Please ask them to open the bot and send /start before they are needed.",
            person=facts.notice.values.get("person", ""),
        )
    )


_CHANNEL = {
    "voice": N_("phone call"),
    "sms": N_("SMS"),
    "webhook": N_("the agency's paging gateway"),
}


def _contact_failing(tr: Translator, config: Config, facts: Facts) -> Shown:
    values = facts.notice.values
    channel = _CHANNEL.get(values.get("channel", ""))
    return Shown(
        tr(
            "⚠️ {person} cannot be paged by {channel}: the provider refused their number. "
            "Please ask them to enter it again before they are needed.",
            person=values.get("person", ""),
            channel=tr(channel) if channel else values.get("channel", ""),
        )
    )


def _page_refused(tr: Translator, config: Config, facts: Facts) -> Shown:
    """To the person whose number the provider refused."""
    if facts.notice.values.get("channel") == "webhook":
        return Shown(
            tr(
                "⚠️ The agency's paging gateway could not reach you. "
                "Please ask your administrator to check your entry there."
            )
        )
    return Shown(tr("⚠️ Your number could not be reached; please enter it again with /phone."))


_PROVIDER = {"twilio": N_("Twilio"), "gateway": N_("the agency's paging gateway")}


def _paging_misconfigured(tr: Translator, config: Config, facts: Facts) -> Shown:
    """To the administrators: a provider refuses the deployment's own requests."""
    values = facts.notice.values
    provider = _PROVIDER.get(values.get("provider", ""))
    return Shown(
        tr(
            "⚠️ Paging is not working: {provider} refuses the bot's requests ({code}). "
            "This is the deployment's setting, not anyone's number: nobody is called or "
            "texted until it is fixed; pages are retried. Run <code>referral-bot doctor</code>"
            " and check the [paging] settings.",
            provider=tr(provider) if provider else values.get("provider", ""),
            code=values.get("code", ""),
        )
    )


_VIA = {"call": N_("call"), "telegram": N_("Telegram")}


def _on_it(tr: Translator, config: Config, facts: Facts) -> Shown:
    """To the coordinators paged or told: who said "I'm on it", when, and how."""
    values = facts.notice.values
    via = _VIA.get(values.get("via", ""))
    return Shown(
        tr(
            "🙋 {name} is on {ref} (acknowledged {time} by {via}).",
            name=values.get("name", ""),
            ref=facts.case.ref,
            time=f"{datetime.fromisoformat(values['at']).astimezone(config.zone):%H:%M}",
            via=tr(via) if via else values.get("via", ""),
        )
    )


def _on_it_officer(tr: Translator, config: Config, facts: Facts) -> str:
    return tr("🙋 Coordinator {name} is on it.", name=facts.notice.values.get("name", ""))


def _handover(tr: Translator, config: Config, facts: Facts) -> Shown:
    """The morning summary: each referral of the night and where it stands."""
    since = datetime.fromisoformat(facts.notice.values["since"])
    lines = [
        tr.n(
            "☀️ Morning handover: {count} referral since {time}.",
            "☀️ Morning handover: {count} referrals since {time}.",
            len(facts.overnight),
            time=local_time(since, config.zone),
        )
    ]
    for referral in facts.overnight:
        standing = _standing(tr, config, referral, facts)
        number = cards.incident_line(tr, referral)  # to match it to the station's night log
        lines.append(f"{cards.headline(tr, config, referral)} — {standing}")
        if number:
            lines[-1] += " · " + number[0]
    for pending in facts.debriefs:
        lines.append(
            tr("🫂 Debrief to arrange: {worker}, {ref}", worker=pending.worker, ref=pending.ref)
        )
    lines += [
        page_texts.trail_line(tr, config.zone, facts.paged[r.id])
        for r in facts.overnight
        if r.id in facts.paged
    ]
    if facts.night_callouts:
        lines.append(cards.night_line(tr, list(facts.night_callouts)))
    return Shown("\n".join(lines))


def _standing(tr: Translator, config: Config, referral: Referral, facts: Facts) -> str:
    """Where a referral stands, in one phrase, for the handover."""
    if referral.accepted_at is not None and referral.assignee_id is not None:
        name = facts.names.get(referral.assignee_id, "?")
        before = facts.taken_from.get(referral.id)
        if before is not None:  # its acceptance time was the earlier holder's
            return tr("with {worker} (taken over from {before})", worker=name, before=before)
        minutes = int((referral.accepted_at - referral.created_at).total_seconds() // 60)
        return tr("accepted by {worker} after {minutes} min", worker=name, minutes=minutes)
    waiting = facts.confirming.get(referral.id)
    if referral.status is Status.OFFERED and waiting:
        return tr("waiting for {names} to confirm", names=tr.join(list(waiting)))
    if referral.held and referral.next_action_at is not None:
        return tr(
            "waiting for the shift at {time}", time=local_time(referral.next_action_at, config.zone)
        )
    if referral.status is Status.OFFERED:
        return tr("still open: nobody has accepted")
    return tr(labels.STATUS[referral.status])


def _gap_warning(tr: Translator, config: Config, facts: Facts) -> Shown:
    lines = [tr("⚠️ Tonight's cover has gaps. Please arrange cover (/cover) while there is time:")]
    for gap in facts.gaps:
        span = tr(
            "{start} to {end}",
            start=f"{gap.start.astimezone(config.zone):%H:%M}",
            end=f"{gap.end.astimezone(config.zone):%H:%M}",
        )
        team = config.team(gap.team_id) if gap.team_id else None
        if team is None:
            lines.append(tr("no coordinator on duty, {span}", span=span))
        else:
            lines.append(
                tr("{team}: nobody on duty, {span}", team=team.name(tr.language), span=span)
            )
    return Shown("\n".join(lines))


# -- accountability reports (issue 18) -------------------------------------------------------


def _report_file(tr: Translator, config: Config, facts: Facts) -> Shown:
    """The caption of a report's picture (the headline figures) or spreadsheet."""
    values = facts.notice.values
    start, end = report_deliveries.period_of(values)
    stations = tuple(s for s in values.get("stations", "").split(",") if s)
    picture = facts.notice.kind is NoticeKind.REPORT_PICTURE
    headline = report_deliveries.headline_of(values) if picture else None
    return Shown(report_texts.caption(tr, config, start, end, stations, headline))


def _report_card(tr: Translator, config: Config, facts: Facts) -> Shown:
    """The /report card once its files were tried ("Sent", or what arrived, or that
    nothing could be sent), once the report is no longer the person's to have (their
    role or team changed before it was made), or once making it failed (an apology,
    and the card's buttons back to try again)."""
    from handlers.report import periods  # imported here: handlers.report reaches this module

    values = facts.notice.values
    if values.get("state") == "failed":
        return Shown(
            tr(
                "Sorry, the report could not be made this time. Please try again; if it "
                "keeps failing, tell your administrator."
            ),
            periods(tr, values.get("token", "")),
        )
    state = values.get("state")
    if state == "gone":
        return Shown(
            tr(
                "Sorry, this report is no longer available to you: your role or your team "
                "has changed since you asked. If you think that is wrong, tell your "
                "administrator."
            )
        )
    if state == "picture":
        return Shown(tr("✅ Sent: the picture is below. The spreadsheet could not be sent."))
    if state == "spreadsheet":
        return Shown(tr("✅ Sent: the spreadsheet is below. The picture could not be sent."))
    if state == "unsent":
        return Shown(
            tr(
                "Sorry, the report could not be sent to you. If you think you should have "
                "it, tell your administrator."
            )
        )
    return Shown(tr("✅ Sent: the picture and the spreadsheet are below."))


# -- to the people whose duty a coordinator changed with /cover ----------------------------


def _cover(tr: Translator, config: Config, facts: Facts) -> Shown:
    """What a person whose duty a coordinator changed with /cover reads."""
    values = facts.notice.values
    times = {
        "coordinator": values.get("coordinator", ""),
        "start": local_time(datetime.fromisoformat(values["start"]), config.zone),
        "end": local_time(datetime.fromisoformat(values["end"]), config.zone),
    }
    other = values.get("other", "")
    if facts.notice.kind is NoticeKind.COVERED_FOR:
        text = tr(
            "Coordinator {coordinator} took you off duty from {start} until {end}; "
            "{other} covers for you.",
            other=other,
            **times,
        )
    elif values.get("change") == Change.REMOVE.value:
        text = tr("Coordinator {coordinator} took you off duty from {start} until {end}.", **times)
    elif values.get("change") == Change.REPLACE.value:
        text = tr(
            "Coordinator {coordinator} put you on duty from {start} until {end}, "
            "covering for {other}.",
            other=other,
            **times,
        )
    else:
        text = tr("Coordinator {coordinator} put you on duty from {start} until {end}.", **times)
    return Shown(text)


def _case_card(tr: Translator, config: Config, facts: Facts) -> Shown:
    """One of the worker's open cases, as /mine shows it: the case card and its buttons,
    with what the stages hold in full, so protected from forwarding and saving."""
    return Shown(
        cards.case_text(tr, config, facts.case, facts.work),
        buttons=cards.case_buttons(tr, facts.case, facts.work),
        protect=True,
    )


RENDERERS: dict[NoticeKind, Renderer] = {
    # to social workers
    NoticeKind.OFFER: _offer,
    NoticeKind.ASSIGNMENT: _assignment,
    NoticeKind.OFFER_TAKEN: _closed_offer,
    NoticeKind.OFFER_WITHDRAWN: _closed_offer,
    NoticeKind.REVEAL: _reveal,
    NoticeKind.REMIND_CONTACT: _remind_contact,
    NoticeKind.REMIND_STALE: _remind_stale,
    NoticeKind.REMIND_REVIEW: _remind_review,
    NoticeKind.REMIND_ARRIVAL: _remind_arrival,
    NoticeKind.FOLLOW_UP: _follow_up,
    NoticeKind.REMIND_FOLLOW_UP: _follow_up,
    NoticeKind.LINKAGE_FOLLOW_UP: _linkage_follow_up,
    NoticeKind.REMIND_LINKAGE: _linkage_follow_up,
    NoticeKind.LINKAGE_OVERDUE: _linkage_overdue,
    NoticeKind.REVIEW_OVERDUE: _review_overdue,
    NoticeKind.POLICE_ANSWER: _police_answer,
    NoticeKind.CASE_CARD: _case_card,
    NoticeKind.HANDOVER_OFFER: _handover_offer,
    NoticeKind.HANDOVER_WITHDRAWN: _handover_withdrawn,
    NoticeKind.HANDOVER_REFUSED: _handover_refused,
    NoticeKind.HANDED_OVER: _handed_over,
    # to the officer
    NoticeKind.SUBMITTED: _submitted,
    NoticeKind.FILED: _to_officer(_filed),
    NoticeKind.NOBODY_AVAILABLE: _to_officer(_nobody_available),
    NoticeKind.ALL_DECLINED: _to_officer(_all_declined),
    NoticeKind.ACCEPTED: _to_officer(_accepted),
    NoticeKind.CONTACTED: _to_officer(_contacted),
    NoticeKind.RETURNED: _to_officer(_returned),
    NoticeKind.CLOSED: _to_officer(_closed),
    NoticeKind.CONSENT_DECLINED: _to_officer(_consent_declined),
    NoticeKind.REOPENED: _to_officer(_reopened),
    NoticeKind.ON_WAY: _to_officer(_on_way),
    NoticeKind.ARRIVED: _arrived,
    NoticeKind.QUESTIONING_ENDED: _questioning_ended,
    NoticeKind.HELD: _to_officer(_held),
    NoticeKind.HELD_BY_COORDINATOR: _to_officer(_held_by_coordinator),
    NoticeKind.ESCALATED: _to_officer(_escalated),
    NoticeKind.ASSIGNED: _to_officer(_assigned),
    NoticeKind.ASSIGNMENT_PENDING: _to_officer(_assignment_pending),
    NoticeKind.ASSIGNMENT_REFUSED: _to_officer(_assignment_refused),
    NoticeKind.NOW_WITH: _to_officer(_now_with),
    NoticeKind.BACK_TO_COORDINATORS: _to_officer(_back_to_coordinators),
    # to coordinators
    NoticeKind.ESCALATION: _escalation,
    NoticeKind.DECLINE_REASON: _decline_reason,
    NoticeKind.CONTACT_OVERDUE: _contact_overdue,
    NoticeKind.ARRIVAL_OVERDUE: _arrival_overdue,
    NoticeKind.FOLLOW_UP_OVERDUE: _follow_up_overdue,
    NoticeKind.UNREACHABLE: _unreachable,
    NoticeKind.CONTACT_FAILING: _contact_failing,
    NoticeKind.PAGE_REFUSED: _page_refused,
    NoticeKind.PAGING_MISCONFIGURED: _paging_misconfigured,
    NoticeKind.ON_IT: _on_it,
    NoticeKind.ON_IT_OFFICER: _to_officer(_on_it_officer),
    NoticeKind.HANDOVER: _handover,
    NoticeKind.GAP_WARNING: _gap_warning,
    NoticeKind.HANDOVER_UNANSWERED: _handover_unanswered,
    NoticeKind.DEBRIEF_OFFER: _debrief_offer,
    NoticeKind.DEBRIEF_ASKED: _debrief_asked,
    NoticeKind.DEBRIEF_WAITING: _debrief_waiting,
    # to the worker who asked for a debrief
    NoticeKind.DEBRIEF_ARRANGED: _debrief_arranged,
    # to whoever asked for a report, and to the administrators on the 1st
    NoticeKind.REPORT_PICTURE: _report_file,
    NoticeKind.REPORT_FILE: _report_file,
    NoticeKind.REPORT_CARD: _report_card,
    # to the people whose duty a coordinator changed
    NoticeKind.COVER: _cover,
    NoticeKind.COVERED_FOR: _cover,
}
