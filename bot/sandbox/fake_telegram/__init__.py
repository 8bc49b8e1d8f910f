"""The fake Telegram Bot API: a strict, in-process fake that drives the real PTB ``Application``.

* :mod:`.server`: :class:`FakeTelegram`, the Telegram side, and :class:`FakeRequest`,
  the door PTB talks through;
* :mod:`.chats`: each chat's messages, and the people in them (:class:`Phone`, :class:`Group`);
* :mod:`.seen`: what tests look at (:class:`SeenMessage`, :class:`Button`, :class:`CallbackAnswer`);
* :mod:`.markup`: what a bot message may say and show, checked as Telegram checks it;
* :mod:`.timeline`: everything seen and done, in the order it happened (:class:`Event`);
* :mod:`.calls`: one Bot API call, its parameters and its refusal (:class:`ApiCall`);
* :mod:`.flood`: Telegram's flood limits (:class:`FloodLimits`), opt-in.
"""

from bot.sandbox.fake_telegram.calls import ApiCall
from bot.sandbox.fake_telegram.chats import Group, Phone
from bot.sandbox.fake_telegram.flood import FloodLimits
from bot.sandbox.fake_telegram.seen import Button, CallbackAnswer, SeenMessage
from bot.sandbox.fake_telegram.server import FakeRequest, FakeTelegram
from bot.sandbox.fake_telegram.timeline import Event

__all__ = [
    "ApiCall",
    "Button",
    "CallbackAnswer",
    "Event",
    "FakeRequest",
    "FakeTelegram",
    "FloodLimits",
    "Group",
    "Phone",
    "SeenMessage",
]
