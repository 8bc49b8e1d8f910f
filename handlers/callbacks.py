"""Every button's callback data, written and read in one place.

Callback data comes from the client: Telegram hands back whatever the phone sends, and a
modified client can send any 64 bytes. So each kind of button has one grammar here, read
strictly: a known code, known actions (and known values where the domain names them),
ASCII digits only (``re``'s ``\\d`` would take "٣"), ids of at most 12 digits (far inside
SQLite's 64-bit integers, so no lookup can overflow) and nothing trailing (not even the
newline that ``$`` lets through). Data that does not parse is answered "This button is
no longer active" by the guard (and would match no handler anyway), so the handlers never
see data they cannot use. Handlers register with :func:`handler`, build their buttons' data with
the builders below (each checks its own output against the grammar) and read a tap with
:func:`parse`; the error handler uses :func:`parse` too, to name the referral in its log.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.domain.case_work import ContactMode, Need
from bot.domain.people import Role
from bot.domain.referral import DeclineReason, Eta, Outcome, Resource, ReturnReason, Status
from handlers.context import BotContext

MAX_BYTES: Final = 64  # Telegram's limit on callback data


class Code(StrEnum):
    """The first field of every button's data: which handler it belongs to."""

    FILING = "d"  # d:<draft token>:<action>[:<value>]
    OFFER = "o"  # o:<offer id>:<action>[:<value>]
    CASE = "c"  # c:<referral id>:<action>[:<value>]
    ESCALATION = "k"  # k:<referral id>:<action>[:<worker id>]
    WITHDRAW = "w"  # w:<referral id>
    PROMPT = "p"  # p:x:<question token> (Cancel on a question card)
    INVITE = "inv"  # inv:cancel | inv:<role>[:<station, team or *>]
    LANGUAGE = "lang"  # lang:<language code>
    COVER = "r"  # r:<step>[:...] (the /cover wizard; see handlers.rota)
    HANDOVER = "h"  # h:<handover id>:<action> (a colleague's request to take a case over)
    SCENE = "s"  # s:<referral id>:<action> (the officer's buttons once a worker arrived)
    PHONE = "ph"  # ph:<action>[:<number id>] (/phone: the person's own numbers)
    REPORT = "rp"  # rp:<card token>:<action>[:<yyyymm>] (/report; see handlers.report)


NUMBER: Final = "number"  # an action's value that is an id
PAGE: Final = "page"  # a resource kind and a page of its directory: ``legal_2``
# What each action of the id-carrying codes takes after it: nothing (None), one of a
# domain enum's values, or a number.
_Value = type[StrEnum] | str | None
ACTIONS: Final[dict[Code, dict[str, _Value]]] = {
    Code.OFFER: {"a": None, "d": None, "b": None, "r": DeclineReason, "n": None},
    Code.CASE: {
        "n": Status,
        "x": None,
        "r": None,  # return to police: choose a reason
        "rr": ReturnReason,  # …this reason (then the line for the officer is typed)
        "s": None,
        "u": None,
        "b": None,
        "w": None,
        "v": None,
        "e": Eta,  # on my way, arriving in this many minutes
        "q": None,  # questioning ended (appropriate adult)
        "o": Outcome,
        "l": Resource,  # linked: this kind (the directory's entries of it, or type one)
        "lp": PAGE,  # …this page of the directory's entries of this kind
        "d": NUMBER,  # …this directory entry
        "t": Resource,  # …a name typed by the worker
        "h": None,  # Hand over: choose a colleague or the coordinator
        "g": NUMBER,  # …to this colleague (0: back to the coordinators)
        "ag": None,  # consent at first contact: agrees
        "dn": None,  # …declines
        "db": None,  # ask for a debrief (a critical case that ended)
        "zz": None,  # rest after a night call-out: away until noon
        "f": NUMBER,  # crisis follow-up made (the prompt's hours after first contact)
        "lk": None,  # close as linked (every linkage answered)
        "ky": NUMBER,  # this linkage's service happened
        "kp": NUMBER,  # …partly
        "kn": NUMBER,  # …did not
        "kx": NUMBER,  # …the person declined it
        "kr": NUMBER,  # remove this unanswered linkage (recorded by mistake): confirm?
        "kc": NUMBER,  # …confirmed
        "ka": NUMBER,  # answer this linkage's "did the service happen?" now (from the menu)
        "ln": None,  # link a service mid-case (the plan and intervention stages)
        "na": None,  # the assessment's checklist of needs
        "nd": Need,  # …tick this need (the wanted state, so a repeated tap is harmless)
        "nu": Need,  # …untick this need
        "pg": None,  # the plan: add a goal (typed)
        "rd": None,  # the plan: choose a review date
        "rv": NUMBER,  # …in this many days
        "lc": ContactMode,  # log an intervention contact, made this way
        "ba": Status,  # back to assessment from this status
        "ge": None,  # the plan: the goals to edit
        "gp": NUMBER,  # …this goal (its row): type a new line for it, or remove it
        "gx": NUMBER,  # …remove this goal
        "rk": None,  # the plan review is done (after its reminder)
    },
    Code.ESCALATION: {
        "t": None,
        "a": None,
        "b": None,
        "c": None,
        "h": None,
        "p": NUMBER,
        "y": NUMBER,  # "Assign anyway" (off duty, away or at the cap)
        "da": None,  # a worker's request for a debrief: arranged
        "o": None,  # "I'm on it": the coordinator acknowledges (no more pages to them)
    },
    Code.HANDOVER: {"y": None, "n": None},  # I take it / I can't
    # police may leave now, we stay, questioning ended
    Code.SCENE: {"l": None, "s": None, "q": None},
}

