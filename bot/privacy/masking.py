"""Mask identifiers in free text that someone other than the assigned worker will read.

A worker's closing note or return reason goes to the officer; a coordinator's hold
reason too. People type phone numbers and ID numbers into such notes without thinking;
they are masked before they leave, keeping just enough to recognise (the last digits).
"""

from __future__ import annotations

import re

# Chinese resident ID: 17 digits and a digit or X. Checked before phone numbers, which
# would otherwise match inside it.
_RESIDENT_ID = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?![\dXx])")
_EMAIL = re.compile(r"\b([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b")
# Mainland plates: province character, a letter, an optional dot, five or six characters.
_PLATE = re.compile(
    r"([京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼])"
    r"([A-Z])[·•.]?([A-Z0-9]{3,4})([A-Z0-9]{2})(?![A-Z0-9])"
)
# Phone numbers: 7 or more digits, allowing spaces, dashes and a leading +country code.
_PHONE = re.compile(r"(?<![\dA-Za-z])(\+?\d[\d\s-]{5,}\d)(?![\dA-Za-z])")


def _phone(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(1))
    if len(digits) < 7:
        return match.group(0)
    return "*" * (len(digits) - 4) + digits[-4:]


def mask(text: str) -> str:
    """``text`` with ID numbers, e-mail addresses, plates and phone numbers masked."""
    text = _RESIDENT_ID.sub(lambda m: m.group(1) + "*" * 8 + m.group(2), text)
    text = _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
    text = _PLATE.sub(lambda m: f"{m.group(1)}{m.group(2)}***{m.group(4)}", text)
    return _PHONE.sub(_phone, text)
