"""The texts and buttons of referral cards, as each reader may see them.

Redaction lives here: :func:`offer_text` is what goes to people who have not accepted
(never a name, phone, place or summary); :func:`details_text` is the full record, for
the worker who holds the case only. Everything typed by a person is escaped.
"""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from bot import labels
from bot.config import Config
from bot.domain.case_work import REVIEW_DAYS, CaseWork, Need
from bot.domain.escalation import held_for_morning
from bot.domain.people import Person
from bot.domain.referral import NEXT_STEP, WORKING, Consent, Eta, Referral, Status, arrival_target
from bot.i18n import N_, Html, Translator
from bot.privacy.masking import mask, mask_all_but_last
from bot.services.coordinator import Asked, Worker
from handlers import callbacks
from handlers.replies import local_time

NEW_REFERRAL = N_("➕ New referral")


def officer_keyboard(tr: Translator) -> ReplyKeyboardMarkup:
    """The persistent one-button keyboard an officer files from."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton(tr(NEW_REFERRAL))]], resize_keyboard=True, is_persistent=True
    )


def button_hint(tr: Translator) -> str:
    """Said once an officer filed with /new: there is a button for it."""
    return tr("Next time, tap “{button}” below to file.", button=tr(NEW_REFERRAL))


def person_link(person: Person) -> Html:
    """A tappable name that opens a private chat with that person."""
    return person_link_to(person.telegram_id, person.display_name)


def person_link_to(telegram_id: int, name: str) -> Html:
    return Html(f'<a href="tg://user?id={telegram_id}">{html.escape(name)}</a>')


def station_name(config: Config, referral: Referral, language: str) -> str:
    station = config.station(referral.station_id)
    return station.name(language) if station else referral.station_id


def headline(tr: Translator, config: Config, referral: Referral) -> str:
    """ "<b>R-7F3K</b> · Domestic violence · Immediate" (the category as configured)."""
    category = html.escape(labels.category(tr, config, referral.category), quote=False)
    return f"<b>{referral.ref}</b> · {category} · {tr(labels.URGENCY[referral.urgency])}"


def adult_request(tr: Translator, config: Config, referral: Referral) -> str:
    """ "Suspect (interrogation) · questioning now · guardian absent": what the adult
    must know before setting off (nothing that names anyone)."""
    parts = []
    if referral.questioning is not None:
        parts.append(tr(labels.QUESTIONING[referral.questioning]))
    if referral.questioning_at is not None:
        parts.append(
            tr("questioning at {time}", time=local_time(referral.questioning_at, config.zone))
        )
    else:
        parts.append(tr("questioning now"))
    if referral.guardian is not None:
        parts.append(tr(labels.GUARDIAN[referral.guardian]))
    return " · ".join(parts)


def _flags(tr: Translator, referral: Referral, config: Config | None = None) -> list[str]:
    lines = []
    if referral.co_response:
        lines.append(tr("⚠️ Co-response: police keep the lead; the worker joins them."))
    elif referral.at_scene:
        lines.append(tr("📍 The officer asks for a social worker at the scene."))
    if referral.appropriate_adult_now:
        lines.append(tr("⚠️ An appropriate adult is needed: a minor is about to be questioned."))
        if config is not None and referral.questioning is not None:
            lines.append(tr("Request: {request}", request=adult_request(tr, config, referral)))
    if referral.consultation:
        lines.append(tr("Consultation: the person declined contact; the officer asks for advice."))
    return lines


def offer_text(tr: Translator, config: Config, referral: Referral) -> str:
    """The redacted offer: enough to decide, nothing that identifies anyone."""
    lines = [tr("New referral"), headline(tr, config, referral), *_flags(tr, referral, config)]
    lines.append(tr("Station: {station}", station=station_name(config, referral, tr.language)))
    if referral.age_band is not None:
        lines.append(tr("Age: {age}", age=labels.age_band(tr, config, referral.age_band)))
    lines.append(tr("Filed: {time}", time=local_time(referral.created_at, config.zone)))
    return "\n".join(lines)


def offer_buttons(tr: Translator, offer_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(tr("✅ Accept"), callback_data=callbacks.offer(offer_id, "a")),
                InlineKeyboardButton(tr("Decline"), callback_data=callbacks.offer(offer_id, "d")),
            ]
        ]
    )


def assignment_text(tr: Translator, config: Config, referral: Referral, by: str) -> str:
    """The assignee's card: who asks them, then the redacted offer (details come only
    once they take it)."""
    lead = tr("👤 Coordinator {coordinator} asks you to take this referral.", coordinator=by)
    return f"{lead}\n{offer_text(tr, config, referral)}"


def assignment_buttons(tr: Translator, offer_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tr("✅ I take it"), callback_data=callbacks.offer(offer_id, "a")
                ),
                InlineKeyboardButton(
                    tr("✋ I can't"), callback_data=callbacks.offer(offer_id, "n")
                ),
            ]
        ]
    )


def short_time(moment: datetime, now: datetime, config: Config) -> str:
    """ "08:00" within the next day (away until the morning), else the date too."""
    if moment - now < timedelta(hours=20):
        return f"{moment.astimezone(config.zone):%H:%M}"
    return local_time(moment, config.zone)


def worker_state(tr: Translator, config: Config, worker: Worker, now: datetime) -> str:
    """ "on duty", "away until 08:00", "away", or "unreachable", for "Assign to…"."""
    if not worker.person.reachable:
        return tr("unreachable")
    if worker.on_duty:
        return tr("on duty")
    if worker.away_until is not None:
        return tr("away until {time}", time=short_time(worker.away_until, now, config))
    return tr("away")


def worker_label(tr: Translator, config: Config, worker: Worker, now: datetime) -> str:
    """One worker in "Assign to…": "Li Na · away until 08:00 · 2/5 open"."""
    return tr(
        "{name} · {state} · {count}/{cap} open",
        name=worker.person.display_name,
        state=worker_state(tr, config, worker, now),
        count=worker.load,
        cap=worker.cap,
    )


def assign_anyway_text(tr: Translator, config: Config, worker: Worker, now: datetime) -> str:
    """The second question before assigning someone off duty, away or at the cap."""
    name = worker.person.display_name
    lines = [tr("Assign to {name} anyway?", name=name)]
    if worker.away_until is not None:
        time = short_time(worker.away_until, now, config)
        lines.append(tr("{name} is away until {time}.", name=name, time=time))
    elif not worker.on_duty:
        lines.append(tr("{name} is away or off duty.", name=name))
    if worker.at_cap:
        lines.append(
            tr.n(
                "{name} already has {count} open case (the cap is {cap}).",
                "{name} already has {count} open cases (the cap is {cap}).",
                worker.load,
                name=name,
                cap=worker.cap,
            )
        )
    lines.append(tr("They are asked to confirm; until then the referral keeps escalating."))
    return "\n".join(lines)


def details_text(tr: Translator, config: Config, referral: Referral, officer: Person) -> str:
    """Everything the accepted worker needs to act, sent only to them, protected."""
    not_given = tr("not given")
    lines = [
        f"🔒 {headline(tr, config, referral)}",
        *_flags(tr, referral, config),
        tr("Station: {station}", station=station_name(config, referral, tr.language)),
        tr("Officer: {officer}", officer=person_link(officer)),
    ]
    if not referral.consultation:
        lines.append(tr("Name: {name}", name=referral.person_name or not_given))
    if referral.age_band is not None:
        lines.append(tr("Age: {age}", age=labels.age_band(tr, config, referral.age_band)))
    if referral.consultation:
        pass  # no way to reach the person: the worker advises the officer
    elif referral.no_phone:
        lines.append(tr("Phone: none (visit only)"))
    else:
        lines.append(tr("Phone: {phone}", phone=referral.person_phone or not_given))
    if referral.place:
        lines.append(tr("Place: {place}", place=referral.place))
    if referral.latitude is not None:
        lines.append(tr("Place: location pin below"))
    if referral.consent is not None:
        lines.append(tr("Consent: {consent}", consent=consent_text(tr, config, referral)))
    lines += incident_line(tr, referral, full=True)
    if referral.safety:
        flags = tr.join(tr(labels.SAFETY[s]) for s in sorted(referral.safety))
        lines.append(tr("Safety: {flags}", flags=flags))
    lines.append(tr("Filed: {time}", time=local_time(referral.created_at, config.zone)))
    lines += ["", tr("What happened:"), html.escape(referral.summary or "")]
    return "\n".join(lines)


def consent_text(tr: Translator, config: Config, referral: Referral) -> str:
    """The referral's consent as recorded, in the guardian's words for a child's band.
    A decline the worker recorded at first contact (not a consultation filed so) says
    so: the person was contacted, and then declined."""
    assert referral.consent is not None
    guardian = labels.guardian_band(config, referral.age_band)
    if referral.consent is Consent.DECLINED and not referral.consultation:
        if guardian:
            return tr("The guardian declined when first contacted")
        return tr("Declined when first contacted")
    return labels.consent(
        tr,
        referral.consent,
        referral.consent_note,
        guardian=guardian,
    )


def incident_line(tr: Translator, referral: Referral, *, full: bool = False) -> list[str]:
    """The police incident number, for matching to the police record ([] if none).

    Sealed at rest, and it can be an 18-digit number shaped like an ID number, so it is
    shown whole only where the client's details are (:func:`details_text`, sent
    protected and audited; the filing officer's own review shows what he typed).
    Everywhere else (the coordinators' escalation card and morning handover, the
    worker's case card) only its last four characters are readable, enough to find
    it in the station's log. Checked when typed (letters, digits, - and /), escaped
    all the same."""
    if not referral.incident_number:
        return []
    value = referral.incident_number if full else mask_all_but_last(referral.incident_number)
    number = html.escape(value, quote=False)
    return [tr("Police incident number: {value}", value=Html(number))]


def case_text(
    tr: Translator,
    config: Config,
    referral: Referral,
    work: CaseWork | None = None,
    *,
    full: bool = True,
) -> str:
    """A worker's own case at a glance (no personal details: those are on request; the
    police incident number's last four, to match the case to the police record), with
    what its stages hold when ``work`` is given (the holder's own card only): the typed
    lines themselves when ``full`` (a protected message), else only their counts."""
    lines = [
        headline(tr, config, referral),
        tr("Status: {status}", status=tr(labels.STATUS[referral.status])),
        tr("Station: {station}", station=station_name(config, referral, tr.language)),
        *incident_line(tr, referral),
        tr("Filed: {time}", time=local_time(referral.created_at, config.zone)),
    ]
    if referral.attended:
        lines += [*_flags(tr, referral, config), *attendance_lines(tr, config, referral)]
    if work is not None:
        lines += case_work_lines(tr, config, work) if full else case_work_counts(tr, config, work)
    return "\n".join(lines)


def case_work_counts(tr: Translator, config: Config, work: CaseWork) -> list[str]:
    """What the stages hold, as counts only: for the cards and reminders the sender
    writes, which are not the worker's protected case card. Goals, "with whom" and the
    follow-up lines are what the worker typed about the person (and the needs say what
    troubles them): they stay on the protected /mine card and the replies to the
    worker's own taps, never in a message that can be forwarded or that outlives the
    case unseen. The review date is no typed text: it stays, it is what to act on."""
    parts = []
    if work.needs:
        parts.append(tr("Needs: {count}", count=len(work.needs)))
    if work.goals:
        parts.append(tr("Goals: {count}", count=len(work.goals)))
    if work.contacts:
        last = work.contacts[-1]
        parts.append(
            tr(
                "Contacts: {count}, last {how} {date}",
                count=len(work.contacts),
                how=tr(labels.CONTACT_MODE[last.mode]),
                date=f"{last.at.astimezone(config.zone):%Y-%m-%d}",
            )
        )
    if work.follow_ups:
        parts.append(tr("Follow-up notes: {count}", count=len(work.follow_ups)))
    lines = [" · ".join(parts)] if parts else []
    return lines + _review_lines(tr, config, work)


def _review_lines(tr: Translator, config: Config, work: CaseWork) -> list[str]:
    if work.review_at is None:
        return []
    when = local_time(work.review_at, config.zone)
    if work.review_pending:
        return [tr("Plan review: {time}, due: tap “✔ Reviewed” when done", time=when)]
    return [tr("Plan review: {time}", time=when)]


def case_work_lines(tr: Translator, config: Config, work: CaseWork) -> list[str]:
    """The stages' content, for the holder only and only in a protected message (see
    :func:`case_work_counts` for the rest): needs, goals, review, contacts, the lines
    after crisis follow-ups. The worker typed the goals, the "with whom" and the
    follow-up lines: escaped."""
    lines = []
    if work.needs:
        needs = tr.join(tr(labels.NEED[n]) for n in Need if n in work.needs)
        lines.append(tr("Needs: {needs}", needs=needs))
    for number, goal in enumerate(work.goals, start=1):
        lines.append(tr("Goal {number}: {goal}", number=number, goal=goal.text))
    lines += _review_lines(tr, config, work)
    if work.contacts:
        last = work.contacts[-1]
        how = tr(labels.CONTACT_MODE[last.mode])
        when = local_time(last.at, config.zone)
        if last.with_whom:
            latest = tr("{how}, {time}, with {whom}", how=how, time=when, whom=last.with_whom)
        else:
            latest = tr("{how}, {time}", how=how, time=when)
        lines.append(
            tr.n(
                "{count} contact logged; the last: {last}",
                "{count} contacts logged; the last: {last}",
                len(work.contacts),
                last=latest,
            )
        )
    for note in work.follow_ups:  # the worker's own line after a crisis follow-up
        lines.append(
            tr(
                "{hours}-hour follow-up, {time}: {line}",
                hours=note.hours,
                time=local_time(note.at, config.zone),
                line=note.line,
            )
        )
    return lines


def needs_buttons(tr: Translator, referral: Referral, work: CaseWork) -> InlineKeyboardMarkup:
    """The checklist: one tap ticks or unticks a need; Done goes back to the card. Each
    button says the state it asks for (tick: nd, untick: nu), so a double tap or a
    retried tap leaves the need as the worker wanted instead of flipping it back."""
    rid, rows, row = referral.id, [], []
    for need, label in labels.NEED.items():
        ticked = need in work.needs
        mark, verb = ("☑️", "nu") if ticked else ("⬜", "nd")
        row.append(
            InlineKeyboardButton(
                f"{mark} {tr(label)}", callback_data=callbacks.case(rid, verb, need)
            )
        )
        if len(row) == 2:
            rows.append(row)
            row = []
    if row:
        rows.append(row)
    rows.append([InlineKeyboardButton(tr("✔ Done"), callback_data=callbacks.case(rid, "b"))])
    return InlineKeyboardMarkup(rows)


def review_buttons(
    tr: Translator, referral: Referral, *, after_review: bool = False
) -> InlineKeyboardMarkup:
    """The plan's review date, one tap: in one, two or four weeks. Right after
    "Reviewed" the way out says what it means: no new date."""
    rid = referral.id
    choices = [
        InlineKeyboardButton(
            tr.n("In {count} day", "In {count} days", days),
            callback_data=callbacks.case(rid, "rv", str(days)),
        )
        for days in REVIEW_DAYS
    ]
    label = tr("No new date") if after_review else tr("⬅ Back")
    back = InlineKeyboardButton(label, callback_data=callbacks.case(rid, "b"))
    return InlineKeyboardMarkup([choices, [back]])


def goal_buttons(tr: Translator, referral: Referral, work: CaseWork) -> InlineKeyboardMarkup:
    """The plan's goals to edit: one tap picks one (by its row, so an old list edits
    nothing else); Back to the card."""
    rid = referral.id
    rows = [
        [
            InlineKeyboardButton(
                tr("✏️ Goal {number}", number=number),
                callback_data=callbacks.case(rid, "gp", str(goal.id)),
            )
        ]
        for number, goal in enumerate(work.goals, start=1)
    ]
    rows.append([InlineKeyboardButton(tr("⬅ Back"), callback_data=callbacks.case(rid, "b"))])
    return InlineKeyboardMarkup(rows)


def arrival_due(config: Config, referral: Referral) -> datetime | None:
    """The referral's arrival target under this deployment's ``[arrival]`` settings."""
    minutes = config.arrival.target_minutes(referral.urgency, referral.appropriate_adult_now)
    return arrival_target(referral, minutes)


def attendance_lines(tr: Translator, config: Config, referral: Referral) -> list[str]:
    """The attendance's clock times so far, for the worker's card and the officer's."""
    zone, lines = config.zone, []
    target = arrival_due(config, referral)
    if target is not None and referral.arrived_at is None:
        lines.append(tr("Arrival target: {time}", time=local_time(target, zone)))
    if referral.on_way_at is not None:
        set_off = local_time(referral.on_way_at, zone)
        if referral.expected_at is not None:
            expected = local_time(referral.expected_at, zone)
            lines.append(
                tr("On the way: {time} (expected {expected})", time=set_off, expected=expected)
            )
        else:
            lines.append(tr("On the way: {time}", time=set_off))
    if referral.arrived_at is not None:
        lines.append(tr("Arrived: {time}", time=local_time(referral.arrived_at, zone)))
    if referral.police_answer is not None and referral.police_answered_at is not None:
        when = local_time(referral.police_answered_at, zone)
        if referral.police_answer.value == "leave":
            lines.append(tr("Police may leave: {time}", time=when))
        else:
            lines.append(tr("Police stay: {time}", time=when))
    if referral.questioning_ended_at is not None:
        ended = local_time(referral.questioning_ended_at, zone)
        lines.append(tr("Questioning ended: {time}", time=ended))
    return lines


