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


async def test_kills_during_night_pages_page_each_step_once(tmp_path: Path) -> None:
    """The bot pages at night through a fake Twilio and gateway and is killed while
    Twilio holds one of its requests (made or not): no call or SMS twice, every page
    sent or given up only because its referral was taken, none after that."""
    counts = await run(tmp_path, kills=2, paging=True, in_request=1.0, stretch=8, seed=3)
    print(counts.report())
    assert counts.kills == 2 and counts.kills_in_request >= 1
    # Night escalations reached the coordinators' levels and paged on every channel.
    assert counts.pages_sent >= 3 and counts.calls >= 1 and counts.sms >= 1
    assert counts.gateway_posts >= 1
    assert counts.bad_pages_twice == [] and counts.bad_pages_unsent == []
    assert counts.bad_pages_after_taken == []
    assert counts.bad_missing == [] and counts.bad_filed_twice == []
    assert counts.bad_steps_twice == [] and counts.bad_steps_overdue == []
    assert counts.bad_outbox == (0, 0)
