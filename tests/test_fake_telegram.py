"""The fake Telegram drives a real PTB Application and refuses what Telegram refuses.

A tiny bot is built here with the real ``ApplicationBuilder``; the tests act as people on
their phones and check what they see, and that each Bot API rule makes PTB raise.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

import pytest
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.sandbox import FakeTelegram, HtmlParseError, Phone, html_to_plain, parse_html

AnyApp = Application[Any, Any, Any, Any, Any, Any]
Context = ContextTypes.DEFAULT_TYPE

ANN = 1001
BOB = 1002


# --------------------------------------------------------------------------------------------
# A tiny bot under test
# --------------------------------------------------------------------------------------------


def _welcome_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Accept", callback_data="accept:1"),
                InlineKeyboardButton("Decline", callback_data="decline:1"),
            ],
            [InlineKeyboardButton("Silent", callback_data="silent")],
            [InlineKeyboardButton("Twice", callback_data="twice")],
            [InlineKeyboardButton("Long answer", callback_data="long")],
            [InlineKeyboardButton("Help", url="https://example.org/help")],
        ]
    )


async def _start(update: Update, context: Context) -> None:
    assert update.effective_message is not None and update.effective_user is not None
    if context.args:
        await update.effective_message.reply_text(f"payload: {context.args[0]}")
        return
    name = escape(update.effective_user.first_name)
    await update.effective_message.reply_text(
        f"Welcome, <b>{name}</b>!", parse_mode=ParseMode.HTML, reply_markup=_welcome_keyboard()
    )


async def _keyboard(update: Update, _context: Context) -> None:
    assert update.effective_message is not None
    markup = ReplyKeyboardMarkup([["Yes", "No"], ["Maybe"]])
    await update.effective_message.reply_text("Choose", reply_markup=markup)


async def _no_keyboard(update: Update, _context: Context) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text("Hidden", reply_markup=ReplyKeyboardRemove())


async def _echo(update: Update, _context: Context) -> None:
    assert update.effective_message is not None and update.effective_message.text is not None
    await update.effective_message.reply_text(f"You said: {update.effective_message.text}")


async def _location(update: Update, _context: Context) -> None:
    message = update.effective_message
    assert message is not None and message.location is not None
    await message.reply_text(f"Pin at {message.location.latitude}, {message.location.longitude}")


async def _media(update: Update, _context: Context) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text("I only read text")


async def _accept(update: Update, _context: Context) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer("Accepted")
    await query.edit_message_text(f"Accepted ✅ ({query.data})")


async def _decline(update: Update, _context: Context) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer("Are you sure?", show_alert=True)
    confirm = InlineKeyboardButton("Yes, decline", callback_data="accept:decline-confirmed")
    await query.edit_message_reply_markup(InlineKeyboardMarkup([[confirm]]))


async def _silent(_update: Update, _context: Context) -> None:
    """A handler with the classic bug: it never answers the callback query."""


async def _twice(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and query.message is not None
    await query.answer("first")
    try:
        await query.answer("second")
    except BadRequest as error:
        await context.bot.send_message(query.message.chat.id, f"refused: {error.message}")


async def _long_answer(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and query.message is not None
    try:
        await query.answer("x" * 201)
    except BadRequest as error:
        await query.answer("shorter")
        await context.bot.send_message(query.message.chat.id, f"refused: {error.message}")


def _build_app(fake: FakeTelegram) -> AnyApp:
    app = (
        ApplicationBuilder()
        .token("123:TEST")
        .request(fake.request)
        .get_updates_request(fake.request)
        .updater(None)
        .build()
    )
    app.add_handler(CommandHandler("start", _start))
    app.add_handler(CommandHandler("keyboard", _keyboard))
    app.add_handler(CommandHandler("nokeyboard", _no_keyboard))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, _echo))
    app.add_handler(MessageHandler(filters.LOCATION, _location))
    app.add_handler(MessageHandler(filters.PHOTO | filters.Sticker.ALL | filters.VOICE, _media))
    app.add_handler(CallbackQueryHandler(_accept, pattern="^accept"))
    app.add_handler(CallbackQueryHandler(_decline, pattern="^decline"))
    app.add_handler(CallbackQueryHandler(_silent, pattern="^silent$"))
    app.add_handler(CallbackQueryHandler(_twice, pattern="^twice$"))
    app.add_handler(CallbackQueryHandler(_long_answer, pattern="^long$"))
    return app


@dataclass
class Clock:
    """A controllable clock so time-dependent rules can be tested without waiting."""

    now: datetime = field(default_factory=lambda: datetime(2025, 1, 6, 3, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    fake: FakeTelegram
    app: AnyApp
    clock: Clock

    @property
    def ann(self) -> Phone:
        return self.fake.user(ANN, "Ann", username="ann_officer")


@pytest.fixture
async def world() -> AsyncIterator[World]:
    clock = Clock()
    fake = FakeTelegram(clock=clock)
    app = _build_app(fake)
    fake.attach(app)
    async with app:
        yield World(fake, app, clock)


def _last_refusal(world: World) -> str:
    """Telegram's exact wording (PTB re-cases it in the exception message)."""
    description = world.fake.refused[-1].description
    assert description is not None
    return description


