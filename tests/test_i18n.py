"""Every text in the code has a Chinese translation, and the mechanism is data-driven."""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot import i18n
from bot.i18n import Html, Translator, available_languages, from_telegram

ROOT = Path(__file__).parent.parent
KEYWORDS = {"tr": None, "N_": None, "n": (1, 2)}  # as the README's pybabel extract

MessageId = str | tuple[str, ...]  # (singular, plural) for a text that counts


def _code_messages() -> set[MessageId]:
    found: set[MessageId] = set()
    for package in ("bot", "handlers"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / package, keywords=KEYWORDS, comment_tags=()
        ):
            assert isinstance(message, str | tuple), message
            found.add(message if isinstance(message, str) else tuple(message))
    return found


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_code_uses_texts_through_the_catalogue() -> None:
    messages = _code_messages()
    assert len(messages) > 30
    assert "Which language would you like?" in messages
    assert (
        "Sent to {count} social worker. You will hear when they accept.",
        "Sent to {count} social workers. You will hear when one accepts.",
    ) in messages


# Each catalogue's completeness, placeholders and markup: tests/test_catalogues.py.


def test_template_is_up_to_date() -> None:
    with (ROOT / "bot" / "locales" / "messages.pot").open("rb") as handle:
        template = {m.id for m in read_po(handle) if m.id}
    assert template == _code_messages(), "run the pybabel extract command in README.md"


def test_chinese_is_available_and_translates() -> None:
    assert available_languages() == ("en", "zh_Hans", "zh_Hant")
    assert Translator("zh_Hans")("Cancel") == "取消"
    assert Translator("zh_Hant")("Close case") == "結案"
    assert Translator("en")("Cancel") == "Cancel"


def test_a_counting_text_takes_the_languages_plural_form() -> None:
    singular = "Sent to {count} social worker. You will hear when they accept."
    plural = "Sent to {count} social workers. You will hear when one accepts."
    en = Translator("en")
    assert en.n(singular, plural, 1) == "Sent to 1 social worker. You will hear when they accept."
    assert en.n(singular, plural, 3) == "Sent to 3 social workers. You will hear when one accepts."
    zh = Translator("zh_Hans")  # one form for every number
    assert zh.n(singular, plural, 1) == "已发送，已推送给 1 名社工；有人接案时会通知你。"
    assert zh.n(singular, plural, 3) == "已发送，已推送给 3 名社工；有人接案时会通知你。"
    assert en.n("{count} for {name}", "{count} for {name}", 2, name="<b>") == "2 for &lt;b&gt;"


@pytest.fixture
def locales(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty folder the catalogues are read from for this test (caches cleared)."""
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path)
    i18n.available_languages.cache_clear()
    i18n._catalogue.cache_clear()
    yield tmp_path
    i18n.available_languages.cache_clear()
    i18n._catalogue.cache_clear()


def test_a_plural_entry_with_an_empty_form_falls_back_to_english(locales: Path) -> None:
    """English is better than a blank message (Telegram refuses an empty text)."""
    target = locales / "zh_Hans" / "LC_MESSAGES"
    target.mkdir(parents=True)
    (target / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
        'msgid "{count} case"\nmsgid_plural "{count} cases"\n'
        'msgstr[0] "{count} 个个案"\nmsgstr[1] ""\n\n'
        'msgid "{count} day"\nmsgid_plural "{count} days"\n'
        'msgstr[0] "{count} 天"\nmsgstr[1] "{count} 天（多）"\n',
        encoding="utf-8",
    )
    zh = Translator("zh_Hans")
    assert zh.n("{count} case", "{count} cases", 2) == "2 cases"
    assert zh.n("{count} day", "{count} days", 1) == "1 天"
    assert zh.n("{count} day", "{count} days", 2) == "2 天（多）"


def test_values_are_escaped_for_html_but_markup_is_kept() -> None:
    tr = Translator("en")
    assert tr("Welcome back, {name}.", name="<b>Li & Wang</b>") == (
        "Welcome back, &lt;b&gt;Li &amp; Wang&lt;/b&gt;."
    )
    assert tr("Welcome back, {name}.", name=Html("<b>Li</b>")) == "Welcome back, <b>Li</b>."


def test_a_new_language_needs_only_a_catalogue_file(locales: Path) -> None:
    """Traditional Chinese later: drop in a .po file, change no code."""
    for code in ("zh_Hans",):
        target = locales / code / "LC_MESSAGES"
        target.mkdir(parents=True)
        source = ROOT / "bot" / "locales" / code / "LC_MESSAGES" / "messages.po"
        (target / "messages.po").write_bytes(source.read_bytes())
    hant = locales / "zh_Hant" / "LC_MESSAGES"
    hant.mkdir(parents=True)
    (hant / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Cancel"\nmsgstr "取消（繁）"\n',
        encoding="utf-8",
    )
    assert available_languages() == ("en", "zh_Hans", "zh_Hant")
    assert Translator("zh_Hant")("Cancel") == "取消（繁）"
    assert from_telegram("zh-TW") == "zh_Hant"
    assert from_telegram("zh-hans") == "zh_Hans"
    assert re.search("中文", i18n.language_name("zh_Hant"))


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("zh-hans", "zh_Hans"),
        ("zh", "zh_Hans"),
        ("zh-CN", "zh_Hans"),
        ("zh-SG", "zh_Hans"),
        ("zh-Hans-HK", "zh_Hans"),  # the script, when named, wins over the region
        ("zh-hant", "zh_Hant"),
        ("zh-HK", "zh_Hant"),
        ("zh-Hant-HK", "zh_Hant"),
        ("zh-TW", "zh_Hant"),
        ("zh-MO", "zh_Hant"),
        ("en-US", "en"),
        ("en", "en"),
        ("fr", None),
        (None, None),
        ("", None),
    ],
)
def test_telegram_language_codes(code: str | None, expected: str | None) -> None:
    assert from_telegram(code) == expected


def test_each_language_is_named_as_its_readers_name_it() -> None:
    names = [i18n.language_name(code) for code in available_languages()]
    assert names == ["English", "简体中文", "繁體中文"]
    assert Translator("zh_Hant")(
        "I will speak {language} with you from now on.", language=names[2]
    ) == ("由現在起我會用繁體中文與你溝通。")
