"""`referral-bot demo`: a whole night on the real bot, no token, no network, in the
chosen language."""

from __future__ import annotations

from bot.sandbox.demo import play
from tests.test_cli import run_cli


def _screen(transcript: str, name: str) -> str:
    return next(part for part in transcript.split("\n\n━━━ ") if part.startswith(f"📱 {name}"))


async def test_the_demo_night_is_seen_on_every_phone() -> None:
    transcript = await play("en")
    officer = _screen(transcript, "Officer Wang")
    assert "Assigned to Li Na by coordinator Chen Jing." in officer
    assert "Li Na has made first contact." in officer
    assert "Closed by Li Na. Outcome: Linked to a resource (NGO)." in officer
    coordinator = _screen(transcript, "Chen Jing")
    assert "Taken by Li Na." in coordinator and "Ms Zhang" not in coordinator
    worker = _screen(transcript, "Li Na")
    assert "Coordinator Chen Jing assigned this referral to you." in worker
    assert "Name: Ms Zhang" in worker and "[Reopen]" in worker


async def test_the_demo_speaks_chinese() -> None:
    transcript = await play("zh_Hans")
    assert transcript.startswith("天平路派出所的一个夜晚")
    officer = _screen(transcript, "王警官")
    assert "协调员陈静已指派给李娜。" in officer  # no spaces around Chinese names
    assert "李娜已与当事人首次联系。" in officer and "李娜已结案。" in officer
    assert "Officer" not in transcript and "Social worker" not in transcript


def test_referral_bot_demo_needs_no_token_and_prints_the_night() -> None:
    result = run_cli("demo", "--lang", "zh_Hans")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("天平路派出所的一个夜晚")
    assert result.stderr == ""