async def _started(world: World) -> Phone:
    """Ann has opened the bot and sees the welcome message with its buttons."""
    await world.ann.send("/start")
    return world.ann


# --------------------------------------------------------------------------------------------
# What people see
# --------------------------------------------------------------------------------------------


async def test_person_sees_the_welcome_with_formatting_and_buttons(world: World) -> None:
    ann = await _started(world)

    assert ann.texts == ["Welcome, Ann!"]
    assert ann.last.text == "Welcome, <b>Ann</b>!"
    assert ann.last.parse_mode == "HTML"
    assert ann.last.entities == [{"type": "bold", "offset": 9, "length": 3}]
    assert ann.last.button_labels() == [
        "Accept",
        "Decline",
        "Silent",
        "Twice",
        "Long answer",
        "Help",
    ]
    help_button = ann.last.button("Help")
    assert help_button is not None and help_button.url == "https://example.org/help"


async def test_message_ids_are_shared_between_person_and_bot(world: World) -> None:
    ann = await _started(world)
    await ann.send("hello")

    seen = [(m.message_id, m.from_bot, m.plain) for m in ann.messages]
    assert seen == [
        (1, False, "/start"),
        (2, True, "Welcome, Ann!"),
        (3, False, "hello"),
        (4, True, "You said: hello"),
    ]
    assert [m.message_id for m in ann.bot_messages] == [2, 4]


async def test_start_payload_and_addressed_command_reach_the_command_handler(
    world: World,
) -> None:
    await world.ann.send("/start ref42")
    await world.ann.send(f"/start@{world.fake.bot_username} ref43")

    assert world.ann.texts == ["payload: ref42", "payload: ref43"]


async def test_media_and_locations_reach_their_handlers(world: World) -> None:
    ann = world.ann
    await ann.send_location(31.2304, 121.4737)
    await ann.send_photo()
    await ann.send_sticker()
    await ann.send_voice()

    assert ann.texts == ["Pin at 31.2304, 121.4737", *["I only read text"] * 3]
    assert ann.messages[0].location == (31.2304, 121.4737)
    assert [m.kind for m in ann.messages if not m.from_bot] == [
        "location",
        "photo",
        "sticker",
        "voice",
    ]


async def test_bot_location_and_message_options_are_recorded(world: World) -> None:
    ann = await _started(world)
    bot = world.app.bot

    await bot.send_location(ANN, 31.2, 121.4)
    await bot.send_message(ANN, "quiet", disable_notification=True, protect_content=True)
    await bot.send_message(ANN, "reply please", reply_markup=ForceReply())

    location, quiet, force = ann.bot_messages[-3:]
    assert location.location == (31.2, 121.4)
    assert location.kind == "location"
    assert ann.texts[-2:] == ["quiet", "reply please"]
    assert quiet.disable_notification and quiet.protect_content
    assert force.force_reply


