"""The TwiML of a page's call (pure).

Twilio fetches no URL from us to start the call: the TwiML goes inline with the
``Twiml`` parameter of the Calls resource. It speaks the page twice inside a
``<Gather numDigits="1">`` whose ``action`` is the bot's keypress URL with the page's
unguessable token (Twilio POSTs ``Digits`` there, signed), then says goodbye: a person
who presses nothing hears the page twice and the call ends.

Voices: one small table from the bot's languages to Twilio's ``<Say>`` language and a
voice Twilio lists for it on its text-to-speech page
(https://www.twilio.com/docs/voice/twiml/say/text-speech): Amazon Polly's Amy (en-GB)
and Joanna (en-US), Zhiyu (Mandarin, cmn-CN) and Google's Cantonese voice for Hong
Kong (yue-HK), since Traditional Chinese readers here are in Hong Kong and Macau.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from bot.paging.text import goodbye, press_one, thanks


@dataclass(frozen=True)
class Voice:
    language: str  # <Say language=…>
    voice: str  # <Say voice=…>


VOICES: dict[str, Voice] = {
    "en-GB": Voice("en-GB", "Polly.Amy"),
    "en-US": Voice("en-US", "Polly.Joanna"),
    "zh_Hans": Voice("cmn-CN", "Polly.Zhiyu"),
    "zh_Hant": Voice("yue-HK", "Google.yue-HK-Standard-A"),
}


def voice_for(language: str, english: str = "en-GB") -> Voice:
    """The voice for a reader of ``language`` (a catalogue code); ``english``: "en-GB"
    or "en-US" (the ``[paging] english`` setting)."""
    return VOICES.get(language) or VOICES.get(english) or VOICES["en-GB"]


def _say(text: str, voice: Voice) -> str:
    attributes = f"language={quoteattr(voice.language)} voice={quoteattr(voice.voice)}"
    return f"<Say {attributes}>{escape(text)}</Say>"


def call(text: str, language: str, action_url: str, *, english: str = "en-GB") -> str:
    """The call: the page twice, inside a one-digit Gather posting to ``action_url``."""
    voice = voice_for(language, english)
    said = _say(text, voice) + _say(press_one(language), voice)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f'<Gather numDigits="1" method="POST" timeout="5" action={quoteattr(action_url)}>'
        f"{said}{said}</Gather>{_say(goodbye(language), voice)}</Response>"
    )


def acknowledged(language: str, *, english: str = "en-GB") -> str:
    """The answer to a 1: thanks, and the call ends."""
    voice = voice_for(language, english)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f"{_say(thanks(language), voice)}<Hangup/></Response>"
    )
