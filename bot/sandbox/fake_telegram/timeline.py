"""The night as it happened: every message, edit, tap and toast, in the order it occurred.

:class:`SeenMessage` keeps each message's *last* state, which is what a phone shows at the
end; it cannot say what the person saw at 23:41, before the card was edited. The fake
therefore also writes one :class:`Event` per thing a person would notice or do, at the
fake's clock, into :attr:`FakeTelegram.timeline`: the demo prints it as a transcript,
and tests can ask "was the urgency screen shown, and tapped, before the card reached
the coordinator?".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.sandbox.fake_telegram.seen import Button, SeenMessage

EventKind = Literal["sent", "edited", "deleted", "typed", "tapped", "answered"]

Rows = tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Event:
    """One thing that happened in a chat, as the people in it saw it then.

    * ``sent``: the bot's new message; ``text`` is what the person reads, ``buttons`` the
      inline buttons under it, ``keyboard`` the reply keyboard it put under the input field;
    * ``edited``: a message changed (by the bot, or a person editing their own text);
      ``text`` and ``buttons`` are the message as it read after the edit;
    * ``deleted``: a message disappeared; ``text`` is what it said;
    * ``typed``: a person sent a message (``text``; "[location]" etc. for other kinds);
    * ``tapped``: a person pressed a button; ``text`` is its label (for a reply-keyboard
      key, which sends its label as a message, ``message_id`` is that message);
    * ``answered``: the bot answered a tap with a toast or alert (``text``).
    """

    at: datetime
    chat_id: int
    kind: EventKind
    text: str
    #: The person who acted (``typed``, ``tapped``, ``edited`` their own text), or whom a
    #: toast was shown to (``answered``); None for the bot's messages.
    person: int | None = None
    message_id: int | None = None
    buttons: Rows = ()
    keyboard: Rows | None = None

    @property
    def by_person(self) -> bool:
        """A person's own action, not something the bot showed."""
        return self.person is not None and self.kind != "answered"


def content(message: SeenMessage) -> str:
    """What a message shows as text: its words, or its kind in brackets (a location pin)."""
    if message.file is not None:  # a photo or document the bot sent, and its caption
        shown = f"[{message.kind}: {message.file.filename}]"
        return f"{shown} {message.plain}" if message.plain else shown
    return message.plain if message.kind == "text" else f"[{message.kind}]"


def rows(buttons: list[list[Button]]) -> Rows:
    """Inline buttons as label rows, frozen as they were at that moment."""
    return tuple(tuple(button.text for button in row) for row in buttons)


def key_rows(keyboard: list[list[str]] | None) -> Rows | None:
    return None if keyboard is None else tuple(tuple(row) for row in keyboard)