async def test_reply_keyboard_is_shown_and_removed(world: World) -> None:
    ann = await _started(world)
    assert ann.reply_keyboard is None

    await ann.send("/keyboard")
    assert ann.reply_keyboard == [["Yes", "No"], ["Maybe"]]

    await ann.send("/nokeyboard")
    assert ann.reply_keyboard is None


async def test_message_results_are_real_messages_that_ptb_can_edit(world: World) -> None:
    ann = await _started(world)

    sent = await world.app.bot.send_message(ANN, "<i>draft</i>", parse_mode=ParseMode.HTML)
    assert sent.chat.id == ANN and sent.from_user is not None and sent.from_user.is_bot
    assert sent.text_html == "<i>draft</i>"
    edited = await sent.edit_text("final")

    assert edited.text == "final"
    assert edited.edit_date is not None
    assert ann.last.plain == "final"
    assert ann.last.history == ["draft"]


async def test_message_dates_come_from_the_clock(world: World) -> None:
    ann = await _started(world)
    assert ann.last.date == world.clock.now

    sent = await world.app.bot.send_message(ANN, "dated")
    assert sent.date == world.clock.now


async def test_deleted_messages_disappear_from_view(world: World) -> None:
    ann = await _started(world)
    welcome = ann.last

    assert await world.app.bot.delete_message(ANN, welcome.message_id)

    assert welcome.deleted
    assert ann.bot_messages == []
    deleted = world.fake.timeline[-1]
    assert (deleted.kind, deleted.text, deleted.message_id) == ("deleted", "Welcome, Ann!", 2)
    with pytest.raises(AssertionError, match="no message from the bot"):
        _ = ann.last


async def test_get_chat_describes_private_chats_and_groups(world: World) -> None:
    world.fake.group(-1001234567890, "Social workers")
    assert world.ann.first_name == "Ann"

    person = await world.app.bot.get_chat(ANN)
    group = await world.app.bot.get_chat(-1001234567890)

    assert (person.type, person.first_name, person.username) == ("private", "Ann", "ann_officer")
    assert (group.type, group.title) == ("supergroup", "Social workers")


# --------------------------------------------------------------------------------------------
# Buttons and callback queries
# --------------------------------------------------------------------------------------------


async def test_tap_reaches_the_handler_records_the_answer_and_shows_the_edit(
    world: World,
) -> None:
    ann = await _started(world)
    welcome = ann.last

    answer = await ann.tap("Accept")

    assert (answer.text, answer.show_alert) == ("Accepted", False)
    assert ann.callback_answers == [answer]
    assert welcome.plain == "Accepted ✅ (accept:1)"
    assert welcome.history == ["Welcome, Ann!"]
    assert welcome.buttons == [], "editMessageText without reply_markup drops the keyboard"


async def test_alert_answer_and_keyboard_edit(world: World) -> None:
    ann = await _started(world)

    answer = await ann.tap("Decline")

    assert answer.show_alert and answer.text == "Are you sure?"
    assert ann.last.button_labels() == ["Yes, decline"]
    assert ann.last.history == [], "a markup-only edit keeps the text history unchanged"
    await ann.tap("Yes, decline")
    assert ann.last.plain == "Accepted ✅ (accept:decline-confirmed)"


async def test_tap_uses_the_newest_message_with_that_label(world: World) -> None:
    ann = await _started(world)
    older = ann.last
    await ann.send("/start")
    newer = ann.last

    await ann.tap("Accept")
    assert newer.history and not older.history

    await ann.tap("Accept", message=older)
    assert older.history == ["Welcome, Ann!"]