def eta_buttons(tr: Translator, referral: Referral) -> InlineKeyboardMarkup:
    """ "On my way": when the worker expects to be there, one tap."""
    rid = referral.id
    choices = [
        InlineKeyboardButton(
            tr("{minutes} min", minutes=eta.value), callback_data=callbacks.case(rid, "e", eta)
        )
        for eta in Eta
    ]
    back = InlineKeyboardButton(tr("⬅ Back"), callback_data=callbacks.case(rid, "b"))
    return InlineKeyboardMarkup([choices, [back]])


def debrief_arranged_buttons(tr: Translator, referral_id: int) -> InlineKeyboardMarkup:
    """The coordinator's one tap on a worker's request for a debrief."""
    button = InlineKeyboardButton(
        tr("✅ Debrief arranged"), callback_data=callbacks.escalation(referral_id, "da")
    )
    return InlineKeyboardMarkup([[button]])


def rest_line(
    tr: Translator, referral_id: int, until: datetime | None, zone: ZoneInfo
) -> tuple[str, InlineKeyboardMarkup | None]:
    """After a night call-out (accepted, assignment confirmed, taken over): the line
    that offers rest, and its one button ("", None when it was no night call-out)."""
    if until is None:
        return "", None
    time = f"{until.astimezone(zone):%H:%M}"
    line = "\n" + tr(
        "🌙 This is a night call-out. Afterwards, take some rest: one tap and no new "
        "offers reach you until {time}.",
        time=time,
    )
    button = InlineKeyboardButton(
        tr("😴 Away until {time}", time=time), callback_data=callbacks.case(referral_id, "zz")
    )
    return line, InlineKeyboardMarkup([[button]])


