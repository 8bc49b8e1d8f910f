"""Every catalogue is complete, keeps the English placeholders and markup, and a
Traditional Chinese catalogue is written in Traditional characters.

A missing, empty or fuzzy entry shows the reader English (or nothing); a placeholder
the English lacks raises ``KeyError`` when the text is filled in, one it drops loses a
name or a number; a stray Simplified character in 繁體 text (a conversion gone wrong, or
a line copied from the Simplified file) is what a Hong Kong reader notices first. The
checks are functions, so the tests at the end can show each one catching a planted
mistake without breaking a real catalogue.
"""

from __future__ import annotations

import io
import re
import string
from collections import Counter
from functools import cache
from pathlib import Path

import opencc
import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

ROOT = Path(__file__).parent.parent
LOCALES = ROOT / "bot" / "locales"
CATALOGUES = sorted(LOCALES.glob("*/LC_MESSAGES/messages.po"))
TRADITIONAL = [p for p in CATALOGUES if "hant" in p.parent.parent.name.lower()]

MessageId = str | tuple[str, ...]  # (singular, plural) for a text that counts

# Characters that a Simplified→Traditional converter changes but that Traditional text
# uses in their own right, so they are not mistakes in a 繁體 catalogue:
TRADITIONAL_TOO = {
    "里",  # 鄰里 (neighbourhood), 公里: converters make it 裏/裡 (inside)
    "干",  # 干擾, 若干: converters make it 乾/幹
    "准",  # 批准, 准許: converters make it 準
}


@cache
def _converters() -> tuple[opencc.OpenCC, opencc.OpenCC]:
    return opencc.OpenCC("s2hk"), opencc.OpenCC("s2tw")


def simplified_only(text: str) -> list[str]:
    """The characters of ``text`` that neither Hong Kong nor Taiwan writes: each one,
    on its own, is changed by both OpenCC's s2hk and its s2tw. (One standard alone
    would flag the other's variants: s2hk turns 床 into 牀, s2tw turns 裏 into 裡.)"""
    to_hk, to_tw = _converters()
    found = []
    for char in dict.fromkeys(text):  # each character once, in order
        if char in TRADITIONAL_TOO or not "\u3400" <= char <= "\u9fff":
            continue
        if to_hk.convert(char) != char and to_tw.convert(char) != char:
            found.append(char)
    return found


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _tags(text: str) -> Counter[str]:
    return Counter(re.findall(r"</?[a-z][^>]*>", text))


def _key(message_id: object) -> MessageId:
    return message_id if isinstance(message_id, str) else tuple(message_id)  # type: ignore[arg-type]


def catalogue_problems(template: Catalog, catalogue: Catalog) -> list[str]:
    """What is wrong with ``catalogue`` against the template, one line per problem."""
    problems: list[str] = []
    entries = {_key(m.id): m for m in catalogue if m.id}
    for wanted in (m for m in template if m.id):
        msgid = _key(wanted.id)
        message = entries.get(msgid)
        forms = () if message is None else message.string
        forms = (forms,) if isinstance(forms, str) else tuple(forms or ())
        if message is None or not forms or not all(forms):
            problems.append(f"missing or empty: {msgid!r}")
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        english = msgid if isinstance(msgid, str) else " ".join(msgid)
        if isinstance(msgid, str):
            expected_forms = 1
            required = allowed = _fields(msgid)
        else:
            # A counting text: one form per plural form of the language. Where the
            # language has several forms, one of them may leave out {count} ("one case");
            # a language with one form (Chinese) says every number with it.
            expected_forms = catalogue.num_plurals
            allowed = _fields(msgid[0]) | _fields(msgid[1])
            required = _fields(msgid[1]) - ({"count"} if expected_forms > 1 else set())
        if len(forms) != expected_forms:
            problems.append(f"{len(forms)} forms, not {expected_forms}: {msgid!r}")
        for form in forms:
            if extra := _fields(form) - allowed:
                problems.append(f"placeholder {sorted(extra)} not in the English: {msgid!r}")
            if lacking := required - _fields(form):
                problems.append(f"lacks placeholder {sorted(lacking)}: {msgid!r}")
            if _tags(form) != _tags(english if isinstance(msgid, str) else msgid[1]):
                problems.append(f"HTML tags differ from the English: {msgid!r}")
    return problems


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def _language(path: Path) -> str:
    return path.parent.parent.name


