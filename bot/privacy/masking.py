"""Mask identifiers in free text that someone other than the assigned worker will read.

A worker's closing note or return reason goes to the officer; a coordinator's hold
reason too. People type phone numbers and ID numbers into such notes without thinking,
and in whatever form their keyboard gives them: with spaces, dots or dashes, in
full-width digits, glued to a Chinese label (电话13800138000), with a country code. They
are masked before they leave, keeping just enough to recognise (the last digits).

Why it works on a copy: full-width letters, digits and punctuation (０-９, ＠, （）) are
matched as their ASCII twins, but the rest of the text must reach the reader as it was
typed (a Chinese reader's "电话：" keeps its full-width colon). The copy maps each
character to one character, so a match in the copy is the same span in the original.

What is left readable on purpose: numbers shorter than seven digits (ages, house
numbers such as 88号, room numbers, amounts), times (23:40), dates (2026-12-05,
2026.12.05, 20261205), decimals (3.5, a map coordinate) and the bot's own references
(R-0001), which officers and workers need to read.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# Full-width ASCII (U+FF01-FF5E) and the ideographic space, one for one.
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

_MAILBOX = r"[A-Za-z0-9._%+-]+"
# "@", or the ways people write it to fool spam robots: " at ", (at), [at], #.
_AT = r"(?:\s*@\s*|\s+at\s+|\s*[(\[]at[)\]]\s*|#)"
_DOMAIN = r"[A-Za-z0-9-]+(?:(?:\.|\s+dot\s+)[A-Za-z0-9-]+)*(?:\.|\s+dot\s+)[A-Za-z]{2,}"
_EMAIL = re.compile(rf"(?<![A-Za-z0-9._%+-])({_MAILBOX}){_AT}({_DOMAIN})(?![A-Za-z0-9-])")

_SEP = r"[ \t.\-]?"
# Mainland resident ID: 17 digits and a check digit or X, also typed in groups (6-8-4).
_RESIDENT_ID = re.compile(
    rf"(?<![0-9])([0-9]{{6}}){_SEP}([0-9]{{4}}{_SEP}[0-9]{{4}}){_SEP}([0-9]{{3}}[0-9Xx])(?![0-9Xx])"
)
# Taiwan ID: a letter, 1 or 2, eight digits (A123456789).
_TAIWAN_ID = re.compile(r"(?<![A-Za-z0-9])([A-Za-z])([12][0-9]{4})([0-9]{4})(?![0-9])")
# Hong Kong ID: one or two letters, six digits, a check digit or A, often in brackets.
_HONG_KONG_ID = re.compile(
    r"(?<![A-Za-z0-9])([A-Za-z]{1,2})[0-9]{6}[ \t]*(\(([0-9Aa])\)|[0-9Aa])(?![0-9A-Za-z])"
)
# Macau ID: 1, 5 or 7, six digits, the check digit in brackets: 1234567(8).
_MACAU_ID = re.compile(r"(?<![0-9])([157])[0-9]{6}[ \t]*\(([0-9])\)")
# Mainland plates: province character, a letter, then five or six letters and digits,
# the last maybe 学/警/挂…; typed with a dot, a middle dot, a dash or a space.
_PLATE = re.compile(
    r"([京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼])[ \t]?"
    r"([A-Za-z])[ \t]?[·•.\-]?[ \t]?([A-Za-z0-9]{3,4})([A-Za-z0-9]{2}|[A-Za-z0-9][学警挂港澳领使])"
    r"(?![A-Za-z0-9])"
)

# Read as they are: dates, times and the bot's references (hidden from the number
# search below, so "2026-12-05 13800138000" is a date and a phone, not one number).
_KEEP = re.compile(
    r"(?<![0-9])(?:19|20)[0-9]{2}(?:[-./][0-9]{1,2}[-./]|年[0-9]{1,2}月)[0-9]{1,2}(?![0-9])"
    r"|(?<![0-9])[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?(?![0-9])"
    r"|(?<![A-Za-z0-9])R-[0-9A-Z]{4}(?![0-9A-Za-z])"
)
# A run of digits as phone numbers are typed: a + or a bracketed area code maybe, then
# groups of digits apart by a space, a dot or a dash (138 0013 8000, 021-6431-2345,
# +852 9123 4567, (02) 2345-6789, tel.138.0013.8000).
_NUMBER = re.compile(
    r"(?<![0-9+])(?:\+[ \t]?)?(?:\(\+?[0-9]{1,4}\)[ \t]*(?=[0-9]))?[0-9]+"
    r"(?:(?:[ \t]*[.\-–][ \t]*|[ \t]+)[0-9]{2,})*"
    r"(?![0-9])"
)
_DECIMAL = re.compile(r"[0-9]{1,3}\.[0-9]+")
_DATE = re.compile(r"(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])")


def _stars(digits: str, keep: int = 4) -> str:
    return "*" * (len(digits) - keep) + digits[-keep:]


_DOT = re.compile(r"\s+dot\s+")


def _email(m: re.Match[str]) -> str:
    return f"{m.group(1)[0]}***@{_DOT.sub('.', m.group(2))}"


def _resident_id(m: re.Match[str]) -> str:
    return m.group(1) + "*" * 8 + m.group(3).upper()


def _taiwan_id(m: re.Match[str]) -> str:
    return m.group(1).upper() + "*" * 5 + m.group(3)


def _hong_kong_id(m: re.Match[str]) -> str:
    check = (m.group(3) or m.group(2)).upper()
    return m.group(1).upper() + "*" * 6 + f"({check})"


def _macau_id(m: re.Match[str]) -> str:
    return m.group(1) + "*" * 6 + f"({m.group(2)})"


def _plate(m: re.Match[str]) -> str:
    return f"{m.group(1)}{m.group(2).upper()}***{m.group(4).upper()}"


def _number(m: re.Match[str]) -> str:
    text = m.group(0)
    digits = re.sub(r"[^0-9]", "", text)
    if len(digits) < 7 or _DECIMAL.fullmatch(text) or _DATE.fullmatch(text):
        return text  # an amount, a coordinate, a date: not somebody's number
    return _stars(digits)


_RULES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (_EMAIL, _email),
    (_RESIDENT_ID, _resident_id),
    (_TAIWAN_ID, _taiwan_id),
    (_HONG_KONG_ID, _hong_kong_id),
    (_MACAU_ID, _macau_id),
    (_PLATE, _plate),
)


def _replace(
    original: str,
    copy: str,
    pattern: re.Pattern[str],
    masked: Callable[[re.Match[str]], str],
    search: str | None = None,
) -> tuple[str, str]:
    """Replace each match of ``pattern`` in ``search`` (default: the half-width copy) in
    both texts alike, so they keep the same length, character for character."""
    parts_original: list[str] = []
    parts_copy: list[str] = []
    at = 0
    for m in pattern.finditer(copy if search is None else search):
        replacement = masked(m)
        if replacement == m.group(0):
            continue
        parts_original += [original[at : m.start()], replacement]
        parts_copy += [copy[at : m.start()], replacement]
        at = m.end()
    parts_original.append(original[at:])
    parts_copy.append(copy[at:])
    return "".join(parts_original), "".join(parts_copy)


def mask(text: str) -> str:
    """``text`` with e-mail addresses, ID numbers, plates and phone numbers masked."""
    original, copy = text, text.translate(_HALF_WIDTH)
    for pattern, masked in _RULES:
        original, copy = _replace(original, copy, pattern, masked)
    hidden = _KEEP.sub(lambda m: "_" * len(m.group(0)), copy)  # same length: spans agree
    original, _ = _replace(original, copy, _NUMBER, _number, search=hidden)
    return original
