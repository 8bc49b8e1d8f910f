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
from dataclasses import dataclass, replace
from datetime import datetime

from bot.domain.people import Person, Role
from bot.domain.referral import Referral
from bot.services import Services
from bot.services.coordinator import covers
from bot.services.transfers import TO_COORDINATORS
from storage import audit, case_handovers, offers, people, referrals
from storage.audit import AuditEntry


@dataclass(frozen=True)
class Tap:
    """What a refused tap tried, from its button's data: the kind of card, the action
    (``""`` for a card with one button), the value after it (a status, an outcome…)
    and, for an Assign, the worker it named."""

    card: str  # "offer", "case", "escalation", "handover", "scene", "withdraw"
    verb: str  # "accept", "show_details", "assign"…; "?" for a code this version lacks
    value: str = ""
    person: str | None = None


@dataclass(frozen=True)
class Line:
    """One line of the trail as codes and names; the handler words it in the reader's
    language (an action code unknown to it, written by a newer version, shows as is)."""

    at: datetime
    actor: str | None  # a display name; None for the bot itself
    action: str  # the audit code ("referral.revealed"), or STATUS for a status change
    person: str | None = None  # whom it concerned: the worker a referral was assigned to
    tap: Tap | None = None  # a refused tap: what was tried
    detail: str | None = None  # a refusal that was no tap: what was tried ("command:/x")
    change: tuple[str | None, str] | None = None  # STATUS: from (None at filing), to


STATUS = "status"


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

    reader = services.db.reader
    subjects = [
        referral.ref,
        f"referral:{referral.id}",
        *[f"offer:{offer.id}" for offer in await offers.of_referral(reader, referral.id)],
        # The guard files a refused tap on a handover request under the request.
        *[f"handover:{h}" for h in await case_handovers.ids_of_referral(reader, referral.id)],
    ]
    lines = [await _line(e, name) for e in await audit.entries_about(services.db.reader, subjects)]
    lines += [
        Line(at, await name(actor), STATUS, change=(before, after))
        for at, actor, before, after in await referrals.history(services.db.reader, referral.id)
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
# (handlers/callbacks.py, handlers/offers.py, cases.py, coordinator.py, handovers.py and
# scene.py). Every code and action of ``handlers.callbacks.ACTIONS`` is here, and each
# card and verb has words in ``bot.labels`` (a test holds both), so a refused tap
# never reads "?" or raw data.
TAPS: dict[str, tuple[str, dict[str, str]]] = {
    "o": ("offer", {"a": "accept", "d": "open", "b": "back", "r": "decline", "n": "cannot"}),
    "c": (
        "case",
        {
            "s": "show_details",
            "x": "close",
            "r": "return_to_police",
            "rr": "return_to_police",  # …with this reason
            "u": "reopen",
            "b": "back",
            "w": "on_way",
            "v": "arrived",
            "e": "eta",
            "q": "questioning_ended",
            "n": "step",
            "o": "outcome",
            "l": "resource",
            "lp": "resource",  # a page of the kind's directory entries
            "d": "directory_entry",
            "t": "resource_typed",
            "h": "hand_over",
            "g": "hand_to",
            "ag": "consent_agrees",
            "dn": "consent_declines",
            "db": "ask_debrief",
            "zz": "rest",
            "f": "followed_up",
            "lk": "close_linked",
            "ky": "linkage_answer",
            "kp": "linkage_answer",
            "kn": "linkage_answer",
            "kx": "linkage_answer",
            "ka": "linkage_answer",  # asked early, from the menu
            "ln": "link_service",
            "kr": "remove_linkage",
            "kc": "remove_linkage",
            "na": "needs",
            "nd": "need",
            "nu": "need",
            "pg": "add_goal",
            "rd": "review_date",
            "rv": "review_date",
            "lc": "log_contact",
            "ba": "back_to_assessment",
            "ge": "edit_goals",
            "gp": "edit_goal",
            "gx": "remove_goal",
            "rk": "reviewed",
        },
    ),
    "k": (
        "escalation",
        {
            "t": "take",
            "a": "assign_list",
            "p": "assign",
            "y": "assign_anyway",
            "b": "back",
            "c": "officer_contact",
            "h": "hold",
            "da": "debrief_arranged",
            "o": "on_it",
        },
    ),
    "h": ("handover", {"y": "take_over", "n": "cannot_take_over"}),
    "s": ("scene", {"l": "police_leave", "s": "police_stay", "q": "questioning_ended"}),
    "w": ("withdraw", {}),
}
# Taps whose value is a person's id: the line names the person instead.
_NAMES_A_PERSON = {("k", "p"), ("k", "y"), ("c", "g")}
HAND_BACK = "hand_back"  # "g" with 0: back to the coordinators, not to a person


async def _line(entry: AuditEntry, name: Callable[[int | None], Awaitable[str | None]]) -> Line:
    """The entry with whom it concerned (an assignment names the worker given the case)
    or what was tried (a refusal), so no line needs the log's ids to be read."""
    line = Line(entry.at, await name(entry.actor_person_id), entry.action)
    detail = entry.detail or ""
    named = detail.removeprefix("person:")
    if detail.startswith("person:") and named.isdigit() and int(named) != entry.actor_person_id:
        return replace(line, person=await name(int(named)))
    if entry.action == "case.refused":  # the case card's action and value
        return replace(line, tap=await _tried("c", detail, name))
    if entry.action == "offer.refused" and detail in TAPS["o"][1].values():  # "accept"
        return replace(line, tap=Tap("offer", detail))
    if entry.action.endswith(".refused") and detail.startswith("button:"):  # its data
        code, _, rest = detail.removeprefix("button:").partition(":")
        if code in TAPS:
            tap = rest.partition(":")[2]  # after the offer's or referral's id
            return replace(line, tap=await _tried(code, tap, name))
    if entry.action.endswith(".refused") and detail:
        return replace(line, detail=detail)
    return line


async def _tried(code: str, tap: str, name: Callable[[int | None], Awaitable[str | None]]) -> Tap:
    """The card and action a refused tap's data names; an Assign names its worker."""
    card, verbs = TAPS[code]
    verb, _, value = tap.partition(":")
    tried = verbs.get(verb, "?") if verb else ""
    if (code, verb) in _NAMES_A_PERSON and value.isdigit():
        if int(value) == TO_COORDINATORS:  # a case's "Back to the coordinator"
            return Tap(card, HAND_BACK)
        return Tap(card, tried, person=await name(int(value)))
    return Tap(card, tried, value)
