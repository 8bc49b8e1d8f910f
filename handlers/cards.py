"""The texts and buttons of referral cards, as each reader may see them.

Redaction lives here: :func:`offer_text` is what goes to people who have not accepted
(never a name, phone, place or summary); :func:`details_text` is the full record, for
the worker who holds the case only. Everything typed by a person is escaped.
"""

from __future__ import annotations

import html
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from bot.config import Config
from bot.domain.escalation import held_for_morning
from bot.domain.people import Person
from bot.domain.referral import NEXT_STEP, WORKING, Referral, Status
from bot.i18n import N_, Html, Translator
from bot.privacy.masking import mask
from bot.services.coordinator import Asked
from handlers import callbacks, labels
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


def _flags(tr: Translator, referral: Referral) -> list[str]:
    lines = []
    if referral.co_response:
        lines.append(tr("⚠️ Co-response: police keep the lead; the worker joins them."))
    if referral.appropriate_adult_now:
        lines.append(tr("⚠️ An appropriate adult is needed: a minor is about to be questioned."))
    if referral.consultation:
        lines.append(tr("Consultation: the person declined contact; the officer asks for advice."))
    return lines


def offer_text(tr: Translator, config: Config, referral: Referral) -> str:
    """The redacted offer: enough to decide, nothing that identifies anyone."""
    lines = [tr("New referral"), headline(tr, config, referral), *_flags(tr, referral)]
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


def details_text(tr: Translator, config: Config, referral: Referral, officer: Person) -> str:
    """Everything the accepted worker needs to act, sent only to them, protected."""
    not_given = tr("not given")
    lines = [
        f"🔒 {headline(tr, config, referral)}",
        *_flags(tr, referral),
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
    lines += incident_line(tr, referral)
    if referral.safety:
        flags = tr.join(tr(labels.SAFETY[s]) for s in sorted(referral.safety))
        lines.append(tr("Safety: {flags}", flags=flags))
    lines.append(tr("Filed: {time}", time=local_time(referral.created_at, config.zone)))
    lines += ["", tr("What happened:"), html.escape(referral.summary or "")]
    return "\n".join(lines)


def consent_text(tr: Translator, config: Config, referral: Referral) -> str:
    """The referral's consent as recorded, in the guardian's words for a child's band."""
    assert referral.consent is not None
    return labels.consent(
        tr,
        referral.consent,
        referral.consent_note,
        guardian=labels.guardian_band(config, referral.age_band),
    )


def incident_line(tr: Translator, referral: Referral) -> list[str]:
    """The police incident number, for matching to the police record ([] if none).
    Checked when typed (letters, digits, - and /), escaped all the same."""
    if not referral.incident_number:
        return []
    number = html.escape(referral.incident_number, quote=False)
    return [tr("Police incident number: {value}", value=Html(number))]


def case_text(tr: Translator, config: Config, referral: Referral) -> str:
    """A worker's own case at a glance (no personal details: those are on request; the
    police incident number is there, to match the case to the police record)."""
    return "\n".join(
        [
            headline(tr, config, referral),
            tr("Status: {status}", status=tr(labels.STATUS[referral.status])),
            tr("Station: {station}", station=station_name(config, referral, tr.language)),
            *incident_line(tr, referral),
            tr("Filed: {time}", time=local_time(referral.created_at, config.zone)),
        ]
    )


def case_buttons(tr: Translator, referral: Referral) -> InlineKeyboardMarkup | None:
    """The next case-work step, closing, returning to police; or Reopen once closed."""
    rid = referral.id
    if referral.status is Status.CLOSED:
        return InlineKeyboardMarkup(
            [[InlineKeyboardButton(tr("Reopen"), callback_data=callbacks.case(rid, "u"))]]
        )
    if referral.status not in WORKING:
        return None
    rows = []
    if referral.appropriate_adult_now and referral.arrived_at is None:
        travel = [InlineKeyboardButton(tr("📍 Arrived"), callback_data=callbacks.case(rid, "v"))]
        if referral.on_way_at is None:
            travel.insert(
                0, InlineKeyboardButton(tr("🚶 On my way"), callback_data=callbacks.case(rid, "w"))
            )
        rows.append(travel)
    following = NEXT_STEP.get(referral.status)
    if following is not None:
        label = tr(labels.STEP_BUTTON[following])
        rows.append(
            [InlineKeyboardButton(label, callback_data=callbacks.case(rid, "n", referral.status))]
        )
    rows.append(
        [
            InlineKeyboardButton(tr("Close case"), callback_data=callbacks.case(rid, "x")),
            InlineKeyboardButton(tr("Return to police"), callback_data=callbacks.case(rid, "r")),
        ]
    )
    rows.append(
        [InlineKeyboardButton(tr("🔒 Show details"), callback_data=callbacks.case(rid, "s"))]
    )
    return InlineKeyboardMarkup(rows)


def escalation_text(
    tr: Translator, config: Config, referral: Referral, asked: list[Asked], now: datetime
) -> str:
    """The coordinator's card: what it is, how long it waited, who said what (redacted)."""
    waited = max(0, int((now - referral.created_at).total_seconds() // 60))
    lines = [
        tr("⏫ Nobody has accepted this referral yet"),
        headline(tr, config, referral),
        *_flags(tr, referral),
        tr("Station: {station}", station=station_name(config, referral, tr.language)),
        *incident_line(tr, referral),
    ]
    if referral.age_band is not None:
        lines.append(tr("Age: {age}", age=labels.age_band(tr, config, referral.age_band)))
    lines.append(tr("Filed: {time}", time=local_time(referral.created_at, config.zone)))
    lines.append(tr("Waiting for {minutes} min.", minutes=waited))
    if asked:
        answers = []
        for one in asked:
            if one.state.value == "declined" and one.reason in labels.DECLINE_BY_VALUE:
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
    ]
    never_waits = config.category_facts(referral.category).never_waits
    if held_for_morning(never_waits, referral.urgency, referral.appropriate_adult_now, False):
        rows[1].append(
            InlineKeyboardButton(
                tr("⏸ Hold until morning"), callback_data=callbacks.escalation(rid, "h")
            )
        )
    return InlineKeyboardMarkup(rows)
