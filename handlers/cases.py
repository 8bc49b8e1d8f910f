"""The worker's case card: next case-work step, close with an outcome, return to police.

Typed parts (a resource's name, the note for the officer, a reason) are asked with a
stored prompt and answered in :mod:`handlers.answers`.
"""

from __future__ import annotations

import html
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler

from bot import labels
from bot.domain.case_work import GOAL_LIMIT, ContactMode, Need
from bot.domain.people import Role
from bot.domain.referral import (
    WORKING,
    Consent,
    Eta,
    Outcome,
    Referral,
    Resource,
    ReturnReason,
    Status,
)
from bot.i18n import Html, Translator
from bot.services import (
    attendance,
    care,
    case_work,
    cases,
    follow_ups,
    prompts,
    resource_directory,
    transfers,
)
from bot.services import linkages as linkage_service
from bot.services import referrals as referral_service
from bot.services.resource_directory import Entry
from handlers import callbacks, cards
from handlers.context import BotContext, me
from handlers.details import send_details
from handlers.guard import requires
from handlers.notice_texts import LINKAGE_ANSWERS, linkage_buttons
from handlers.questions import (
    CONTACT_WITH,
    FOLLOW_UP_NOTE,
    GOAL_EDIT,
    PLAN_GOAL,
    SKIP,
    ask_on_card,
    note_question,
)
from handlers.replies import edit_buttons, edit_card, local_time, protected
from handlers.sender import reply


