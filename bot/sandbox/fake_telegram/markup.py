"""What a bot message may say and show, checked as Telegram checks it.

Text with its ``parse_mode`` or ``entities`` (non-empty, at most 4096 UTF-16 units, valid
HTML), and ``reply_markup``: inline buttons (callback data of 1-64 bytes, valid URLs,
exactly one action), reply keyboards, their removal, force-reply. Anything else is
refused in Telegram's words, or loudly as not implemented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

from bot.sandbox.fake_telegram.calls import Params, _as_json, _bad, _not_implemented
from bot.sandbox.fake_telegram.seen import Button
from bot.sandbox.telegram_html import Entity, FormattedText, HtmlParseError, parse_html, utf16_len

MAX_TEXT_LENGTH: Final = 4096
MAX_CALLBACK_DATA_BYTES: Final = 64


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


@dataclass
class _Markup:
    """A parsed ``reply_markup``: at most one of these is set."""

    inline: list[list[Button]] = field(default_factory=list)
    keyboard: list[list[str]] | None = None
    remove_keyboard: bool = False
    force_reply: bool = False


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


def _parsed(text: str, params: Params, entities: str) -> FormattedText:
    """``text`` as Telegram reads it under the request's ``parse_mode`` (HTML, or plain
    with the ``entities`` parameter given), stripped as Telegram strips it."""
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
        formatted = FormattedText(text, _entities_param(params.get(entities)))
    return formatted.strip()


def _formatted_text(params: Params) -> FormattedText:
    """Apply ``parse_mode`` and Telegram's text rules: non-empty, at most 4096 UTF-16 units."""
    text = params.get("text")
    if not isinstance(text, str) or not text.strip():
        raise _bad("message text is empty")
    formatted = _parsed(text, params, "entities")
    if not formatted.text:
        raise _bad("message text is empty")
    if utf16_len(formatted.text) > MAX_TEXT_LENGTH:
        raise _bad("message is too long")
    return formatted


MAX_CAPTION_LENGTH: Final = 1024  # "0-1024 characters after entities parsing"


def _formatted_caption(params: Params) -> FormattedText:
    """A media caption: optional, ``parse_mode`` applied as for a message's text, at
    most 1024 UTF-16 units once parsed (Bot API sendPhoto/sendDocument)."""
    caption = params.get("caption")
    if caption is None or caption == "":
        return FormattedText("")
    if not isinstance(caption, str):
        raise _bad("caption must be a string")
    formatted = _parsed(caption, params, "caption_entities")
    if utf16_len(formatted.text) > MAX_CAPTION_LENGTH:
        raise _bad("message caption is too long")
    return formatted


def _command_entity(text: str) -> list[dict[str, Any]]:
    """Telegram marks a leading /command (or /command@bot) so CommandHandler can match it."""
    match = _LEADING_COMMAND.match(text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group())}]
