"""Every text a person reads goes through a gettext catalogue.

Source strings are English and are their own message ids; each other language is a
``bot/locales/<code>/LC_MESSAGES/messages.po`` file read at start-up with Babel, so a
translator edits one text file and there is no compile step to forget. Adding
a language is dropping ``<code>/LC_MESSAGES/messages.po`` beside the others (as
Traditional Chinese, ``zh_Hant``, was): languages are discovered, not listed in code.

Messages are sent with ``parse_mode=HTML``, so values put into a message are escaped
here (a ``<`` typed by an officer must reach the worker as a ``<``); use :class:`Html`
for a value that is already safe markup.

A text that says how many of something uses :meth:`Translator.n` (gettext's
``ngettext``), so each language picks its own plural form: English has two
("1 social worker", "2 social workers"), Chinese one. Texts do not word around a
plural with "(s)" or "Workers offered it: 3".
"""

from __future__ import annotations

import html
import io
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

SOURCE_LANGUAGE = "en"
LOCALES_DIR = Path(__file__).with_name("locales")


def N_(msgid: str) -> str:
    """Mark a string for translation where it is defined; translate it where it is shown."""
    return msgid


class Html(str):
    """A value that is already valid Telegram HTML and must not be escaped again."""

    __slots__ = ()


@cache
def available_languages() -> tuple[str, ...]:
    """The source language plus every language with a catalogue, in a stable order."""
    found = sorted(p.parent.parent.name for p in LOCALES_DIR.glob("*/LC_MESSAGES/messages.po"))
    return (SOURCE_LANGUAGE, *[code for code in found if code != SOURCE_LANGUAGE])


# What a reader looks for on the /language buttons. Babel's own names are
# "中文 (简体)" and "中文 (繁體)", with ASCII brackets that read oddly inside a Chinese
# sentence ("I will speak {language} with you"); a language not listed here gets Babel's.
LANGUAGE_NAMES = {"en": "English", "zh_Hans": "简体中文", "zh_Hant": "繁體中文"}


def language_name(code: str) -> str:
    """The language's name in itself, as shown on the /language buttons."""
    return LANGUAGE_NAMES.get(code) or Locale.parse(code).get_display_name(code) or code


@cache
def _catalogue(code: str) -> NullTranslations:
    """The language's .po file as gettext translations (compiled in memory, so there is
    no .mo file to forget). Fuzzy entries, and plural entries with a form left empty,
    are left out: the English text is better than a wrong or blank one."""
    if code == SOURCE_LANGUAGE:
        return NullTranslations()
    with (LOCALES_DIR / code / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=code)
    for message in list(catalog):
        forms = message.string
        if message.id and isinstance(forms, tuple | list) and not all(forms):
            del catalog[message.id]
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled)


LIST_SEPARATOR = N_(", ")  # translators: "、" in Chinese


class Translator:
    """``tr("Hello, {name}", name=...)`` in one person's language; ``tr.n(...)`` for a
    text that counts something."""

    def __init__(self, language: str) -> None:
        self.language = language if language in available_languages() else SOURCE_LANGUAGE
        self._messages = _catalogue(self.language)

    def __call__(self, msgid: str, /, **values: object) -> str:
        return _filled(self._messages.gettext(msgid), values)

    def n(self, singular: str, plural: str, count: int, /, **values: object) -> str:
        """The form of a counting text that this language uses for ``count``, with
        ``{count}`` and ``values`` filled in (gettext's ngettext: English says "Sent to
        1 social worker." and "Sent to 2 social workers.", Chinese has one form).
        ``pybabel extract`` finds these by the keyword ``n:1,2``."""
        return _filled(self._messages.ngettext(singular, plural, count), {"count": count, **values})

    def join(self, items: Iterable[str]) -> str:
        """A list as this language writes one ("a, b" / "甲、乙")."""
        return self(LIST_SEPARATOR).join(items)


def _filled(text: str, values: dict[str, object]) -> str:
    if not values:
        return text
    return text.format(**{key: _escaped(value) for key, value in values.items()})


def _escaped(value: object) -> str:
    if isinstance(value, Html):
        return str(value)
    return html.escape(str(value), quote=False)


def from_telegram(language_code: str | None) -> str | None:
    """Map Telegram's IETF tag (``zh-hans``, ``zh-TW``, ``en-US``) to a catalogue we have."""
    if not language_code:
        return None
    code = language_code.replace("-", "_").lower()
    have = {c.lower(): c for c in available_languages()}
    if code.startswith("zh"):
        traditional = code in {"zh_hant", "zh_tw", "zh_hk", "zh_mo"} or code.startswith("zh_hant")
        wanted = "zh_hant" if traditional else "zh_hans"
        return have.get(wanted) or have.get("zh_hans") or have.get("zh_hant")
    return have.get(code) or have.get(code.split("_")[0])