async def test_the_timeline_keeps_each_screen_as_it_was_then_and_each_tap(world: World) -> None:
    """SeenMessage shows a card's last state; the timeline shows the night in order."""
    ann = await _started(world)
    await ann.send("/keyboard")
    await ann.send("Maybe")  # a reply-keyboard key: a tap that sends its label
    world.clock.now += timedelta(minutes=1)
    await ann.tap("Accept", message=ann.messages[1])
    await ann.send("/nokeyboard")

    seen = [(e.kind, e.text, e.buttons) for e in world.fake.timeline]
    welcome_buttons = (("Accept", "Decline"), ("Silent",), ("Twice",), ("Long answer",), ("Help",))
    assert seen == [
        ("typed", "/start", ()),
        ("sent", "Welcome, Ann!", welcome_buttons),
        ("typed", "/keyboard", ()),
        ("sent", "Choose", ()),
        ("tapped", "Maybe", ()),
        ("sent", "You said: Maybe", ()),
        ("tapped", "Accept", ()),
        ("answered", "Accepted", ()),
        ("edited", "Accepted ✅ (accept:1)", ()),
        ("typed", "/nokeyboard", ()),
        ("sent", "Hidden", ()),
    ]
    timeline = world.fake.timeline
    assert timeline[3].keyboard == (("Yes", "No"), ("Maybe",)) and timeline[-1].keyboard == ()
    assert timeline[6].message_id == timeline[8].message_id == ann.messages[1].message_id
    assert [e.by_person for e in timeline[4:8]] == [True, False, True, False]
    assert {e.person for e in timeline if e.by_person} == {ANN}
    assert timeline[5].at < timeline[6].at == world.clock.now


async def test_unanswered_tap_fails_the_test(world: World) -> None:
    ann = await _started(world)

    with pytest.raises(AssertionError, match="never answered"):
        await ann.tap("Silent")


async def test_tap_on_a_missing_or_url_button_raises_lookup_error(world: World) -> None:
    ann = await _started(world)

    with pytest.raises(LookupError, match=r"visible buttons: message 2: \['Accept'"):
        await ann.tap("Nope")
    with pytest.raises(LookupError, match="sends no callback"):
        await ann.tap("Help")


async def test_forged_callback_data_reaches_the_bot(world: World) -> None:
    ann = await _started(world)

    answer = await ann.tap_data("accept:999", message_id=ann.last.message_id)

    assert answer.text == "Accepted"
    assert ann.last.plain == "Accepted ✅ (accept:999)"
    with pytest.raises(LookupError):
        await ann.tap_data("accept:1", message_id=99)


async def test_answering_a_callback_twice_is_refused(world: World) -> None:
    ann = await _started(world)

    answer = await ann.tap("Twice")

    assert answer.text == "first"
    assert ann.last.plain.startswith("refused: Query is too old")
    assert [call.method for call in world.fake.refused] == ["answerCallbackQuery"]
    assert _last_refusal(world) == (
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )


async def test_callback_answer_over_200_characters_is_refused(world: World) -> None:
    ann = await _started(world)

    answer = await ann.tap("Long answer")

    assert answer.text == "shorter"
    assert ann.last.plain == "refused: Message_too_long"
    assert _last_refusal(world) == "Bad Request: MESSAGE_TOO_LONG"


async def test_answering_an_unknown_query_is_refused(world: World) -> None:
    with pytest.raises(BadRequest, match="Query is too old"):
        await world.app.bot.answer_callback_query("12345")


# --------------------------------------------------------------------------------------------
# Strictness: texts, HTML and keyboards
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "refusal"),
    [
        ({"text": ""}, "message text is empty"),
        ({"text": " \n\t "}, "message text is empty"),
        ({"text": "<b> </b>", "parse_mode": "HTML"}, "message text is empty"),
        ({"text": "x" * 4097}, "message is too long"),
        ({"text": "&lt;" * 4097, "parse_mode": "HTML"}, "message is too long"),
        ({"text": "😀" * 2049}, "message is too long"),
        (
            {"text": "<foo>x</foo>", "parse_mode": "HTML"},
            'can\'t parse entities: Unsupported start tag "foo" at byte offset 0',
        ),
        (
            {"text": "Ann & Bob", "parse_mode": "HTML"},
            'can\'t parse entities: Character "&" must be escaped as "&amp;" at byte offset 4',
        ),
        (
            {"text": "*bold*", "parse_mode": "MarkdownV2"},
            "the fake Telegram does not implement parse_mode MarkdownV2; the bot uses HTML",
        ),
        ({"text": "x", "parse_mode": "XML"}, "unsupported parse_mode"),
    ],
)
async def test_bad_texts_are_refused(world: World, kwargs: dict[str, Any], refusal: str) -> None:
    await _started(world)

    with pytest.raises(BadRequest):
        await world.app.bot.send_message(ANN, **kwargs)

    assert _last_refusal(world) == f"Bad Request: {refusal}"
    assert world.fake.refused[-1].method == "sendMessage"
    assert world.ann.texts == ["Welcome, Ann!"], "a refused message is not shown"


