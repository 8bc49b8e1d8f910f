"""``python -m bench``: the benchmarks, a table, and exit 1 when a target is missed.

Each figure is a median of several runs; the throughput target is a ratio measured in
the same run (machines are shared and noisy). Not part of the tests: pytest asserts no
wall-clock times.
"""

from __future__ import annotations

import asyncio
import logging
import os
import platform
import sys
from dataclasses import dataclass

from bench import cold_start, escalation_lateness, submit_latency, throughput


@dataclass
class Row:
    name: str
    figure: str
    target: str
    met: bool


async def _all() -> list[Row]:
    rows = []
    for officers in (1, 10, 50):
        p50, p99, floor = await submit_latency.measure(officers)
        rows.append(
            Row(
                f"1. submit → first offer, {officers} officer(s) at once",
                f"p50 {p50:.0f} ms, p99 {p99:.0f} ms (the same cards from a bare app: "
                f"p99 {floor:.0f} ms)",
                "p99 ≤ 250 ms at 50",
                officers != 50 or p99 <= 250,
            )
        )
    mine, menu, echo, ratio = await throughput.measure()
    rows.append(
        Row(
            "2. updates/s, referral flow vs bare PTB echo bot",
            f"{mine:.0f} vs {echo:.0f} ({ratio:.0%}); a storage-free bot making the "
            f"filing's Telegram calls: {menu:.0f} ({menu / echo:.0%})",
            "≥ 40% of echo",
            ratio >= 0.4,
        )
    )
    p50, p99, worst, missed, doubled = await escalation_lateness.measure(1000)
    rows.append(
        Row(
            "3. escalation lateness, 1,000 due within 3 s",
            f"p50 {p50:.2f} s, p99 {p99:.2f} s, max {worst:.2f} s, "
            f"missed {missed}, doubled {doubled}",
            "p99 ≤ 2 s, 0 missed, 0 doubled",
            p99 <= 2 and missed == 0 and doubled == 0,
        )
    )
    seconds, memory = await cold_start.measure()
    rows.append(
        Row(
            "5. cold start, 100,000 historic + 10,000 open referrals",
            f"{seconds:.2f} s to the first engine round, peak RSS {memory:.0f} MB",
            "≤ 2 s and ≤ 120 MB",
            seconds <= 2 and memory <= 120,
        )
    )
    return rows


def main() -> int:
    logging.disable(logging.CRITICAL)
    rows = asyncio.run(_all())
    cores = os.cpu_count()
    print(f"machine: {platform.machine()}, {cores} cores, Python {platform.python_version()}")
    print("| benchmark | measured | target | met |")
    print("|---|---|---|---|")
    for row in rows:
        print(f"| {row.name} | {row.figure} | {row.target} | {'yes' if row.met else 'NO'} |")
    return 0 if all(row.met for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
