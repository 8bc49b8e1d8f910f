"""/oncall: who is on duty now and next. /cover: a coordinator changes the rota by buttons.

/cover is a chain of taps (rota → person → add / off / covers for → whom → period →
confirm) whose callback data carries the choices so far, ``r:<step>:<ids>`` and at most
about 50 bytes, instead of state kept in memory: a restart between two taps loses
nothing. The rota is a team's social workers (``r:t:<team>``, then steps ``r:w:``,
``r:c:`` ...) or the coordinators' own (``r:k``, then the same steps prefixed with
``k``: ``r:kw:``, ``r:kc:`` ...), since one person may be on both. The data comes from
the client, so every tap reloads the people and checks that the presser may change
that rota; the service checks everything again when saving.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.domain.people import Person, Role
from bot.domain.rota import Change, Reach
from bot.i18n import N_, Html, Translator
from bot.services import care
from bot.services import people as people_service
from bot.services import rota as rota_service
from bot.services.rota.covers import CoverRefused, Period, Refusal
from bot.services.rota.duty import Board
from handlers import callbacks, cards
from handlers.context import BotContext, me
from handlers.guard import requires
from handlers.replies import edit_card, local_time, zone_note
from handlers.sender import reply

COORDINATORS_STEP = "k"  # "r:k": the coordinators' rota; "r:k<step>:...": a step on it
MESSAGE_LIMIT = 4000  # Telegram allows 4096; leave room
ANCHOR_SLACK = timedelta(minutes=2)  # a confirm card made "in the future" is forged

CHANGE_CODES = {Change.ADD: "a", Change.REMOVE: "r", Change.REPLACE: "x"}
CHANGES = {code: change for change, code in CHANGE_CODES.items()}
CHANGE_LABELS = {
    Change.ADD: N_("➕ On duty as well"),
    Change.REMOVE: N_("➖ Off duty"),
    Change.REPLACE: N_("🔁 Covers for someone"),
}
PERIOD_LABELS = {
    Period.UNTIL_MORNING: N_("Now until 08:00"),
    Period.TONIGHT: N_("Tonight 18:00–08:00"),
    Period.TODAY: N_("Today 09:00–18:00"),
    Period.NEXT_4_HOURS: N_("Next 4 hours"),
}
CANCEL = N_("✖ Cancel")
COORDINATORS = N_("Coordinators")


# ----------------------------------------------------------------------------------------
# /oncall
# ----------------------------------------------------------------------------------------


@requires(Role.SOCIAL_WORKER, Role.COORDINATOR, Role.OFFICER)
async def oncall(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    services, tr, person = context.services, context.tr, me(context)
    if person.has(Role.OFFICER):
        await message.reply_text(await _officer_text(context))
        if not person.has(Role.SOCIAL_WORKER, Role.COORDINATOR):
            return
    found = await rota_service.boards(services, person, services.clock.now())
    if not found:
        await message.reply_text(tr("You are in no team, so there is no rota to show."))
        return
    texts = [_board_text(context, board) for board in found]
    covered = set(rota_service.covered_teams(services, person))
    for index, board in enumerate(found):
        if board.team_id in covered:  # coordinators share night duty out by these
            table = await care.night_table(services, [board.team_id])
            texts[index] += "\n" + cards.night_line(tr, table)
    if any(board.workers.next_at is not None for board in found):  # a time is listed
        texts[-1] += "\n" + zone_note(context.tr, context.services.config.zone)
    for text in _chunks(texts):
        await message.reply_text(text)


async def _officer_text(context: BotContext) -> str:
    """Whom an officer can reach for their station now: the coordinator on duty and the
    team's workers on duty, each name tappable (a private chat opens). Only people the
    bot can reach are listed: one who blocked it is not tonight's cover. Nobody on duty
    says what happens to a referral filed now and lists the team's coordinators, whom
    its escalation then reaches, each name tappable too."""
    services, tr, person = context.services, context.tr, me(context)
    now = services.clock.now()
    station = services.config.station(person.station_id or "")
    station_name = station.name(tr.language) if station else (person.station_id or "")
    board = await rota_service.station_board(services, person.station_id or "", now)
    if board is None:
        return tr(
            "No social work team covers {station} yet. Please ask your administrator.",
            station=station_name,
        )
    coordinators, workers = board.coordinators.cover, board.workers.now.cover
    lines = [tr("<b>On duty now for {station}</b>", station=station_name)]
    if not coordinators and not workers:
        lines.append(tr("Nobody is on duty right now."))
        duty = board.workers
        if duty.next_at is not None and duty.next_people.cover:
            lines.append(
                tr(
                    "Next shift from {time}: {names}",
                    time=local_time(duty.next_at, services.config.zone),
                    names=Html(_links(tr, duty.next_people.cover)),
                )
            )
        # Escalation's last level reaches every coordinator of the team when none is on
        # duty (bot/services/escalation.py): those are whom the officer can write to.
        lines.append(
            tr(
                "A referral you file now still reaches the coordinators (all of them if "
                "none is on duty); a routine one outside service hours waits for the next "
                "shift, and you are told so when you file it."
            )
        )
        everyone = board.all_coordinators.cover
        lines.append(tr("Coordinators: {names}", names=Html(_links(tr, everyone))))
        if everyone:
            lines.append(tr("Tap a name to write to them."))
        if duty.next_at is not None:
            lines.append(zone_note(tr, services.config.zone))
        return "\n".join(lines)
    lines.append(tr("Coordinator on duty: {names}", names=Html(_links(tr, coordinators))))
    lines.append(tr("Social workers on duty: {names}", names=Html(_links(tr, workers))))
    lines.append(tr("Tap a name to write to them."))
    return "\n".join(lines)


def _links(tr: Translator, found: tuple[Person, ...]) -> str:
    """Tappable names (HTML), or "nobody"."""
    return tr.join(cards.person_link(p) for p in found) if found else tr("nobody")


def _board_text(context: BotContext, board: Board) -> str:
    services, tr = context.services, context.tr
    zone = services.config.zone
    team = services.config.team(board.team_id)
    title = team.name(tr.language) if team else board.team_id
    lines = [f"<b>{html.escape(title)}</b>"]
    duty = board.workers
    if not duty.rota:
        lines.append(tr("No rota yet: on duty means marked /available."))
    lines.append(tr("On duty now: {names}", names=Html(_cover(tr, duty.now))))
    if duty.next_at is not None:
        lines.append(
            tr(
                "Next shift from {time}: {names}",
                time=local_time(duty.next_at, zone),
                names=Html(_cover(tr, duty.next_people)),
            )
        )
    lines.append(tr("Coordinator on duty: {names}", names=Html(_cover(tr, board.coordinators))))
    return "\n".join(lines)


def _names(tr: Translator, found: tuple[Person, ...] | list[Person]) -> str:
    """The names as HTML (escaped), or "nobody"."""
    return tr.join(html.escape(p.display_name) for p in found) if found else tr("nobody")


def _cover(tr: Translator, found: Reach) -> str:
    """Who covers ("nobody" if only unreachable people are on), then who is on duty but
    cannot be reached, marked so a coordinator sees the gap and phones them (HTML)."""
    names = _names(tr, found.cover)
    if not found.unreachable:
        return names
    return tr(
        "{names} · ⚠️ cannot be reached: {unreachable}",
        names=Html(names),
        unreachable=Html(_names(tr, found.unreachable)),
    )


def _chunks(parts: list[str]) -> list[str]:
    """Whole team blocks per message, as few messages as Telegram's length allows."""
    chunks: list[str] = []
    for part in parts:
        if chunks and len(chunks[-1]) + 2 + len(part) <= MESSAGE_LIMIT:
            chunks[-1] += "\n\n" + part
        else:
            chunks.append(part[:MESSAGE_LIMIT])
    return chunks