@pytest.mark.parametrize(
    ("text", "parse_mode", "plain"),
    [
        ("x" * 4096, None, "x" * 4096),
        ("&lt;" * 4096, ParseMode.HTML, "<" * 4096),
        ("😀" * 2048, None, "😀" * 2048),
    ],
)
async def test_texts_at_the_limit_are_accepted(
    world: World, text: str, parse_mode: str | None, plain: str
) -> None:
    ann = await _started(world)

    await world.app.bot.send_message(ANN, text, parse_mode=parse_mode)

    assert ann.last.plain == plain


@pytest.mark.parametrize(
    ("button", "refusal"),
    [
        (InlineKeyboardButton("Go", callback_data="x" * 65), "BUTTON_DATA_INVALID"),
        (InlineKeyboardButton("Go", callback_data="é" * 33), "BUTTON_DATA_INVALID"),
        (InlineKeyboardButton("Go", callback_data=""), "BUTTON_DATA_INVALID"),
        (
            InlineKeyboardButton("", callback_data="go"),
            "text buttons are unallowed in the inline keyboard",
        ),
        (InlineKeyboardButton("Go"), "text buttons are unallowed in the inline keyboard"),
        (
            InlineKeyboardButton("Go", callback_data="go", url="https://example.org"),
            "can't parse inline keyboard button: exactly one optional field must be used",
        ),
        (InlineKeyboardButton("Go", url="not a url"), "BUTTON_URL_INVALID"),
        (
            InlineKeyboardButton("Go", pay=True),
            "the fake Telegram does not implement inline keyboard buttons with pay",
        ),
    ],
)
async def test_bad_inline_buttons_are_refused(
    world: World, button: InlineKeyboardButton, refusal: str
) -> None:
    await _started(world)

    with pytest.raises(BadRequest):
        await world.app.bot.send_message(ANN, "pick", reply_markup=InlineKeyboardMarkup([[button]]))

    assert _last_refusal(world) == f"Bad Request: {refusal}"
    assert len(world.ann.bot_messages) == 1


async def test_callback_data_of_exactly_64_bytes_is_accepted(world: World) -> None:
    ann = await _started(world)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="é" * 32)]])

    await world.app.bot.send_message(ANN, "pick", reply_markup=markup)

    assert ann.last.buttons[0][0].callback_data == "é" * 32


async def test_replying_to_a_missing_message_is_refused_unless_allowed(world: World) -> None:
    ann = await _started(world)
    bot = world.app.bot

    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(ANN, "re", reply_parameters=ReplyParameters(99))
    await bot.send_message(
        ANN, "re", reply_parameters=ReplyParameters(99, allow_sending_without_reply=True)
    )
    reply = await bot.send_message(ANN, "re", reply_parameters=ReplyParameters(1))

    assert ann.last.reply_to_message_id == 1
    assert reply.reply_to_message is not None and reply.reply_to_message.text == "/start"


# --------------------------------------------------------------------------------------------
# Strictness: editing and deleting
# --------------------------------------------------------------------------------------------


