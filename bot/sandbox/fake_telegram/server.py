"""A strict, in-process fake of the Telegram Bot API that drives the real PTB ``Application``.

Why: the bot's correctness is mostly about what people see on their phones and what Telegram
refuses. Mocks of ``Bot`` methods test neither. This fake sits *below* PTB, at the HTTP layer
(``BaseRequest``), so every handler runs exactly as in production, and it:

* plays private chats (:class:`Phone`) and groups (:class:`Group`), sending updates through
  ``Application.process_update``;
* records what each person sees (:class:`SeenMessage`, edits, deletions, keyboards, answers),
  and, in :attr:`FakeTelegram.timeline`, everything seen and done in the order it happened;
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
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from telegram import Update
from telegram.error import TimedOut
from telegram.ext import Application, ExtBot
from telegram.request import BaseRequest, RequestData

from bot.sandbox.fake_telegram.calls import (
    ApiCall,
    Params,
    Upload,
    _as_int,
    _as_json,
    _bad,
    _named_chat,
    _not_implemented,
    _Refusal,
)
from bot.sandbox.fake_telegram.chats import Group, Phone, _Chat
from bot.sandbox.fake_telegram.flood import FloodLimits, _FloodControl
from bot.sandbox.fake_telegram.markup import (
    _LEADING_COMMAND,
    MAX_TEXT_LENGTH,
    _command_entity,
    _formatted_caption,
    _formatted_text,
    _inline_markup,
    _Markup,
    _parse_markup,
)
from bot.sandbox.fake_telegram.seen import CallbackAnswer, SeenMessage, SentFile
from bot.sandbox.fake_telegram.timeline import Event, EventKind, Rows, content, key_rows, rows
from bot.sandbox.telegram_html import utf16_len

__all__ = ["FAULT_KINDS", "NOTIFYING_METHODS", "FakeRequest", "FakeTelegram"]

AnyApplication = Application[Any, Any, Any, Any, Any, Any]

MAX_CALLBACK_ANSWER_LENGTH: Final = 200
# Uploads (Bot API sendPhoto / sendDocument): a photo at most 10 MB, its width and height
# at most 10000 together and at most 20 times one another; any other file at most 50 MB.
MAX_PHOTO_BYTES: Final = 10_000_000
MAX_PHOTO_SIDES: Final = 10_000
MAX_PHOTO_RATIO: Final = 20
MAX_DOCUMENT_BYTES: Final = 50_000_000
MAX_COMMANDS: Final = 100
MAX_COMMAND_DESCRIPTION: Final = 256
#: Telegram lets bots delete messages only for this long after sending.
DELETE_WINDOW: Final = timedelta(hours=48)

_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE_CODE = re.compile(r"[a-z]{2}")


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
# Internals
# --------------------------------------------------------------------------------------------


class _Timeout(Exception):
    """The bot's request times out: before Telegram saw it, or after (the answer is lost)."""


#: Methods that carry notifications; the default targets of :meth:`FakeTelegram.inject_faults`.
NOTIFYING_METHODS: Final = (
    "sendMessage",
    "sendLocation",
    "sendPhoto",
    "sendDocument",
    "editMessageText",
    "editMessageReplyMarkup",
    "deleteMessage",
)
FAULT_KINDS: Final = ("bad_gateway", "flood", "lost", "late")


_LIMITED_METHODS: Final = frozenset(m.lower() for m in NOTIFYING_METHODS)


