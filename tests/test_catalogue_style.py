"""Chinese catalogues follow one typographic style, checked on every msgstr.

The rules, as the domain review asked and as the catalogues are written:

- Full-width brackets （） around Chinese text, never ASCII ( ): "（{time}）" is fine
  because the brackets are full-width; "(婉拒)" is not.
- No ASCII space between two Chinese characters, nor between a Chinese character and a
  placeholder that holds Chinese text (a name, a team, a label): "协调员{name}已指派给
  {worker}" reads as Chinese does, "协调员 {name} 已指派" does not.
- A space is kept between Chinese and what is written in Latin letters or digits: a
  number with its unit ("5 分钟", "{count} 个"), a reference ("撤回 {ref}"), a command
  ("发送 /start"), a time. So a placeholder is Chinese or not by what it holds, listed
  below; one that is in neither list counts as Chinese (the stricter rule), so a new
  placeholder for Latin text must be added here on purpose.
- 你 throughout, never 您: the bot speaks to colleagues.
- No ASCII comma, colon, semicolon, question or exclamation mark right after Chinese.

Every catalogue whose language code starts with "zh" is read, so a Traditional
catalogue dropped beside the Simplified one is held to the same rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR

# Han ideographs (with extension A), CJK punctuation and full-width forms.
CJK = "\u3400-\u4dbf\u4e00-\u9fff\u3000-\u303f\uff00-\uffef"
# Placeholders whose values are Latin letters, digits or both (a count, a reference, a
# time, a code): a space beside them is the catalogues' style.
LATIN_VALUED = frozenset(
    {
        "cap",
        "code",
        "count",
        "digits",  # keys pressed on a call
        "end",
        "expected",  # a time
        "given_up",
        "hours",
        "latitude",
        "length",
        "limit",
        "link",
        "longitude",
        "minutes",
        "number",
        "phone",
        "ref",
        "seconds",
        "sent",  # a count of pages
        "size",
        "start",
        "target",  # a time
        "time",
        "total",
        "waiting",  # a count of pages
    }
)
# Placeholders that start with a number and end with a Chinese unit ("3 分钟"): a space
# before them, none after.
NUMBER_THEN_UNIT = frozenset({"span"})

_PLACEHOLDER = r"\{(\w+)\}"


def problems(text: str) -> list[str]:
    """What in one translated text breaks the style (empty if nothing does)."""
    found = []
    if "您" in text:
        found.append("您 (this bot says 你)")
    for match in re.finditer(rf"[{CJK}] +[{CJK}]", text):
        found.append(f"a space between Chinese characters: {match.group()!r}")
    for match in re.finditer(rf"[{CJK}] +{_PLACEHOLDER}", text):
        if match.group(1) not in LATIN_VALUED | NUMBER_THEN_UNIT:
            found.append(f"a space before a Chinese value: {match.group()!r}")
    for match in re.finditer(rf"{_PLACEHOLDER} +[{CJK}]", text):
        if match.group(1) not in LATIN_VALUED:
            found.append(f"a space after a Chinese value: {match.group()!r}")
    for match in re.finditer(r"\(([^()]*)\)", text):
        inside = match.group(1)
        names = set(re.findall(_PLACEHOLDER, inside))
        if re.search(f"[{CJK}]", inside) or names - LATIN_VALUED - NUMBER_THEN_UNIT:
            found.append(f"ASCII brackets around Chinese text: {match.group()!r}")
    for match in re.finditer(rf"[{CJK}][,:;?!]", text):
        found.append(f"ASCII punctuation after Chinese: {match.group()!r}")
    return found


def _chinese_catalogues() -> list[str]:
    return sorted(
        p.parent.parent.name
        for p in LOCALES_DIR.glob("*/LC_MESSAGES/messages.po")
        if p.parent.parent.name.startswith("zh")
    )


def _translations(code: str) -> Iterator[tuple[str, str]]:
    """(msgid, msgstr) for every filled form of every entry of the catalogue."""
    path: Path = LOCALES_DIR / code / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=code)
    for message in catalogue:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        forms = message.string if isinstance(message.string, tuple | list) else [message.string]
        for form in forms:
            if form:
                yield msgid, form


def test_there_is_a_chinese_catalogue_to_check() -> None:
    assert "zh_Hans" in _chinese_catalogues()


@pytest.mark.parametrize("code", _chinese_catalogues())
def test_every_chinese_text_follows_the_style(code: str) -> None:
    wrong = {msgid: found for msgid, text in _translations(code) if (found := problems(text))}
    assert wrong == {}


@pytest.mark.parametrize(
    "text",
    [
        "值班协调员 {name} 把这条转介指派给了你。",  # spaces around a name
        "协调员{coordinator}已指派给 {worker}。",  # one space is enough to fail
        "{worker} 已到达",
        "{name}(婉拒：{reason})",  # ASCII brackets around Chinese
        "{outcome} ({resource})",  # ASCII brackets around a Chinese label
        "请您稍后再试。",
        "已提交 请稍候。",  # a space between two Chinese characters
        "引擎：上一轮在 {span} 前。",  # a unit is Chinese: no space after it
        "你好,请稍候。",
    ],
)
def test_the_check_catches_what_the_review_found(text: str) -> None:
    assert problems(text)


@pytest.mark.parametrize(
    "text",
    [
        "协调员{coordinator}已指派给{worker}。点击姓名可直接联系。",
        "已等待 {minutes} 分钟。",  # a number and its unit
        "撤回 {ref}",  # a reference in Latin letters
        "请发送 /away，或 /away 08:00、/away 2h。",
        "📍 定位（{latitude}, {longitude}）",
        "已运行 {span}。",
        "{name} · {state} · 在办个案 {count} 个",
        "数据库：{size} MiB。",
        "对方屏蔽了机器人或已停用 Telegram",
    ],
)
def test_the_check_lets_the_catalogues_style_through(text: str) -> None:
    assert problems(text) == []


# Words the domain review replaced, per catalogue: (the wrong word, what is said instead).
# A Traditional catalogue writes its own profession's words, so it lists its own.
REPLACED: dict[str, list[tuple[str, str]]] = {
    "zh_Hans": [
        ("案件", "个案 (案件 is a police or court case)"),
        ("所有值班协调员", "全部协调员"),
        ("警方", "派出所 (a case goes back to the station)"),
        ("正在赶往", "出发前往"),
        ("是哪类事件", "属于哪类警情"),
        ("即时生命危险", "有生命危险"),
        ("自杀意图", "有自伤、自杀倾向"),
        ("转至其他机构", "转介至其他机构"),
        ("转为民警咨询", "仅作咨询，不联系当事人"),
        ("受保护的消息", "禁止转发和保存的消息"),
        ("精确到街道", "路名和门牌号, where a visit is needed"),
        ("联系不上", "无法联系 (one word for unreachable)"),
        ("不可达", "无法联系 (one word for unreachable)"),
    ],
    # The same review in Traditional, as Hong Kong and Macau write it.
    "zh_Hant": [
        ("案件", "個案 (案件 is a police or court case)"),
        ("所有值班協調員", "全部協調員"),
        ("退回警署", "退回警方 (警署 reads as the national agency in Taiwan)"),
        ("轉寄", "轉發 (as Telegram's own Hong Kong app says)"),
        ("服務使用者", "當事人 (one word for the person)"),
        ("是哪類事件", "屬於哪類警情"),
        ("自殺意圖", "有自殘、自殺傾向"),
        ("轉至其他機構", "轉介至其他機構"),
        ("受保護", "禁止轉發和儲存的訊息"),
        ("權杖", "a token is not a sceptre"),
        ("聯絡不上", "無法聯絡 (one word for unreachable)"),
        ("您", "你"),
    ],
}


@pytest.mark.parametrize("code", sorted(REPLACED))
def test_chinese_says_what_the_domain_review_asked(code: str) -> None:
    texts = list(_translations(code))
    wrong = [
        (msgid, word, instead)
        for msgid, text in texts
        for word, instead in REPLACED[code]
        if word in text
    ]
    assert wrong == []


def test_simplified_chinese_keeps_the_coordinator_and_the_adult_apart() -> None:
    texts = list(_translations("zh_Hans"))
    # 值班协调员 is the coordinator on duty; any other coordinator is 协调员.
    on_duty = [
        msgid for msgid, text in texts if "值班协调员" in text and "duty" not in msgid.lower()
    ]
    assert on_duty == []
    # The appropriate adult is there before the questioning, of a suspect (讯问) or of a
    # victim or witness (询问).
    adult = [
        msgid for msgid, text in texts if "appropriate adult" in msgid.lower() and "needed" in msgid
    ]
    assert adult
    for msgid, text in texts:
        if msgid in adult:
            assert "需合适成年人到场：即将讯问/询问未成年人" in text, msgid


def test_traditional_chinese_keeps_the_coordinator_and_the_adult_apart() -> None:
    texts = list(_translations("zh_Hant"))
    # 當值協調員 is the coordinator on duty (Hong Kong and Macau say 當值); any other is 協調員.
    on_duty = [
        msgid
        for msgid, text in texts
        if ("當值協調員" in text or "值班協調員" in text) and "duty" not in msgid.lower()
    ]
    assert on_duty == []
    adult = [
        msgid for msgid, text in texts if "appropriate adult" in msgid.lower() and "needed" in msgid
    ]
    assert adult
    for msgid, text in texts:
        if msgid in adult:
            assert "需合適成年人到場：即將訊問／詢問未成年人" in text, msgid
