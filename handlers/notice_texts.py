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

from telegram import InlineKeyboardMarkup, ReplyKeyboardMarkup

from bot.config import Config
from bot.domain.referral import ARRIVAL_TARGET, Referral, Status
from bot.domain.rota import Change
from bot.i18n import Html, Translator
from bot.privacy.masking import mask
from bot.services.coordinator import Asked
from bot.services.cover import Gap
from bot.services.notices import Notice, NoticeKind
from handlers import cards, labels
from handlers.replies import local_time


@dataclass(frozen=True)
class Facts:
    """Everything a notice's text is drawn from. The delivery side reads what a kind
    needs before rendering; a field a kind does not need keeps its default."""

    notice: Notice
    referral: Referral | None = None  # None for notices about a person (cover, handover…)
    now: datetime | None = None  # ESCALATION: to say how long the referral has waited
    asked: tuple[Asked, ...] = ()  # ESCALATION: who was offered it, and what each said
    declined: Asked | None = None  # DECLINE_REASON: the worker who gave the reason
    delivered: int = 0  # FILED: how many workers have the offer card (0: nobody available)
    details_shown: bool = False  # REVEAL: reached the chat already (so not sent twice)
    overnight: tuple[Referral, ...] = ()  # HANDOVER: the night's referrals
    names: Mapping[int, str] = field(default_factory=dict)  # HANDOVER: who accepted, by id
    gaps: tuple[Gap, ...] = ()  # GAP_WARNING: tonight's uncovered hours

    @property
    def case(self) -> Referral:
        """The referral the notice is about (every kind but those about a person)."""
        assert self.referral is not None, f"{self.notice.kind} needs its referral"
        return self.referral


@dataclass(frozen=True)
class Shown:
    """What a notice shows: its text, its buttons, (REVEAL only) a line sent on its own
    before the details, when the details are sent, and (SUBMITTED only) a message with
    the officer's keyboard sent after the card's edit."""

    text: str
    buttons: InlineKeyboardMarkup | None = None
    lead: str | None = None
    follow_up: tuple[str, ReplyKeyboardMarkup] | None = None


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
    return Shown(cards.case_text(tr, config, referral), cards.case_buttons(tr, referral), lead=lead)


def _reminder(tr: Translator, config: Config, referral: Referral, line: str) -> Shown:
    return Shown(
        f"⏰ {cards.headline(tr, config, referral)}\n{line}", cards.case_buttons(tr, referral)
    )


def _remind_contact(tr: Translator, config: Config, facts: Facts) -> Shown:
    return _reminder(
        tr,
        config,
        facts.case,
        tr("First contact is due. Tap “✔ First contact made” once you have reached the person."),
    )


def _remind_stale(tr: Translator, config: Config, facts: Facts) -> Shown:
    days = int(facts.notice.values.get("days", "0"))
    return _reminder(
        tr,
        config,
        facts.case,
        tr.n(
            "No update for {count} day. Is the case still moving? Mark the next step or close it.",
            "No update for {count} days. Is the case still moving? Mark the next step or close it.",
            days,
        ),
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
    return tr(
        "Assigned to {worker} by coordinator {coordinator}. Tap the name to write to them.",
        worker=_worker_link(facts),
        coordinator=facts.notice.values.get("by", ""),
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
    referral = facts.case
    target = (referral.accepted_at or referral.created_at) + ARRIVAL_TARGET
    return tr(
        "{worker} is on the way (arrival target {time}).",
        worker=facts.notice.values.get("worker", ""),
        time=local_time(target, config.zone),
    )


def _arrived(tr: Translator, config: Config, facts: Facts) -> str:
    referral = facts.case
    minutes = 0
    if referral.arrived_at and referral.accepted_at:
        minutes = int((referral.arrived_at - referral.accepted_at).total_seconds() // 60)
    return tr(
        "{worker} has arrived, {minutes} min after accepting.",
        worker=facts.notice.values.get("worker", ""),
        minutes=minutes,
    )


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
    values = facts.notice.values
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
    if referral.resource_type is not None:
        outcome = tr(
            "{outcome} ({resource})",  # translated: Chinese takes full-width brackets
            outcome=outcome,
            resource=tr(labels.RESOURCE[referral.resource_type]),
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
    return Shown(text + _late(tr, facts.notice), cards.escalation_buttons(tr, config, referral))


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
            time=local_time(referral.accepted_at or referral.created_at, config.zone),
        )
    )


def _unreachable(tr: Translator, config: Config, facts: Facts) -> Shown:
    return Shown(
        tr(
            "⚠️ {person} cannot be reached by the bot (they blocked it or left Telegram). "
            "Please ask them to open the bot and send /start before they are needed.",
            person=facts.notice.values.get("person", ""),
        )
    )


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
        standing = _standing(tr, config, referral, facts.names)
        number = cards.incident_line(tr, referral)  # to match it to the station's night log
        lines.append(f"{cards.headline(tr, config, referral)} — {standing}")
        if number:
            lines[-1] += " · " + number[0]
    return Shown("\n".join(lines))


def _standing(tr: Translator, config: Config, referral: Referral, names: Mapping[int, str]) -> str:
    """Where a referral stands, in one phrase, for the handover."""
    if referral.accepted_at is not None and referral.assignee_id is not None:
        minutes = int((referral.accepted_at - referral.created_at).total_seconds() // 60)
        name = names.get(referral.assignee_id, "?")
        return tr("accepted by {worker} after {minutes} min", worker=name, minutes=minutes)
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
    """One of the worker's open cases, as /mine shows it: the case card and its buttons."""
    return Shown(
        cards.case_text(tr, config, facts.case), buttons=cards.case_buttons(tr, facts.case)
    )


RENDERERS: dict[NoticeKind, Renderer] = {
    # to social workers
    NoticeKind.OFFER: _offer,
    NoticeKind.OFFER_TAKEN: _closed_offer,
    NoticeKind.OFFER_WITHDRAWN: _closed_offer,
    NoticeKind.REVEAL: _reveal,
    NoticeKind.REMIND_CONTACT: _remind_contact,
    NoticeKind.REMIND_STALE: _remind_stale,
    NoticeKind.CASE_CARD: _case_card,
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
    NoticeKind.ARRIVED: _to_officer(_arrived),
    NoticeKind.HELD: _to_officer(_held),
    NoticeKind.HELD_BY_COORDINATOR: _to_officer(_held_by_coordinator),
    NoticeKind.ESCALATED: _to_officer(_escalated),
    NoticeKind.ASSIGNED: _to_officer(_assigned),
    # to coordinators
    NoticeKind.ESCALATION: _escalation,
    NoticeKind.DECLINE_REASON: _decline_reason,
    NoticeKind.CONTACT_OVERDUE: _contact_overdue,
    NoticeKind.UNREACHABLE: _unreachable,
    NoticeKind.HANDOVER: _handover,
    NoticeKind.GAP_WARNING: _gap_warning,
    # to the people whose duty a coordinator changed
    NoticeKind.COVER: _cover,
    NoticeKind.COVERED_FOR: _cover,
}
