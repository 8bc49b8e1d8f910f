"""Small helpers for replying the way Telegram expects."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import get_timezone_name
from telegram import CallbackQuery, InlineKeyboardMarkup, Message
from telegram.error import BadRequest

from bot.i18n import Translator


async def edit_card(
    query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Replace the tapped message's text and buttons.

    A double tap edits twice to the same content; Telegram refuses the second edit as
    "message is not modified", which is harmless and must not become an error.
    """
    if query.message is None:
        return
    with _unchanged_is_fine():
        await query.edit_message_text(text, reply_markup=markup)


def protected(query: CallbackQuery) -> bool:
    """The tapped message is protected from forwarding and saving (the holder's case
    cards are): only then may an edit put what the worker typed about the person on it;
    any other message is redrawn with counts (:func:`handlers.cards.case_work_counts`)."""
    message = query.message
    return isinstance(message, Message) and bool(message.has_protected_content)


async def edit_buttons(query: CallbackQuery, markup: InlineKeyboardMarkup | None) -> None:
    """Replace only the tapped message's buttons; a double tap's second edit changes
    nothing, which Telegram refuses as "message is not modified": harmless, as above."""
    if query.message is None:
        return
    with _unchanged_is_fine():
        await query.edit_message_reply_markup(markup)


@contextmanager
def _unchanged_is_fine() -> Iterator[None]:
    try:
        yield
    except BadRequest as exc:
        if "message is not modified" not in str(exc).lower():
            raise


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    """A time as people at the station read it: local, to the minute. Every reader is
    in the deployment's zone, so the zone is not repeated after each time (it cluttered
    every notice); /whoami and /oncall say once which zone the times are in."""
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M}"


def zone_note(tr: Translator, zone: ZoneInfo) -> str:
    """Said once where times are listed (/whoami, /oncall), not after every time, in the
    reader's words: CLDR's name for the zone in their language through Babel ("China
    Time", "中国时间", "香港時間"), not the IANA key ("Asia/Shanghai")."""
    return tr("All times are {zone}.", zone=get_timezone_name(zone, locale=tr.language))