@pytest.mark.parametrize("path", CATALOGUES, ids=_language)
def test_every_catalogue_has_every_message_with_the_englishs_placeholders(path: Path) -> None:
    template = _read(LOCALES / "messages.pot")
    catalogue = _read(path, locale=_language(path))
    assert catalogue.locale_identifier == _language(path), "the header's Language: line"
    assert catalogue_problems(template, catalogue) == []


@pytest.mark.parametrize("path", TRADITIONAL, ids=_language)
def test_a_traditional_catalogue_has_no_simplified_character(path: Path) -> None:
    catalogue = _read(path, locale=_language(path))
    found = {}
    for message in catalogue:
        forms = (message.string,) if isinstance(message.string, str) else message.string
        for form in forms:
            if message.id and (chars := simplified_only(form)):
                found[_key(message.id)] = "".join(chars)
    assert found == {}


def test_there_is_a_traditional_catalogue() -> None:
    assert [_language(p) for p in TRADITIONAL] == ["zh_Hant"]


def test_a_planted_simplified_character_is_found() -> None:
    assert simplified_only("已由{worker}接案。詳細資料会以受保護訊息傳送。") == ["会"]
    assert simplified_only("个案转介") == ["个", "转"]
    # Traditional in Hong Kong's and in Taiwan's forms, and the allowed ones, pass.
    assert simplified_only("在哪裏？在哪裡？説明、說明、床、牀、鄰里糾紛、批准") == []
    assert simplified_only("<b>R-7F3K</b> · 14–17 歲（{count}）") == []


def _po(entries: str, *, plurals: int = 1) -> Catalog:
    header = (
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
        f'"Plural-Forms: nplurals={plurals}; plural=(n != 1);\\n"\n\n'
    )
    return read_po(io.BytesIO((header + entries).encode()), locale="zh_Hant")


TEMPLATE = (
    'msgid "Cancel"\nmsgstr ""\n\n'
    'msgid "Taken by {worker}."\nmsgstr ""\n\n'
    'msgid "<b>Check the referral</b>"\nmsgstr ""\n\n'
    'msgid "{count} case of {name}"\nmsgid_plural "{count} cases of {name}"\n'
    'msgstr[0] ""\nmsgstr[1] ""\n'
)


def test_a_complete_catalogue_passes() -> None:
    good = _po(
        'msgid "Cancel"\nmsgstr "取消"\n\n'
        'msgid "Taken by {worker}."\nmsgstr "已由{worker}接案。"\n\n'
        'msgid "<b>Check the referral</b>"\nmsgstr "<b>請核對轉介</b>"\n\n'
        'msgid "{count} case of {name}"\nmsgid_plural "{count} cases of {name}"\n'
        'msgstr[0] "{name}的 {count} 個個案"\n'
    )
    assert catalogue_problems(_po(TEMPLATE, plurals=2), good) == []


def test_planted_catalogue_mistakes_are_each_found() -> None:
    bad = _po(
        '#, fuzzy\nmsgid "Cancel"\nmsgstr "取消"\n\n'
        'msgid "Taken by {worker}."\nmsgstr "已由{officer}接案。"\n\n'
        'msgid "{count} case of {name}"\nmsgid_plural "{count} cases of {name}"\n'
        'msgstr[0] "{count} 個個案"\n'
    )
    assert catalogue_problems(_po(TEMPLATE, plurals=2), bad) == [
        "fuzzy: 'Cancel'",
        "placeholder ['officer'] not in the English: 'Taken by {worker}.'",
        "lacks placeholder ['worker']: 'Taken by {worker}.'",
        "missing or empty: '<b>Check the referral</b>'",
        "lacks placeholder ['name']: ('{count} case of {name}', '{count} cases of {name}')",
    ]
    dropped_tag = _po('msgid "<b>Check the referral</b>"\nmsgstr "請核對轉介"\n')
    assert "HTML tags differ from the English: '<b>Check the referral</b>'" in (
        catalogue_problems(_po(TEMPLATE, plurals=2), dropped_tag)
    )
    one_form_without_count = _po(
        'msgid "{count} case of {name}"\nmsgid_plural "{count} cases of {name}"\n'
        'msgstr[0] "{name}的個案"\n'
    )
    assert (
        "lacks placeholder ['count']: ('{count} case of {name}', '{count} cases of {name}')"
        in catalogue_problems(_po(TEMPLATE), one_form_without_count)
    )
