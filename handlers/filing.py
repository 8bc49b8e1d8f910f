"""The officer's guided filing flow: one card per draft, tapped with one hand at night.

``/new`` (or the persistent "➕ New referral" button) starts a draft; each step is a
card with inline buttons that is edited in place as the officer taps. After the
officer types (a place, a name and phone, a phone, the summary) the next step comes as a new
card at the bottom of the chat and the old card loses its buttons. Only the current
card counts: its message id and the draft's token (in the callback data) must both
match, so a tap on an older card, or on the card of a discarded draft, is answered
"no longer active" and changes nothing. The rules live in :mod:`bot.domain.draft`,
the saving in :mod:`bot.services.drafts`; this module draws cards and routes taps.

Callback data is ``d:<token>:<action>[:<value>]``, at most 64 bytes.
"""

from __future__ import annotations

import contextlib
import html
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import BadRequest
from telegram.ext import (
    BaseHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import labels
from bot.config import Config
from bot.domain.draft import (
    DRAFT_LIFETIME,
    QUESTIONS,
    TEXT_STEPS,
    Draft,
    DraftError,
    Problem,
    Step,
    clock_time,
)
from bot.domain.people import Role
from bot.domain.referral import (
    INCIDENT_LIMIT,
    SUMMARY_LIMIT,
    AgeBandId,
    CategoryFacts,
    CategoryId,
    Consent,
    Guardian,
    NotAskedReason,
    Questioning,
    Safety,
    Urgency,
    consent_choices,
)
from bot.i18n import N_, Html, Translator, available_languages
from bot.services import drafts, prompts, referrals
from bot.services.drafts import Card, StoredDraft
from handlers import callbacks
from handlers.cards import NEW_REFERRAL, officer_keyboard
from handlers.context import BotContext, me
from handlers.guard import enrolled, requires
from handlers.notice_texts import submitted_text
from handlers.replies import edit_card, local_time

STEP_NAMES = {
    Step.CATEGORY: N_("Category"),
    Step.SAFETY: N_("Safety"),
    Step.URGENCY: N_("Urgency"),
    Step.PLACE: N_("Where"),
    Step.PERSON: N_("Person"),
    Step.PHONE: N_("Phone"),
    Step.CONSENT: N_("Consent"),
    Step.SUMMARY: N_("Summary"),
    Step.INCIDENT: N_("Incident number"),
}
NO_PHONE = N_("No phone: visit only")
SKIP_INCIDENT = N_("Skip: no incident number")
APPROPRIATE_ADULT = N_("Appropriate adult needed: a minor is about to be questioned")
AT_SCENE = N_("Ask for a social worker at the scene")
# "In 30 min", "In 1 h", "In 2 h": the questioning's start, one tap (or typed as HH:MM).
QUESTIONING_IN = {"30": N_("In 30 min"), "60": N_("In 1 h"), "120": N_("In 2 h")}


def _facts(config: Config, draft: Draft) -> CategoryFacts:
    """What the configuration says about the draft's category."""
    return config.category_facts(draft.category or "")


def _choose_category(draft: Draft, value: str, config: Config) -> None:
    """Only a category the configuration offers: the tap's data is the client's, and a
    button drawn before a category was retired is out of date. (A draft that chose it
    before keeps it: it is filed as chosen, and the retired entry keeps its rules.)"""
    found = config.category(value)
    if found is None or found.retired:
        raise DraftError(Problem.WRONG_STEP)
    draft.choose_category(CategoryId(value), found.facts)


def _choose_age_band(draft: Draft, value: str, config: Config) -> None:
    """Only an offered age band (as :func:`_choose_category`)."""
    band = config.age_band(value)
    if band is None or band.retired:
        raise DraftError(Problem.WRONG_STEP)
    draft.choose_age_band(AgeBandId(value), guardian=band.guardian_consents)


# Taps that answer the current step: action code -> the draft change it makes.
ANSWERS: dict[str, Callable[[Draft, str, Config], None]] = {
    "c": _choose_category,
    "s": lambda d, v, c: d.toggle_safety(Safety(v)),
    "s0": lambda d, v, c: d.no_safety_concern(_facts(c, d)),
    "sok": lambda d, v, c: d.confirm_safety(_facts(c, d)),
    "u": lambda d, v, c: d.choose_urgency(Urgency(v)),
    "aa": lambda d, v, c: d.toggle_appropriate_adult(_facts(c, d)),
    "ae": lambda d, v, c: d.edit_adult(),
    "aq": lambda d, v, c: d.choose_questioning(Questioning(v)),
    "an": lambda d, v, c: d.questioning_starts_now(),
    "ag": lambda d, v, c: d.choose_guardian(Guardian(v)),
    "sc": lambda d, v, c: d.toggle_at_scene(),
    "a": _choose_age_band,
    "nn": lambda d, v, c: d.clear_name(),
    "np": lambda d, v, c: d.choose_no_phone(),
    "k": lambda d, v, c: d.keep(),
    "cs": lambda d, v, c: d.choose_consent(Consent(v)),
    "nr": lambda d, v, c: d.choose_not_asked_reason(NotAskedReason(v)),
    "i0": lambda d, v, c: d.skip_incident_number(),
    "b": lambda d, v, c: d.back(Step(v)),
    "e": lambda d, v, c: d.edit(Step(v)),
}
# Taps whose answer needs the time now: the questioning in so many minutes.
TIMED: dict[str, Callable[[Draft, str, datetime], None]] = {
    "at": lambda d, v, now: d.questioning_starts_at(_minutes_from(now, v)),
}


def _minutes_from(now: datetime, value: str) -> datetime:
    """``now`` plus one of the offered choices, rounded up to the next five minutes (the
    officer reads a clock time); anything else is forged data."""
    if value not in QUESTIONING_IN:
        raise DraftError(Problem.WRONG_STEP)
    at = (now + timedelta(minutes=int(value))).replace(second=0, microsecond=0)
    return at + timedelta(minutes=-at.minute % 5)


# Typed answers, by the step that is waiting for text.
TYPED: dict[Step, Callable[[Draft, str], None]] = {
    Step.PLACE: Draft.type_place,
    Step.PERSON: Draft.type_person,
    Step.PHONE: Draft.type_phone,
    Step.SUMMARY: Draft.type_summary,
    Step.INCIDENT: Draft.type_incident_number,
}


# --------------------------------------------------------------------------------------------
# Keyboards and card texts
# --------------------------------------------------------------------------------------------


def callback(token: str, action: str, value: str = "") -> str:
    """``d:<token>:<action>[:<value>]``: only an opaque token and what was tapped."""
    return callbacks.filing(token, action, value)


def _button(text: str, token: str, action: str, value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=callback(token, action, value))


def _marked(label: str, chosen: bool) -> str:
    """The answer given earlier (after Back or Edit) is marked, so it can be tapped again."""
    return f"● {label}" if chosen else label


def _pairs(buttons: list[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    """Two buttons a row: big enough for a thumb, short enough to read without scrolling."""
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


def _header(tr: Translator, draft: Draft) -> str:
    """Where the officer is: "step 4 of 8", or that one answer is being changed."""
    if draft.editing:
        return tr("<b>New referral</b> · changing one answer")
    return tr(
        "<b>New referral</b> · step {number} of {total}", number=draft.number, total=QUESTIONS
    )


def _co_response_note(tr: Translator) -> str:
    return tr(
        "⚠️ Police keep the lead. This is a co-response: a social worker joins you, "
        "police stay. The urgency is raised."
    )


def _consultation_note(tr: Translator) -> str:
    return tr(
        "Consent declined: this becomes a consultation for you. A social worker advises "
        "you and does not contact the person."
    )


def _category_step(
    tr: Translator, config: Config, draft: Draft
) -> tuple[str, list[list[InlineKeyboardButton]]]:
    buttons = [
        _button(_marked(c.name(tr.language), draft.category == c.id), draft.token, "c", c.id)
        for c in config.offered_categories
    ]
    return tr("What kind of incident is it?"), _pairs(buttons)


def _safety_step(
    tr: Translator, config: Config, draft: Draft
) -> tuple[str, list[list[InlineKeyboardButton]]]:
    text = tr("Safety check: tap each one that is true, or “None of these”.")
    if draft.safety:
        text += "\n\n" + _co_response_note(tr)
    rows = [
        [_button(("✅ " if s in draft.safety else "") + tr(name), draft.token, "s", s.value)]
        for s, name in labels.SAFETY.items()
    ]
    rows.append([_button(tr("None of these"), draft.token, "s0")])
    if draft.safety:
        rows.append([_button(tr("Continue ▶"), draft.token, "sok")])
    return text, rows


def _urgency_step(
    tr: Translator, config: Config, draft: Draft
) -> tuple[str, list[list[InlineKeyboardButton]]]:
    facts = _facts(config, draft)
    suggested = draft.suggested_urgency(facts)
    lines = [_co_response_note(tr)] if draft.co_response else []
    lines.append(
        tr(
            "How urgent is it? Suggested: {urgency}. Tap to confirm, or choose another.",
            urgency=tr(labels.URGENCY[suggested]),
        )
    )
    chosen = draft.urgency or suggested
    rows = []
    for urgency, name in labels.URGENCY.items():
        label = tr(name)
        if urgency is suggested:
            label = tr("{urgency} (suggested)", urgency=label)
        rows.append([_button(_marked(label, urgency is chosen), draft.token, "u", urgency.value)])
    if facts.asks_appropriate_adult:
        tick = "✅ " if draft.appropriate_adult_now else "⬜ "
        rows.append([_button(tick + tr(APPROPRIATE_ADULT), draft.token, "aa")])
    if draft.appropriate_adult_now and draft.adult_answered:
        lines.append(tr("Appropriate adult: {request}", request=_adult_request(tr, config, draft)))
        rows.append([_button(tr("✏️ Appropriate adult request"), draft.token, "ae")])
    elif not draft.co_response and not draft.appropriate_adult_now:
        tick = "✅ " if draft.at_scene else "⬜ "
        rows.append([_button(tick + tr(AT_SCENE), draft.token, "sc")])
    return "\n\n".join(lines), rows


def _adult_request(tr: Translator, config: Config, draft: Draft) -> str:
    """The appropriate adult's request as answered so far: who, when, the guardian."""
    parts = []
    if draft.questioning is not None:
        parts.append(tr(labels.QUESTIONING[draft.questioning]))
    if draft.questioning_at is not None:
        when = local_time(draft.questioning_at, config.zone)
        parts.append(tr("questioning at {time}", time=when))
    elif draft.questioning_now:
        parts.append(tr("questioning now"))
    if draft.guardian is not None:
        parts.append(tr(labels.GUARDIAN[draft.guardian]))
    return " · ".join(parts)


def _adult_step(
    tr: Translator, config: Config, draft: Draft
) -> tuple[str, list[list[InlineKeyboardButton]]]:
    """The appropriate adult's request, on the urgency card: a suspect (讯问) or a victim
    or witness (询问); now or at a time (a button, or typed as HH:MM); the guardian.
    The adult must be there before the questioning starts."""
    lines = [
        tr(
            "Appropriate adult: tap one answer in each group. The questioning time can "
            "also be typed, e.g. 21:30."
        )
    ]
    if draft.questioning_at is not None:
        lines.append(
            tr("Questioning at: {time}", time=local_time(draft.questioning_at, config.zone))
        )
    token = draft.token
    rows = [
        [
            _button(_marked(tr(name), draft.questioning is q), token, "aq", q.value)
            for q, name in labels.QUESTIONING.items()
        ],
        [_button(_marked(tr("Questioning now"), draft.questioning_now), token, "an")]
        + [_button(tr(name), token, "at", value) for value, name in QUESTIONING_IN.items()],
        [
            _button(_marked(tr(name), draft.guardian is g), token, "ag", g.value)
            for g, name in labels.GUARDIAN.items()
        ],
    ]
    return "\n".join(lines), rows


def _place_step(
    tr: Translator, config: Config, draft: Draft
) -> tuple[str, list[list[InlineKeyboardButton]]]:
    text = tr(
        "Where? Type the place, with the road and number if someone may need to visit, "
        "or send a location pin (📎 → Location)."
    )
    current = _place_text(tr, draft)
    if current:
        text += "\n" + tr("Now: {value}", value=Html(current))
    return text, []


def _person_step(
    tr: Translator, config: Config, draft: Draft
) -> tuple[str, list[list[InlineKeyboardButton]]]:
    text = tr(
        "The person: type the name, with the phone number if there is one "
        "(e.g. “Chen Mei 138 0013 8000”), or skip it; then tap the age band."
    )
    rows = _pairs(
        [
            _button(
                _marked(band.name(tr.language), draft.age_band == band.id),
                draft.token,
                "a",
                band.id,
            )
            for band in config.offered_age_bands
        ]
    )
    if draft.person_name:
        text += "\n" + tr("Name: {name}", name=draft.person_name)
        rows.append([_button(tr("Remove the name"), draft.token, "nn")])
    if draft.phone:  # typed with the name: shown, so a wrong number is seen before it counts
        text += "\n" + tr("Phone: {value}", value=draft.phone)
    return text, rows


def _phone_step(
    tr: Translator, config: Config, draft: Draft
) -> tuple[str, list[list[InlineKeyboardButton]]]:
    text = tr("The person's phone: type the number, or tap “No phone: visit only”.")
    if draft.phone:
        text += "\n" + tr("Now: {value}", value=draft.phone)
    return text, [[_button(_marked(tr(NO_PHONE), draft.no_phone), draft.token, "np")]]


def _consent_step(
    tr: Translator, config: Config, draft: Draft
) -> tuple[str, list[list[InlineKeyboardButton]]]:
    if draft.asking_reason:
        rows = [
            [_button(tr(name), draft.token, "nr", reason.value)]
            for reason, name in labels.NOT_ASKED.items()
        ]
        return tr("Why was the person not asked?"), rows
    names = labels.consent_names(draft.guardian_consents)
    rows = [
        [_button(_marked(tr(names[c]), draft.consent is c), draft.token, "cs", c.value)]
        for c in consent_choices(draft.guardian_consents)
    ]
    if draft.guardian_consents:  # under 14: the guardian's consent is the one that counts
        return tr("The person is under 14: does a guardian agree to social work contact?"), rows
    return tr("Does the person agree to be contacted by a social worker?"), rows


def _summary_step(
    tr: Translator, config: Config, draft: Draft
) -> tuple[str, list[list[InlineKeyboardButton]]]:
    lines = [_consultation_note(tr)] if draft.consultation else []
    lines.append(
        tr(
            "What happened? Type a short summary (up to {limit} characters).",
            limit=SUMMARY_LIMIT,
        )
    )
    if draft.summary:
        lines.append(tr("Now: {value}", value=draft.summary))
    return "\n\n".join(lines), []


def _incident_step(
    tr: Translator, config: Config, draft: Draft
) -> tuple[str, list[list[InlineKeyboardButton]]]:
    text = tr(
        "Police incident number (optional), so the referral can be matched to the police "
        "record: type it, or tap “{skip}”.",
        skip=tr(SKIP_INCIDENT),
    )
    if draft.incident_number:
        text += "\n" + tr("Now: {value}", value=draft.incident_number)
    return text, [[_button(tr(SKIP_INCIDENT), draft.token, "i0")]]


STEP_CARDS = {
    Step.CATEGORY: _category_step,
    Step.SAFETY: _safety_step,
    Step.URGENCY: _urgency_step,
    Step.PLACE: _place_step,
    Step.PERSON: _person_step,
    Step.PHONE: _phone_step,
    Step.CONSENT: _consent_step,
    Step.SUMMARY: _summary_step,
    Step.INCIDENT: _incident_step,
}


def _place_text(tr: Translator, draft: Draft) -> str:
    """The place as safe HTML: typed text escaped, or the pin's coordinates."""
    if draft.place:
        return html.escape(draft.place, quote=False)
    if draft.latitude is not None and draft.longitude is not None:
        return tr(
            "📍 location pin ({latitude}, {longitude})",
            latitude=round(draft.latitude, 5),
            longitude=round(draft.longitude, 5),
        )
    return ""


def _review_lines(tr: Translator, config: Config, draft: Draft) -> list[str]:
    """Every answer, typed text escaped; "not given" where an optional one was skipped."""
    not_given = tr("not given")
    category = labels.category(tr, config, draft.category) if draft.category else not_given
    safety = tr.join(tr(labels.SAFETY[s]) for s in labels.SAFETY if s in draft.safety) or tr(
        "none of these"
    )
    urgency = tr(labels.URGENCY[draft.urgency]) if draft.urgency else not_given
    age = labels.age_band(tr, config, draft.age_band) if draft.age_band else not_given
    phone = tr(NO_PHONE) if draft.no_phone else draft.phone or not_given
    consent = (
        labels.consent(tr, draft.consent, draft.not_asked_reason, guardian=draft.guardian_consents)
        if draft.consent
        else not_given
    )
    lines = [
        tr("Category: {value}", value=category),
        tr("Safety: {value}", value=safety),
        tr("Urgency: {value}", value=urgency),
    ]
    if draft.co_response:  # the same words the worker's offer card will carry
        lines.append(tr("⚠️ Co-response: police keep the lead; the worker joins them."))
    elif draft.at_scene and not draft.appropriate_adult_now:
        lines.append(tr("📍 The officer asks for a social worker at the scene."))
    if draft.appropriate_adult_now:
        lines.append(tr("⚠️ An appropriate adult is needed: a minor is about to be questioned."))
        lines.append(tr("Request: {request}", request=_adult_request(tr, config, draft)))
    lines.append(tr("Where: {value}", value=Html(_place_text(tr, draft) or not_given)))
    if draft.consultation:  # the name and phone are not passed on: see Draft.choose_consent
        lines.append(tr("Age band: {value}", value=age))
    else:
        lines += [
            tr("Name: {name}", name=draft.person_name or not_given),
            tr("Age band: {value}", value=age),
            tr("Phone: {value}", value=phone),
        ]
    lines.append(tr("Consent: {value}", value=consent))
    if draft.consultation:
        lines.append(_consultation_note(tr))
    lines.append(tr("Summary: {value}", value=draft.summary or not_given))
    lines.append(tr("Police incident number: {value}", value=draft.incident_number or not_given))
    return lines


def _review_card(tr: Translator, config: Config, draft: Draft) -> tuple[str, InlineKeyboardMarkup]:
    lines = _review_lines(tr, config, draft)
    text = "\n".join([tr("<b>Check the referral, then submit</b>"), "", *lines])
    edits = [
        _button(tr("✏️ {field}", field=tr(name)), draft.token, "e", step.value)
        for step, name in STEP_NAMES.items()
    ]
    rows = [
        *_pairs(edits),
        [_button(tr("📨 Submit"), draft.token, "go")],
        [_button(tr("Cancel"), draft.token, "x")],
    ]
    return text, InlineKeyboardMarkup(rows)


def render(tr: Translator, config: Config, draft: Draft) -> tuple[str, InlineKeyboardMarkup]:
    """The card for the draft's current step: header, question, answer buttons, Back, Cancel."""
    if draft.step is Step.REVIEW:
        return _review_card(tr, config, draft)
    step_card = _adult_step if draft.asking_adult else STEP_CARDS[draft.step]
    question, rows = step_card(tr, config, draft)
    if draft.step in TEXT_STEPS and draft.can_keep():
        rows.append([_button(tr("Keep as it is ▶"), draft.token, "k")])
    navigation = [_button(tr("Cancel"), draft.token, "x")]
    if draft.step is not Step.CATEGORY or draft.editing:
        navigation.insert(0, _button(tr("⬅ Back"), draft.token, "b", draft.step.value))
    rows.append(navigation)
    return f"{_header(tr, draft)}\n\n{question}", InlineKeyboardMarkup(rows)


def _confirm_discard(tr: Translator, draft: Draft) -> tuple[str, InlineKeyboardMarkup]:
    buttons = [
        _button(tr("Yes, discard"), draft.token, "xy"),
        _button(tr("No, keep it"), draft.token, "xn"),
    ]
    return tr("Discard this draft? Nothing has been sent yet."), InlineKeyboardMarkup([buttons])


def _resume_question(
    tr: Translator, config: Config, draft: Draft
) -> tuple[str, InlineKeyboardMarkup]:
    where = tr("step {number} of {total}", number=draft.number, total=QUESTIONS)
    if draft.step is Step.REVIEW:
        where = tr("ready to submit")
    if draft.category is not None:
        # "家庭糾紛、第 3/8 步"
        where = tr.join([labels.category(tr, config, draft.category), where])
    text = tr(
        "You have an unfinished referral ({where}). Resume it, or start over?",
        where=where,
    )
    buttons = [
        _button(tr("▶ Resume"), draft.token, "r"),
        _button(tr("Start over"), draft.token, "rs"),
    ]
    return text, InlineKeyboardMarkup([buttons])


def _problem(tr: Translator, error: DraftError, step: Step) -> str:
    """Why a typed answer was not taken, and what to do instead."""
    if error.problem is Problem.NOT_A_PHONE and step is Step.PERSON:
        return tr(
            "The number in that message does not look like a phone number (5 to 20 digits; "
            "digits, spaces, + or -). Nothing was taken from it: type the name and number "
            "again, or just the name. Your message is below to copy."
        )
    if error.problem is Problem.ID_NUMBER and step is Step.PERSON:
        return tr(
            "That looks like an ID number, not a phone number. Please type the name and "
            "the phone number only; the ID is not needed here. Nothing was taken from "
            "that message."
        )
    if error.problem is Problem.ID_NUMBER:
        return tr(
            "That looks like an ID number, not a phone number; the ID is not needed here. "
            "Please type the phone number, or tap “No phone: visit only”."
        )
    if error.problem is Problem.EMPTY and step is Step.PERSON:
        return tr(
            "Please type the name, the phone number or both (e.g. “Chen Mei 138 0013 8000”), "
            "or tap the age band to go on without them."
        )
    if error.problem is Problem.NOT_AN_INCIDENT_NUMBER or (
        step is Step.INCIDENT and error.problem is Problem.EMPTY
    ):
        return tr(
            "An incident number has only letters, digits, - and / (no spaces), at most "
            "{limit} characters. Please type it again, or tap “{skip}”.",
            limit=INCIDENT_LIMIT,
            skip=tr(SKIP_INCIDENT),
        )
    if error.problem is Problem.TOO_LONG:
        return tr(
            "That is {length} characters; the limit here is {limit}. Nothing is lost: "
            "your text is below, so you can copy and shorten it.",
            length=error.length,
            limit=error.limit,
        )
    if error.problem is Problem.NOT_A_PHONE:
        return tr(
            "That does not look like a phone number. Please use digits, spaces, + or - "
            "(5 to 20 digits), or tap “No phone: visit only”."
        )
    return tr("Please type your answer as text.")


# --------------------------------------------------------------------------------------------
# Sending and replacing the card
# --------------------------------------------------------------------------------------------


async def _retire(context: BotContext, chat_id: int, message_id: int | None) -> None:
    """Take the buttons off an old card, so the officer is not tempted to tap it.

    Taps on it are refused anyway; if the card is gone or already bare, nothing to do.
    """
    if message_id is None:
        return
    with contextlib.suppress(BadRequest):
        await context.bot.edit_message_reply_markup(chat_id, message_id, reply_markup=None)


async def _new_card(
    context: BotContext,
    message: Message,
    stored: StoredDraft,
    card: tuple[str, InlineKeyboardMarkup] | None = None,
    notice: str | None = None,
) -> None:
    """Show the draft on a new card at the bottom of the chat; it becomes the only live one."""
    await _retire(context, message.chat_id, stored.card_message_id)
    text, markup = card or render(context.tr, context.services.config, stored.draft)
    if notice:
        text = f"{notice}\n\n{text}"
    sent = await message.reply_text(text, reply_markup=markup)
    await drafts.show_on(context.services, stored.person_id, stored.draft.token, sent.message_id)


async def _officer_draft(context: BotContext) -> StoredDraft | None:
    """The open draft of the officer behind this update; None for anyone else."""
    person = context.person
    if person is None or not person.has(Role.OFFICER):
        return None
    return await drafts.current(context.services, person.id)


# --------------------------------------------------------------------------------------------
# Commands and the reply-keyboard button
# --------------------------------------------------------------------------------------------


@requires(Role.OFFICER)
async def start_new(update: Update, context: BotContext) -> None:
    """/new or "➕ New referral": a fresh draft, or the choice to resume the open one."""
    message = update.effective_message
    assert message is not None
    person = me(context)
    await prompts.clear(context.services, person)  # a question left open is dropped: filing now
    stored = await drafts.current(context.services, person.id)
    if stored is None:
        from_button = not (message.text or "").startswith("/")
        fresh = await drafts.begin(context.services, person.id, has_button=from_button)
        await _new_card(context, message, fresh)
        return
    await _new_card(
        context,
        message,
        stored,
        card=_resume_question(context.tr, context.services.config, stored.draft),
    )


@requires(Role.OFFICER)
async def resume(update: Update, context: BotContext) -> None:
    """/resume: the current step of the open draft again, at the bottom of the chat."""
    message = update.effective_message
    assert message is not None
    stored = await drafts.current(context.services, me(context).id)
    if stored is None:
        await message.reply_text(
            _nothing_open(context.tr), reply_markup=officer_keyboard(context.tr)
        )
        return
    await _new_card(context, message, stored)


@enrolled
async def cancel(update: Update, context: BotContext) -> None:
    """/cancel: drop a question waiting for an answer and discard the open draft at once
    (typing the command is confirmation enough)."""
    message = update.effective_message
    assert message is not None
    tr, person = context.tr, me(context)
    question = await prompts.clear(context.services, person)
    stored = await drafts.current(context.services, person.id) if person.has(Role.OFFICER) else None
    if stored is None:
        if question:
            await message.reply_text(tr("Cancelled. Nothing was changed."))
        elif person.has(Role.OFFICER):
            await message.reply_text(_nothing_open(tr), reply_markup=officer_keyboard(tr))
        else:
            await message.reply_text(tr("There is nothing to cancel."))
        return
    await drafts.discard(context.services, stored.person_id, stored.draft.token)
    await _retire(context, message.chat_id, stored.card_message_id)
    await message.reply_text(
        tr("Draft discarded. Nothing was sent."), reply_markup=officer_keyboard(tr)
    )


def _nothing_open(tr: Translator) -> str:
    return tr(
        "You have no unfinished referral (drafts are kept for {hours} hours). "
        "Tap “{button}” to start one.",
        hours=DRAFT_LIFETIME // timedelta(hours=1),
        button=tr(NEW_REFERRAL),
    )


# --------------------------------------------------------------------------------------------
# Taps on the card
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tap:
    card: Card
    action: str
    value: str


def _parse(query: CallbackQuery) -> Tap | None:
    """``d:<token>:<action>[:<value>]`` from a message in a private chat, or None."""
    message, tap = query.message, callbacks.parse(query.data)
    if tap is None or message is None or message.chat.type != message.chat.PRIVATE:
        return None
    return Tap(Card(tap.token, message.message_id), tap.action, tap.value)


async def _stale(query: CallbackQuery, context: BotContext, tap: Tap | None = None) -> None:
    """An old card (or one that never got saved as current, say the bot restarted just
    as it was shown): say how to carry on rather than leave a dead end.

    A card whose draft was filed (a double tap on Submit, a tap handed over again after
    a restart, a card whose "Submitted as" edit has not reached the phone yet) says what
    it was filed as and is redrawn so: "send /resume" would find nothing, and an officer
    told that would think the referral lost and file it again."""
    if tap is not None:
        filed = await referrals.filed_from_card(context.services, me(context), tap.card.message_id)
        if filed is not None:
            await query.answer(context.tr("Already submitted as {ref}.", ref=filed.ref))
            await edit_card(query, submitted_text(context.tr, filed))
            return
    await query.answer(
        context.tr("This card is out of date. Send /resume to carry on with your referral."),
        show_alert=True,
    )


@requires(Role.OFFICER)
async def on_tap(update: Update, context: BotContext) -> None:
    """Any button on a draft card: check it is the current card, apply, redraw in place."""
    query = update.callback_query
    assert query is not None
    tap = _parse(query)
    if tap is None:
        await _stale(query, context)
        return
    special = SPECIAL_TAPS.get(tap.action)
    if special is not None:
        await special(query, context, tap)
        return
    answer = ANSWERS.get(tap.action)
    timed = TIMED.get(tap.action)
    if timed is not None:
        now = context.services.clock.now()
        answer = lambda d, v, c: timed(d, v, now)  # noqa: E731
    stored = None
    if answer is not None:
        try:
            stored = await drafts.change(
                context.services,
                me(context).id,
                lambda d: answer(d, tap.value, context.services.config),
                tap.card,
            )
        except ValueError:  # an old or doubled tap (DraftError), or forged data
            stored = None
    if stored is None:
        await _stale(query, context, tap)
        return
    await query.answer()
    await edit_card(query, *render(context.tr, context.services.config, stored.draft))


async def _current_card(query: CallbackQuery, context: BotContext, tap: Tap) -> StoredDraft | None:
    """The draft if the tap is on its current card; otherwise answer "no longer active"."""
    stored = await drafts.on_card(context.services, me(context).id, tap.card)
    if stored is None:
        await _stale(query, context, tap)
    return stored


async def _ask_discard(query: CallbackQuery, context: BotContext, tap: Tap) -> None:
    if stored := await _current_card(query, context, tap):
        await query.answer()
        await edit_card(query, *_confirm_discard(context.tr, stored.draft))


async def _redraw(query: CallbackQuery, context: BotContext, tap: Tap) -> None:
    """ "No, keep it" and "Resume": the current step again, on the same card."""
    if stored := await _current_card(query, context, tap):
        await query.answer()
        await edit_card(query, *render(context.tr, context.services.config, stored.draft))


async def _discard(query: CallbackQuery, context: BotContext, tap: Tap) -> None:
    if stored := await _current_card(query, context, tap):
        await drafts.discard(context.services, stored.person_id, stored.draft.token)
        await query.answer()
        await edit_card(query, context.tr("Draft discarded. Nothing was sent."))


async def _start_over(query: CallbackQuery, context: BotContext, tap: Tap) -> None:
    if stored := await _current_card(query, context, tap):
        fresh = await drafts.begin(
            context.services,
            stored.person_id,
            tap.card.message_id,
            has_button=stored.draft.has_button,
        )
        await query.answer()
        await edit_card(query, *render(context.tr, context.services.config, fresh.draft))


async def _submit(query: CallbackQuery, context: BotContext, tap: Tap) -> None:
    """File the referral; refuse with the first unanswered step if anything is missing.

    The draft is deleted in the same transaction that files the referral, so a crash or
    a double tap on Submit can never file it twice; the card's "Submitted as R-…" is an
    outbox notice written in that transaction too, so it reaches the card even if this
    process dies right after the commit or Telegram fails the edit.
    """
    stored = await _current_card(query, context, tap)
    if stored is None:
        return
    if stored.draft.step is not Step.REVIEW:  # Submit is drawn on the review card only
        await _stale(query, context, tap)
        return
    tr, officer = context.tr, me(context)
    if stored.draft.missing():
        moved = await drafts.change(context.services, officer.id, Draft.go_to_first_missing)
        await query.answer(
            tr("Some answers are missing. Please answer this step first."), show_alert=True
        )
        if moved is not None:
            await edit_card(query, *render(tr, context.services.config, moved.draft))
        return
    try:
        filed = await referrals.submit(context.services, officer, stored.draft)
    except referrals.AlreadySubmitted:  # another tap filed it a moment ago
        await _stale(query, context, tap)
        return
    # The tap is answered at once; the card's "Submitted as R-…" (and, for someone who
    # filed with /new, the hint of the button) is the sender's, from the outbox row
    # written with the referral: it reaches the card even after a crash, and fifty
    # officers filing in the same second do not queue for Telegram's overall limit in
    # front of the next person's tap.
    await query.answer(submitted_text(tr, filed.referral))


SPECIAL_TAPS: dict[str, Callable[[CallbackQuery, BotContext, Tap], Awaitable[None]]] = {
    "x": _ask_discard,
    "xn": _redraw,
    "xy": _discard,
    "r": _redraw,
    "rs": _start_over,
    "go": _submit,
}


# --------------------------------------------------------------------------------------------
# Messages the central router hands over
# --------------------------------------------------------------------------------------------


async def on_text(update: Update, context: BotContext) -> bool:
    """Typed text for the open draft; False when this person has none."""
    message = update.effective_message
    if message is None or message.text is None:
        return False
    stored = await _officer_draft(context)
    if stored is None:
        return False
    tr, step = context.tr, stored.draft.step
    if step is Step.URGENCY and stored.draft.asking_adult:
        await _typed_questioning_time(context, message, stored, message.text)
        return True
    if step not in TEXT_STEPS:
        await _new_card(context, message, stored, notice=_tap_please(tr))
        return True
    typed = message.text
    try:
        changed = await drafts.change(
            context.services, stored.person_id, lambda d: TYPED[step](d, typed), read=stored
        )
    except DraftError as error:
        await _new_card(context, message, stored, notice=_problem(tr, error, step))
        if error.problem in (Problem.TOO_LONG, Problem.NOT_AN_INCIDENT_NUMBER) or (
            step is Step.PERSON and error.problem is Problem.NOT_A_PHONE
        ):
            # Nothing is lost: the officer copies the text back and corrects it. (Never
            # a blank-looking answer: there is nothing to copy, and Telegram refuses it.)
            await message.reply_text(html.escape(typed, quote=False))
        return True
    if changed is None:
        return False
    await _new_card(context, message, changed)
    return True


async def _typed_questioning_time(
    context: BotContext, message: Message, stored: StoredDraft, typed: str
) -> None:
    """The appropriate adult's questioning time, typed ("21:30") on its card."""
    services = context.services
    try:
        at = clock_time(typed, services.clock.now(), services.config.zone)
        changed = await drafts.change(
            services, stored.person_id, lambda d: d.questioning_starts_at(at), read=stored
        )
    except DraftError:
        notice = context.tr(
            "Please type the questioning time as hours and minutes, e.g. 21:30, or tap a "
            "button. Nothing else was changed."
        )
        await _new_card(context, message, stored, notice=notice)
        return
    await _new_card(context, message, changed or stored)


async def on_location(update: Update, context: BotContext) -> bool:
    """A location pin: the answer at the Where step; politely ignored at any other step."""
    message = update.effective_message
    if message is None or message.location is None:
        return False
    stored = await _officer_draft(context)
    if stored is None:
        return False
    if stored.draft.step is not Step.PLACE:
        notice = context.tr(
            "A location pin is only used at the “Where” step; I did not keep this one."
        )
        await _new_card(context, message, stored, notice=notice)
        return True
    pin = message.location
    changed = await drafts.change(
        context.services,
        stored.person_id,
        lambda d: d.pin_location(pin.latitude, pin.longitude),
        read=stored,
    )
    if changed is None:
        return False
    await _new_card(context, message, changed)
    return True


async def on_other_media(update: Update, context: BotContext) -> bool:
    """A photo, sticker or voice note while a draft is open: ask for text or a tap."""
    message = update.effective_message
    if message is None:
        return False
    stored = await _officer_draft(context)
    if stored is None:
        return False
    tr = context.tr
    if stored.draft.step in TEXT_STEPS:
        notice = tr(
            "Please type your answer as text; I cannot read photos, stickers or voice notes."
        )
    else:
        notice = _tap_please(tr)
    await _new_card(context, message, stored, notice=notice)
    return True


def _tap_please(tr: Translator) -> str:
    return tr("Please tap one of the buttons below; this step needs no typing.")


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    """Commands, taps and the reply-keyboard button of the filing flow."""
    private = filters.ChatType.PRIVATE
    labels_in_every_language = sorted(
        {Translator(code)(NEW_REFERRAL) for code in available_languages()}
    )
    return [
        CommandHandler("new", start_new, filters=private),
        CommandHandler("resume", resume, filters=private),
        CommandHandler("cancel", cancel, filters=private),
        callbacks.handler(callbacks.Code.FILING, on_tap),
        MessageHandler(private & filters.Text(labels_in_every_language), start_new),
    ]
