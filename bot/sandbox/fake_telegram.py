"""A strict, in-process fake of the Telegram Bot API that drives the real PTB ``Application``.

Why: the bot's correctness is mostly about what people see on their phones and what Telegram
refuses. Mocks of ``Bot`` methods test neither. This fake sits *below* PTB, at the HTTP layer
(``BaseRequest``), so every handler runs exactly as in production, and it:

* plays private chats (:class:`Phone`) and groups (:class:`Group`), sending updates through
  ``Application.process_update``;
* records what each person sees (:class:`SeenMessage`, edits, deletions, keyboards, answers);
* refuses what Telegram refuses, with Telegram's status codes and wording, so PTB raises the
  same ``BadRequest``/``Forbidden``/``RetryAfter`` it would raise in production.

Anything it does not implement is refused loudly (400 "the fake Telegram does not implement
...") rather than silently accepted.

Opt-in, it also keeps Telegram's flood limits (:meth:`FakeTelegram.enforce_limits`,
:class:`FloodLimits`), answering 429 with ``retry_after`` beyond them, as Telegram does.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import random
import re
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import urlsplit

from telegram import Update
from telegram.error import TimedOut
from telegram.ext import Application, ExtBot
from telegram.request import BaseRequest, RequestData

from bot.sandbox.telegram_html import Entity, FormattedText, HtmlParseError, parse_html, utf16_len

__all__ = [
    "ApiCall",
    "Button",
    "CallbackAnswer",
    "FakeRequest",
    "FakeTelegram",
    "FloodLimits",
    "Group",
    "Phone",
    "SeenMessage",
]

Params = dict[str, Any]
AnyApplication = Application[Any, Any, Any, Any, Any, Any]

MAX_TEXT_LENGTH: Final = 4096
MAX_CALLBACK_DATA_BYTES: Final = 64
MAX_CALLBACK_ANSWER_LENGTH: Final = 200
MAX_COMMANDS: Final = 100
MAX_COMMAND_DESCRIPTION: Final = 256
#: Telegram lets bots delete messages only for this long after sending.
DELETE_WINDOW: Final = timedelta(hours=48)
#: Supergroup ids look like -100xxxxxxxxxx; plain groups have small negative ids.
SUPERGROUP_ID_LIMIT: Final = -1_000_000_000_000

_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE_CODE = re.compile(r"[a-z]{2}")
#: What Telegram marks as a bot_command entity at the start of a text.
_LEADING_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{1,64})?")

#: Inline keyboard button fields that make a button do something; exactly one is allowed.
_BUTTON_ACTIONS: Final = (
    "callback_data",
    "url",
    "login_url",
    "web_app",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_SUPPORTED_BUTTON_ACTIONS: Final = ("callback_data", "url")

_SCOPE_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "default": (),
    "all_private_chats": (),
    "all_group_chats": (),
    "all_chat_administrators": (),
    "chat": ("chat_id",),
    "chat_administrators": ("chat_id",),
    "chat_member": ("chat_id", "user_id"),
}

_NOT_MODIFIED: Final = (
    "message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_QUERY_TOO_OLD: Final = "query is too old and response timeout expired or query ID is invalid"
_CANT_INITIATE: Final = "Forbidden: bot can't initiate conversation with a user"
_BLOCKED: Final = "Forbidden: bot was blocked by the user"


# --------------------------------------------------------------------------------------------
# What tests look at
# --------------------------------------------------------------------------------------------


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


@dataclass
class SeenMessage:
    """A message in a chat as a person sees it, kept up to date by edits and deletions.

    ``text`` is what the sender passed (HTML source for ``parse_mode="HTML"``); ``plain`` is what
    the person reads. ``history`` holds the previous ``plain`` texts, one per ``editMessageText``.
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
    #: "text", "location", "photo", "sticker" or "voice".
    kind: str = "text"
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


@dataclass
class ApiCall:
    """One Bot API request as the fake received it, and whether it was refused and why."""

    method: str
    params: Params
    status: int = 200
    description: str | None = None
    #: When it arrived (``time.perf_counter``), for benchmarks.
    at: float = field(default_factory=time.perf_counter)

    @property
    def refused(self) -> bool:
        """True when the fake answered with an error instead of a result."""
        return self.status != 200


# --------------------------------------------------------------------------------------------
# Internals
# --------------------------------------------------------------------------------------------


class _Refusal(Exception):
    """Raised inside API handlers; becomes an error response with Telegram's wording."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> bytes:
        data: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            data["parameters"] = {"retry_after": self.retry_after}
        return json.dumps(data).encode()


class _Timeout(Exception):
    """The bot's request times out: before Telegram saw it, or after (the answer is lost)."""


#: Methods that carry notifications; the default targets of :meth:`FakeTelegram.inject_faults`.
NOTIFYING_METHODS: Final = (
    "sendMessage",
    "sendLocation",
    "editMessageText",
    "editMessageReplyMarkup",
    "deleteMessage",
)
FAULT_KINDS: Final = ("bad_gateway", "flood", "lost", "late")


@dataclass(frozen=True)
class FloodLimits:
    """Telegram's flood limits as the fake keeps them (opt-in: :meth:`FakeTelegram.enforce_limits`).

    Telegram documents them loosely: "no more than about 30 messages per second" to
    different chats, "no more than 20 messages per minute" in one group, and in one chat
    "avoid sending more than one message per second; short bursts may be allowed, but
    eventually you will get 429". The fake reads each the strict way, so a bot that keeps
    these keeps the real ones:

    * **overall**: at most ``per_second`` calls in *any* 1-second window (a sliding
      window: 30 at once, then the 31st only a full second after the first);
    * **group chat** (negative id): at most ``group_per_minute`` in any 60-second window;
    * **private chat** (positive id): a token bucket of ``private_burst`` tokens, one back
      every ``private_every`` seconds (a burst of three, then one a second). In GCRA terms:
      a call at ``t`` is allowed when ``t >= tat - (burst - 1) * every``, and then
      ``tat = max(tat, t) + every`` (``tat`` starts at the first call's time).

    What counts: each call of a method in :data:`NOTIFYING_METHODS` that names a chat,
    at the moment it reaches the fake, once it passes these limits (whether it then
    succeeds or is refused for another reason). Calls refused with 429 do not count, and
    neither do injected faults that never reached the server ("lost", "bad_gateway",
    "flood"). Beyond a limit the call is answered ``429 Too Many Requests: retry after N``
    with ``parameters.retry_after = N``: the whole seconds until it would be allowed
    (at least 1). :class:`bot.telegram_link.ChatRateLimiter` keeps the same model.
    """

    per_second: int = 30
    group_per_minute: int = 20
    private_burst: int = 3
    private_every: float = 1.0


