"""Mask identifiers in free text that someone other than the assigned worker will read.

A worker's closing note or return reason goes to the officer; a coordinator's hold
reason too. People type phone numbers and ID numbers into such notes without thinking,
and in whatever form their keyboard gives them: with spaces, dots, middle dots (·),
any of the dashes a phone produces (— – ‐ －) or line breaks between the groups, in
full-width digits, glued to a Chinese label (电话13800138000), with a country code. They
are masked before they leave, keeping just enough to recognise: the last four digits of
a phone; of an ID the same characters however it was grouped (a mainland ID its region
and last four, a Hong Kong or Macau ID its check digit, a Taiwan ID its last four).

Why it works on a copy: full-width letters, digits and punctuation (０-９, ＠, （）) are
matched as their ASCII twins, but the rest of the text must reach the reader as it was
typed (a Chinese reader's "电话：" keeps its full-width colon). The copy maps each
character to one character, so a match in the copy is the same span in the original.

What is left readable on purpose: numbers shorter than seven digits (ages, house
numbers such as 88号, room numbers, amounts), a number glued to a unit (45岁, 8000元,
12楼) even after a phone number or a dash, times (23:40), dates (2026-12-05, 2026–12–05,
2026.12.05, 20261205), decimals (3.5, a map coordinate) and the bot's own references
(R-0001), which officers and workers need to read.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# Full-width ASCII (U+FF01-FF5E) and the ideographic space, one for one.
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

# What people put between the groups of a number besides spaces: the hyphen-minus, the
# dashes phones and word processors produce (U+2010-2015, the minus sign), the full stop,
# and the middle dots of Chinese and Japanese input (· • ‧ ・ ･). Full-width － and ． are
# already "-" and "." in the half-width copy.
_MARKS = "\\-\u2010-\u2015\u2212.\u00b7\u2022\u2027\u30fb\uff65"
# One gap between two groups: a mark (spaced or not), spaces, or a line break before a
# group of three digits or more (phone groups are; a column of counts mostly is not).
_GAP = rf"(?:[ \t]*[{_MARKS}][ \t]*|[ \t]*\r?\n[ \t]*(?=[0-9]{{3}})|[ \t]+)"
# A character that can be such a gap, for look-behinds (which must have a fixed width).
_GAP_CHAR = rf"[ \t\n{_MARKS}]"

_MAILBOX = r"[A-Za-z0-9._%+-]+"
# "@", or the ways people write it to fool spam robots: " at ", (at), [at], #.
_AT = r"(?:\s*@\s*|\s+at\s+|\s*[(\[]at[)\]]\s*|#)"
# ".", or " dot ", (dot), [dot]; or the Chinese full stop a Chinese keyboard gives, but
# only before a common domain ending, since it also ends sentences ("…@163.com。Call").
_TLD = r"(?i:com|net|org|cn|hk|mo|tw|edu|gov)(?![A-Za-z0-9-])"
_DOT = rf"(?:\.|\u3002(?={_TLD})|\s+dot\s+|\s*[(\[]dot[)\]]\s*)"
_DOMAIN = rf"[A-Za-z0-9-]+(?:{_DOT}[A-Za-z0-9-]+)*{_DOT}[A-Za-z]{{2,}}"
_EMAIL = re.compile(rf"(?<![A-Za-z0-9._%+-])({_MAILBOX}){_AT}({_DOMAIN})(?![A-Za-z0-9-])")

# Mainland resident ID: 17 digits and a check digit or X, in one piece or in the groups
# people make of it (6-8-4, 6-4-4-4, 4-4-4-4-2, 3-3-4-4-4): a gap is allowed only where
# those groupings put one, so two numbers side by side are not read as one ID.
_RESIDENT_ID = re.compile(
    rf"(?<![0-9])(?<![0-9]{_GAP_CHAR})"
    rf"[0-9]{{3}}{_GAP}?[0-9]{_GAP}?[0-9]{{2}}{_GAP}?[0-9]{{2}}{_GAP}?[0-9]{{2}}"
    rf"{_GAP}?[0-9]{{2}}{_GAP}?[0-9]{{2}}{_GAP}?[0-9]{{2}}{_GAP}?[0-9][0-9Xx](?![0-9Xx])"
)
# Taiwan ID: a letter, 1 or 2, eight digits (A123456789).
_TAIWAN_ID = re.compile(r"(?<![A-Za-z0-9])([A-Za-z])([12][0-9]{4})([0-9]{4})(?![0-9])")
# Hong Kong and Macau IDs with their check digit in brackets (half- or full-width: the
# copy has only half-width ones): one or two letters and six or seven digits, A123456(7),
# or Macau's 1, 5 or 7 and six digits, 1234567(8). Exactly one check character.
_BRACKETED_ID = re.compile(
    r"(?<![A-Za-z0-9])(?:([A-Za-z]{1,2})[ \t]?([0-9]{6,7})|([157])([0-9]{6}))"
    r"[ \t]*\(([0-9Aa])\)"
)
# Hong Kong ID without brackets: letters, six digits, the check digit (A1234567); not
# when a bracketed digit follows (M1234567(8) is one ID, not A******(7) and a "(8)").
_HONG_KONG_ID = re.compile(
    r"(?<![A-Za-z0-9])([A-Za-z]{1,2})[0-9]{6}([0-9Aa])(?![0-9A-Za-z])(?![ \t]*\([0-9Aa]\))"
)
# Mainland plates: province character (simplified or traditional), a letter, then five
# or six letters and digits, the last maybe 学/警/挂…; typed with a dot, a middle dot, a
# dash or a space.
_PLATE = re.compile(
    r"([京津沪滬渝冀豫云雲辽遼黑湘皖鲁魯新苏蘇浙赣贛鄂桂甘晋晉蒙陕陝吉闽閩贵貴粤粵青藏川宁寧琼瓊])"
    rf"[ \t]?([A-Za-z])[ \t]?[{_MARKS}]?[ \t]?([A-Za-z0-9]{{3,4}})"
    r"([A-Za-z0-9]{2}|[A-Za-z0-9][学學警挂掛港澳领領使])(?![A-Za-z0-9])"
)

# Read as they are: dates, times and the bot's references (hidden from the number
# search below, so "2026-12-05 13800138000" is a date and a phone, not one number).
_KEEP = re.compile(
    rf"(?<![0-9])(?:19|20)[0-9]{{2}}(?:[{_MARKS}/][0-9]{{1,2}}[{_MARKS}/]|年[0-9]{{1,2}}月)[0-9]{{1,2}}"
    r"(?![0-9])"
    r"|(?<![0-9])[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?(?![0-9])"
    r"|(?<![A-Za-z0-9])R-[0-9A-Z]{4}(?![0-9A-Za-z])"
)
# Counted things: a group glued to one of these is an amount, an age, a floor, a room, a
# house number (5000-8000元, 13800138000 45岁), never the tail of a phone number.
_UNITS = "岁歲号號楼樓层層室元块塊人个個次天年月日户戶间間栋棟座"
# A phone number as people type it: a + and country code maybe (with Taiwan's one-digit
# area code after it), a bracketed area code maybe, then groups of digits apart by gaps
# (138 0013 8000, 021-6431-2345, +852 9123 4567, (02) 2345-6789, tel.138.0013.8000).
# A group of seven digits or more is a whole number or its last part, so what follows
# it is not read on (13800138000 13900139000 are two numbers).
_NUMBER = re.compile(
    rf"(?<![0-9+])(?:\+[ \t]?[0-9]{{1,4}}(?:{_GAP}[0-9](?={_GAP}[0-9]))?{_GAP}?)?"
    r"(?:\(\+?[0-9]{1,4}\)[ \t]*(?=[0-9]))?"
    rf"(?:[0-9]{{1,6}}(?:{_GAP}[0-9]{{2,6}}(?![0-9{_UNITS}]))*(?:{_GAP}[0-9]{{7,}})?|[0-9]{{7,}})"
    r"(?![0-9])"
)
_DECIMAL = re.compile(r"[0-9]{1,3}\.[0-9]+")
_DATE = re.compile(r"(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])")


def _stars(digits: str, keep: int = 4) -> str:
    return "*" * (len(digits) - keep) + digits[-keep:]


_ANY_DOT = re.compile(_DOT)


def _email(m: re.Match[str]) -> str:
    return f"{m.group(1)[0]}***@{_ANY_DOT.sub('.', m.group(2))}"


def _resident_id(m: re.Match[str]) -> str:
    """The region (first six) and the last four characters, however it was grouped: the
    tail is counted in characters of the ID, not of what was typed, so it is always the
    same four (three digits and the check character) an officer can compare."""
    chars = re.sub(r"[^0-9Xx]", "", m.group(0)).upper()
    return chars[:6] + "*" * 8 + chars[-4:]


def _taiwan_id(m: re.Match[str]) -> str:
    return m.group(1).upper() + "*" * 5 + m.group(3)


def _bracketed_id(m: re.Match[str]) -> str:
    """The letters (or Macau's first digit) and the check digit; every other digit a
    star, as many as were typed."""
    letters, digits = (m.group(1).upper(), m.group(2)) if m.group(1) else m.group(3, 4)
    return letters + "*" * len(digits) + f"({m.group(5).upper()})"


def _hong_kong_id(m: re.Match[str]) -> str:
    return m.group(1).upper() + "*" * 6 + f"({m.group(2).upper()})"


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
    (_BRACKETED_ID, _bracketed_id),
    (_HONG_KONG_ID, _hong_kong_id),
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


def mask_all_but_last(value: str, keep: int = 4) -> str:
    """``value`` with every letter and digit but the last ``keep`` starred, separators
    kept: ``JJ-2026/1126-0042`` reads ``**-****/****-0042``. For a whole value that is
    personal as it stands (a police incident number can be an 18-digit number shaped
    like an ID number), where :func:`mask` only finds identifiers inside free text. The
    last four are enough to match a card to a log that holds the full value."""
    total = sum(ch.isalnum() for ch in value)
    seen, out = 0, []
    for ch in value:
        if ch.isalnum():
            seen += 1
            out.append(ch if seen > total - keep else "*")
        else:
            out.append(ch)
    return "".join(out)
