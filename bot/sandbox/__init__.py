"""A sandbox for running the real bot without Telegram: a strict in-process fake Bot API.

Used by end-to-end tests, benchmarks and the no-token demo; see :mod:`.fake_telegram`.
"""

from bot.sandbox.fake_telegram import (
    ApiCall,
    Button,
    CallbackAnswer,
    Event,
    FakeRequest,
    FakeTelegram,
    Group,
    Phone,
    SeenMessage,
)
from bot.sandbox.telegram_html import HtmlParseError, html_to_plain, parse_html, utf16_len

__all__ = [
    "ApiCall",
    "Button",
    "CallbackAnswer",
    "Event",
    "FakeRequest",
    "FakeTelegram",
    "Group",
    "HtmlParseError",
    "Phone",
    "SeenMessage",
    "html_to_plain",
    "parse_html",
    "utf16_len",
]