class _FloodControl:
    """The bookkeeping behind :class:`FloodLimits`, on a monotonic clock in seconds."""

    def __init__(self, limits: FloodLimits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self._clock = clock
        self._overall: deque[float] = deque()  # times of the calls in the last second
        self._groups: dict[int, deque[float]] = {}  # per group: calls in the last minute
        self._tat: dict[int, float] = {}  # per private chat: theoretical arrival time

    def admit(self, chat_id: int) -> tuple[str, float] | None:
        """Count the call now, or say which limit refuses it and for how long."""
        now, limits = self._clock(), self.limits
        waits: list[tuple[float, str]] = []
        _expire(self._overall, now - 1.0)
        if len(self._overall) >= limits.per_second:
            waits.append((self._overall[0] + 1.0 - now, "overall"))
        if chat_id < 0:
            window = self._groups.setdefault(chat_id, deque())
            _expire(window, now - 60.0)
            if len(window) >= limits.group_per_minute:
                waits.append((window[0] + 60.0 - now, "group"))
        else:
            tat = self._tat.get(chat_id, now)
            allowed_from = tat - (limits.private_burst - 1) * limits.private_every
            if now < allowed_from:
                waits.append((allowed_from - now, "private"))
        if waits:
            wait, limit = max(waits)
            return limit, wait
        self._overall.append(now)
        if chat_id < 0:
            self._groups[chat_id].append(now)
        else:
            self._tat[chat_id] = max(self._tat.get(chat_id, now), now) + limits.private_every
        return None


def _expire(window: deque[float], before: float) -> None:
    """Drop the times at or before ``before``: a window is the half-open (now - W, now]."""
    while window and window[0] <= before:
        window.popleft()


_LIMITED_METHODS: Final = frozenset(m.lower() for m in NOTIFYING_METHODS)


def _named_chat(params: Params) -> int | None:
    """The integer chat a call is about, if it names one."""
    raw = params.get("chat_id")
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"-?[0-9]+", raw):
        return int(raw)
    return None


def _bad(description: str) -> _Refusal:
    return _Refusal(400, f"Bad Request: {description}")


def _not_implemented(what: str) -> _Refusal:
    return _bad(f"the fake Telegram does not implement {what}")


@dataclass
class _Markup:
    """A parsed ``reply_markup``: at most one of these is set."""

    inline: list[list[Button]] = field(default_factory=list)
    keyboard: list[list[str]] | None = None
    remove_keyboard: bool = False
    force_reply: bool = False


@dataclass
class _PendingQuery:
    """A callback query the bot must answer exactly once."""

    presser: Phone
    answer: CallbackAnswer | None = None


class _Chat:
    """Server-side state of one chat: its messages, ids and the reply keyboard shown."""

    def __init__(self, chat_id: int, chat_json: dict[str, Any]) -> None:
        self.id = chat_id
        self.json = chat_json
        self.messages: dict[int, SeenMessage] = {}
        self.reply_keyboard: list[list[str]] | None = None
        self._ids = itertools.count(1)
        # Private chats only: Telegram lets a bot write only after the person did.
        self.started = False
        self.blocked = False
        # Groups only.
        self.bot_is_admin = False
        self.privacy_mode = True

    @property
    def is_private(self) -> bool:
        return self.id > 0

    def next_message_id(self) -> int:
        """Ids increase per chat and are shared by the person's and the bot's messages."""
        return next(self._ids)

    def add(self, message: SeenMessage) -> None:
        self.messages[message.message_id] = message

    def visible(self) -> list[SeenMessage]:
        return [m for m in self.messages.values() if not m.deleted]

    def live(self, message_id: int) -> SeenMessage | None:
        """The message with this id unless it never existed or was deleted."""
        message = self.messages.get(message_id)
        return None if message is None or message.deleted else message

    def message_json(self, message: SeenMessage, *, with_reply: bool = True) -> dict[str, Any]:
        """The Bot API ``Message`` object, valid for ``telegram.Message.de_json``."""
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "date": int(message.date.timestamp()),
            "chat": self.json,
            "from": message.sender,
        }
        data.update(_content_json(message))
        if message.buttons:
            rows = [[button.to_json() for button in row] for row in message.buttons]
            data["reply_markup"] = {"inline_keyboard": rows}
        if message.edit_date is not None:
            data["edit_date"] = int(message.edit_date.timestamp())
        if message.protect_content:
            data["has_protected_content"] = True
        target = self.messages.get(message.reply_to_message_id or 0)
        if with_reply and target is not None:
            data["reply_to_message"] = self.message_json(target, with_reply=False)
        return data


def _content_json(message: SeenMessage) -> dict[str, Any]:
    """The kind-specific part of a ``Message``: text, location or a stub media file."""
    file_id = f"fake-{message.kind}-{message.chat_id}-{message.message_id}"
    file = {"file_id": file_id, "file_unique_id": file_id}
    if message.location is not None:
        latitude, longitude = message.location
        return {"location": {"latitude": latitude, "longitude": longitude}}
    if message.kind == "photo":
        return {"photo": [{**file, "width": 1280, "height": 960}]}
    if message.kind == "sticker":
        sticker = {**file, "type": "regular", "width": 512, "height": 512}
        return {"sticker": {**sticker, "is_animated": False, "is_video": False}}
    if message.kind == "voice":
        return {"voice": {**file, "duration": 3}}
    content: dict[str, Any] = {"text": message.plain}
    if message.entities:
        content["entities"] = message.entities
    return content


