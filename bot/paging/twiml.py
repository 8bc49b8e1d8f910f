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

The referral's reference (``R-7K3Q``) is spoken letter by letter: inside ``<Say>`` it is
wrapped in SSML ``<say-as interpret-as="characters">``, which Twilio passes to Amazon
Polly and Google voices (Twilio's ``<Say>`` SSML tags; Polly documents
``characters``/``spell-out`` as "spells out each letter"). Read as a word, "R-7K3Q"
comes out as "R minus seven thousand…", and a coordinator cannot find it in Telegram.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from bot.paging.text import already_taken, goodbye, press_one, thanks


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


def _say(text: str, voice: Voice, *, spell: str = "") -> str:
    """``text`` spoken; each occurrence of ``spell`` in it said character by character."""
    attributes = f"language={quoteattr(voice.language)} voice={quoteattr(voice.voice)}"
    if spell and spell in text:
        spelt = f'<say-as interpret-as="characters">{escape(spell)}</say-as>'
        body = spelt.join(escape(part) for part in text.split(spell))
    else:
        body = escape(text)
    return f"<Say {attributes}>{body}</Say>"


def call(
    text: str, language: str, action_url: str, *, english: str = "en-GB", ref: str = ""
) -> str:
    """The call: the page twice, inside a one-digit Gather posting to ``action_url``;
    ``ref`` (the referral's reference, in ``text``) is said letter by letter."""
    voice = voice_for(language, english)
    said = _say(text, voice, spell=ref) + _say(press_one(language), voice)
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


def already_taken_answer(language: str, *, english: str = "en-GB") -> str:
    """The answer to a 1 when the referral was already taken: nothing was recorded."""
    voice = voice_for(language, english)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f"{_say(already_taken(language), voice)}<Hangup/></Response>"
    )
