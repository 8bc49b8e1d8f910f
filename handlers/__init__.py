"""Telegram in and out: parse an update, call a service, render the reply."""

from __future__ import annotations

from telegram import Update
from telegram.ext import TypeHandler

from handlers import (
    answers,
    cases,
    coordinator,
    filing,
    handovers,
    invite,
    mine,
    offers,
    phone,
    profile,
    report,
    rota,
    scene,
    start,
    status,
    text,
)
from handlers.context import BotApp
from handlers.errors import on_error
from handlers.guard import guard
from handlers.sender import answered

GUARD_GROUP = -1
ANSWERED_GROUP = 1  # after every handler of group 0 (the guard's refusals stop before)


def register(app: BotApp) -> None:
    """Every update passes the guard first; then the first matching handler runs."""
    app.add_handler(TypeHandler(Update, guard), group=GUARD_GROUP)
    for module in (
        start,
        profile,
        invite,
        filing,
        offers,
        coordinator,
        cases,
        handovers,
        scene,
        answers,
        phone,
        mine,
        rota,
        report,
        status,
        text,
    ):
        for handler in module.handlers():
            app.add_handler(handler)
    app.add_handler(TypeHandler(Update, answered), group=ANSWERED_GROUP)
    app.add_error_handler(on_error)