def _as_int(params: Params, name: str, *, missing: str | None = None) -> int:
    """An integer parameter; Telegram also accepts its decimal string form."""
    value = params.get(name)
    if value is None or value == "":
        raise _bad(missing or f"{name} is empty")
    if isinstance(value, bool):
        raise _bad(f"{name} must be an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value):
        return int(value)
    raise _bad(f"{name} must be an integer")


def _as_json(value: Any) -> Any:
    """Objects may arrive JSON-encoded (form uploads) or already decoded (PTB)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as error:
            raise _bad("can't parse JSON object") from error
    return value


def _valid_button_url(url: str) -> bool:
    """http(s) URLs with a host, tg:// links, or a bare host Telegram would prefix with http."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme == "tg":
        return bool(parts.netloc or parts.path)
    return parts.scheme in {"http", "https"} and "." in parts.netloc.strip(".")


def _inline_button(raw: Any) -> Button:
    """Validate one inline button the way Telegram does, refusing silent no-op buttons."""
    if not isinstance(raw, dict):
        raise _bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    text = raw.get("text")
    actions = [name for name in _BUTTON_ACTIONS if raw.get(name) is not None]
    if not isinstance(text, str) or not text.strip() or not actions:
        raise _bad("text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise _bad("can't parse inline keyboard button: exactly one optional field must be used")
    action = actions[0]
    if action not in _SUPPORTED_BUTTON_ACTIONS:
        raise _not_implemented(f"inline keyboard buttons with {action}")
    value = raw[action]
    if action == "url":
        if not isinstance(value, str) or not _valid_button_url(value):
            raise _bad("BUTTON_URL_INVALID")
        return Button(text, url=value)
    if not isinstance(value, str) or not 1 <= len(value.encode()) <= MAX_CALLBACK_DATA_BYTES:
        raise _bad("BUTTON_DATA_INVALID")
    return Button(text, callback_data=value)


def _rows(raw: Any, what: str) -> list[list[Any]]:
    if not isinstance(raw, list) or not all(isinstance(row, list) for row in raw):
        raise _bad(f"can't parse reply keyboard markup JSON object: {what} must be an Array")
    return raw


def _keyboard_label(raw: Any) -> str:
    text = raw.get("text") if isinstance(raw, dict) else raw
    if not isinstance(text, str) or not text.strip():
        raise _bad("can't parse keyboard button: text must be a non-empty String")
    return text


def _parse_markup(raw: Any) -> _Markup:
    """Parse any of the four ``reply_markup`` kinds; anything else is refused."""
    data = _as_json(raw)
    if data is None:
        return _Markup()
    if not isinstance(data, dict):
        raise _bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in data:
        rows = _rows(data["inline_keyboard"], "inline_keyboard")
        inline = [[_inline_button(button) for button in row] for row in rows]
        return _Markup(inline=[row for row in inline if row])
    if "keyboard" in data:
        rows = _rows(data["keyboard"], "keyboard")
        return _Markup(keyboard=[[_keyboard_label(button) for button in row] for row in rows])
    if data.get("remove_keyboard") is True:
        return _Markup(remove_keyboard=True)
    if data.get("force_reply") is True:
        return _Markup(force_reply=True)
    raise _bad("can't parse reply keyboard markup JSON object")


def _inline_markup(raw: Any) -> list[list[Button]]:
    """Edits take only inline keyboards; omitting one removes the current one, like Telegram."""
    markup = _parse_markup(raw)
    if markup.keyboard is not None or markup.remove_keyboard or markup.force_reply:
        raise _bad("inline keyboard expected")
    return markup.inline


def _entities_param(raw: Any) -> tuple[Entity, ...]:
    """Explicit ``entities`` (no parse_mode): accepted as given, for completeness."""
    data = _as_json(raw)
    if data is None:
        return ()
    if not isinstance(data, list):
        raise _bad("can't parse entities JSON object")
    entities: list[Entity] = []
    for item in data:
        if not isinstance(item, dict) or not {"type", "offset", "length"} <= item.keys():
            raise _bad("can't parse MessageEntity")
        entities.append(
            Entity(
                str(item["type"]),
                int(item["offset"]),
                int(item["length"]),
                url=item.get("url"),
                language=item.get("language"),
                custom_emoji_id=item.get("custom_emoji_id"),
            )
        )
    return tuple(entities)


def _formatted_text(params: Params) -> FormattedText:
    """Apply ``parse_mode`` and Telegram's text rules: non-empty, at most 4096 UTF-16 units."""
    text = params.get("text")
    if not isinstance(text, str) or not text.strip():
        raise _bad("message text is empty")
    mode = str(params.get("parse_mode") or "").lower()
    if mode == "html":
        try:
            formatted = parse_html(text)
        except HtmlParseError as error:
            raise _bad(f"can't parse entities: {error}") from error
    elif mode in {"markdown", "markdownv2"}:
        raise _not_implemented(f"parse_mode {params['parse_mode']}; the bot uses HTML")
    elif mode:
        raise _bad("unsupported parse_mode")
    else:
        formatted = FormattedText(text, _entities_param(params.get("entities")))
    formatted = formatted.strip()
    if not formatted.text:
        raise _bad("message text is empty")
    if utf16_len(formatted.text) > MAX_TEXT_LENGTH:
        raise _bad("message is too long")
    return formatted


def _command_entity(text: str) -> list[dict[str, Any]]:
    """Telegram marks a leading /command (or /command@bot) so CommandHandler can match it."""
    match = _LEADING_COMMAND.match(text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group())}]


# --------------------------------------------------------------------------------------------
# People and groups
# --------------------------------------------------------------------------------------------


class _ChatView:
    """What a member of a chat sees; shared by :class:`Phone` and :class:`Group`."""

    def __init__(self, fake: FakeTelegram, chat: _Chat) -> None:
        self._fake = fake
        self._chat = chat

    @property
    def messages(self) -> list[SeenMessage]:
        """Visible (not deleted) messages, oldest first, the people's and the bot's."""
        return self._chat.visible()

    @property
    def bot_messages(self) -> list[SeenMessage]:
        """Visible messages sent by the bot, oldest first."""
        return [m for m in self._chat.visible() if m.from_bot]

    @property
    def last(self) -> SeenMessage:
        """The newest visible bot message; fails the test if the bot has said nothing."""
        messages = self.bot_messages
        if not messages:
            raise AssertionError(f"chat {self._chat.id} shows no message from the bot")
        return messages[-1]

    @property
    def texts(self) -> list[str]:
        """Plain texts of the visible bot text messages (locations etc. are left out)."""
        return [m.plain for m in self.bot_messages if m.kind == "text"]

    def _find_button(self, label: str, message: SeenMessage | None) -> tuple[SeenMessage, Button]:
        """The message and button a person would press for ``label``."""
        candidates = [message] if message is not None else reversed(self.bot_messages)
        for candidate in candidates:
            if self._chat.live(candidate.message_id) is not candidate:
                continue  # deleted, or a message of another chat
            button = candidate.button(label)
            if button is not None:
                return candidate, button
        raise LookupError(f"no button {label!r} to press in chat {self._chat.id}; {self._menu()}")

    def _menu(self) -> str:
        """The buttons on screen, for error messages that show what was there instead."""
        shown = [
            f"message {m.message_id}: {m.button_labels()}" for m in self.bot_messages if m.buttons
        ]
        return "visible buttons: " + ("; ".join(shown) if shown else "none")


