"""What the tests look at: the messages people see, their buttons, the answers to taps.

Plain records that the fake keeps up to date as the bot sends, edits and deletes, so a
test reads a chat as the person would (:attr:`SeenMessage.plain`, button labels,
:class:`CallbackAnswer`) rather than the Bot API calls that made it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class Button:
    """One inline keyboard button as the person sees it."""

    text: str
    callback_data: str | None = None
    url: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The Bot API ``InlineKeyboardButton`` dict, echoed back in message results."""
        data: dict[str, Any] = {"text": self.text}
        if self.callback_data is not None:
            data["callback_data"] = self.callback_data
        if self.url is not None:
            data["url"] = self.url
        return data


@dataclass(frozen=True)
class SentFile:
    """A file the bot uploaded (sendPhoto, sendDocument): what the person can open."""

    filename: str
    content: bytes
    mime_type: str | None = None
    width: int | None = None  # photos: read from the picture itself
    height: int | None = None


@dataclass
class SeenMessage:
    """A message in a chat as a person sees it, kept up to date by edits and deletions.

    ``text`` is what the sender passed (HTML source for ``parse_mode="HTML"``); ``plain`` is what
    the person reads (a photo's or document's caption, for those). ``file``: what a bot's
    photo or document carried. ``history`` holds the previous ``plain`` texts, one per
    ``editMessageText``.
    """

    message_id: int
    chat_id: int
    from_bot: bool
    text: str
    plain: str
    parse_mode: str | None = None
    buttons: list[list[Button]] = field(default_factory=list)
    protect_content: bool = False
    history: list[str] = field(default_factory=list)
    deleted: bool = False
    location: tuple[float, float] | None = None
    #: "text", "location", "photo", "document", "sticker" or "voice".
    kind: str = "text"
    file: SentFile | None = None
    disable_notification: bool = False
    #: The bot asked the app to open a reply to this message (``ForceReply``).
    force_reply: bool = False
    reply_to_message_id: int | None = None
    #: For people's messages in groups: False when privacy mode kept it from the bot.
    delivered_to_bot: bool = True
    date: datetime = field(default_factory=lambda: datetime.now(UTC), repr=False)
    edit_date: datetime | None = field(default=None, repr=False)
    entities: list[dict[str, Any]] = field(default_factory=list, repr=False)
    sender: dict[str, Any] = field(default_factory=dict, repr=False)

    def button_labels(self) -> list[str]:
        """All button texts, row by row, for compact assertions."""
        return [button.text for row in self.buttons for button in row]

    def button(self, label: str) -> Button | None:
        """The button with exactly this text, if the message shows one."""
        return next((b for row in self.buttons for b in row if b.text == label), None)


@dataclass(frozen=True)
class CallbackAnswer:
    """What the bot answered to a button press (the toast or alert the person sees)."""

    text: str | None
    show_alert: bool
    url: str | None = None