@dataclass
class _PendingQuery:
    """A callback query the bot must answer exactly once."""

    presser: Phone
    chat_id: int
    answer: CallbackAnswer | None = None


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
        params: Params = dict(request_data.parameters) if request_data is not None else {}
        if request_data is not None and request_data.contains_files:
            # Files go as parts of a multipart form, as PTB uploads them (InputFile).
            for name, (filename, content, mime_type) in request_data.multipart_data.items():
                data = content if isinstance(content, bytes) else content.read()
                params[name] = Upload(filename or name, data, mime_type)
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
        self.polled = asyncio.Event()  # set by each getUpdates: a bot up and taking updates
        self._commands: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self._failures: dict[tuple[str, int | None], deque[_Refusal]] = {}
        self._flood: _FloodControl | None = None
        self._holds: dict[int, asyncio.Event] = {}
        self._hold_only: dict[int, Callable[[Mapping[str, object]], bool]] = {}
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
        #: Every message sent, edited or deleted, every tap, typed text and toast, in the
        #: order it happened, at the fake's clock (see :mod:`.timeline`).
        self.timeline: list[Event] = []
        self.refused: list[ApiCall] = []
        #: What setWebhook was last given (url, secret_token); None once deleted.
        self.webhook: dict[str, Any] | None = None
        #: Seconds each call takes there and back, in real time (benchmarks: a network's
        #: round trip; half of it passes before the call arrives). 0: answered at once.
        self.round_trip = 0.0
        #: Every update handed to the app in-process, for :meth:`redeliver`.
        self.delivered: list[dict[str, Any]] = []
        #: Awaited after each update the app handled in-process (the sandbox lets the
        #: bot's sender finish, so a person's action returns once all it caused is sent).
        self.after_update: Callable[[], Awaitable[None]] | None = None
        self._handlers: dict[str, Callable[[Params], Any]] = {
            "getme": self._get_me,
            "sendmessage": self._send_message,
            "sendlocation": self._send_location,
            "sendphoto": self._send_photo,
            "senddocument": self._send_document,
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

    def hold(
        self, chat_id: int, *, only: Callable[[Mapping[str, object]], bool] | None = None
    ) -> asyncio.Event:
        """Calls about ``chat_id`` wait (arrived, not yet answered: a slow chat) until the
        returned event is set; ``only``: just the calls whose parameters it accepts."""
        if only is None:
            self._hold_only.pop(chat_id, None)
        else:
            self._hold_only[chat_id] = only
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

    def _record(
        self,
        chat: _Chat,
        kind: EventKind,
        text: str,
        *,
        person: int | None = None,
        message: SeenMessage | None = None,
        keyboard: Rows | None = None,
    ) -> None:
        """Add one event to :attr:`timeline`; a message's buttons as they are now."""
        self.timeline.append(
            Event(
                at=self.now(),
                chat_id=chat.id,
                kind=kind,
                text=text,
                person=person,
                message_id=None if message is None else message.message_id,
                buttons=() if message is None or kind == "tapped" else rows(message.buttons),
                keyboard=keyboard,
            )
        )

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
                only = self._hold_only.get(chat_id)
                if only is None or only(params):
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
        if self.after_update is not None:
            await self.after_update()

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
        keys = {key for row in chat.reply_keyboard or [] for key in row}
        done: EventKind = "tapped" if kind == "text" and text in keys else "typed"
        self._record(chat, done, content(message), person=sender.user_id, message=message)
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
        self._record(chat, "edited", text, person=sender.user_id, message=message)
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
        pending = _PendingQuery(presser, chat.id)
        pressed = (b.text for row in message.buttons for b in row if b.callback_data == data)
        self._record(chat, "tapped", next(pressed, data), person=presser.user_id, message=message)
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
        keyboard = () if markup.remove_keyboard else key_rows(markup.keyboard)
        self._record(chat, "sent", content(message), message=message, keyboard=keyboard)
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

    def _send_photo(self, params: Params) -> Any:
        chat = self._writable_chat(params)
        upload = self._upload(params, "photo")
        if len(upload.content) > MAX_PHOTO_BYTES:
            raise _bad("PHOTO_SAVE_FILE_INVALID")  # over 10 MB
        width, height = _picture_size(upload.content)
        if width + height > MAX_PHOTO_SIDES or max(width, height) > MAX_PHOTO_RATIO * min(
            width, height
        ):
            raise _bad("PHOTO_INVALID_DIMENSIONS")
        sent = SentFile(upload.filename, upload.content, upload.mime_type, width, height)
        return self._send_file(chat, params, "photo", sent)

    def _send_document(self, params: Params) -> Any:
        chat = self._writable_chat(params)
        upload = self._upload(params, "document")
        if len(upload.content) > MAX_DOCUMENT_BYTES:
            raise _Refusal(413, "Request Entity Too Large")
        if not upload.content:
            raise _bad("file must be non-empty")
        sent = SentFile(upload.filename, upload.content, upload.mime_type)
        return self._send_file(chat, params, "document", sent)

    @staticmethod
    def _upload(params: Params, name: str) -> Upload:
        """The file uploaded as ``name``; a file_id or URL names a file on Telegram's
        servers, which the fake has none of."""
        upload = params.get(name)
        if isinstance(upload, Upload):
            return upload
        if upload is None or upload == "":
            raise _bad(f"there is no {name} in the request")
        raise _not_implemented(f"{name} by file_id or URL; upload the file")

    def _send_file(self, chat: _Chat, params: Params, kind: str, sent: SentFile) -> Any:
        formatted = _formatted_caption(params)
        markup = _parse_markup(params.get("reply_markup"))
        reply_to = self._reply_target(chat, params)
        message = self._bot_message(chat, params, markup)
        message.kind = kind
        message.file = sent
        message.text = str(params.get("caption") or "")
        message.plain = formatted.text
        message.entities = [entity.to_json() for entity in formatted.entities]
        message.parse_mode = params.get("parse_mode")
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
        self._record(chat, "edited", message.plain, message=message)
        return chat.message_json(message)

    def _edit_message_reply_markup(self, params: Params) -> Any:
        chat, message = self._message_to_edit(params)
        buttons = _inline_markup(params.get("reply_markup"))
        if buttons == message.buttons:
            raise _bad(_NOT_MODIFIED)
        message.buttons = buttons
        message.edit_date = self.now()
        self._record(chat, "edited", content(message), message=message)
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
        self._record(chat, "deleted", content(message), message=message)
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
        chat = self._chats.get(pending.chat_id)
        if answer.text and chat is not None:
            self._record(chat, "answered", answer.text, person=pending.presser.user_id)
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
        self.polled.set()
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


_PNG = b"\x89PNG\r\n\x1a\n"


def _picture_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a PNG or JPEG; anything else Telegram cannot make a photo of."""
    if data.startswith(_PNG) and len(data) >= 24 and data[12:16] == b"IHDR":
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data.startswith(b"\xff\xd8"):
        index = 2
        while index + 9 < len(data):
            if data[index] != 0xFF:
                break
            marker, length = data[index + 1], int.from_bytes(data[index + 2 : index + 4], "big")
            if marker in (0xC0, 0xC1, 0xC2):
                height = int.from_bytes(data[index + 5 : index + 7], "big")
                return int.from_bytes(data[index + 7 : index + 9], "big"), height
            index += 2 + length
    raise _bad("IMAGE_PROCESS_FAILED")