# ----------------------------------------------------------------------------------------
# /cover
# ----------------------------------------------------------------------------------------


@requires(Role.COORDINATOR)
async def cover(update: Update, context: BotContext) -> None:
    """First the rota: one of the presser's teams, or the coordinators' own rota, which
    every coordinator may change (see :func:`bot.services.rota.may_cover`)."""
    message = update.effective_message
    assert message is not None
    services, tr = context.services, context.tr
    teams = rota_service.covered_teams(services, me(context))
    if teams:
        rows = [[_button(_team_name(context, t), f"r:t:{t}")] for t in teams]
        rows.append([_button(tr(COORDINATORS), f"r:{COORDINATORS_STEP}")])
        text, markup = tr("Whose rota do you want to change?"), _with_cancel(context, rows)
    else:  # a coordinator whose team left the config: only the coordinators' rota
        text, markup = await _people_step(context, None)
    await message.reply_text(text, reply_markup=markup)


@requires(Role.COORDINATOR)
async def on_cover_tap(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    tr, tap = context.tr, callbacks.tap_of(update)
    step, args = tap.action, tap.value.split(":") if tap.value else []
    if step == "no":
        await query.answer()
        await edit_card(query, tr("Cancelled: the rota is unchanged."))
        return
    if step in ("t", COORDINATORS_STEP):
        team_id = args[0] if step == "t" else None
        known = team_id is None or context.services.config.team(team_id) is not None
        if not known or not rota_service.may_cover(me(context), team_id):
            await _refuse(update, context)
            return
        await query.answer()
        await edit_card(query, *await _people_step(context, team_id))
        return
    role = Role.COORDINATOR if step.startswith(COORDINATORS_STEP) else Role.SOCIAL_WORKER
    step = step.removeprefix(COORDINATORS_STEP)
    member = await _member(context, int(args[0]), role)
    if member is None:
        await _refuse(update, context, role=role)
        return
    if step == "w":
        await query.answer()
        await edit_card(query, *_change_step(context, member, role))
    elif step == "c" and CHANGES[args[1]] is Change.REPLACE:
        await query.answer()
        await edit_card(query, *await _replaces_step(context, member, role))
    elif step == "c":
        await _period_step(update, context, member, role, CHANGES[args[1]], None)
    elif step == "x":
        replaced = await _replaced(context, member, role, int(args[1]))
        if replaced is None:
            await _refuse(update, context, role=role)
            return
        await _period_step(update, context, member, role, Change.REPLACE, replaced)
    elif step == "p":
        await _to_confirm_step(update, context, member, role, args)
    else:
        await _save(update, context, member, role, args)


def _prefix(role: Role) -> str:
    """The start of a step's button data on the rota of ``role``."""
    return f"r:{COORDINATORS_STEP}" if role is Role.COORDINATOR else "r:"


async def _member(context: BotContext, person_id: int, role: Role) -> Person | None:
    """The tapped person, if they are active on a rota of ``role`` the presser may change:
    a worker of a team they cover, or any coordinator."""
    found = await rota_service.find_person(context.services, person_id)
    if found is None or not found.active or found.scope(role) is None:
        return None
    team_id = rota_service.rota_team(found, role)
    if role is Role.SOCIAL_WORKER and team_id is None:
        return None
    return found if rota_service.may_cover(me(context), team_id) else None


async def _refuse(
    update: Update, context: BotContext, text: str | None = None, role: Role = Role.SOCIAL_WORKER
) -> None:
    """Say no with an alert; without ``text`` the tap names someone outside the rotas the
    presser may change (forged or stale), and who tried it is kept in the audit log."""
    query = update.callback_query
    assert query is not None
    if text is None:
        if role is Role.COORDINATOR:
            text = context.tr("This person is not on the coordinators' rota.")
        else:
            text = context.tr("This person is not in a team you coordinate.")
        await people_service.refused(context.services, me(context), f"button:{query.data}")
    await query.answer(text, show_alert=True)


async def _people_step(
    context: BotContext, team_id: str | None
) -> tuple[str, InlineKeyboardMarkup]:
    """The people of one rota (``team_id`` None: the coordinators') to choose from."""
    tr, services = context.tr, context.services
    roster = await rota_service.roster(services, team_id, services.clock.now())
    prefix = _prefix(Role.SOCIAL_WORKER if team_id is not None else Role.COORDINATOR)
    on, off, lost = tr("on duty"), tr("off duty"), tr("unreachable")

    def state(person: Person, on_duty: bool) -> str:
        # Someone who blocked the bot is no cover, on the rota or not.
        return lost if not person.reachable else on if on_duty else off

    rows = [
        [_button(f"{person.display_name} · {state(person, on_duty)}", f"{prefix}w:{person.id}")]
        for person, on_duty in roster
    ]
    name = _rota_name(context, team_id)
    if not rows:
        return tr("{team} has no social workers yet.", team=name), _with_cancel(context, [])
    return tr("{team}: whose duty changes?", team=name), _with_cancel(context, rows)


def _change_step(
    context: BotContext, member: Person, role: Role
) -> tuple[str, InlineKeyboardMarkup]:
    tr = context.tr
    rows = [
        [_button(tr(label), f"{_prefix(role)}c:{member.id}:{CHANGE_CODES[change]}")]
        for change, label in CHANGE_LABELS.items()
    ]
    text = tr("What changes for {name}?", name=member.display_name)
    return text, _with_cancel(context, rows)


async def _replaces_step(
    context: BotContext, member: Person, role: Role
) -> tuple[str, InlineKeyboardMarkup]:
    tr, services = context.tr, context.services
    team_id = rota_service.rota_team(member, role)
    roster = await rota_service.roster(services, team_id, services.clock.now())
    rows = [
        [_button(other.display_name, f"{_prefix(role)}x:{member.id}:{other.id}")]
        for other, _ in roster
        if other.id != member.id
    ]
    text = tr("{name} covers for whom?", name=member.display_name)
    return text, _with_cancel(context, rows)


async def _period_step(
    update: Update,
    context: BotContext,
    member: Person,
    role: Role,
    change: Change,
    replaced: Person | None,
) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()
    tr = context.tr
    rep = replaced.id if replaced else 0
    code = CHANGE_CODES[change]
    buttons = [
        _button(tr(label), f"{_prefix(role)}p:{member.id}:{code}:{rep}:{period.value}")
        for period, label in PERIOD_LABELS.items()
    ]
    text = _what(tr, change, member, replaced) + "\n" + tr("For which period?")
    await edit_card(query, text, _with_cancel(context, [buttons[:2], buttons[2:]]))


async def _replaced(
    context: BotContext, member: Person, role: Role, person_id: int
) -> Person | None:
    """The person ``member`` covers for: another active person of the same rota."""
    other = await rota_service.find_person(context.services, person_id)
    if other is None or not other.active or other.id == member.id or other.scope(role) is None:
        return None
    same = rota_service.rota_team(other, role) == rota_service.rota_team(member, role)
    return other if same else None


def _what(tr: Translator, change: Change, worker: Person, replaced: Person | None) -> str:
    if change is Change.ADD:
        return tr("{name} on duty as well.", name=worker.display_name)
    if change is Change.REMOVE:
        return tr("{name} off duty.", name=worker.display_name)
    other = replaced.display_name if replaced else "?"
    return tr("{name} covers for {other}.", name=worker.display_name, other=other)


async def _to_confirm_step(
    update: Update, context: BotContext, member: Person, role: Role, args: list[str]
) -> None:
    query = update.callback_query
    assert query is not None
    services, tr = context.services, context.tr
    change, rep, period = CHANGES[args[1]], int(args[2]), Period(args[3])
    replaced = await _replaced(context, member, role, rep) if change is Change.REPLACE else None
    if change is Change.REPLACE and replaced is None:
        await _refuse(update, context, role=role)
        return
    await query.answer()
    now = services.clock.now()
    start, end = rota_service.period_span(period, now, services.config.zone)
    lines = [
        tr("Change the rota?"),
        _what(tr, change, member, replaced),
        _span_text(context, start, end),
    ]
    if await _no_rota(context, rota_service.rota_team(member, role), role):
        if role is Role.COORDINATOR:
            lines.append(
                tr("The coordinators have no rota yet: the change counts once one is imported.")
            )
        else:
            lines.append(tr("This team has no rota yet: the change counts once one is imported."))
    anchor = int(now.timestamp())
    confirm = f"{_prefix(role)}ok:{member.id}:{args[1]}:{rep}:{period.value}:{anchor}"
    rows = [[_button(tr("✅ Confirm"), confirm), _button(tr(CANCEL), "r:no")]]
    await edit_card(query, "\n".join(lines), InlineKeyboardMarkup(rows))


async def _no_rota(context: BotContext, team_id: str | None, role: Role) -> bool:
    services = context.services
    found = await rota_service.on_duty(
        services, team_id=team_id, role=role, at=services.clock.now()
    )
    return found is None


def _span_text(context: BotContext, start: datetime, end: datetime) -> str:
    zone = context.services.config.zone
    return context.tr(
        "From {start} until {end}.", start=local_time(start, zone), end=local_time(end, zone)
    )


async def _save(
    update: Update, context: BotContext, member: Person, role: Role, args: list[str]
) -> None:
    """Confirm: the period is computed from the moment the card was shown (``anchor``),
    so what is saved is what the coordinator read."""
    query = update.callback_query
    assert query is not None
    services, tr = context.services, context.tr
    now = services.clock.now()
    change, rep, period = CHANGES[args[1]], int(args[2]), Period(args[3])
    anchor = datetime.fromtimestamp(int(args[4]), UTC)
    start, end = rota_service.period_span(period, anchor, services.config.zone)
    if anchor > now + ANCHOR_SLACK or end <= now:
        await _refuse(update, context, tr("This period is over. Start again with /cover."))
        return
    try:
        saved = await rota_service.cover(
            services,
            me(context),
            person_id=member.id,
            start=start,
            end=end,
            change=change,
            replaces=rep if change is Change.REPLACE else None,
            role=role,
        )
    except CoverRefused as exc:
        await _refuse(update, context, _refusal_text(tr, exc.reason))
        return
    await query.answer(tr("Done."))
    summary = _what(tr, change, saved.person, saved.replaces)
    text = "\n".join([tr("✅ Rota changed."), summary, _span_text(context, start, end)])
    await edit_card(query, text)
    await reply(context, saved.notices)  # the people whose duty changed (none on a double tap)


def _refusal_text(tr: Translator, reason: Refusal) -> str:
    if reason is Refusal.NOT_YOUR_TEAM:
        return tr("This person is not in a team you coordinate.")
    if reason is Refusal.BAD_PERIOD:
        return tr("This period is over. Start again with /cover.")
    return tr("This choice is no longer possible. Start again with /cover.")


def _team_name(context: BotContext, team_id: str) -> str:
    team = context.services.config.team(team_id)
    return team.name(context.tr.language) if team else team_id


def _rota_name(context: BotContext, team_id: str | None) -> str:
    """A team's name, or "Coordinators" for their rota (``team_id`` None)."""
    return _team_name(context, team_id) if team_id is not None else context.tr(COORDINATORS)


def _button(label: str, data: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.written(data, callbacks.Code.COVER))


def _with_cancel(
    context: BotContext, rows: list[list[InlineKeyboardButton]]
) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([*rows, [_button(context.tr(CANCEL), "r:no")]])


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("oncall", oncall, filters=private),
        CommandHandler("cover", cover, filters=private),
        callbacks.handler(callbacks.Code.COVER, on_cover_tap),
    ]