def case_buttons(
    tr: Translator, referral: Referral, work: CaseWork | None
) -> InlineKeyboardMarkup | None:
    """The next case-work step, what the stage holds (needs, goals and review, contacts),
    back to assessment, closing, returning to police; or Reopen once closed. ``work`` is
    what the stages hold, read for the holder before rendering (None where the reader is
    not known to hold the case: no goal buttons then, as the count is not known)."""
    rid = referral.id
    # on every case the worker holds, open or ended: violence may surface only later
    debrief = [
        [InlineKeyboardButton(tr("🫂 Ask for a debrief"), callback_data=callbacks.case(rid, "db"))]
    ]
    if referral.status is Status.CLOSED:
        return InlineKeyboardMarkup(
            [[InlineKeyboardButton(tr("Reopen"), callback_data=callbacks.case(rid, "u"))], *debrief]
        )
    if referral.status not in WORKING:
        return InlineKeyboardMarkup(debrief) if debrief else None
    rows = []
    if referral.attended and referral.arrived_at is None:
        travel = [InlineKeyboardButton(tr("📍 Arrived"), callback_data=callbacks.case(rid, "v"))]
        if referral.on_way_at is None:
            travel.insert(
                0, InlineKeyboardButton(tr("🚶 On my way"), callback_data=callbacks.case(rid, "w"))
            )
        rows.append(travel)
    elif referral.appropriate_adult_now and referral.questioning_ended_at is None:
        ended = InlineKeyboardButton(
            tr("⏹ Questioning ended"), callback_data=callbacks.case(rid, "q")
        )
        rows.append([ended])
    rows += _stage_rows(tr, referral, work)
    following = NEXT_STEP.get(referral.status)
    if following is not None:
        label = tr(labels.STEP_BUTTON[following])
        rows.append(
            [InlineKeyboardButton(label, callback_data=callbacks.case(rid, "n", referral.status))]
        )
    if referral.status in (Status.PLAN, Status.INTERVENTION):
        back = callbacks.case(rid, "ba", referral.status)
        rows.append([InlineKeyboardButton(tr("↩ Back to assessment"), callback_data=back)])
    rows.append(
        [
            InlineKeyboardButton(tr("Close case"), callback_data=callbacks.case(rid, "x")),
            InlineKeyboardButton(tr("Return to police"), callback_data=callbacks.case(rid, "r")),
        ]
    )
    rows.append(
        [
            InlineKeyboardButton(tr("🔒 Show details"), callback_data=callbacks.case(rid, "s")),
            InlineKeyboardButton(tr("🤝 Hand over"), callback_data=callbacks.case(rid, "h")),
        ]
    )
    rows += debrief
    return InlineKeyboardMarkup(rows)