async def test_editing_missing_deleted_or_foreign_messages_is_refused(world: World) -> None:
    ann = await _started(world)
    bot = world.app.bot
    welcome_id = ann.last.message_id

    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("new", chat_id=ANN, message_id=99)
    with pytest.raises(BadRequest, match="Message can't be edited"):
        await bot.edit_message_text("new", chat_id=ANN, message_id=1)
    await bot.delete_message(ANN, welcome_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_reply_markup(chat_id=ANN, message_id=welcome_id)


async def test_edit_without_changes_is_refused(world: World) -> None:
    ann = await _started(world)
    bot = world.app.bot
    welcome = ann.last

    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "Welcome, <strong>Ann</strong>!",
            chat_id=ANN,
            message_id=welcome.message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=_welcome_keyboard(),
        )
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(
            chat_id=ANN, message_id=welcome.message_id, reply_markup=_welcome_keyboard()
        )
    # Same text without the markup is a change: Telegram drops the keyboard.
    await bot.edit_message_text(
        "Welcome, <b>Ann</b>!", chat_id=ANN, message_id=welcome.message_id, parse_mode="HTML"
    )
    assert welcome.buttons == []


async def test_deleting_missing_or_old_messages_is_refused(world: World) -> None:
    ann = await _started(world)
    bot = world.app.bot

    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(ANN, 99)
    world.clock.now += timedelta(hours=48, seconds=1)
    with pytest.raises(BadRequest, match="Message can't be deleted for everyone"):
        await bot.delete_message(ANN, ann.last.message_id)
    assert not ann.last.deleted


async def test_bot_cannot_delete_other_peoples_group_messages_unless_admin(
    world: World,
) -> None:
    plain = world.fake.group(-42, "Officers")
    admin = world.fake.group(-43, "Officers (bot is admin)", bot_is_admin=True)
    await plain.send(world.ann, "/start")
    await admin.send(world.ann, "/start")

    with pytest.raises(BadRequest, match="Message can't be deleted"):
        await world.app.bot.delete_message(-42, 1)
    assert await world.app.bot.delete_message(-43, 1)


# --------------------------------------------------------------------------------------------
# Strictness: who the bot may write to
# --------------------------------------------------------------------------------------------


async def test_bot_cannot_write_first(world: World) -> None:
    bot = world.app.bot
    world.fake.user(BOB, "Bob")

    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(424242, "hi, stranger")
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(BOB, "hi, Bob")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(-999, "hi, nobody")


async def test_blocked_person_gets_nothing_until_unblocking(world: World) -> None:
    ann = await _started(world)
    ann.block()

    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await world.app.bot.send_message(ANN, "still there?")
    with pytest.raises(RuntimeError, match="blocked"):
        await ann.send("hi")

    ann.unblock()
    await world.app.bot.send_message(ANN, "welcome back")
    assert ann.texts == ["Welcome, Ann!", "welcome back"]


# --------------------------------------------------------------------------------------------
# Groups
# --------------------------------------------------------------------------------------------


async def test_group_members_see_bot_replies_and_can_tap(world: World) -> None:
    group = world.fake.group(-1001234567890, "Social workers")
    bob = world.fake.user(BOB, "Bob")

    await group.send(bob, f"/start@{world.fake.bot_username}")
    answer = await group.tap(world.ann, "Accept")

    assert group.last.chat_id == -1001234567890
    assert group.last.plain == "Accepted ✅ (accept:1)"
    assert answer.text == "Accepted"
    assert world.ann.callback_answers == [answer]
    assert world.ann.messages == [], "the group is not Ann's private chat"


async def test_privacy_mode_hides_group_chatter_from_the_bot(world: World) -> None:
    private = world.fake.group(-50, "Privacy on")
    open_group = world.fake.group(-51, "Privacy off", privacy_mode=False)

    await private.send(world.ann, "hello")
    await private.send(world.ann, "/start@some_other_bot")
    await open_group.send(world.ann, "hello")

    assert [m.delivered_to_bot for m in private.messages] == [False, False]
    assert private.bot_messages == []
    assert open_group.texts == ["You said: hello"]


# --------------------------------------------------------------------------------------------
# Commands, failures and long polling
# --------------------------------------------------------------------------------------------