class Phone(_ChatView):
    """One person's Telegram app, in their private chat with the bot."""

    def __init__(
        self,
        fake: FakeTelegram,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> None:
        chat_json: dict[str, Any] = {"id": user_id, "type": "private", "first_name": first_name}
        if last_name is not None:
            chat_json["last_name"] = last_name
        if username is not None:
            chat_json["username"] = username
        super().__init__(fake, _Chat(user_id, chat_json))
        self.user_id = user_id
        self.chat_id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.callback_answers: list[CallbackAnswer] = []

    def __repr__(self) -> str:
        return f"Phone(user_id={self.user_id}, first_name={self.first_name!r})"

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """The persistent reply keyboard shown under the input field, if any."""
        return self._chat.reply_keyboard

    @property
    def blocked(self) -> bool:
        return self._chat.blocked

    def user_json(self) -> dict[str, Any]:
        """The Bot API ``User`` object for this person."""
        data: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.last_name is not None:
            data["last_name"] = self.last_name
        if self.username is not None:
            data["username"] = self.username
        if self.language_code is not None:
            data["language_code"] = self.language_code
        return data

    def block(self) -> None:
        """Block the bot: from now on every message to this chat is refused with 403."""
        self._chat.blocked = True

    def unblock(self) -> None:
        """Unblock the bot (the person pressed "Restart bot")."""
        self._chat.blocked = False

    def _act(self) -> None:
        """Every action is the person writing to the bot, which lets the bot write back."""
        if self._chat.blocked:
            raise RuntimeError(f"{self!r} has blocked the bot; call unblock() first")
        self._chat.started = True

    async def send(self, text: str) -> None:
        """Send a text; a leading /command (or ``/start PAYLOAD``) is marked as a command."""
        self._act()
        await self._fake._person_writes(self._chat, self, text=text)

    async def edit(self, message: SeenMessage, text: str) -> None:
        """Edit one of this person's own earlier texts (Telegram sends ``edited_message``)."""
        self._act()
        await self._fake._person_edits(self._chat, self, message, text)

    async def send_location(self, latitude: float, longitude: float) -> None:
        """Share a location pin."""
        self._act()
        await self._fake._person_writes(self._chat, self, location=(latitude, longitude))

    async def send_photo(self) -> None:
        """Send a photo (a stub file), e.g. to check the bot copes with unexpected media."""
        self._act()
        await self._fake._person_writes(self._chat, self, kind="photo")

    async def send_sticker(self) -> None:
        """Send a sticker (a stub file)."""
        self._act()
        await self._fake._person_writes(self._chat, self, kind="sticker")

    async def send_voice(self) -> None:
        """Send a voice note (a stub file)."""
        self._act()
        await self._fake._person_writes(self._chat, self, kind="voice")

    async def tap(self, label: str, *, message: SeenMessage | None = None) -> CallbackAnswer:
        """Press the inline button ``label`` on ``message``, or on the newest message with it.

        The answer is checked when ``process_update`` returns, so handlers registered with
        ``block=False`` would look unanswered here.

        Raises:
            LookupError: no such button is visible (the error lists the visible ones).
            AssertionError: the bot never answered the callback query (endless spinner).
        """
        self._act()
        target, button = self._find_button(label, message)
        if button.callback_data is None:
            raise LookupError(f"button {label!r} opens {button.url}; it sends no callback")
        return await self._fake._press(self._chat, self, target, button.callback_data)

    async def tap_data(self, data: str, *, message_id: int) -> CallbackAnswer:
        """Send a callback with arbitrary ``data`` from message ``message_id`` (forged or stale)."""
        self._act()
        target = self._chat.live(message_id)
        if target is None:
            raise LookupError(f"message {message_id} is not visible in chat {self.chat_id}")
        return await self._fake._press(self._chat, self, target, data)


class Group(_ChatView):
    """A group chat containing the bot.

    ``privacy_mode`` (Telegram's default for bots) means the bot receives only commands from
    the group, not ordinary chatter, unless it is an admin; such messages still show in
    ``messages`` with ``delivered_to_bot=False``.
    """

    def __init__(
        self,
        fake: FakeTelegram,
        chat_id: int,
        title: str,
        *,
        bot_is_admin: bool,
        privacy_mode: bool,
    ) -> None:
        kind = "supergroup" if chat_id <= SUPERGROUP_ID_LIMIT else "group"
        super().__init__(fake, _Chat(chat_id, {"id": chat_id, "type": kind, "title": title}))
        self._chat.bot_is_admin = bot_is_admin
        self._chat.privacy_mode = privacy_mode
        self.chat_id = chat_id
        self.title = title

    def __repr__(self) -> str:
        return f"Group(chat_id={self.chat_id}, title={self.title!r})"

    async def send(self, sender: Phone, text: str) -> None:
        """``sender`` writes ``text`` in the group."""
        await self._fake._person_writes(self._chat, sender, text=text)

    async def tap(
        self, sender: Phone, label: str, *, message: SeenMessage | None = None
    ) -> CallbackAnswer:
        """``sender`` presses an inline button in the group; see :meth:`Phone.tap`."""
        target, button = self._find_button(label, message)
        if button.callback_data is None:
            raise LookupError(f"button {label!r} opens {button.url}; it sends no callback")
        return await self._fake._press(self._chat, sender, target, button.callback_data)

    async def tap_data(self, sender: Phone, data: str, *, message_id: int) -> CallbackAnswer:
        """``sender`` sends a callback with arbitrary ``data`` from message ``message_id``."""
        target = self._chat.live(message_id)
        if target is None:
            raise LookupError(f"message {message_id} is not visible in chat {self.chat_id}")
        return await self._fake._press(self._chat, sender, target, data)


# --------------------------------------------------------------------------------------------
# The request object PTB talks to
# --------------------------------------------------------------------------------------------


class FakeRequest(BaseRequest):
    """PTB's HTTP layer, answered in-process by a :class:`FakeTelegram` instead of the network."""

    def __init__(self, fake: FakeTelegram) -> None:
        self._fake = fake

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        """Nothing to open: there is no connection pool."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = None,
        write_timeout: object = None,
        connect_timeout: object = None,
        pool_timeout: object = None,
    ) -> tuple[int, bytes]:
        """Route ``.../bot<token>/<method>`` to the fake."""
        params = dict(request_data.parameters) if request_data is not None else {}
        try:
            return await self._fake.handle(url.rsplit("/", 1)[-1], params)
        except _Timeout:
            raise TimedOut("Timed out (injected by the fake)") from None


# --------------------------------------------------------------------------------------------
# The fake server
# --------------------------------------------------------------------------------------------


class FakeTelegram:
    """The Telegram side of the conversation: chats, people, and the Bot API rules."""

    def __init__(
        self,
        *,
        bot_id: int = 5_000_001,
        bot_username: str = "referral_test_bot",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.bot_id = bot_id
        self.bot_username = bot_username
        self._clock = clock or (lambda: datetime.now(UTC))
        self._request = FakeRequest(self)
        self._app: AnyApplication | None = None
        self._chats: dict[int, _Chat] = {}
        self._phones: dict[int, Phone] = {}
        self._queries: dict[str, _PendingQuery] = {}
        self._query_ids = itertools.count(4_200_000_001)
        self._update_ids = itertools.count(1)
        self._queued_updates: list[dict[str, Any]] = []
        self._update_arrived = asyncio.Event()
        self._commands: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self._failures: dict[tuple[str, int | None], deque[_Refusal]] = {}
        self._flood: _FloodControl | None = None
        self._holds: dict[int, asyncio.Event] = {}
        self._hung: dict[str, asyncio.Event] = {}
        self._watchers: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []
        #: 429s answered because a call went beyond :class:`FloodLimits`, by limit
        #: ("overall", "group", "private"); see :meth:`enforce_limits`.
        self.too_many: Counter[str] = Counter()
        self._fault_share = 0.0
        self._fault_methods: frozenset[str] = frozenset()
        self._fault_dice = random.Random(0)  # noqa: S311 - test faults, not secrets
        #: Injected faults by kind: "bad_gateway" (502), "flood" (429 with retry_after),
        #: "lost" (timed out before the call arrived), "late" (done, but the answer lost).
        self.faults: Counter[str] = Counter()
        self.calls: list[ApiCall] = []
        self.refused: list[ApiCall] = []
        #: What setWebhook was last given (url, secret_token); None once deleted.
        self.webhook: dict[str, Any] | None = None
        #: Seconds each call takes there and back, in real time (benchmarks: a network's
        #: round trip; half of it passes before the call arrives). 0: answered at once.
        self.round_trip = 0.0
        #: Every update handed to the app in-process, for :meth:`redeliver`.
        self.delivered: list[dict[str, Any]] = []
        self._handlers: dict[str, Callable[[Params], Any]] = {
            "getme": self._get_me,
            "sendmessage": self._send_message,
            "sendlocation": self._send_location,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback_query,
            "setmycommands": self._set_my_commands,
            "deletemycommands": self._delete_my_commands,
            "getmycommands": self._get_my_commands,
            "getchat": self._get_chat,
            "deletewebhook": self._delete_webhook,
            "setwebhook": self._set_webhook,
            "close": lambda _params: True,
            "logout": lambda _params: True,
        }

    # -- setup ---------------------------------------------------------------------------

    @property
    def request(self) -> BaseRequest:
        """Pass to ``ApplicationBuilder().request(...).get_updates_request(...)``."""
        return self._request

    def attach(self, app: AnyApplication) -> None:
        """Send people's actions to ``app.process_update``; the app must use :attr:`request`."""
        used = app.bot.request
        if getattr(used, "_inner", used) is not self._request:  # RetryingRequest wraps it
            raise ValueError("the application's bot does not use this fake's request object")
        self._app = app

    def user(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> Phone:
        """The person with this id: created on first use, the same Phone afterwards.

        Later calls return the existing Phone and ignore the other arguments, so helpers can
        say ``fake.user(ANN, "Ann")`` wherever they need Ann.
        """
        if user_id in self._phones:
            return self._phones[user_id]
        if user_id <= 0 or user_id == self.bot_id:
            raise ValueError(f"user ids are positive and not the bot's own id, got {user_id}")
        phone = Phone(
            self,
            user_id,
            first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        self._phones[user_id] = phone
        self._chats[user_id] = phone._chat
        return phone

    def group(
        self, chat_id: int, title: str, *, bot_is_admin: bool = False, privacy_mode: bool = True
    ) -> Group:
        """A group chat with the bot in it; ids are negative (-100... for supergroups)."""
        if chat_id >= 0:
            raise ValueError(f"group chat ids are negative, got {chat_id}")
        if chat_id in self._chats:
            raise ValueError(f"chat {chat_id} already exists")
        group = Group(self, chat_id, title, bot_is_admin=bot_is_admin, privacy_mode=privacy_mode)
        self._chats[chat_id] = group._chat
        return group

    def commands(
        self, *, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[tuple[str, str]]:
        """The (command, description) list last set for exactly this scope and language."""
        try:
            key = (self._scope_key(scope), self._language_code(language_code))
        except _Refusal as refusal:
            raise ValueError(refusal.description) from refusal
        return list(self._commands.get(key, []))

    def fail_next(
        self,
        method: str,
        *,
        status: int,
        description: str,
        retry_after: int | None = None,
        chat_id: int | None = None,
    ) -> None:
        """Make the next call of ``method`` (about ``chat_id`` only, if given) fail this way,
        without side effects; queue-able."""
        refusal = _Refusal(status, description, retry_after)
        self._failures.setdefault((method.lower(), chat_id), deque()).append(refusal)

    def enforce_limits(
        self, limits: FloodLimits | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """From now on answer 429 beyond Telegram's flood limits (see :class:`FloodLimits`),
        counting each refusal in :attr:`too_many`. ``clock`` is a monotonic clock in seconds
        (the bot's limiter must use the same one); by default the real one."""
        self._flood = _FloodControl(limits or FloodLimits(), clock)

    def hold(self, chat_id: int) -> asyncio.Event:
        """Calls about ``chat_id`` wait (arrived, not yet answered: a slow chat) until the
        returned event is set."""
        return self._holds.setdefault(chat_id, asyncio.Event())

    def hang(self, method: str) -> asyncio.Event:
        """Calls of ``method`` arrive and get no answer (Telegram hanging, as it sometimes
        does right after ``getMe``) until the returned event is set."""
        return self._hung.setdefault(method.lower(), asyncio.Event())

    async def until(self, condition: Callable[[], bool]) -> None:
        """Wait until ``condition()`` holds; it is checked after each call the fake answers."""
        if condition():
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        watcher = (condition, future)
        self._watchers.append(watcher)
        try:
            await future
        finally:
            self._watchers.remove(watcher)

    def _wake_watchers(self) -> None:
        for condition, future in self._watchers:
            if not future.done() and condition():
                future.set_result(None)

    def inject_faults(
        self, share: float, *, seed: int = 0, methods: Iterable[str] = NOTIFYING_METHODS
    ) -> None:
        """From now on fail about ``share`` of the calls of ``methods``, each fault drawn
        from :data:`FAULT_KINDS` with a seeded dice (the same seed, the same faults)."""
        if not 0 <= share < 1:
            raise ValueError("share is a fraction below 1")
        self._fault_share = share
        self._fault_methods = frozenset(m.lower() for m in methods)
        self._fault_dice = random.Random(seed)  # noqa: S311 - test faults, not secrets

    def _fault(self, method: str) -> str | None:
        if method.lower() not in self._fault_methods:
            return None
        if self._fault_dice.random() >= self._fault_share:
            return None
        kind = self._fault_dice.choice(FAULT_KINDS)
        self.faults[kind] += 1
        return kind

    def queue_update(self, update: dict[str, Any]) -> None:
        """Queue a raw update for ``getUpdates`` (long polling); an update_id is added if absent."""
        if "update_id" not in update:
            update = {"update_id": next(self._update_ids), **update}
        self._queued_updates.append(update)
        self._update_arrived.set()

    def now(self) -> datetime:
        """The fake's clock, always an aware datetime."""
        moment = self._clock()
        if moment.tzinfo is None:
            raise ValueError("the clock must return timezone-aware datetimes")
        return moment

    # -- the API entry point -------------------------------------------------------------

    async def handle(self, method: str, params: Params) -> tuple[int, bytes]:
        """Answer one Bot API call: ``(HTTP status, JSON body)``; every call is recorded."""
        if self.round_trip:
            await asyncio.sleep(self.round_trip / 2)  # on its way to Telegram
        call = ApiCall(method, params)
        self.calls.append(call)
        try:
            answer = await self._answer(call)
        finally:
            self._wake_watchers()
        if self.round_trip:
            await asyncio.sleep(self.round_trip / 2)  # the answer on its way back
        return answer

    async def _answer(self, call: ApiCall) -> tuple[int, bytes]:
        method, params = call.method, call.params
        fault = self._fault(method)
        try:
            if fault == "lost":
                raise _Timeout
            if fault == "bad_gateway":
                raise _Refusal(502, "Bad Gateway")
            if fault == "flood":
                wait = self._fault_dice.randint(1, 10)
                raise _Refusal(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
            if (hung := self._hung.get(method.lower())) is not None:
                await hung.wait()
            chat_id = _named_chat(params)
            if chat_id is not None and chat_id in self._holds:
                await self._holds[chat_id].wait()
            if chat_id is not None and method.lower() in _LIMITED_METHODS:
                self._keep_limits(chat_id)
            result = await self._dispatch(method, params)
            if fault == "late":
                raise _Timeout
        except _Timeout:
            if fault == "lost":
                call.status, call.description = 0, "timed out before it arrived"
            raise
        except _Refusal as refusal:
            call.status = refusal.status
            call.description = refusal.description
            self.refused.append(call)
            return refusal.status, refusal.body()
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _keep_limits(self, chat_id: int) -> None:
        """In limits mode, count the call or refuse it with 429 (see :class:`FloodLimits`)."""
        if self._flood is None:
            return
        refused = self._flood.admit(chat_id)
        if refused is None:
            return
        limit, wait = refused
        self.too_many[limit] += 1
        seconds = max(1, math.ceil(wait))
        raise _Refusal(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)

    async def _dispatch(self, method: str, params: Params) -> Any:
        chat_id = _named_chat(params)
        for key in ((method.lower(), chat_id), (method.lower(), None)):
            failures = self._failures.get(key)
            if failures:
                raise failures.popleft()
        if method.lower() == "getupdates":
            return await self._get_updates(params)
        handler = self._handlers.get(method.lower())
        if handler is None:
            raise _not_implemented(method)
        return handler(params)

    # -- delivering what people do -------------------------------------------------------

    def _require_app(self) -> AnyApplication:
        if self._app is None:
            raise RuntimeError("call FakeTelegram.attach(app) before people act")
        return self._app

    async def _deliver(self, payload: dict[str, Any]) -> None:
        """Turn a raw update into a PTB ``Update`` and run the app's handlers on it."""
        if self._app is None:  # the bot runs elsewhere (bot/sandbox/http.py): it polls
            self.queue_update(payload)
            return
        data = {"update_id": next(self._update_ids), **payload}
        self.delivered.append(data)
        await self._process(data)

    async def redeliver(self, count: int = 1) -> None:
        """Hand the last ``count`` updates over again, as Telegram does when the bot died
        before confirming them (same update ids, same messages)."""
        for data in self.delivered[-count:]:
            await self._process(data)

    async def _process(self, data: dict[str, Any]) -> None:
        app = self._require_app()
        update = Update.de_json(data, app.bot)
        if isinstance(app.bot, ExtBot):
            app.bot.insert_callback_data(update)  # as PTB's own update fetchers do
        await app.process_update(update)

    async def _person_writes(
        self,
        chat: _Chat,
        sender: Phone,
        *,
        text: str = "",
        kind: str = "text",
        location: tuple[float, float] | None = None,
    ) -> None:
        """Record a person's message in ``chat`` and deliver it unless privacy mode hides it."""
        if location is not None:
            kind = "location"
        # Apps trim ASCII spaces and line breaks before sending; other whitespace (U+3000,
        # U+2028, "\x1c") does reach bots, and then ``str.split()`` finds no word in it.
        if kind == "text" and not (text.strip(" \t\r\n") and utf16_len(text) <= MAX_TEXT_LENGTH):
            raise ValueError("Telegram apps send 1-4096 characters of text")
        message = SeenMessage(
            message_id=chat.next_message_id(),
            chat_id=chat.id,
            from_bot=False,
            text=text,
            plain=text,
            location=location,
            kind=kind,
            date=self.now(),
            entities=_command_entity(text),
            sender=sender.user_json(),
        )
        message.delivered_to_bot = self._bot_receives(chat, message)
        chat.add(message)
        if message.delivered_to_bot:
            await self._deliver({"message": chat.message_json(message)})

    async def _person_edits(
        self, chat: _Chat, sender: Phone, message: SeenMessage, text: str
    ) -> None:
        """Change a person's own message and deliver the ``edited_message`` update."""
        if message.from_bot or message.chat_id != chat.id or message.deleted:
            raise ValueError("a person can edit only their own visible messages")
        if message.sender is None or message.sender.get("id") != sender.user_id:
            raise ValueError("a person can edit only their own messages")
        message.history.append(message.plain)
        message.text = message.plain = text
        message.entities = _command_entity(text)
        message.edit_date = self.now()
        if message.delivered_to_bot:
            await self._deliver({"edited_message": chat.message_json(message)})

    def _bot_receives(self, chat: _Chat, message: SeenMessage) -> bool:
        """Privacy mode: in groups a non-admin bot gets only commands meant for it."""
        if chat.is_private or not chat.privacy_mode or chat.bot_is_admin:
            return True
        match = _LEADING_COMMAND.match(message.text)
        if match is None:
            return False
        addressee = match.group().partition("@")[2]
        return not addressee or addressee.lower() == self.bot_username.lower()

    async def _press(
        self, chat: _Chat, presser: Phone, message: SeenMessage, data: str
    ) -> CallbackAnswer:
        """Send a callback query and insist that the bot answered it."""
        query_id = str(next(self._query_ids))
        pending = _PendingQuery(presser)
        self._queries[query_id] = pending
        query = {
            "id": query_id,
            "from": presser.user_json(),
            "message": chat.message_json(message),
            "chat_instance": f"fake-{chat.id}",
            "data": data,
        }
        await self._deliver({"callback_query": query})
        if self._app is None:  # the bot answers later, from its own process
            return CallbackAnswer(None, False, None)
        if pending.answer is None:
            raise AssertionError(
                f"the bot never answered the callback query {data!r} from {presser!r} on "
                f"message {message.message_id}; Telegram would show a spinner forever"
            )
        return pending.answer

    # -- chats ---------------------------------------------------------------------------

    @staticmethod
    def _chat_id(params: Params) -> int:
        """``chat_id`` as a number; "@username" never names a chat here (no public chats)."""
        raw = params.get("chat_id")
        if isinstance(raw, str) and raw.startswith("@"):
            raise _bad("chat not found")
        return _as_int(params, "chat_id")

    def _chat(self, params: Params) -> _Chat:
        """The chat named by ``chat_id``, or 400 "chat not found"."""
        chat = self._chats.get(self._chat_id(params))
        if chat is None:
            raise _bad("chat not found")
        return chat

    def _writable_chat(self, params: Params) -> _Chat:
        """A chat the bot may write to now; private chats need a person who wrote first."""
        chat_id = self._chat_id(params)
        if chat_id == self.bot_id:
            raise _Refusal(403, "Forbidden: bots can't send messages to bots")
        chat = self._chats.get(chat_id)
        if chat is None:
            # A positive id is a person the bot has never talked to.
            raise _Refusal(403, _CANT_INITIATE) if chat_id > 0 else _bad("chat not found")
        if chat.blocked:
            raise _Refusal(403, _BLOCKED)
        if chat.is_private and not chat.started:
            raise _Refusal(403, _CANT_INITIATE)
        return chat

    def _bot_json(self) -> dict[str, Any]:
        first_name = self.bot_username.removesuffix("_bot").replace("_", " ").title() or "Bot"
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": self.bot_username,
        }

    # -- sending -------------------------------------------------------------------------

    def _reply_target(self, chat: _Chat, params: Params) -> int | None:
        """The message replied to; a missing one is refused unless explicitly allowed."""
        reply = _as_json(params.get("reply_parameters")) or {}
        if not isinstance(reply, dict):
            raise _bad("can't parse reply parameters JSON object")
        message_id = reply.get("message_id", params.get("reply_to_message_id"))
        if message_id is None:
            return None
        if reply.get("chat_id") not in {None, chat.id}:
            raise _not_implemented("replies to messages in other chats")
        message_id = _as_int({"message_id": message_id}, "message_id")
        if chat.live(message_id) is not None:
            return message_id
        allowed = reply.get(
            "allow_sending_without_reply", params.get("allow_sending_without_reply")
        )
        if allowed:
            return None
        raise _bad("message to be replied not found")

    def _bot_message(self, chat: _Chat, params: Params, markup: _Markup) -> SeenMessage:
        """A new bot message with the options every send method shares."""
        return SeenMessage(
            message_id=chat.next_message_id(),
            chat_id=chat.id,
            from_bot=True,
            text="",
            plain="",
            buttons=markup.inline,
            protect_content=bool(params.get("protect_content")),
            disable_notification=bool(params.get("disable_notification")),
            force_reply=markup.force_reply,
            date=self.now(),
            sender=self._bot_json(),
        )

    def _post(self, chat: _Chat, message: SeenMessage, markup: _Markup) -> dict[str, Any]:
        """Show ``message`` and apply its reply keyboard effect; returns the Message JSON."""
        chat.add(message)
        if markup.keyboard is not None:
            chat.reply_keyboard = markup.keyboard
        elif markup.remove_keyboard:
            chat.reply_keyboard = None
        return chat.message_json(message)

    def _send_message(self, params: Params) -> Any:
        chat = self._writable_chat(params)
        formatted = _formatted_text(params)
        markup = _parse_markup(params.get("reply_markup"))
        reply_to = self._reply_target(chat, params)
        message = self._bot_message(chat, params, markup)
        message.text = str(params["text"])
        message.plain = formatted.text
        message.entities = [entity.to_json() for entity in formatted.entities]
        message.parse_mode = params.get("parse_mode")
        message.reply_to_message_id = reply_to
        return self._post(chat, message, markup)

    def _send_location(self, params: Params) -> Any:
        chat = self._writable_chat(params)
        try:
            latitude = float(params["latitude"])
            longitude = float(params["longitude"])
        except (KeyError, TypeError, ValueError) as error:
            raise _bad("latitude and longitude must be numbers") from error
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise _bad("wrong coordinates: latitude must be within ±90, longitude within ±180")
        markup = _parse_markup(params.get("reply_markup"))
        reply_to = self._reply_target(chat, params)
        message = self._bot_message(chat, params, markup)
        message.kind = "location"
        message.location = (latitude, longitude)
        message.reply_to_message_id = reply_to
        return self._post(chat, message, markup)

    # -- editing and deleting ------------------------------------------------------------

    def _message_to_edit(self, params: Params) -> tuple[_Chat, SeenMessage]:
        if params.get("inline_message_id") is not None:
            raise _not_implemented("inline messages")
        chat = self._chat(params)
        if chat.blocked:
            raise _Refusal(403, _BLOCKED)
        message = chat.live(_as_int(params, "message_id", missing="message to edit not found"))
        if message is None:
            raise _bad("message to edit not found")
        if not message.from_bot:
            raise _bad("message can't be edited")
        return chat, message

    def _edit_message_text(self, params: Params) -> Any:
        chat, message = self._message_to_edit(params)
        if message.kind != "text":
            raise _bad("there is no text in the message to edit")
        formatted = _formatted_text(params)
        buttons = _inline_markup(params.get("reply_markup"))
        entities = [entity.to_json() for entity in formatted.entities]
        if (formatted.text, entities, buttons) == (
            message.plain,
            message.entities,
            message.buttons,
        ):
            raise _bad(_NOT_MODIFIED)
        message.history.append(message.plain)
        message.text = str(params["text"])
        message.plain = formatted.text
        message.entities = entities
        message.parse_mode = params.get("parse_mode")
        message.buttons = buttons
        message.edit_date = self.now()
        return chat.message_json(message)

    def _edit_message_reply_markup(self, params: Params) -> Any:
        chat, message = self._message_to_edit(params)
        buttons = _inline_markup(params.get("reply_markup"))
        if buttons == message.buttons:
            raise _bad(_NOT_MODIFIED)
        message.buttons = buttons
        message.edit_date = self.now()
        return chat.message_json(message)

    def _delete_message(self, params: Params) -> Any:
        chat = self._chat(params)
        message = chat.live(_as_int(params, "message_id", missing="message to delete not found"))
        if message is None:
            raise _bad("message to delete not found")
        if not (message.from_bot or chat.is_private or chat.bot_is_admin):
            raise _bad("message can't be deleted")
        if self.now() - message.date > DELETE_WINDOW:
            raise _bad("message can't be deleted for everyone")
        message.deleted = True
        return True

    # -- webhook -------------------------------------------------------------------------

    def _set_webhook(self, params: Params) -> Any:
        url = str(params.get("url") or "")
        if not url.startswith("https://"):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = {"url": url, "secret_token": params.get("secret_token")}
        return True

    def _delete_webhook(self, params: Params) -> Any:
        self.webhook = None
        return True

    # -- callback queries ----------------------------------------------------------------

    def _answer_callback_query(self, params: Params) -> Any:
        pending = self._queries.get(str(params.get("callback_query_id", "")))
        if pending is None or pending.answer is not None:
            raise _bad(_QUERY_TOO_OLD)
        text = params.get("text")
        if text is not None and utf16_len(str(text)) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad("MESSAGE_TOO_LONG")
        url = params.get("url")
        answer = CallbackAnswer(text or None, bool(params.get("show_alert")), url)
        pending.answer = answer
        pending.presser.callback_answers.append(answer)
        return True

    # -- commands ------------------------------------------------------------------------

    def _scope_key(self, scope: Any) -> str:
        """A canonical JSON key for a command scope, validating it like Telegram."""
        data = _as_json(scope) or {"type": "default"}
        if not isinstance(data, dict) or data.get("type") not in _SCOPE_FIELDS:
            raise _bad("can't parse BotCommandScope: unsupported type")
        key: dict[str, Any] = {"type": data["type"]}
        for name in _SCOPE_FIELDS[data["type"]]:
            key[name] = _as_int(data, name)
        if "chat_id" in key and key["chat_id"] not in self._chats:
            raise _bad("chat not found")
        return json.dumps(key, sort_keys=True)

    @staticmethod
    def _language_code(language_code: Any) -> str:
        code = language_code or ""
        if code and not (isinstance(code, str) and _LANGUAGE_CODE.fullmatch(code)):
            raise _bad("invalid language code specified")
        return str(code)

    def _commands_key(self, params: Params) -> tuple[str, str]:
        scope_key = self._scope_key(params.get("scope"))
        return scope_key, self._language_code(params.get("language_code"))

    def _set_my_commands(self, params: Params) -> Any:
        commands = _as_json(params.get("commands"))
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > MAX_COMMANDS:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        parsed = [self._bot_command(item) for item in commands]
        self._commands[self._commands_key(params)] = parsed
        return True

    @staticmethod
    def _bot_command(item: Any) -> tuple[str, str]:
        if not isinstance(item, dict):
            raise _bad("can't parse BotCommand")
        command, description = item.get("command"), item.get("description")
        if not isinstance(command, str) or not _COMMAND_NAME.fullmatch(command):
            raise _bad("BOT_COMMAND_INVALID")
        if not isinstance(description, str):
            raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        if not 1 <= len(description.strip()) <= MAX_COMMAND_DESCRIPTION:
            raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        return command, description

    def _delete_my_commands(self, params: Params) -> Any:
        self._commands.pop(self._commands_key(params), None)
        return True

    def _get_my_commands(self, params: Params) -> Any:
        commands = self._commands.get(self._commands_key(params), [])
        return [{"command": command, "description": text} for command, text in commands]

    # -- the rest ------------------------------------------------------------------------

    def _get_me(self, _params: Params) -> Any:
        return {
            **self._bot_json(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _get_chat(self, params: Params) -> Any:
        chat = self._chat(params)
        gift_types = dict.fromkeys(
            (
                "unlimited_gifts",
                "limited_gifts",
                "unique_gifts",
                "premium_subscription",
                "gifts_from_channels",
            ),
            False,
        )
        return {
            **chat.json,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": gift_types,
        }

    def _pending_updates(self, offset: int, limit: int) -> list[dict[str, Any]]:
        """Forget confirmed updates (id < offset) and return up to ``limit`` of the rest."""
        self._queued_updates = [u for u in self._queued_updates if u["update_id"] >= offset]
        return self._queued_updates[:limit]

    async def _get_updates(self, params: Params) -> Any:
        """Long polling: return queued updates at once, or wait up to ``timeout`` for one."""
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        if not 1 <= limit <= 100:
            raise _bad("limit must be between 1 and 100")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not (updates := self._pending_updates(offset, limit)):
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            self._update_arrived.clear()
            try:
                await asyncio.wait_for(self._update_arrived.wait(), remaining)
            except TimeoutError:
                return []
        return updates
