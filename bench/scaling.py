"""6. Scaling: figures 1 and 3 again at ten times the data, and how their cost grows.

Figure 1 with 500 officers filing at once instead of 50 (to the same five workers);
figure 3 with 10,000 referrals falling due instead of 1,000, across ten times the
time (the same rate, ten times the rows), so that a cost that grows with the size of
the tables would show as lateness. The growth factor of each is printed beside it:
about 10 for figure 1 means the cost per referral stays flat (every card waits behind
the ones before it in the worker's chat); about 1 for figure 3 means a step costs the
same however many are pending.
"""

from __future__ import annotations

from bench import escalation_lateness, submit_latency
from bench.common import median, percentile

SCALE = 10


async def submit(officers: int = 50, runs: int = 3) -> tuple[float, float]:
    """(p99 in ms at ``officers``, at SCALE × ``officers``), each the median of ``runs``,
    measured side by side in this run."""
    small, large = [], []
    for _ in range(runs):
        values, _floor = await submit_latency.once(officers)
        small.append(percentile(values, 0.99) * 1000)
        values, _floor = await submit_latency.once(officers * SCALE)
        large.append(percentile(values, 0.99) * 1000)
    return median(small), median(large)


async def lateness(referrals: int = 1000) -> tuple[float, float, int, int]:
    """(p99 lateness in s at ``referrals``, at SCALE × ``referrals`` due across SCALE ×
    the spread; missed and doubled in both)."""
    small, missed, doubled = await escalation_lateness.once(referrals)
    spread = escalation_lateness.SPREAD * SCALE
    large, more_missed, more_doubled = await escalation_lateness.once(referrals * SCALE, spread)
    p99_small = percentile(small, 0.99) if small else float("inf")
    p99_large = percentile(large, 0.99) if large else float("inf")
    return p99_small, p99_large, missed + more_missed, doubled + more_doubled
