"""kill -9 at random moments, twenty times, with people using the bot all along: no
confirmed referral lost, none filed or accepted twice, every escalation step fired
exactly once, every message delivered. See bot/sandbox/crash.py (also the soak run)."""

from __future__ import annotations

from pathlib import Path

from bot.sandbox.crash import run


async def test_twenty_kills_lose_nothing_and_repeat_nothing(tmp_path: Path) -> None:
    counts = await run(tmp_path, kills=20)
    print(counts.report())
    assert counts.kills == 20 and counts.starts == 21
    # The story must have happened, or the checks below prove nothing.
    assert counts.confirmed >= 2 and counts.accepted >= 1 and counts.escalation_steps >= 1
    assert counts.bad_missing == [] and counts.bad_filed_twice == []
    assert counts.bad_accepted_twice == []
    assert counts.bad_steps_twice == [] and counts.bad_steps_overdue == []
    assert counts.bad_outbox == (0, 0)
    assert counts.duplicate_messages <= max(2, counts.messages // 20)
