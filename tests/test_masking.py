"""Identifiers in free text are masked before anyone but the assigned worker reads it."""

from __future__ import annotations

import pytest

from bot.privacy.masking import mask


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call 13800138000 tomorrow", "call *******8000 tomorrow"),
        ("tel: 138 0013 8000.", "tel: *******8000."),
        ("landline 021-6431-2345", "landline *******2345"),
        ("+86 138 0013 8000", "*********8000"),
        ("ID 11010519491231002X is hers", "ID 110105********002X is hers"),
        ("id 110105194912310021", "id 110105********0021"),
        ("write to zhang.wei@example.com", "write to z***@example.com"),
        ("plate 沪A12345 seen", "plate 沪A***45 seen"),
        ("car 粤B·D12345 left", "car 粤B***45 left"),
        ("room 302, 12 people, since 2019", "room 302, 12 people, since 2019"),
        ("参见 R-7F3K", "参见 R-7F3K"),
    ],
)
def test_identifiers_are_masked_and_ordinary_numbers_kept(text: str, expected: str) -> None:
    assert mask(text) == expected
