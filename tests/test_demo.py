"""`referral-bot demo`: a whole night on the real bot, no token, no network, in the
chosen language, printed as it happened: each screen as it read then, each tap."""

from __future__ import annotations

import re

from bot import labels
from bot.domain.referral import Safety, Status, Urgency
from bot.i18n import Translator
from bot.sandbox.demo import COORDINATOR_NUMBER, NAMES, Night, dv_button, night
from tests.test_catalogues import simplified_only
from tests.test_cli import run_cli

_CLOCK = re.compile(r"^(\d\d):(\d\d) ")


def _lines(night: Night) -> list[str]:
    return night.transcript.splitlines()


def _where(lines: list[str], *fragments: str, after: int = -1) -> int:
    """The first line after ``after`` holding every fragment."""
    return next(
        i for i, line in enumerate(lines) if i > after and all(f in line for f in fragments)
    )


def _minutes_since_noon(lines: list[str]) -> list[int]:
    """Each printed time, counted from noon, so that a night reads as one rising run."""
    return [
        (int(m[1]) * 60 + int(m[2]) - 12 * 60) % (24 * 60)
        for line in lines
        if (m := _CLOCK.match(line))
    ]


def _check_the_night_in_order(played: Night, lang: str) -> None:
    """The screens and taps a reader must see, in the order they happened."""
    tr = Translator(lang)
    officer, worker, coordinator = NAMES[lang]
    lines = _lines(played)

    new = _where(lines, officer, f"▸ [{tr('➕ New referral')}]")
    category_screen = _where(lines, officer, "◂", after=new)
    tapped_category = _where(lines, officer, f"▸ [{dv_button(tr)}]")
    assert f"[{dv_button(tr)}]" in "\n".join(lines[category_screen:tapped_category])
    safety = _where(lines, officer, f"▸ [{tr(labels.SAFETY[Safety.WEAPON_OR_INJURY])}]")
    urgency = tr(labels.URGENCY[Urgency.IMMEDIATE])
    tapped_urgency = _where(lines, officer, "▸ [●", urgency, after=safety)
    card = _where(lines, coordinator, "◂", tr("⏫ Nobody has accepted this referral yet"))
    card_buttons = _where(lines, f"[{tr('👥 Assign to…')}]", after=card)
    tapped_assign = _where(lines, coordinator, f"▸ [{tr('👥 Assign to…')}]")
    tapped_worker = _where(lines, coordinator, f"▸ [{worker}", after=tapped_assign)
    on_way = _where(lines, worker, f"▸ [{tr('🚶 On my way')}]", after=tapped_worker)
    arrived = _where(lines, worker, f"▸ [{tr('📍 Arrived')}]", after=on_way)
    may_leave = _where(lines, officer, f"▸ [{tr('🚓 Police may leave now')}]", after=arrived)
    contacted = _where(lines, worker, f"▸ [{tr(labels.STEP_BUTTON[Status.CONTACTED])}]")
    assert may_leave < contacted  # a co-response: she was there before she made contact
    assert (
        new
        < category_screen
        < tapped_category
        < safety
        < tapped_urgency
        < card
        < card_buttons
        < tapped_assign
        < tapped_worker
        < contacted
    )
    assert tr("✎ edited") in lines[tapped_category + 1], "the screen after a tap, as edited"

    times = _minutes_since_noon(lines)
    assert len(times) > 30 and times == sorted(times)
    assert [e.at for e in played.timeline] == sorted(e.at for e in played.timeline)
    for event in played.timeline:
        if event.kind == "tapped" and event.person in played.names:
            assert f"▸ [{event.text}]" in played.transcript  # every tap is shown

    # Domestic violence is not closed within the hour: contact made, a visit booked,
    # the assessment started the next morning, and the case still open.
    assert played.status is Status.ASSESSMENT
    assert tr(labels.STEP_BUTTON[Status.PLAN]) in played.transcript  # the next step waits
    assert tr("Close case") not in {e.text for e in played.timeline if e.kind == "tapped"}


async def test_the_demo_prints_the_night_as_it_happened() -> None:
    played = await night("en")
    _check_the_night_in_order(played, "en")
    text = played.transcript
    assert "━━ 23:40 — Officer Wang files a domestic-violence referral at the scene" in text
    assert "Assigned to Li Na by coordinator Chen Jing, waiting for confirmation." in text
    assert "Li Na confirmed and takes it (assigned by coordinator Chen Jing)." in text
    assert "Li Na has made first contact." in text
    assert "☀️ Morning handover" in text
    assert "(The bot keeps no appointments: the 10:00 visit is in Li Na's own diary" in text
    worker_lines = [line for line in _lines(played) if "Li Na ◂" in line]
    assert any("Coordinator Chen Jing assigned this referral to you." in x for x in worker_lines)
    assert "Name: Ms Zhang" in text  # the details reach the worker who took it...
    coordinator = "\n".join(line for line in _lines(played) if "📋 Chen Jing" in line)
    assert "You assigned it to Li Na." in text
    assert "Ms Zhang" not in coordinator  # ...and nobody else
    # The coordinator's phone rings (the fake Twilio's log) and she presses 1
    lines = _lines(played)
    rang = _where(lines, "📞 23:41 call to Chen Jing (en-GB): “Referral R-")
    texted = _where(lines, "💬 23:41 SMS to Chen Jing: “Referral R-")
    pressed = _where(lines, "📞 23:42 Chen Jing pressed 1")
    on_it = _where(lines, "🙋 Coordinator Chen Jing is on it.", after=pressed)
    assert "Officer Wang ◂" in lines[on_it - 1]  # the officer hears
    assert rang < texted < pressed < on_it
    handover = _where(lines, "☀️ Morning handover")
    assert "acknowledged 23:42 by call (Chen Jing)" in _lines(played)[handover + 2]
    assert all(number not in text for number in COORDINATOR_NUMBER.values())


async def test_the_demo_speaks_chinese() -> None:
    played = await night("zh_Hans")
    _check_the_night_in_order(played, "zh_Hans")
    text = played.transcript
    assert text.startswith("天平路派出所的一个夜晚")
    assert "李娜已确认接案（由协调员陈静指派）。" in text
    assert "李娜已与当事人首次联系。" in text
    assert "王警官在现场提交一条家庭暴力转介" in text
    assert "Officer" not in text and "Social worker" not in text and "edited" not in text


async def test_the_demo_speaks_traditional_chinese() -> None:
    played = await night("zh_Hant")
    _check_the_night_in_order(played, "zh_Hant")
    assert played.transcript.startswith("天平路警署的一個夜晚")
    assert "陳靜" in played.transcript
    assert "📞 23:41 致電陳靜（yue-HK）：「轉介 R-" in played.transcript
    assert "📞 23:42 陳靜按了 1" in played.transcript
    assert "23:42 由陳靜以電話確認" in played.transcript
    assert simplified_only(played.transcript) == []


def test_referral_bot_demo_needs_no_token_and_prints_the_night() -> None:
    result = run_cli("demo", "--lang", "zh_Hans")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("天平路派出所的一个夜晚")
    assert "▸ [家庭暴力]" in result.stdout
    assert result.stderr == ""
