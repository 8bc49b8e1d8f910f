"""What a page says, spoken or written: pure, and with no room for personal data.

The only inputs are the referral's reference, its category and urgency as named in
the reader's language, and that language. No name, phone, place or summary can reach
a page through this function: it has no parameter for them (and a test scans every
page the tests send for the canary personal data). A page only says "something needs
you, open Telegram"; the details stay in the chat, where they are protected.
"""

from __future__ import annotations

from bot.i18n import Translator


def page_text(ref: str, category: str, urgency: str, language: str) -> str:
    """The page, as plain text (SMS, the gateway, and the call's spoken words)."""
    tr = Translator(language)
    # Filled here rather than by the translator: it escapes values for HTML, and a
    # page is not HTML.
    return tr(
        "Referral {ref} needs a coordinator: {category}, {urgency}. Please open Telegram."
    ).format(ref=ref, category=category, urgency=urgency)


def code_text(code: str, language: str) -> str:
    """The SMS that carries a verification code for ``/phone``: the code, nothing else."""
    tr = Translator(language)
    return tr("Your referral-bot code is {code}").format(code=code)


def press_one(language: str) -> str:
    """Said on a call after the page: how to say "I'm on it"."""
    tr = Translator(language)
    return tr("Press 1 if you are taking it.")


def goodbye(language: str) -> str:
    tr = Translator(language)
    return tr("Goodbye.")


def thanks(language: str) -> str:
    """Said after the person pressed 1."""
    tr = Translator(language)
    return tr("Thank you. The bot has recorded that you are on it.")


def already_taken(language: str) -> str:
    """Said after a 1 pressed when the referral was already taken: nothing recorded."""
    tr = Translator(language)
    return tr("This referral has already been taken. Nothing to do. Goodbye.")