def night_line(tr: Translator, table: list[tuple[str, int]]) -> str:
    """This month's night call-outs per worker, most first (HTML)."""
    names = tr.join(f"{html.escape(name)} {count}" for name, count in table) if table else ""
    return tr("Night call-outs this month: {names}", names=Html(names or tr("nobody")))


def _stage_rows(
    tr: Translator, referral: Referral, work: CaseWork | None
) -> list[list[InlineKeyboardButton]]:
    """What the stage holds: the needs at assessment; goals (no "Add a goal" once three
    are set; edit them once there is one) and the review date in the plan; a one-tap
    contact in intervention, where the goals can still be edited (the work may show a
    goal needs rewording); "Link a service" in both; "Reviewed" while a reminded review
    waits to be marked."""
    rid, status = referral.id, referral.status
    rows: list[list[InlineKeyboardButton]] = []
    if work is not None and work.review_pending and status in _REVIEWABLE:
        rows.append(
            [InlineKeyboardButton(tr("✔ Reviewed"), callback_data=callbacks.case(rid, "rk"))]
        )
    if status is Status.ASSESSMENT:
        rows.append([InlineKeyboardButton(tr("📋 Needs"), callback_data=callbacks.case(rid, "na"))])
    elif status is Status.PLAN:
        row = []
        if work is not None and not work.goals_full:
            row.append(
                InlineKeyboardButton(tr("🎯 Add a goal"), callback_data=callbacks.case(rid, "pg"))
            )
        if work is not None and work.goals:
            row.append(
                InlineKeyboardButton(tr("✏️ Edit goals"), callback_data=callbacks.case(rid, "ge"))
            )
        review = InlineKeyboardButton(tr("📅 Review date"), callback_data=callbacks.case(rid, "rd"))
        rows += [row, [review]] if len(row) == 2 else [[*row, review]]
    elif status is Status.INTERVENTION:
        rows.append(
            [
                InlineKeyboardButton(tr(label), callback_data=callbacks.case(rid, "lc", mode))
                for mode, label in labels.CONTACT_MODE.items()
            ]
        )
        if work is not None and work.goals:
            rows.append(
                [InlineKeyboardButton(tr("✏️ Edit goals"), callback_data=callbacks.case(rid, "ge"))]
            )
    if work is not None and status in (Status.PLAN, Status.INTERVENTION):
        # Linking the person to a service is part of the work, not only of closing.
        rows.append(
            [InlineKeyboardButton(tr("🔗 Link a service"), callback_data=callbacks.case(rid, "ln"))]
        )
    return rows


