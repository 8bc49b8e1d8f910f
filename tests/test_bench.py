"""The benchmarks still run, and their baselines are fair (no timing is asserted here:
``python -m bench`` measures; these only keep it working and honest)."""

from __future__ import annotations

from bench import submit_latency, throughput


async def test_submit_latency_finds_every_referrals_first_card_and_its_floor() -> None:
    latencies, floor = await submit_latency.once(3)
    assert len(latencies) == 3 and len(floor) == 3
    assert all(seconds > 0 for seconds in latencies + floor)


async def test_the_storage_free_floor_makes_no_more_telegram_calls_than_the_bot() -> None:
    """Benchmark 2 reads the menu bot's rate as the best any filing bot can do: that holds
    only while it does no more Telegram work per filing than the referral flow does."""
    ours = await throughput.ours(officers=2)
    floor = await throughput.menu_bot(officers=2)
    assert 0.8 * ours.calls <= floor.calls <= ours.calls