@requires(Role.SOCIAL_WORKER, Role.COORDINATOR)
async def on_case_tap(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    tap = callbacks.tap_of(update)
    referral_id, verb, value = tap.id, tap.action, tap.value
    action = f"{verb}:{value}" if value else verb
    services, person, tr = context.services, me(context), context.tr
    if verb == "db":  # also on a case the worker held before handing it over
        await _ask_debrief(update, context, referral_id)
        return
    if verb in LINKAGE_VERBS and await linkage_service.held_before(services, person, referral_id):
        # a prompt still on the phone of a worker who handed the case over
        await query.answer(
            tr(
                "This case is now with a colleague, who will be asked this question. "
                "Nothing changed."
            ),
            show_alert=True,
        )
        return
    referral = await _own_case(update, context, referral_id, action)
    if referral is None:
        return
    if verb == "zz":
        await _rest(update, context, referral)
        return
    if (
        verb
        in (
            "x",
            "r",
            "rr",
            "o",
            "l",
            "lp",
            "t",
            "d",
            "h",
            "g",
            "lk",
            "kr",
            "kc",
            "ka",
            "ln",
            *LINKAGE_VERBS,
        )
        and referral.status not in WORKING
    ):  # an old card
        await query.answer(tr("This button is no longer active."), show_alert=True)
        return
    guardian = labels.guardian_band(services.config, referral.age_band)
    if verb == "n" and _asks_consent(referral, Status(value)):
        # Consent was not asked at the scene: first contact records the answer first.
        await query.answer()
        await edit_card(query, *_consent_question(tr, context, referral, guardian))
        return
    if verb in ("ag", "dn"):
        changed = await cases.first_contact_consent(
            services, person, referral_id, agrees=verb == "ag", guardian=guardian
        )
        if not changed.changed:
            await query.answer(tr("This button is no longer active."), show_alert=True)
        elif verb == "ag":
            await query.answer(tr("Saved."))
        else:
            await query.answer(tr("Saved. The case is closed and the officer is told."))
        if changed.referral is not None:
            await _show_card(update, context, changed.referral)
        await reply(context, changed.notices)
        return
    if verb == "f":
        changed = await follow_ups.followed_up(services, person, referral_id, tap.value_number)
        if not changed.changed:  # a second tap, or the case has ended
            stale = referral.status not in WORKING
            await query.answer(
                tr("This button is no longer active.") if stale else tr("Already recorded."),
                show_alert=stale,
            )
            return
        await query.answer(tr("Saved."))
        # Recorded: now one optional line on how it went (Skip, or ignore it: the
        # question lapses like any other and the tap stands).
        done = followed_up_text(context, referral, services.clock.now())
        question = tr(
            "How did it go? Type one line if you like (only you see it, on your case "
            "card), or tap Skip."
        )
        await ask_on_card(
            update,
            context,
            referral_id,
            FOLLOW_UP_NOTE,
            f"{done}\n{question}",
            {"hours": str(tap.value_number)},
            button=SKIP,
        )
        return
    if verb in LINKAGE_VERBS:
        await _linkage_answer(update, context, referral, verb, tap.value_number)
        return
    if verb == "lk":
        await _close_linked(update, context, referral)
        return
    if verb == "ka":
        await _ask_linkage(update, context, referral, tap.value_number)
        return
    if verb == "ln":  # link a service mid-case: the same menu, nothing closes
        await query.answer()
        await edit_card(query, *await linked_menu(context, referral))
        return
    if verb in ("kr", "kc"):
        await _remove_linkage(update, context, referral, verb == "kc", tap.value_number)
        return
    if verb in STAGE_VERBS:
        await _stage_tap(update, context, referral, verb, value)
        return
    if verb in ("w", "e", "v", "q") and referral.status not in WORKING:  # an old card
        await query.answer(tr("This button is no longer active."), show_alert=True)
        return
    if verb == "w":  # on my way: when will you be there?
        await query.answer()
        question = tr("When will you be there? The officer sees the time.")
        work = await case_work.of(services, referral_id)
        text = (
            cards.case_text(tr, services.config, referral, work, full=protected(query))
            + "\n\n"
            + question
        )
        await edit_card(query, text, cards.eta_buttons(tr, referral))
    elif verb in ("e", "v", "q"):  # on my way (with the estimate), arrived, questioning ended
        if verb == "e":
            changed = await attendance.on_way(services, person, referral_id, Eta(value))
        elif verb == "v":
            changed = await attendance.arrived(services, person, referral_id)
        else:
            changed = await attendance.questioning_ended(services, person, referral_id)
        await query.answer(tr("Saved.") if changed.changed else tr("Already recorded."))
        if changed.referral is not None:
            await _show_card(update, context, changed.referral)
        await reply(context, changed.notices)
    elif verb == "n":
        changed = await cases.advance(services, person, referral_id, Status(value))
        await query.answer(tr("Saved.") if changed.changed else tr("Already recorded."))
        if changed.referral is not None:
            await _show_card(update, context, changed.referral)
        await reply(context, changed.notices)
    elif action == "s":
        revealed = await cases.details_for(services, person, referral_id)
        await query.answer()
        if revealed is not None:  # to the holder's own chat, whatever chat the tap came from
            await send_details(context, person, tr, revealed)
    elif action == "x":
        await query.answer()
        rows = [
            [
                InlineKeyboardButton(
                    tr(label), callback_data=callbacks.case(referral_id, "o", outcome)
                )
            ]
            for outcome, label in labels.OUTCOME.items()
        ]
        rows.append(
            [InlineKeyboardButton(tr("⬅ Back"), callback_data=callbacks.case(referral_id, "b"))]
        )
        await edit_card(
            query, tr("How did {ref} end?", ref=referral.ref), InlineKeyboardMarkup(rows)
        )
    elif verb == "o":
        await _chose_outcome(update, context, referral_id, Outcome(value))
    elif verb == "lp":
        await query.answer()
        page = callbacks.page_of(value)
        assert page is not None  # the grammar let only a kind and a page through
        listed = await resource_directory.choices(services, page[0], referral.station_id)
        await edit_card(query, *_directory_choices(tr, referral, page[0], listed, page[1]))
    elif verb in ("l", "t"):
        await query.answer()
        kind = Resource(value)
        listed = await resource_directory.choices(services, kind, referral.station_id)
        if verb == "l" and listed:
            await edit_card(query, *_directory_choices(tr, referral, kind, listed))
            return
        await ask_on_card(
            update,
            context,
            referral_id,
            "close_resource",
            tr("Type the name of the service or organisation you linked the person to."),
            {"outcome": Outcome.LINKED.value, "resource": kind.value},
        )
    elif verb == "d":
        await _picked_from_directory(update, context, referral, tap.value_number)
    elif action == "r":  # first the reason, by a tap (the reports count it)
        await query.answer()
        await edit_card(query, *_return_reasons(tr, referral))
    elif verb == "rr":  # then the line the officer acts on, typed
        await query.answer()
        chosen = ReturnReason(value)
        await ask_on_card(
            update,
            context,
            referral_id,
            "return_reason",
            tr(
                "Returning {ref} to the police. Reason: {reason}.",
                ref=referral.ref,
                reason=tr(labels.RETURN_REASON[chosen]),
            )
            + "\n"
            + tr("Now type a short line the officer can act on; they are told at once.")
            + "\n"
            + tr("A returned case cannot be reopened."),
            {"why": chosen.value},
        )
    elif action == "h":
        await _choose_colleague(update, context, referral)
    elif verb == "g":
        await _ask_handover_reason(update, context, referral, tap.value_number)
    elif action == "u":
        changed = await cases.reopen(services, person, referral_id)
        if not changed.changed:
            why = tr("This case can no longer be reopened.")
            if referral.status is Status.RETURNED:  # police file anew; the return stays
                why = tr(
                    "A case returned to police cannot be reopened. If social work is needed "
                    "again, the officer files a new referral."
                )
            await query.answer(why, show_alert=True)
            return
        await query.answer(tr("Reopened."))
        assert changed.referral is not None
        await _show_card(update, context, changed.referral)
        await reply(context, changed.notices)
    else:  # "b": back to the card
        await query.answer()
        await _show_card(update, context, referral)


def _return_reasons(tr: Translator, referral: Referral) -> tuple[str, InlineKeyboardMarkup]:
    """The card asking why the case goes back: one button per reason, and Back. The
    warning stands here already, before anything is typed."""
    rows = [
        [InlineKeyboardButton(tr(label), callback_data=callbacks.case(referral.id, "rr", why))]
        for why, label in labels.RETURN_REASON.items()
    ]
    rows.append(
        [InlineKeyboardButton(tr("⬅ Back"), callback_data=callbacks.case(referral.id, "b"))]
    )
    text = (
        tr(
            "Why are you returning {ref} to the police? Choose a reason; then you type a "
            "short line for the officer.",
            ref=referral.ref,
        )
        + "\n"
        + tr("A returned case cannot be reopened.")
    )
    return text, InlineKeyboardMarkup(rows)


def followed_up_text(context: BotContext, referral: Referral, at: datetime) -> str:
    """The follow-up prompt once answered: its headline and when."""
    tr, config = context.tr, context.services.config
    return (
        cards.headline(tr, config, referral)
        + "\n"
        + tr("✔ Followed up at {time}.", time=local_time(at, config.zone))
    )


async def _rest(update: Update, context: BotContext, referral: Referral) -> None:
    """One tap after a night call-out: away, no new offers until noon."""
    query = update.callback_query
    assert query is not None
    tr, config = context.tr, context.services.config
    rest = await care.rest(context.services, me(context), referral)
    if rest is None:
        await query.answer(tr("This button is no longer active."), show_alert=True)
        return
    if rest.until is None:  # an away with no end stays so
        await query.answer(tr("You are already away until you send /available."))
    elif rest.already:
        when = local_time(rest.until, config.zone)
        await query.answer(tr("You are already away until {time}.", time=when))
    else:
        when = local_time(rest.until, config.zone)
        await query.answer(tr("You are away until {time}. No new offers until then.", time=when))
    await edit_buttons(query, None)


async def _ask_debrief(update: Update, context: BotContext, referral_id: int) -> None:
    """One tap on any case the worker holds or held, open or ended: their team's
    coordinators hear the worker asks."""
    query = update.callback_query
    assert query is not None
    tr = context.tr
    referral = await referral_service.get(context.services, referral_id)
    asked = None
    if referral is not None:
        asked = await care.ask_debrief(context.services, me(context), referral)
    if asked is None:
        await cases.refused(context.services, me(context), referral_id, "db")
        await query.answer(tr("This case is not yours."), show_alert=True)
    elif asked:
        await query.answer(
            tr("Your coordinator is asked to get in touch for a debrief."), show_alert=True
        )
    else:
        await query.answer(tr("You have already asked for a debrief after this case."))


# Buttons of an open case only: on a closed or returned case's old card they are stale.
WORKING_ONLY = frozenset(
    {"x", "r", "rr", "o", "l", "lp", "t", "d", "h", "g", "lk", "kr", "kc", "ka", "ln"}
    | {"ky", "kp", "kn", "kx"}  # the answers to "did the service happen?"
)
STAGE_VERBS = frozenset({"na", "nd", "nu", "pg", "rd", "rv", "lc", "ba", "ge", "gp", "gx", "rk"})


async def _stage_tap(
    update: Update, context: BotContext, referral: Referral, verb: str, value: str
) -> None:
    """What the stages hold: needs, goals and review date, contacts; back to assessment.
    A tap the case's stage no longer offers (an old card) changes nothing."""
    query = update.callback_query
    assert query is not None
    services, person, tr, rid = context.services, me(context), context.tr, referral.id
    stale = tr("This button is no longer active.")
    if verb == "na":
        if referral.status not in case_work.NEEDS_AT:
            await query.answer(stale, show_alert=True)
            return
        await query.answer()
        work = await case_work.of(services, rid)
        await edit_card(
            query, _needs_question(context, referral), cards.needs_buttons(tr, referral, work)
        )
    elif verb in ("nd", "nu"):  # tick, untick: the state wanted, so a repeat is harmless
        ticked = verb == "nd"
        if not await case_work.set_need(services, person, rid, Need(value), ticked=ticked):
            await query.answer(stale, show_alert=True)
            return
        await query.answer(tr("Saved."))
        work = await case_work.of(services, rid)
        await edit_card(
            query, _needs_question(context, referral), cards.needs_buttons(tr, referral, work)
        )
    elif verb == "pg":
        work = await case_work.of(services, rid)
        if referral.status not in case_work.PLAN_AT or work.goals_full:
            await query.answer(
                tr("The plan already holds three goals.") if work.goals_full else stale,
                show_alert=True,
            )
            return
        await query.answer()
        question = tr(
            "Type one goal of the plan, in one line (goal {number} of {limit}).",
            number=len(work.goals) + 1,
            limit=GOAL_LIMIT,
        )
        await ask_on_card(update, context, rid, PLAN_GOAL, question, {})
    elif verb in ("ge", "gp", "gx"):
        await _goal_tap(update, context, referral, verb, value)
    elif verb == "rk":
        await _reviewed(update, context, referral)
    elif verb == "rd":
        if referral.status not in case_work.PLAN_AT:
            await query.answer(stale, show_alert=True)
            return
        await query.answer()
        question = tr("When should the plan be reviewed? You will be reminded that day.")
        work = await case_work.of(services, rid)
        text = (
            cards.case_text(tr, services.config, referral, work, full=protected(query))
            + "\n\n"
            + question
        )
        await edit_card(query, text, cards.review_buttons(tr, referral))
    elif verb == "rv":
        if not await case_work.set_review(services, person, rid, tap_days(value)):
            await query.answer(stale, show_alert=True)
            return
        await query.answer(tr("Saved."))
        await _show_card(update, context, referral)
    elif verb == "lc":
        logged = await case_work.log_contact(services, person, rid, ContactMode(value))
        if logged is None:
            await query.answer(stale, show_alert=True)
            return
        if not logged.new:  # a double tap, or a retry: the first tap logged it
            await query.answer(tr("Already logged."))
            return
        await query.answer(tr("Contact logged."))
        question = tr("Contact logged. With whom? Type one line if you like, or tap Skip.")
        contact = {"contact": str(logged.contact_id)}
        await ask_on_card(update, context, rid, CONTACT_WITH, question, contact, button=SKIP)
    else:  # "ba": back to assessment
        dated = (await case_work.of(services, rid)).review_at is not None
        changed = await case_work.back_to_assessment(services, person, rid, Status(value))
        if not changed.changed:
            await query.answer(stale, show_alert=True)
            return
        if dated:  # the review date went with the plan being remade
            done = tr(
                "Back to assessment. What was recorded is kept; the review date is cleared "
                "(set a new one with the next plan)."
            )
        else:
            done = tr("Back to assessment. What was recorded is kept.")
        await query.answer(done)
        assert changed.referral is not None
        await _show_card(update, context, changed.referral)


async def _goal_tap(
    update: Update, context: BotContext, referral: Referral, verb: str, value: str
) -> None:
    """Edit the plan's goals: the list (ge), one goal picked (gp: type its new line, or
    remove it), removed (gx). A goal named by an old card that is gone changes nothing."""
    query = update.callback_query
    assert query is not None
    services, person, tr, rid = context.services, me(context), context.tr, referral.id
    stale = tr("This button is no longer active.")
    work = await case_work.of(services, rid)
    goal = work.goal(int(value)) if value else None
    if referral.status not in case_work.PLAN_AT or not work.goals or (verb != "ge" and not goal):
        await query.answer(stale, show_alert=True)
        return
    if verb == "ge":
        await query.answer()
        text = cards.case_text(tr, services.config, referral, work, full=protected(query)) + "\n\n"
        text += tr("Which goal? Tap it to type a new line for it or to remove it.")
        await edit_card(query, text, cards.goal_buttons(tr, referral, work))
        return
    assert goal is not None
    if verb == "gx":
        if not await case_work.remove_goal(services, person, rid, goal.id):
            await query.answer(stale, show_alert=True)
            return
        await prompts.clear(services, person)  # the question this button was under
        await query.answer(tr("Goal removed."))
        await _show_card(update, context, referral)
        return
    await query.answer()
    number = work.goals.index(goal) + 1
    question = tr(
        "Goal {number}: {goal}\nType the new line for this goal, or remove it.",
        number=number,
        goal=goal.text,
    )
    remove = InlineKeyboardButton(
        tr("🗑 Remove this goal"), callback_data=callbacks.case(rid, "gx", str(goal.id))
    )
    await ask_on_card(
        update, context, rid, GOAL_EDIT, question, {"goal": str(goal.id)}, also=remove
    )


async def _reviewed(update: Update, context: BotContext, referral: Referral) -> None:
    """The plan review is done: the chain to the coordinators stops; a new review date
    is offered (one tap, or none)."""
    query = update.callback_query
    assert query is not None
    services, person, tr = context.services, me(context), context.tr
    if not await case_work.reviewed(services, person, referral.id):
        await query.answer(tr("This button is no longer active."), show_alert=True)
        return
    await query.answer(tr("Saved."))
    if referral.status not in case_work.PLAN_AT:
        await _show_card(update, context, referral)
        return
    work = await case_work.of(services, referral.id)
    question = tr("Plan reviewed. Set the next review date?")
    text = (
        cards.case_text(tr, services.config, referral, work, full=protected(query))
        + "\n\n"
        + question
    )
    await edit_card(query, text, cards.review_buttons(tr, referral, after_review=True))


def tap_days(value: str) -> int:
    """The review button's days (the grammar let only digits through)."""
    return int(value)


def _needs_question(context: BotContext, referral: Referral) -> str:
    tr = context.tr
    return "\n".join(
        [
            cards.headline(tr, context.services.config, referral),
            tr("Which needs does the person present? Tap each that applies, then Done."),
            tr("Never shown to the officer."),
        ]
    )


async def _choose_colleague(update: Update, context: BotContext, referral: Referral) -> None:
    """The team's colleagues (state and open cases, as a coordinator's Assign shows
    them) and "the coordinator"; or, while a request waits, who it waits for."""
    query = update.callback_query
    assert query is not None
    services, tr = context.services, context.tr
    waiting = await transfers.pending(services, referral.id)
    if waiting is not None:
        await query.answer(
            tr(
                "You asked {worker} to take this case over; it stays yours until they answer.",
                worker=waiting[1].display_name,
            ),
            show_alert=True,
        )
        return
    await query.answer()
    rows = []
    for colleague in await transfers.colleagues(services, me(context), referral):
        label = tr(
            "{name} · {state} · {count} open",
            name=colleague.person.display_name,
            state=tr("on duty") if colleague.on_duty else tr("away"),
            count=colleague.open_cases,
        )
        data = callbacks.case(referral.id, "g", str(colleague.person.id))
        rows.append([InlineKeyboardButton(label, callback_data=data)])
    back_to = callbacks.case(referral.id, "g", str(transfers.TO_COORDINATORS))
    rows.append([InlineKeyboardButton(tr("↩️ Back to the coordinator"), callback_data=back_to)])
    rows.append(
        [InlineKeyboardButton(tr("⬅ Back"), callback_data=callbacks.case(referral.id, "b"))]
    )
    title = tr("Hand {ref} over to:", ref=referral.ref)
    if referral.appropriate_adult_now:  # routing asks for one; so does a handover
        title += "\n" + tr("Only colleagues trained as appropriate adults are listed.")
    await edit_card(query, title, InlineKeyboardMarkup(rows))


async def _ask_handover_reason(
    update: Update, context: BotContext, referral: Referral, colleague_id: int
) -> None:
    """One typed line: why. The colleague (or the coordinators) read it with the request."""
    query = update.callback_query
    assert query is not None
    services, tr = context.services, context.tr
    if colleague_id == transfers.TO_COORDINATORS:
        question = tr(
            "Why are you handing {ref} back to the coordinator? Type one line; the "
            "coordinators read it on their card.",
            ref=referral.ref,
        )
    else:
        chosen = {
            c.person.id: c.person
            for c in await transfers.colleagues(services, me(context), referral)
        }
        colleague = chosen.get(colleague_id)
        if colleague is None:  # left the team, deactivated, or a forged button
            await query.answer(
                tr("This colleague can no longer take cases. Please choose again."),
                show_alert=True,
            )
            return
        question = tr(
            "Why are you handing {ref} over to {worker}? Type one line; they read it with "
            "the request. Keep personal details out of it.",
            ref=referral.ref,
            worker=colleague.display_name,
        )
    await query.answer()
    await ask_on_card(
        update, context, referral.id, "handover_reason", question, {"to": str(colleague_id)}
    )


DIRECTORY_PAGE = 8  # entries on one page of the directory's list
FACT_LIMIT = 60  # contact, hours and languages, as shown in the list
NOTE_LIMIT = 80  # the administrators' note, as shown in the list


def _capped(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _directory_choices(
    tr: Translator, referral: Referral, kind: Resource, listed: list[Entry], page: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    """The directory's entries of ``kind`` serving the referral's station, with what a
    worker needs to choose (hours, languages, the administrators' note), and a way to
    type a resource the directory does not list.

    A page at a time (◀ ▶ between pages), each fact shown compactly and a long note cut
    short, so a long directory still fits one message (Telegram takes 4096 characters;
    a longer edit fails and the card would stay where it was)."""
    rid = referral.id
    pages = max(1, -(-len(listed) // DIRECTORY_PAGE))
    page = min(max(page, 0), pages - 1)  # the directory may have shrunk since
    shown = listed[page * DIRECTORY_PAGE : (page + 1) * DIRECTORY_PAGE]
    kind_label = tr(labels.RESOURCE[kind])
    lines = [
        tr("Which {kind}? (page {page} of {pages})", kind=kind_label, page=page + 1, pages=pages)
        if pages > 1
        else tr("Which {kind}?", kind=kind_label)
    ]
    rows = []
    for entry in shown:
        name = entry.name(tr.language)
        facts = [
            _capped(part, FACT_LIMIT) for part in (entry.contact, entry.hours, entry.languages)
        ]
        facts.append(_capped(entry.note, NOTE_LIMIT))
        facts = [part for part in facts if part]
        lines.append(
            f"• <b>{html.escape(name)}</b>"
            + (f" — {html.escape(' · '.join(facts))}" if facts else "")
        )
        rows.append(
            [InlineKeyboardButton(name, callback_data=callbacks.case(rid, "d", str(entry.id)))]
        )
    if pages > 1:
        turn = []
        if page > 0:
            turn.append(
                InlineKeyboardButton(
                    tr("◀ Previous"), callback_data=callbacks.case(rid, "lp", f"{kind}_{page - 1}")
                )
            )
        if page < pages - 1:
            turn.append(
                InlineKeyboardButton(
                    tr("Next ▶"), callback_data=callbacks.case(rid, "lp", f"{kind}_{page + 1}")
                )
            )
        rows.append(turn)
    rows.append(
        [
            InlineKeyboardButton(
                tr("✏️ Another (type its name)"), callback_data=callbacks.case(rid, "t", kind)
            )
        ]
    )
    rows.append(
        [InlineKeyboardButton(tr("⬅ Back"), callback_data=callbacks.case(rid, "o", Outcome.LINKED))]
    )
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def _picked_from_directory(
    update: Update, context: BotContext, referral: Referral, resource_id: int
) -> None:
    """A directory entry was tapped: check it still serves this referral (the button is
    untrusted and may be older than the last import), then ask the officer's line."""
    query = update.callback_query
    assert query is not None
    tr = context.tr
    entry = await resource_directory.entry(context.services, resource_id)
    if entry is None or not entry.serves(referral.station_id):
        await query.answer(
            tr("The directory no longer lists this resource. Please choose again."),
            show_alert=True,
        )
        return
    name = entry.name(tr.language)
    changed = await linkage_service.record(
        context.services,
        me(context),
        referral.id,
        kind=Resource(entry.type),
        name=name,
        resource_id=entry.id,
    )
    if not changed.changed:
        if still_mine(context, changed.referral):  # the same service already waits
            await query.answer(tr("Already recorded."))
            await edit_card(query, *await linked_menu(context, referral))
            return
        await query.answer(tr("This button is no longer active."), show_alert=True)
        return
    await query.answer(tr("Saved."))
    await edit_card(query, *await linked_menu(context, referral))


def still_mine(context: BotContext, referral: Referral | None) -> bool:
    """Whether a linkage that was not recorded was refused as a repeat: the case is
    still the presser's and open, so the same service already waits on it."""
    return (
        referral is not None
        and referral.assignee_id == me(context).id
        and referral.status in WORKING
    )


LINKAGE_VERBS = {
    "ky": linkage_service.Answer.YES,
    "kp": linkage_service.Answer.PARTLY,
    "kn": linkage_service.Answer.NO,
    "kx": linkage_service.Answer.DECLINED,
}
ANSWER_LABEL = {
    linkage_service.Answer(a): label
    for a, label in zip(
        ("yes", "partly", "no", "declined"), (label for _, label in LINKAGE_ANSWERS), strict=True
    )
}


async def linked_menu(context: BotContext, referral: Referral) -> tuple[str, InlineKeyboardMarkup]:
    """ "Linked to a resource" (also "Link a service" mid-case): the services linked so
    far and what each follow-up said, the kinds to link another, an early answer for each
    waiting one (the worker may know the same night), and close as linked once every
    follow-up is answered and a service happened; if none did, the way to the other
    outcomes."""
    tr, rid = context.tr, referral.id
    links = await linkage_service.of(context.services, rid)
    lines = []
    if links:
        lines.append(tr("Linked so far:"))
        for link in links:
            said = (
                tr(ANSWER_LABEL[linkage_service.Answer(link.answer)])
                if link.answer
                else tr("waiting for the follow-up")
            )
            lines.append(f"• {html.escape(link.name)} — {said}")
        lines.append("")
    lines.append(tr("Which kind of resource?"))
    kinds = [
        InlineKeyboardButton(tr(label), callback_data=callbacks.case(rid, "l", kind))
        for kind, label in labels.RESOURCE.items()
    ]
    rows = [kinds[i : i + 2] for i in range(0, len(kinds), 2)]
    for link in linkage_service.unanswered(links):
        rows.append(  # answer now, without waiting for the follow-up
            [
                InlineKeyboardButton(
                    tr("❓ Did {name} happen?", name=Html(link.name)),
                    callback_data=callbacks.case(rid, "ka", str(link.id)),
                )
            ]
        )
        rows.append(  # recorded by mistake: an unanswered one can come off (after a confirm)
            [
                InlineKeyboardButton(
                    tr("✖ Remove {name}", name=Html(link.name)),
                    callback_data=callbacks.case(rid, "kr", str(link.id)),
                )
            ]
        )
    if links and not linkage_service.unanswered(links):
        if linkage_service.served(links):
            rows.append(
                [
                    InlineKeyboardButton(
                        tr("✔ Close as linked"), callback_data=callbacks.case(rid, "lk")
                    )
                ]
            )
        else:
            lines.append(none_served_text(tr))
            rows.append(
                [InlineKeyboardButton(tr("Close case"), callback_data=callbacks.case(rid, "x"))]
            )
    elif links:
        lines.append(
            tr(
                "The case can close as linked once every service has a follow-up answer. "
                "The case stays open meanwhile."
            )
        )
    rows.append([InlineKeyboardButton(tr("⬅ Back"), callback_data=callbacks.case(rid, "b"))])
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def none_served_text(tr: Translator) -> str:
    return tr("None of the linked services happened: close the case with another outcome.")


def not_linked_text(tr: Translator, refused: cases.NotLinked) -> str:
    """Why the case cannot close as linked (now)."""
    if refused.waiting:
        return tr("Not yet: the case closes as linked once every service has a follow-up answer.")
    return none_served_text(tr)


async def _close_linked(update: Update, context: BotContext, referral: Referral) -> None:
    """Close as linked: only once every linkage has its follow-up answer."""
    query = update.callback_query
    assert query is not None
    tr = context.tr
    links = await linkage_service.of(context.services, referral.id)
    if not links or linkage_service.unanswered(links):
        await query.answer(not_linked_text(tr, cases.NotLinked(waiting=True)), show_alert=True)
        return
    if not linkage_service.served(links):
        await query.answer(not_linked_text(tr, cases.NotLinked(waiting=False)), show_alert=True)
        return
    await query.answer()
    # What the officer hears is decided at closing, from the linkages as they are then.
    await ask_on_card(
        update,
        context,
        referral.id,
        "close_note",
        note_question(context),
        {"outcome": Outcome.LINKED.value},
    )


async def _remove_linkage(
    update: Update, context: BotContext, referral: Referral, confirmed: bool, linkage_id: int
) -> None:
    """ "Remove" on an unanswered linkage: ask to confirm, then remove it (its follow-up
    stops) and show the linked menu again."""
    query = update.callback_query
    assert query is not None
    tr, rid = context.tr, referral.id
    links = {
        link.id: link
        for link in linkage_service.unanswered(await linkage_service.of(context.services, rid))
    }
    link = links.get(linkage_id)
    if link is None:  # answered or removed since the menu was drawn
        await query.answer(tr("This button is no longer active."), show_alert=True)
        return
    if not confirmed:
        await query.answer()
        text = tr(
            "Remove {name} from this case? Do this only if it was recorded by mistake: "
            "its follow-up will not be asked.",
            name=link.name,
        )
        buttons = [
            [
                InlineKeyboardButton(
                    tr("✖ Yes, remove it"), callback_data=callbacks.case(rid, "kc", str(link.id))
                )
            ],
            [
                InlineKeyboardButton(
                    tr("⬅ Back"), callback_data=callbacks.case(rid, "o", Outcome.LINKED)
                )
            ],
        ]
        await edit_card(query, text, InlineKeyboardMarkup(buttons))
        return
    removed = await linkage_service.remove(context.services, me(context), rid, linkage_id)
    if not removed.changed or removed.referral is None:
        await query.answer(tr("This button is no longer active."), show_alert=True)
        return
    await query.answer(tr("Removed."))
    await edit_card(query, *await linked_menu(context, removed.referral))


async def _linkage_answer(
    update: Update, context: BotContext, referral: Referral, verb: str, linkage_id: int
) -> None:
    """An answer to "did the service happen?" (on the follow-up, or early from the
    menu): the card then names the service, since a case may have several, and leads
    back to the case's linked services."""
    query = update.callback_query
    assert query is not None
    tr, services = context.tr, context.services
    answer = LINKAGE_VERBS[verb]
    link = await linkage_service.one(services, referral.id, linkage_id)
    changed = await linkage_service.answered(services, me(context), referral.id, linkage_id, answer)
    if not changed.changed or link is None:
        await query.answer(tr("Already recorded."), show_alert=True)
        return
    await query.answer(tr("Saved."))
    said = tr("✔ {name}: {answer}", name=link.name, answer=tr(ANSWER_LABEL[answer]))
    back = InlineKeyboardButton(
        tr("🔗 Linked services"), callback_data=callbacks.case(referral.id, "o", Outcome.LINKED)
    )
    await edit_card(
        query,
        cards.headline(tr, services.config, referral) + "\n" + said,
        InlineKeyboardMarkup([[back]]),
    )


async def _ask_linkage(
    update: Update, context: BotContext, referral: Referral, linkage_id: int
) -> None:
    """From the menu: "did the service happen?" now, with the follow-up's four answers."""
    query = update.callback_query
    assert query is not None
    tr, rid = context.tr, referral.id
    link = await linkage_service.one(context.services, rid, linkage_id)
    if link is None or link.answer is not None:  # answered or removed since the menu
        await query.answer(tr("This button is no longer active."), show_alert=True)
        return
    await query.answer()
    asked = tr("You linked the person to {name}. Did the service happen?", name=link.name)
    held_since = referral.held_since
    if held_since is not None and link.created_at < held_since:  # the previous holder's
        asked = tr(
            "The person was linked to {name} before you took this case over. "
            "Did the service happen?",
            name=link.name,
        )
    text = cards.headline(tr, context.services.config, referral) + "\n" + asked
    rows = list(linkage_buttons(tr, referral, link.id).inline_keyboard)
    rows.append(
        (
            InlineKeyboardButton(
                tr("⬅ Back"), callback_data=callbacks.case(rid, "o", Outcome.LINKED)
            ),
        )
    )
    await edit_card(query, text, InlineKeyboardMarkup(rows))


def _asks_consent(referral: Referral, seen: Status) -> bool:
    """ "First contact made" on a case filed with consent "not asked": ask the answer."""
    return (
        seen is Status.ACCEPTED
        and referral.status is Status.ACCEPTED
        and referral.consent is Consent.NOT_ASKED
    )


def _consent_question(
    tr: Translator, context: BotContext, referral: Referral, guardian: bool
) -> tuple[str, InlineKeyboardMarkup]:
    """The case card asks what the person (a child's guardian) said about social work:
    agrees, and case work goes on; declines, and the case ends there."""
    rid = referral.id
    text = "\n".join(
        [
            cards.headline(tr, context.services.config, referral),
            tr("Consent was not asked when this was filed."),
            tr(labels.CONSENT_AT_CONTACT[guardian]),
        ]
    )
    rows = [
        [
            InlineKeyboardButton(
                tr("✅ The guardian agrees") if guardian else tr("✅ Agrees"),
                callback_data=callbacks.case(rid, "ag"),
            ),
            InlineKeyboardButton(
                tr("✖ The guardian declines") if guardian else tr("✖ Declines"),
                callback_data=callbacks.case(rid, "dn"),
            ),
        ],
        [InlineKeyboardButton(tr("⬅ Back"), callback_data=callbacks.case(rid, "b"))],
    ]
    return text, InlineKeyboardMarkup(rows)


async def _own_case(
    update: Update, context: BotContext, referral_id: int, action: str
) -> Referral | None:
    """The case if the presser holds it; otherwise refuse, audit, change nothing."""
    query = update.callback_query
    assert query is not None
    referral = await referral_service.get(context.services, referral_id)
    if referral is None or referral.assignee_id != me(context).id:
        await cases.refused(context.services, me(context), referral_id, action)
        await query.answer(context.tr("This case is not yours."), show_alert=True)
        return None
    return referral


async def _chose_outcome(
    update: Update, context: BotContext, referral_id: int, outcome: Outcome
) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()
    if outcome is Outcome.LINKED:
        referral = await referral_service.get(context.services, referral_id)
        assert referral is not None  # the tap was checked against it a moment ago
        await edit_card(query, *await linked_menu(context, referral))
        return
    await ask_on_card(
        update,
        context,
        referral_id,
        "close_note",
        note_question(context),
        {"outcome": outcome.value},
    )


async def _show_card(update: Update, context: BotContext, referral: Referral) -> None:
    query = update.callback_query
    assert query is not None
    tr = context.tr
    work = await case_work.of(context.services, referral.id)
    await edit_card(
        query,
        cards.case_text(tr, context.services.config, referral, work, full=protected(query)),
        cards.case_buttons(tr, referral, work),
    )


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [callbacks.handler(callbacks.Code.CASE, on_case_tap)]