# Where a reminded plan review can be marked done (as bot.services.case_work.NEEDS_AT).
_REVIEWABLE = frozenset({Status.ASSESSMENT, Status.PLAN, Status.INTERVENTION})


def handover_buttons(tr: Translator, handover_id: int) -> InlineKeyboardMarkup:
    """A colleague's request to take a case over: one tap either way."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tr("✅ I take it over"), callback_data=callbacks.handover(handover_id, "y")
                ),
                InlineKeyboardButton(
                    tr("I can't"), callback_data=callbacks.handover(handover_id, "n")
                ),
            ]
        ]
    )


def escalation_text(
    tr: Translator, config: Config, referral: Referral, asked: list[Asked], now: datetime
) -> str:
    """The coordinator's card: what it is, how long it waited, who said what (redacted)."""
    waited = max(0, int((now - referral.created_at).total_seconds() // 60))
    lines = [
        tr("⏫ Nobody has accepted this referral yet"),
        headline(tr, config, referral),
        *_flags(tr, referral, config),
        tr("Station: {station}", station=station_name(config, referral, tr.language)),
        *incident_line(tr, referral),
    ]
    if referral.age_band is not None:
        lines.append(tr("Age: {age}", age=labels.age_band(tr, config, referral.age_band)))
    lines.append(tr("Filed: {time}", time=local_time(referral.created_at, config.zone)))
    lines.append(tr("Waiting for {minutes} min.", minutes=waited))
    waiting = [one.name for one in asked if one.assigned and one.state.value == "open"]
    if waiting:
        lines.append(tr("⏳ Waiting for {names} to confirm.", names=tr.join(waiting)))
    if asked:
        answers = []
        for one in asked:
            if one.assigned and one.state.value == "open":
                answers.append(tr("{name} (assigned, waiting for confirmation)", name=one.name))
            elif one.assigned and one.state.value == "declined" and one.reason == "left":
                answers.append(tr("{name} (no longer works with the bot)", name=one.name))
            elif one.assigned and one.state.value == "declined":
                said = mask(one.note or "")
                answers.append(
                    tr("{name} (could not take it: “{reason}”)", name=one.name, reason=said)
                )
            elif one.state.value == "declined" and one.reason in labels.DECLINE_BY_VALUE:
                reason = tr(labels.DECLINE_BY_VALUE[one.reason])
                said = html.escape(reason)
                if one.note:  # their own words; identifiers typed into them are masked
                    said = tr("{reason} — “{note}”", reason=reason, note=mask(one.note))
                answers.append(tr("{name} (declined: {reason})", name=one.name, reason=Html(said)))
            elif one.state.value == "expired":
                answers.append(tr("{name} (unreachable)", name=one.name))
            else:
                answers.append(html.escape(one.name))
        lines.append(tr("Offered to: {people}", people=Html(tr.join(answers))))
    else:
        lines.append(tr("No social worker could be offered it."))
    return "\n".join(lines)


def late_line(tr: Translator, minutes: str | None) -> str:
    """The line a notice or card of a step the engine took late ends with, because the
    bot was offline ("" if the step was on time). Shared by the coordinator's card as
    sent and as drawn again after "⬅ Back", so the two cannot drift apart."""
    if minutes is None:
        return ""
    return "\n" + tr("⏱ This step is {minutes} min late: the bot was offline.", minutes=minutes)


def escalation_buttons(tr: Translator, config: Config, referral: Referral) -> InlineKeyboardMarkup:
    rid = referral.id
    rows = [
        [
            InlineKeyboardButton(
                tr("🙋 Take it myself"), callback_data=callbacks.escalation(rid, "t")
            ),
            InlineKeyboardButton(tr("👥 Assign to…"), callback_data=callbacks.escalation(rid, "a")),
        ],
        [
            InlineKeyboardButton(
                tr("☎️ Show officer contact"), callback_data=callbacks.escalation(rid, "c")
            )
        ],
        # Stops the pages to this coordinator and tells the others (not taking it yet).
        [InlineKeyboardButton(tr("🙋 I'm on it"), callback_data=callbacks.escalation(rid, "o"))],
    ]
    never_waits = config.category_facts(referral.category).never_waits
    if held_for_morning(never_waits, referral.urgency, referral.appropriate_adult_now, False):
        rows[1].append(
            InlineKeyboardButton(
                tr("⏸ Hold until morning"), callback_data=callbacks.escalation(rid, "h")
            )
        )
    return InlineKeyboardMarkup(rows)