_DIGITS = "[0-9]{1,12}"
_ON_OBJECT = re.compile(
    rf"(?P<code>[a-z]):(?P<number>{_DIGITS}):(?P<action>[a-z]{{1,2}})(?::(?P<value>[a-z0-9_]{{1,32}}))?"
)
_FILING = re.compile(
    r"d:(?P<token>[0-9a-f]{1,16}):(?P<action>[a-z0-9]{1,4})(?::(?P<value>[a-z0-9_-]{1,32}))?"
)
_WITHDRAW = re.compile(rf"w:(?P<number>{_DIGITS})")
_PROMPT = re.compile(r"p:x:(?P<token>[0-9a-f]{1,16})")
_INVITE = re.compile(r"inv:(?P<action>[a-z_]{1,16})(?::(?P<value>\*|[a-z0-9][a-z0-9_-]{0,23}))?")
# add a number; and on one of the person's numbers: remove (ask), remove (confirmed),
# a new code, channels call / SMS / both; back to the list.
_PHONE = re.compile(rf"ph:(?P<action>add|list|(?:rm|rmy|new|call|sms|both):{_DIGITS})")
_LANGUAGE = re.compile(r"lang:(?P<value>[A-Za-z_]{2,16})")
# this week, last month, choose a month (the picker), back, a month of the picker
_REPORT = re.compile(
    r"rp:(?P<token>[0-9a-f]{8}):(?P<action>w|l|c|b|m)(?::(?P<value>20[0-9]{2}(?:0[1-9]|1[0-2])))?"
)
_COVER = re.compile(
    rf"r:(no|k|t:[a-z0-9][a-z0-9_-]{{0,23}}|k?w:{_DIGITS}|k?c:{_DIGITS}:[arx]"
    rf"|k?x:{_DIGITS}:{_DIGITS}|k?p:{_DIGITS}:[arx]:{_DIGITS}:[ntdh]"
    rf"|k?ok:{_DIGITS}:[arx]:{_DIGITS}:[ntdh]:[0-9]{{1,10}})"  # a Unix time: 10 digits
)


@dataclass(frozen=True)
class Tap:
    """A button's data, read: which kind, on what, and what was chosen.

    ``number`` is the offer or referral the button is about (None for kinds that name
    none); ``token`` a draft's or question's token; ``action`` and ``value`` the rest.
    """

    code: Code
    action: str = ""
    value: str = ""
    number: int | None = None
    token: str = ""

    @property
    def id(self) -> int:
        """The offer or referral id; only for the kinds that always carry one."""
        if self.number is None:
            raise ValueError(f"{self.code} buttons name no object")
        return self.number

    @property
    def value_number(self) -> int:
        """The value read as an id (the worker of "Assign to…")."""
        return int(self.value)  # the grammar let only 1-12 ASCII digits through


def parse(data: object) -> Tap | None:
    """The tap ``data`` stands for, or None for anything no button of ours could send."""
    if not isinstance(data, str) or len(data) > MAX_BYTES:  # (a quick first look)
        return None
    return _parse(data)


@functools.lru_cache(maxsize=4096)
def _parse(data: str) -> Tap | None:
    """Remembered (a :class:`Tap` is immutable): every button drawn is parsed back as it
    is written, every tap once by each button handler PTB asks and again by the one that
    takes it. Bounded, so data sent by a modified client cannot grow it."""
    if len(data.encode()) > MAX_BYTES:
        return None
    code = data.partition(":")[0]
    if code in ACTIONS:
        return _on_object(data)
    if code == Code.FILING and (m := _FILING.fullmatch(data)):
        return Tap(Code.FILING, m["action"], m["value"] or "", token=m["token"])
    if code == Code.WITHDRAW and (m := _WITHDRAW.fullmatch(data)):
        return Tap(Code.WITHDRAW, number=int(m["number"]))
    if code == Code.PROMPT and (m := _PROMPT.fullmatch(data)):
        return Tap(Code.PROMPT, "x", token=m["token"])
    if code == Code.INVITE and (m := _INVITE.fullmatch(data)):
        return _invite(m["action"], m["value"])
    if code == Code.PHONE and (m := _PHONE.fullmatch(data)):
        action, _, number = m["action"].partition(":")
        return Tap(Code.PHONE, action, number=int(number) if number else None)
    if code == Code.LANGUAGE and (m := _LANGUAGE.fullmatch(data)):
        return Tap(Code.LANGUAGE, value=m["value"])
    if code == Code.REPORT and (m := _REPORT.fullmatch(data)):
        if (m["action"] == "m") != (m["value"] is not None):  # a month, and only for "m"
            return None
        return Tap(Code.REPORT, m["action"], m["value"] or "", token=m["token"])
    if code == Code.COVER and _COVER.fullmatch(data):
        step, _, rest = data.removeprefix("r:").partition(":")
        return Tap(Code.COVER, step, rest)
    return None


