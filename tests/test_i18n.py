"""Every text in the code has a Chinese translation, and the mechanism is data-driven."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot import i18n
from bot.i18n import Html, Translator, available_languages, from_telegram

ROOT = Path(__file__).parent.parent
KEYWORDS = {"tr": None, "N_": None}


def _code_messages() -> set[str]:
    found: set[str] = set()
    for package in ("bot", "handlers"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / package, keywords=KEYWORDS, comment_tags=()
        ):
            assert isinstance(message, str)
            found.add(message)
    return found


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_code_uses_texts_through_the_catalogue() -> None:
    messages = _code_messages()
    assert len(messages) > 30
    assert "Which language would you like?" in messages


@pytest.mark.parametrize("language", [c for c in available_languages() if c != "en"])
def test_every_text_is_translated_with_the_same_placeholders(language: str) -> None:
    path = ROOT / "bot" / "locales" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalogue = {m.id: m for m in read_po(handle, locale=language) if m.id}
    missing = sorted(m for m in _code_messages() if m not in catalogue or not catalogue[m].string)
    assert missing == [], f"{language} lacks translations for: {missing}"
    for msgid, message in catalogue.items():
        assert not message.fuzzy, f"fuzzy translation for {msgid!r}"
        assert _fields(str(msgid)) == _fields(str(message.string)), msgid


def test_template_is_up_to_date() -> None:
    with (ROOT / "bot" / "locales" / "messages.pot").open("rb") as handle:
        template = {m.id for m in read_po(handle) if m.id}
    assert template == _code_messages(), "run the pybabel extract command in README.md"


def test_chinese_is_available_and_translates() -> None:
    assert "zh_Hans" in available_languages()
    assert Translator("zh_Hans")("Cancel") == "取消"
    assert Translator("en")("Cancel") == "Cancel"


def test_values_are_escaped_for_html_but_markup_is_kept() -> None:
    tr = Translator("en")
    assert tr("Welcome back, {name}.", name="<b>Li & Wang</b>") == (
        "Welcome back, &lt;b&gt;Li &amp; Wang&lt;/b&gt;."
    )
    assert tr("Welcome back, {name}.", name=Html("<b>Li</b>")) == "Welcome back, <b>Li</b>."


def test_a_new_language_needs_only_a_catalogue_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Traditional Chinese later: drop in a .po file, change no code."""
    for code in ("zh_Hans",):
        target = tmp_path / code / "LC_MESSAGES"
        target.mkdir(parents=True)
        source = ROOT / "bot" / "locales" / code / "LC_MESSAGES" / "messages.po"
        (target / "messages.po").write_bytes(source.read_bytes())
    hant = tmp_path / "zh_Hant" / "LC_MESSAGES"
    hant.mkdir(parents=True)
    (hant / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Cancel"\nmsgstr "取消（繁）"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(i18n, "LOCALES_DIR", tmp_path)
    i18n.available_languages.cache_clear()
    i18n._catalogue.cache_clear()
    try:
        assert available_languages() == ("en", "zh_Hans", "zh_Hant")
        assert Translator("zh_Hant")("Cancel") == "取消（繁）"
        assert from_telegram("zh-TW") == "zh_Hant"
        assert from_telegram("zh-hans") == "zh_Hans"
        assert re.search("中文", i18n.language_name("zh_Hant"))
    finally:
        i18n.available_languages.cache_clear()
        i18n._catalogue.cache_clear()


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("zh-hans", "zh_Hans"),
        ("zh", "zh_Hans"),
        ("zh-TW", "zh_Hans"),
        ("en-US", "en"),
        ("en", "en"),
        ("fr", None),
        (None, None),
        ("", None),
    ],
)
def test_telegram_language_codes(code: str | None, expected: str | None) -> None:
    # With no Traditional catalogue yet, zh-TW falls back to Simplified rather than English.
    assert from_telegram(code) == expected
