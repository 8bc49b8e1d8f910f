"""/audit R-XXXX: who did what to a referral, when, for coordinators and admins.

Accountability (責信) covers procedure and outcome: every state change and reveal is
already recorded; this puts them in one list. Reading the trail is itself recorded.
Refused taps on the referral's cards are in it too, with what was tried: taps on a card
not the presser's, taps their role does not allow (a forged button) and a coordinator's
taps outside their area. Their rows name the offer or the referral's id rather than its
reference: a tap carries only what its button carried, and the log is append-only, so
older rows cannot be renamed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from bot.domain.people import Person, Role
from bot.domain.referral import Referral
from bot.services import Services
from bot.services.coordinator import covers
from storage import audit, offers, people, referrals
from storage.audit import AuditEntry


@dataclass(frozen=True)
class Line:
    at: datetime
    actor: str | None  # a display name; None for the bot itself
    action: str


async def trail(services: Services, viewer: Person, ref: str) -> tuple[Referral, list[Line]] | None:
    """The referral's audit lines, oldest first; None if it is unknown or out of scope."""
    referral = await referrals.by_ref(services.db.reader, ref.strip().upper())
    if referral is None or not (viewer.has(Role.ADMIN) or covers(services, viewer, referral)):
        return None
    names: dict[int, str] = {}

    async def name(person_id: int | None) -> str | None:
        if person_id is None:
            return None
        if person_id not in names:
            person = await people.by_id(services.db.reader, person_id)
            names[person_id] = person.display_name if person else f"#{person_id}"
        return names[person_id]

    subjects = [referral.ref, f"referral:{referral.id}"] + [
        f"offer:{offer.id}" for offer in await offers.of_referral(services.db.reader, referral.id)
    ]
    lines = [
        Line(e.at, await name(e.actor_person_id), await _action(e, name))
        for e in await audit.entries_about(services.db.reader, subjects)
    ]
    lines += [
        Line(at, await name(actor), f"status {change}")
        for at, actor, change in await referrals.history(services.db.reader, referral.id)
    ]
    lines.sort(key=lambda line: line.at)
    async with services.db.write() as tx:
        await audit.record(
            tx,
            now=services.clock.now(),
            action="audit.viewed",
            actor_person_id=viewer.id,
            subject=referral.ref,
        )
    return referral, lines


# What a refused tap tried, from its button's data: the kind of card, then its action
# (handlers/callbacks.py, handlers/offers.py, cases.py and coordinator.py).
_TAPS: dict[str, tuple[str, dict[str, str]]] = {
    "o": ("offer", {"a": "accept", "d": "open", "b": "back", "r": "decline"}),
    "c": (
        "case",
        {
            "s": "show_details",
            "x": "close",
            "r": "return_to_police",
            "u": "reopen",
            "b": "back",
            "w": "on_way",
            "v": "arrived",
            "n": "step",
            "o": "outcome",
            "l": "resource",
        },
    ),
    "k": (
        "escalation",
        {
            "t": "take",
            "a": "assign_list",
            "p": "assign",
            "b": "back",
            "c": "officer_contact",
            "h": "hold",
        },
    ),
    "w": ("withdraw", {}),
}


async def _action(entry: AuditEntry, name: Callable[[int | None], Awaitable[str | None]]) -> str:
    """The action, with whom it concerned (an assignment names the worker given the
    case) or what was tried (a refusal), so no line needs the log's ids to be read."""
    detail = entry.detail or ""
    named = detail.removeprefix("person:")
    if detail.startswith("person:") and named.isdigit() and int(named) != entry.actor_person_id:
        return f"{entry.action} → {await name(int(named))}"
    if entry.action == "case.refused":  # the case card's action and value
        return f"{entry.action}: {await _tried(entry.action, 'c', detail, name)}"
    if entry.action.endswith(".refused") and detail.startswith("button:"):  # its data
        code, _, rest = detail.removeprefix("button:").partition(":")
        if code in _TAPS:
            tap = rest.partition(":")[2]  # after the offer's or referral's id
            return f"{entry.action}: {await _tried(entry.action, code, tap, name)}"
    if entry.action.endswith(".refused") and detail:
        return f"{entry.action}: {detail}"
    return entry.action


async def _tried(
    action: str, code: str, tap: str, name: Callable[[int | None], Awaitable[str | None]]
) -> str:
    """ "offer.accept", "case.step:accepted", "escalation.assign → Li Na"; the card's
    kind is left out where the action already says it ("escalation.refused: take")."""
    card, verbs = _TAPS[code]
    verb, _, value = tap.partition(":")
    tried = verbs.get(verb, "?") if verb else ""
    if code == "k" and verb == "p" and value.isdigit():
        tried, value = f"{tried} → {await name(int(value))}", ""
    if value:
        tried += f":{value}"
    if action.startswith(f"{card}."):
        return tried
    return f"{card}.{tried}" if tried else card
