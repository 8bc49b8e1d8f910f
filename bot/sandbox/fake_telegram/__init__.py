"""The fake Telegram Bot API: a strict, in-process fake that drives the real PTB ``Application``.

:mod:`.server` holds :class:`FakeTelegram`; the names the tests, the worlds and the
benchmarks use are handed on here.
"""

from bot.sandbox.fake_telegram.server import (
    ApiCall,
    Button,
    CallbackAnswer,
    FakeRequest,
    FakeTelegram,
    FloodLimits,
    Group,
    Phone,
    SeenMessage,
)

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