async def test_commands_are_stored_per_scope_and_language(world: World) -> None:
    bot = world.app.bot
    await _started(world)
    chat_scope = BotCommandScopeChat(ANN)

    await bot.set_my_commands([BotCommand("start", "Start")])
    await bot.set_my_commands([BotCommand("start", "开始")], language_code="zh")
    await bot.set_my_commands([BotCommand("queue", "Open cases")], scope=chat_scope)

    assert world.fake.commands() == [("start", "Start")]
    assert world.fake.commands(language_code="zh") == [("start", "开始")]
    assert world.fake.commands(scope={"type": "chat", "chat_id": ANN}) == [("queue", "Open cases")]
    assert world.fake.commands(scope={"type": "all_private_chats"}) == []
    fetched = await bot.get_my_commands(scope=chat_scope)
    assert [(c.command, c.description) for c in fetched] == [("queue", "Open cases")]

    await bot.delete_my_commands(language_code="zh")
    assert world.fake.commands(language_code="zh") == []
    assert world.fake.commands() == [("start", "Start")]


@pytest.mark.parametrize(
    ("commands", "language_code", "refusal"),
    [
        ([BotCommand("Start", "Start")], None, "BOT_COMMAND_INVALID"),
        ([BotCommand("/start", "Start")], None, "BOT_COMMAND_INVALID"),
        ([BotCommand("x" * 33, "Start")], None, "BOT_COMMAND_INVALID"),
        ([BotCommand("start", "")], None, "BOT_COMMAND_DESCRIPTION_INVALID"),
        ([BotCommand("start", "d" * 257)], None, "BOT_COMMAND_DESCRIPTION_INVALID"),
        ([BotCommand(f"c{i}", "d") for i in range(101)], None, "BOT_COMMANDS_TOO_MUCH"),
        ([BotCommand("start", "Start")], "zh-hans", "invalid language code specified"),
    ],
)
async def test_bad_commands_are_refused(
    world: World, commands: list[BotCommand], language_code: str | None, refusal: str
) -> None:
    with pytest.raises(BadRequest):
        await world.app.bot.set_my_commands(commands, language_code=language_code)

    assert _last_refusal(world) == f"Bad Request: {refusal}"
    assert world.fake.commands() == []


async def test_unimplemented_methods_are_refused_loudly(world: World) -> None:
    await _started(world)

    with pytest.raises(BadRequest):
        await world.app.bot.send_dice(ANN)

    assert _last_refusal(world) == "Bad Request: the fake Telegram does not implement sendDice"


