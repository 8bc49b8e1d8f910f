"""Identifiers in free text are masked before anyone but the assigned worker reads it,
in the forms people actually type them; the numbers people need to read stay readable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.privacy.masking import mask, mask_all_but_last
from bot.sandbox.world import world
from tests.stories import close_case, draft, file, station


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Mainland mobiles: spaces, dots, dashes, glued to words, full-width, +86.
        ("call 13800138000 tomorrow", "call *******8000 tomorrow"),
        ("tel: 138 0013 8000.", "tel: *******8000."),
        ("tel.138.0013.8000", "tel.*******8000"),
        ("138 - 0013 - 8000", "*******8000"),
        ("电话13800138000", "电话*******8000"),
        ("联系电话：１３８００１３８０００，晚上打", "联系电话：*******8000，晚上打"),
        ("手机１３８　００１３　８０００", "手机*******8000"),
        ("phone 13800138000ok", "phone *******8000ok"),
        ("+86 138 0013 8000", "*********8000"),
        ("0086-13800138000", "***********8000"),
        ("call 13800138000 or 13900139000", "call *******8000 or *******9000"),
        # Mainland landlines, with area codes.
        ("landline 021-6431-2345", "landline *******2345"),
        ("座机(021)64312345", "座机*******2345"),
        ("+86 21 6431 2345", "********2345"),
        ("0755 8888 6666转3", "********6666转3"),
        # Hong Kong, Macau, Taiwan.
        ("+852 9123 4567", "*******4567"),
        ("香港电话 9123 4567", "香港电话 ****4567"),
        ("(853) 6612 3456", "*******3456"),
        ("+886 912 345 678", "********5678"),
        ("手機0912-345-678", "手機******5678"),
        ("(02) 2345-6789", "******6789"),
        # Resident IDs: mainland (last character X), Hong Kong, Macau, Taiwan.
        ("ID 11010519491231002X is hers", "ID 110105********002X is hers"),
        ("id 110105194912310021", "id 110105********0021"),
        ("身份证11010519491231002x号", "身份证110105********002X号"),
        ("身份证号：110105 19491231 002X", "身份证号：110105********002X"),
        ("身份证：１１０１０５１９４９１２３１００２Ｘ", "身份证：110105********002X"),
        ("HKID A123456(7)", "HKID A******(7)"),
        ("身份证A123456（7）", "身份证A******(7)"),
        ("HKID AB9876543", "HKID AB******(3)"),
        ("澳门身份证1234567(8)", "澳门身份证1******(8)"),
        ("身分證A123456789", "身分證A*****6789"),
        # E-mail, also with a full-width @ or written out.
        ("write to zhang.wei@example.com", "write to z***@example.com"),
        ("邮箱zhangwei@163.com，谢谢", "邮箱z***@163.com，谢谢"),
        ("邮箱 zhangwei＠163.com", "邮箱 z***@163.com"),
        ("mail zhang at example.com", "mail z***@example.com"),
        ("zhang.wei at example dot com", "z***@example.com"),
        ("zhangwei#qq.com", "z***@qq.com"),
        # Mainland plates, with spaces or dots.
        ("plate 沪A12345 seen", "plate 沪A***45 seen"),
        ("car 粤B·D12345 left", "car 粤B***45 left"),
        ("车牌沪A 12345", "车牌沪A***45"),
        ("车牌沪A.12345", "车牌沪A***45"),
        ("车牌 沪 a12345", "车牌 沪A***45"),
    ],
)
def test_identifiers_are_masked_as_people_type_them(text: str, expected: str) -> None:
    assert mask(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "room 302, 12 people, since 2019",
        "参见 R-7F3K",
        "see R-0001",
        "she called at 23:40, again 23:55:10",
        "visited 2026-12-05, again 2026.12.07 and 2026/12/09",
        "2026年12月5日晚",
        "filed 20261205",
        "老人78岁，住88号3单元502室",
        "欠款 1,200,000 元，每月 3000 元",
        "pin at 31.1234567, 121.4567891",
        "took 2.5 hours",
    ],
)
def test_numbers_people_need_to_read_stay_readable(text: str) -> None:
    assert mask(text) == text


# What a reviewer found, then the forms found by going through what people type: one
# row a form, so that a form that regresses names itself.
FOUND_BY_REVIEW = [
    # An HK/Macau ID has one check digit in brackets: nothing invented, nothing shown.
    ("M1234567(8)", "M*******(8)"),
    ("M1234567（8）", "M*******(8)"),
    # A resident ID typed in fours keeps the same tail as one typed in one piece.
    ("1101 0519 4912 3100 2X", "110105********002X"),
    # The dashes and dots keyboards produce, between the groups of a phone number.
    ("138—0013—8000", "*******8000"),
    ("138–0013–8000", "*******8000"),
    ("138‐0013‐8000", "*******8000"),
    ("138－0013－8000", "*******8000"),
    ("138 • 0013 • 8000", "*******8000"),
    ("138·0013·8000", "*******8000"),
]

TYPED_VARIANTS = [
    # Mainland mobiles, under the labels people use.
    ("电话：138-0013-8000", "电话：*******8000"),
    ("手机:13800138000", "手机:*******8000"),
    ("联系电话13800138000。", "联系电话*******8000。"),
    ("Tel: +86-138-0013-8000", "Tel: *********8000"),
    ("Mobile (+86) 138 0013 8000", "Mobile *********8000"),
    ("手机（+86）13800138000", "手机*********8000"),
    ("+８６ １３８ ００１３ ８０００", "*********8000"),
    ("手机号１３８－００１３－８０００找她", "手机号*******8000找她"),
    ("1380 0138 000", "*******8000"),
    ("138・0013・8000", "*******8000"),
    ("138\n0013\n8000", "*******8000"),
    ("手机号 138 0013\n8000 找她", "手机号 *******8000 找她"),
    ("电话13800138000 45岁", "电话*******8000 45岁"),
    ("电话 138 0013 8000 12楼", "电话 *******8000 12楼"),
    ("13800138000 13900139000", "*******8000 *******9000"),
    ("138-0013-8000/139-0013-9000", "*******8000/*******9000"),
    # Mainland landlines.
    ("座机010-12345678", "座机*******5678"),
    ("（010）12345678", "*******5678"),
    ("0755—8888—6666", "********6666"),
    # Hong Kong and Macau.
    ("香港電話：9123 4567", "香港電話：****4567"),
    ("+852-9123-4567", "*******4567"),
    ("(852) 9123-4567", "*******4567"),
    ("手提電話 6123·4567", "手提電話 ****4567"),
    ("澳門電話 +853 6612 3456", "澳門電話 *******3456"),
    ("澳門 6612–3456", "澳門 ****3456"),
    # Taiwan.
    ("手機：0912-345-678", "手機：******5678"),
    ("+886-912-345-678", "********5678"),
    ("市話 02-2345-6789", "市話 ******6789"),
    ("+886 2 2345 6789", "********6789"),
    # Resident IDs: mainland in the groups people make, Hong Kong, Macau, Taiwan.
    ("身份证号：11010519491231002X", "身份证号：110105********002X"),
    ("身份证 110105 1949 1231 002X", "身份证 110105********002X"),
    ("110105-19491231-002X", "110105********002X"),
    ("110 105 1949 1231 002X", "110105********002X"),
    ("身份证号码110105194912310021，", "身份证号码110105********0021，"),
    ("身份证：１１０１　０５１９　４９１２　３１００　２Ｘ", "身份证：110105********002X"),
    ("11010519491231002X 13800138000", "110105********002X *******8000"),
    ("證件號碼：A123456(7)", "證件號碼：A******(7)"),
    ("香港身份證 A123456（7）", "香港身份證 A******(7)"),
    ("HKID: A 123456 (7)", "HKID: A******(7)"),
    ("HKID a1234567", "HKID A******(7)"),
    ("HKID A1234567 (copy attached)", "HKID A******(7) (copy attached)"),
    ("證件Ａ１２３４５６（Ａ）", "證件A******(A)"),
    ("澳門身份證 1234567(8)", "澳門身份證 1******(8)"),
    ("澳门居民身份证5215299（8）", "澳门居民身份证5******(8)"),
    ("台灣身分證：A123456789", "台灣身分證：A*****6789"),
    ("身分證字號 a223456789", "身分證字號 A*****6789"),
    # E-mail.
    ("邮箱：zhang.wei@example.com.cn。", "邮箱：z***@example.com.cn。"),
    ("Email: ZhangWei@QQ.COM", "Email: Z***@QQ.COM"),
    ("电邮 zhangwei（at）qq.com", "电邮 z***@qq.com"),
    ("zhangwei [at] gmail [dot] com", "z***@gmail.com"),
    ("ｚｈａｎｇｗｅｉ＠１６３．ｃｏｍ", "z***@163.com"),
    ("mail:zhangwei @ 163.com", "mail:z***@163.com"),
    ("邮箱zhangwei@163。com", "邮箱z***@163.com"),
    ("mail zhang@163.com。Call me", "mail z***@163.com。Call me"),
    # Mainland plates, also in traditional characters.
    ("车牌：京A·12345", "车牌：京A***45"),
    ("沪A-12345", "沪A***45"),
    ("粤BD12345", "粤B***45"),
    ("京A1234警", "京A***4警"),
    ("車牌粵B 12345", "車牌粵B***45"),
    ("車牌滬A·12345", "車牌滬A***45"),
    # Masked and readable side by side.
    ("2026年12月5日23:40 电话13800138000", "2026年12月5日23:40 电话*******8000"),
]

STAY_READABLE = [
    "23:40",
    "晚上23：40打来",
    "2026-12-05",
    "2026–12–05",
    "2026年12月5日",
    "２０２６年１２月５日",
    "2026/12/5",
    "2026-12-05 23:40至2026-12-06 01:15",
    "10:00-12:00",
    "老人45岁",
    "45 years old",
    "住88号3楼",
    "3号楼2单元1203室",
    "12-3-1203",
    "Flat 1203, 12/F",
    "5000元",
    "5,000元",
    "月收入5000-8000元",
    "5000元 8000元",
    "参见R-6QSJ",
    "R-6QSJ and R-0001",
    "3个孩子，共12人",
    "人数：\n12\n45\n300",
    "2 kids aged 3 and 5",
    "110、120、119",
    "lat 22.3193, lng 114.1694",
]


@pytest.mark.parametrize(("text", "expected"), FOUND_BY_REVIEW + TYPED_VARIANTS)
def test_each_typed_form_is_masked(text: str, expected: str) -> None:
    assert mask(text) == expected


@pytest.mark.parametrize("text", STAY_READABLE)
def test_times_dates_ages_addresses_amounts_and_references_stay_as_typed(text: str) -> None:
    assert mask(text) == text


def test_a_date_and_a_phone_side_by_side_are_told_apart() -> None:
    assert mask("2026-12-05 23:40 电话13800138000 R-0001") == (
        "2026-12-05 23:40 电话*******8000 R-0001"
    )


async def test_the_officer_reads_the_closing_note_and_return_reason_masked(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        li, officer = s.workers["Li Na"], s.officer
        first = await file(w, draft("family_dispute"))
        await li.tap("✅ Accept")
        await close_case(
            li, "At 23:40 on 2026-12-05 she asked: tel.138.0013.8000 or 电话13900139000"
        )
        note = officer.last.plain
        assert first.ref in note
        assert "13800138000" not in note.replace(".", "") and "13900139000" not in note
        assert "tel.*******8000 or 电话*******9000" in note
        assert "At 23:40 on 2026-12-05" in note

        second = await file(w, draft("neighbour_dispute"))
        await li.tap("✅ Accept")
        await li.tap("Return to police")
        await li.tap("Details wrong or incomplete")
        await li.send("身份证：１１０１０５１９４９１２３１００２Ｘ，车牌沪A 12345，住88号")
        reason = officer.last.plain
        assert second.ref in reason
        assert "身份证：110105********002X，车牌沪A***45，住88号" in reason


@pytest.mark.parametrize(
    ("whole", "shown"),
    [
        ("JJ-2026/1126-0042", "**-****/****-0042"),
        ("310104198001011234", "**************1234"),  # shaped like a resident ID
        ("A12", "A12"),  # shorter than four: nothing to hide behind it
    ],
)
def test_a_whole_value_keeps_only_its_last_four(whole: str, shown: str) -> None:
    assert mask_all_but_last(whole) == shown
