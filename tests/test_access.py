"""Every role × every command and every kind of button: allowed ones work, the rest are
refused without changing anything. Strangers and deactivated people get nothing.

A stranger is answered once every few minutes, not per message (tests/test_guard.py), so
here each command and each button comes from a stranger who has not written before."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.sandbox import Phone
from bot.sandbox.world import World, world
from storage import audit

REFUSED = "Sorry, that is not something your role can do here."
STRANGER = "Hello. This bot links police stations with social workers"
DEACTIVATED = "Your access to this bot has been turned off."

OFFICER, WORKER, COORDINATOR, ADMIN = "officer", "social_worker", "coordinator", "admin"
# Who may use each command (what the handlers must enforce).
COMMANDS: dict[str, set[str]] = {
    "/new": {OFFICER},
    "/resume": {OFFICER},
    "/mine": {OFFICER, WORKER, COORDINATOR, ADMIN},  # everyone enrolled; content differs
    "/available": {WORKER, COORDINATOR},
    "/away": {WORKER, COORDINATOR},
    "/oncall": {OFFICER, WORKER, COORDINATOR},
    "/cover": {COORDINATOR},
    "/audit R-AAAA": {COORDINATOR, ADMIN},
    "/invite": {ADMIN},
    "/status": {ADMIN},
    "/report": {COORDINATOR, ADMIN},
    "/whoami": {OFFICER, WORKER, COORDINATOR, ADMIN},
    "/language": {OFFICER, WORKER, COORDINATOR, ADMIN},
}
# Forged button data of each kind, and who may press that kind at all.
BUTTONS: dict[str, set[str]] = {
    "inv:officer": {ADMIN},
    "o:1:a": {WORKER, COORDINATOR},
    "c:1:x": {WORKER, COORDINATOR},
    "k:1:t": {COORDINATOR},
    "w:1": {OFFICER},
    "d:abcdef:c:juvenile": {OFFICER},
    "rp:0123abcd:c": {COORDINATOR, ADMIN},  # /report's "Choose a month"
}
INVITES = {
    OFFICER: ("--role", "officer", "--station", "tianping"),
    WORKER: ("--role", "social_worker", "--team", "xuhui-sw"),
    COORDINATOR: ("--role", "coordinator", "--team", "xuhui-sw"),
    ADMIN: ("--role", "admin"),
}
ROLES = [OFFICER, WORKER, COORDINATOR, ADMIN, "deactivated", "stranger"]


async def _person(w: World, role: str, attempt: int = 0) -> Phone:
    """The person of ``role``; for a stranger, the ``attempt``-th stranger."""
    if role == "stranger":
        return w.phone(7100 + attempt, "Stranger")
    phone = w.phone(7000 + ROLES.index(role), role.title())
    code = await w.invite(*INVITES[OFFICER if role == "deactivated" else role])
    await phone.send(f"/start {code}")
    if role == "deactivated":
        await w.cli("deactivate", str(phone.chat_id))
    return phone


def _expected_refusal(role: str, *, button: bool = False) -> str:
    stranger = "Only invited people can use this bot." if button else STRANGER
    return {"stranger": stranger, "deactivated": DEACTIVATED}.get(role, REFUSED)


@pytest.mark.parametrize("role", ROLES)
async def test_every_command_is_allowed_or_refused_by_role(config_path: Path, role: str) -> None:
    async with world(config_path) as w:
        phone = await _person(w, role)
        for attempt, (command, allowed) in enumerate(COMMANDS.items()):
            if role == "stranger":
                phone = await _person(w, role, attempt)
            before = len(phone.bot_messages)
            await phone.send(command)
            assert len(phone.bot_messages) > before, f"{role} got no answer to {command}"
            refused = phone.last.plain.startswith(_expected_refusal(role))
            assert refused == (role not in allowed), f"{role} {command}: {phone.last.plain!r}"


@pytest.mark.parametrize("role", ROLES)
async def test_every_kind_of_button_is_allowed_or_refused_by_role(
    config_path: Path, role: str
) -> None:
    async with world(config_path) as w:
        phone = await _person(w, role)
        for attempt, (data, allowed) in enumerate(BUTTONS.items()):
            if role == "stranger":
                phone = await _person(w, role, attempt)
            if not phone.messages:
                await phone.send("hello")
            answer = await phone.tap_data(data, message_id=phone.messages[-1].message_id)
            refused = (answer.text or "").startswith(_expected_refusal(role, button=True))
            if role not in allowed:
                assert refused, f"{role} pressed {data}: {answer.text!r}"
            else:
                assert not refused, f"{role} pressed {data}: {answer.text!r}"
        if role in (OFFICER, WORKER, COORDINATOR, ADMIN):
            refusals = await audit.entries(w.services.db.reader, action="action.refused")
            expected = sum(role not in allowed for allowed in BUTTONS.values())
            assert len(refusals) == expected
