"""What paging did, where coordinators and administrators look (issue 17, part 3): the
morning handover's line per paged referral, the escalation card's, and /status.

On the night of tests/test_night_paging.py: an immediate referral at 23:40; at 23:55
(level 2) the coordinator on duty, Coord Chen, is called and texted; at 00:10 (level 3)
every coordinator, the Night Boss by SMS too.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.services import handover
from tests.conftest import ADMIN_ID
from tests.test_night_paging import BOSS_NUMBER, CHEN_NUMBER, LEVEL_1, LEVEL_2, LEVEL_3, night


def _morning_line(texts: list[str], ref: str) -> str:
    """The handover's paging line about ``ref``."""
    handovers_read = [t for t in texts if t.startswith("☀️")]
    assert handovers_read, texts
    return next(line for line in handovers_read[-1].splitlines() if line.startswith(f"📟 {ref}"))


async def _to_the_morning(n: object) -> None:
    w = n.w  # type: ignore[attr-defined]
    local = w.clock.now().astimezone(w.services.config.zone)
    morning = (local + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
    w.clock.advance(morning - local)
    await handover.morning(w.services)
    await w.settle()


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            "📟 {ref} paged 23:55 (Coord Chen: call, SMS), acknowledged 23:57 by call (Coord Chen)",
        ),
        (
            "zh_Hant",
            "📟 {ref} 於 23:55 傳呼（Coord Chen：電話、短訊），23:57 由Coord Chen以電話確認",
        ),
    ],
)
async def test_the_handover_says_who_was_paged_and_who_acknowledged(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str, expected: str
) -> None:
    async with night(config_path, monkeypatch, chen_language=lang) as n:
        ref = n.referral.ref
        await n.at(LEVEL_1)
        await n.at(LEVEL_2)  # 23:55: a call and an SMS to Chen
        n.w.clock.advance(timedelta(minutes=2))
        call = next(s for s in n.pages_to(CHEN_NUMBER) if s.kind == "call")
        assert (await n.twilio.press(call, "1")).status_code == 200  # 23:57
        await n.w.settle()
        await _to_the_morning(n)
        line = _morning_line(n.chen.texts, ref)
        assert line == expected.format(ref=ref)
        assert CHEN_NUMBER not in "\n".join(n.chen.texts + n.boss.texts)
        # The Night Boss covers every station: the same line, in his language
        assert _morning_line(n.boss.texts, ref).startswith(f"📟 {ref} paged 23:55 (Coord Chen")


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "📟 {ref} paged 23:55 (Coord Chen: call, SMS; Night Boss: SMS), not acknowledged"),
        ("zh_Hant", "📟 {ref} 於 23:55 傳呼（Coord Chen：電話、短訊；Night Boss：短訊），無人確認"),
    ],
)
async def test_the_handover_says_when_nobody_acknowledged(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str, expected: str
) -> None:
    async with night(config_path, monkeypatch, chen_language=lang) as n:
        await n.at(LEVEL_1)
        await n.at(LEVEL_2)
        await n.at(LEVEL_3)  # 00:10: the Boss too
        await _to_the_morning(n)
        assert _morning_line(n.chen.texts, n.referral.ref) == expected.format(ref=n.referral.ref)


async def test_a_referral_that_paged_nobody_has_no_paging_line(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with night(config_path, monkeypatch) as n:
        await n.at(LEVEL_1)  # level 1 pages nobody
        await _to_the_morning(n)
        morning = next(t for t in n.chen.texts if t.startswith("☀️"))
        assert n.referral.ref in morning and "📟" not in morning


async def test_the_escalation_card_shows_the_pages_and_who_is_on_it(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with night(config_path, monkeypatch) as n:
        ref = n.referral.ref
        await n.at(LEVEL_1)
        await n.at(LEVEL_2)
        await n.at(LEVEL_3)  # the card sent at 00:10 shows the pages of 23:55
        card = next(m for m in n.boss.messages if "⏫" in m.plain)
        assert f"📟 {ref} paged 23:55 (Coord Chen: call, SMS" in card.plain
        n.w.clock.advance(timedelta(minutes=1))
        await n.chen.tap("🙋 I'm on it")  # 00:11: her card says so
        card = next(m for m in reversed(n.chen.messages) if "⏫" in m.plain)
        assert card.plain.splitlines()[-1].endswith(
            "), acknowledged 00:11 by Telegram (Coord Chen)"
        )
        assert n.officer.last.plain.endswith("🙋 Coordinator Coord Chen is on it.")


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            [
                "Paging: call, SMS.",
                "Pages: 0 waiting; 4 sent and 1 given up in the last day.",
                "⚠️ 1 contact method failing: Night Boss (SMS).",
            ],
        ),
        (
            "zh_Hant",
            [
                "傳呼：電話、短訊。",
                "傳呼：0 個等待發出；過去一天已發出 4 個，放棄 1 個。",
                "⚠️ 1 個聯絡方式失效：Night Boss（短訊）。",
            ],
        ),
    ],
)
async def test_status_shows_paging_and_whose_methods_fail(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str, expected: list[str]
) -> None:
    async with night(config_path, monkeypatch) as n:
        admin = n.w.phone(ADMIN_ID, "Admin", language=lang)
        await admin.send("/start")
        await admin.send("/status")
        assert admin.last.plain.splitlines()[-1] in {
            "No contact method failing.",
            "沒有失效的聯絡方式。",
        }
        n.twilio.refuse(BOSS_NUMBER)
        await n.at(LEVEL_1)
        await n.at(LEVEL_2)  # Chen: 2
        await n.at(LEVEL_3)  # Chen: 2 more; the Boss's number refused
        await n.at(LEVEL_3 + timedelta(minutes=14))
        await admin.send("/status")
        lines = admin.last.plain.splitlines()
    assert lines[-3:] == expected
    assert BOSS_NUMBER not in admin.last.plain and CHEN_NUMBER not in admin.last.plain
