"""The chats: each one's messages on the Telegram side, and the people acting in them.

:class:`Phone` is one person's app in their private chat with the bot, :class:`Group` a
group chat with the bot in it; both read what the person sees and act (send, edit, tap)
through the :class:`~bot.sandbox.fake_telegram.FakeTelegram` that owns them, which
they know only as the three doors of :class:`_Telegram`.
"""

from __future__ import annotations

import itertools
from typing import Any, Final, Protocol

from bot.sandbox.fake_telegram.seen import Button, CallbackAnswer, SeenMessage

#: Supergroup ids look like -100xxxxxxxxxx; plain groups have small negative ids.
SUPERGROUP_ID_LIMIT: Final = -1_000_000_000_000


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
        sent = message.file
        width, height = (sent.width, sent.height) if sent else (1280, 960)
        return {"photo": [{**file, "width": width, "height": height}], **_caption_json(message)}
    if message.kind == "document":
        assert message.file is not None
        document: dict[str, Any] = {**file, "file_name": message.file.filename}
        if message.file.mime_type:
            document["mime_type"] = message.file.mime_type
        document["file_size"] = len(message.file.content)
        return {"document": document, **_caption_json(message)}
    if message.kind == "sticker":
        sticker = {**file, "type": "regular", "width": 512, "height": 512}
        return {"sticker": {**sticker, "is_animated": False, "is_video": False}}
    if message.kind == "voice":
        return {"voice": {**file, "duration": 3}}
    content: dict[str, Any] = {"text": message.plain}
    if message.entities:
        content["entities"] = message.entities
    return content


def _caption_json(message: SeenMessage) -> dict[str, Any]:
    if not message.plain:
        return {}
    caption: dict[str, Any] = {"caption": message.plain}
    if message.entities:
        caption["caption_entities"] = message.entities
    return caption


class _Telegram(Protocol):
    """What people act through: the fake server that owns their chat (a FakeTelegram)."""

    async def _person_writes(
        self,
        chat: _Chat,
        sender: Phone,
        *,
        text: str = ...,
        kind: str = ...,
        location: tuple[float, float] | None = ...,
    ) -> None: ...

    async def _person_edits(
        self, chat: _Chat, sender: Phone, message: SeenMessage, text: str
    ) -> None: ...

    async def _press(
        self, chat: _Chat, presser: Phone, message: SeenMessage, data: str
    ) -> CallbackAnswer: ...


class _ChatView:
    """What a member of a chat sees; shared by :class:`Phone` and :class:`Group`."""

    def __init__(self, fake: _Telegram, chat: _Chat) -> None:
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

    @property
    def files(self) -> list[SeenMessage]:
        """The visible bot messages that carry a file (photos, documents), oldest first:
        ``message.file`` holds its bytes and name, ``message.plain`` its caption."""
        return [m for m in self.bot_messages if m.file is not None]

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
        fake: _Telegram,
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
        fake: _Telegram,
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