def subject(data: object) -> str | None:
    """What the audit log calls the object a button's data names (``offer:ID`` or
    ``referral:ID``), as the services' refusals write it; None if it names none."""
    tap = parse(data)
    if tap is None or tap.number is None or tap.code is Code.PHONE:
        return None
    if tap.code is Code.HANDOVER:
        return f"handover:{tap.number}"
    return f"offer:{tap.number}" if tap.code is Code.OFFER else f"referral:{tap.number}"


def _on_object(data: str) -> Tap | None:
    """``<code>:<id>:<action>[:<value>]`` with a known action and a value it accepts."""
    m = _ON_OBJECT.fullmatch(data)
    if m is None:
        return None
    code, action, value = Code(m["code"]), m["action"], m["value"] or ""
    if action not in ACTIONS[code]:
        return None
    kind = ACTIONS[code][action]
    if kind is None and value:
        return None
    if kind == NUMBER and not re.fullmatch(_DIGITS, value):
        return None
    if kind == PAGE and page_of(value) is None:
        return None
    if isinstance(kind, type) and value not in kind.__members__.values():
        return None
    return Tap(code, action, value, number=int(m["number"]))


def page_of(value: str) -> tuple[Resource, int] | None:
    """A ``PAGE`` value read: the kind and the page (0-999); None if it is not one."""
    kind, _, page = value.rpartition("_")
    if kind not in Resource.__members__.values() or not re.fullmatch("[0-9]{1,3}", page):
        return None
    return Resource(kind), int(page)


def _invite(action: str, place: str | None) -> Tap | None:
    if action == "cancel" and place is None:
        return Tap(Code.INVITE, "cancel")
    if action not in Role.__members__.values():
        return None
    return Tap(Code.INVITE, action, place or "")


def written(data: str, code: Code) -> str:
    """``data``, checked: a button whose data would not parse back is a bug (caught in
    tests). The /cover wizard's many steps write their data with this."""
    tap = parse(data)
    assert tap is not None and tap.code is code, data
    return data


def on_object(code: Code, number: int, action: str, value: object = "") -> str:
    """``<code>:<id>:<action>[:<value>]``: offer, case and escalation card buttons."""
    suffix = f":{value}" if value != "" else ""
    return written(f"{code}:{number}:{action}{suffix}", code)


def offer(offer_id: int, action: str, value: str = "") -> str:
    return on_object(Code.OFFER, offer_id, action, value)


def case(referral_id: int, action: str, value: str = "") -> str:
    return on_object(Code.CASE, referral_id, action, value)


def escalation(referral_id: int, action: str, worker_id: int | None = None) -> str:
    return on_object(Code.ESCALATION, referral_id, action, "" if worker_id is None else worker_id)


def handover(handover_id: int, action: str) -> str:
    return on_object(Code.HANDOVER, handover_id, action)


def scene(referral_id: int, action: str) -> str:
    return on_object(Code.SCENE, referral_id, action)


def withdraw(referral_id: int) -> str:
    return written(f"{Code.WITHDRAW}:{referral_id}", Code.WITHDRAW)


def filing(token: str, action: str, value: str = "") -> str:
    suffix = f":{value}" if value else ""
    return written(f"{Code.FILING}:{token}:{action}{suffix}", Code.FILING)


def cancel_question(token: str) -> str:
    return written(f"{Code.PROMPT}:x:{token}", Code.PROMPT)


def invite(role: str = "cancel", place: str = "") -> str:
    suffix = f":{place}" if place else ""
    return written(f"{Code.INVITE}:{role}{suffix}", Code.INVITE)


def phone(action: str, number_id: int | None = None) -> str:
    suffix = f":{number_id}" if number_id is not None else ""
    return written(f"{Code.PHONE}:{action}{suffix}", Code.PHONE)


def report(token: str, action: str, month: str = "") -> str:
    suffix = f":{month}" if month else ""
    return written(f"{Code.REPORT}:{token}:{action}{suffix}", Code.REPORT)


def language(code: str) -> str:
    return written(f"{Code.LANGUAGE}:{code}", Code.LANGUAGE)


Callback = Callable[[Update, BotContext], Coroutine[Any, Any, None]]


def handler(code: Code, callback: Callback) -> CallbackQueryHandler[BotContext, None]:
    """The handler for one kind of button: it sees only data that parses as ``code``."""

    def matches(data: object) -> bool:
        tap = parse(data)
        return tap is not None and tap.code is code

    return CallbackQueryHandler(callback, pattern=matches)


def tap_of(update: Update) -> Tap:
    """The parsed tap of an update a :func:`handler` let through."""
    query = update.callback_query
    tap = parse(query.data if query is not None else None)
    if tap is None:
        raise ValueError("tap_of called for data no handler matched")
    return tap