async def test_fail_next_makes_ptb_raise_once_per_queued_failure(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without the opt-in, PTB's RetryAfter itself emits a PTBDeprecationWarning (an error here).
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    ann = await _started(world)
    fake, bot = world.fake, world.app.bot
    fake.fail_next(
        "sendMessage", status=429, description="Too Many Requests: retry after 7", retry_after=7
    )
    fake.fail_next("sendMessage", status=403, description="Forbidden: user is deactivated")

    with pytest.raises(RetryAfter) as raised:
        await bot.send_message(ANN, "one")
    assert raised.value.retry_after == timedelta(seconds=7)
    with pytest.raises(Forbidden, match="user is deactivated"):
        await bot.send_message(ANN, "two")
    await bot.send_message(ANN, "three")

    assert ann.texts == ["Welcome, Ann!", "three"]
    assert [(c.status, c.params["text"]) for c in fake.refused] == [(429, "one"), (403, "two")]
    assert [c.refused for c in fake.calls if c.method == "sendMessage"] == [
        False,
        True,
        True,
        False,
    ]


async def test_get_updates_returns_queued_updates_and_forgets_confirmed_ones(
    world: World,
) -> None:
    fake, bot = world.fake, world.app.bot
    for text in ("one", "two"):
        fake.queue_update({"message": _raw_message(text)})

    first = await bot.get_updates(timeout=0)
    confirmed = await bot.get_updates(offset=first[-1].update_id + 1, timeout=0)

    assert [u.message.text for u in first if u.message] == ["one", "two"]
    assert first[0].update_id < first[1].update_id
    assert confirmed == ()


async def test_get_updates_long_poll_wakes_when_an_update_is_queued(world: World) -> None:
    fake = world.fake
    loop = asyncio.get_running_loop()

    def queue_once_polling() -> None:
        """Runs on the loop (no sleeping) until getUpdates is waiting, then queues."""
        if not fake.calls or fake.calls[-1].method != "getUpdates":
            loop.call_soon(queue_once_polling)
            return
        fake.queue_update({"message": _raw_message("late")})

    loop.call_soon(queue_once_polling)
    # Without waking, this would sit for the whole 30 s poll and trip the 5 s limit.
    updates = await asyncio.wait_for(world.app.bot.get_updates(timeout=30), 5)

    assert [u.message.text for u in updates if u.message] == ["late"]


async def test_attach_refuses_an_app_that_talks_to_real_telegram() -> None:
    fake = FakeTelegram()
    app = ApplicationBuilder().token("123:TEST").updater(None).build()

    with pytest.raises(ValueError, match="does not use this fake"):
        fake.attach(app)


def _raw_message(text: str) -> dict[str, Any]:
    user = {"id": ANN, "is_bot": False, "first_name": "Ann"}
    chat = {"id": ANN, "type": "private", "first_name": "Ann"}
    return {"message_id": 1, "date": 1_736_132_400, "chat": chat, "from": user, "text": text}


# --------------------------------------------------------------------------------------------
# The HTML parser on its own
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "plain"),
    [
        ("<b>x</b>", "x"),
        ("a &lt; b &gt; c &amp; d &quot;e&quot;", 'a < b > c & d "e"'),
        ("&#65;&#x42;", "AB"),
        ("<i>it</i> <u>un</u> <s>st</s> <code>co</code>", "it un st co"),
        ('<span class="tg-spoiler">hidden</span><tg-spoiler>!</tg-spoiler>', "hidden!"),
        ('<a href="https://example.org/?a=1&amp;b=2">link</a>', "link"),
        ('<pre><code class="language-python">x = 1</code></pre>', "x = 1"),
        ("<blockquote expandable>quote</blockquote>", "quote"),
        ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍"),
        ("<B>caps</B>", "caps"),
        ("<b>bold <i>both</i></b>", "bold both"),
    ],
)
def test_html_parser_accepts_telegram_html(source: str, plain: str) -> None:
    assert html_to_plain(source) == plain


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("<br>", 'Unsupported start tag "br" at byte offset 0'),
        (
            "<b><i>x</b></i>",
            'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"',
        ),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("x <b", "Unclosed start tag at byte offset 2"),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;" at byte offset 0'),
        ("é & ü", 'Character "&" must be escaped as "&amp;" at byte offset 3'),
        ("&lt", 'Character "&" must be escaped as "&amp;" at byte offset 0'),
        ("a > b", 'Character ">" must be escaped as "&gt;" at byte offset 2'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<a>x</a>", 'Tag "a" must have attribute "href" at byte offset 0'),
        ("<a href=https://x.org>x</a>", "Unexpected end of name token at byte offset 8"),
        ("&#xD800;", 'Invalid numeric HTML entity "&#xD800;" at byte offset 0'),
    ],
)
def test_html_parser_refuses_what_telegram_refuses(source: str, reason: str) -> None:
    with pytest.raises(HtmlParseError) as raised:
        html_to_plain(source)
    assert str(raised.value) == reason
    assert isinstance(raised.value, ValueError)


def test_html_entities_count_as_one_character_and_offsets_are_utf16() -> None:
    parsed = parse_html("😀 <b>&lt;b&gt;</b>")

    assert parsed.text == "😀 <b>"
    assert [e.to_json() for e in parsed.entities] == [{"type": "bold", "offset": 3, "length": 3}]
    assert len(html_to_plain("&amp;" * 4096)) == 4096


def test_stripping_whitespace_keeps_entities_aligned() -> None:
    parsed = parse_html("\n  <b> hi </b> there \n").strip()

    assert parsed.text == "hi  there"
    assert [e.to_json() for e in parsed.entities] == [{"type": "bold", "offset": 0, "length": 3}]
