"""``python -m bench``: the benchmarks, a table, and exit 1 when a target is missed.

Each figure is a median of several runs; the throughput target is a ratio measured in
the same run (machines are shared and noisy). Not part of the tests: pytest asserts no
wall-clock times. ``python -m bench 4`` (or ``1 3``…) runs only the benchmarks named.
"""

from __future__ import annotations

import asyncio
import logging
import os
import platform
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bench import (
    cold_start,
    escalation_lateness,
    outbox_limits,
    reports,
    responsiveness,
    scaling,
    submit_latency,
    throughput,
)


@dataclass
class Row:
    name: str
    figure: str
    target: str
    met: bool


async def _submit_latency() -> list[Row]:
    rows = []
    for officers in (1, 10, 50):
        p50, p99, floor = await submit_latency.measure(officers)
        rows.append(
            Row(
                f"1. submit → first offer, {officers} officer(s) at once",
                f"p50 {p50:.0f} ms, p99 {p99:.0f} ms (the same cards from a bare app: "
                f"p99 {floor:.0f} ms)",
                "p99 at 50 ≤ 2× the bare app's",
                officers != 50 or p99 <= 2 * floor,
            )
        )
    return rows


async def _throughput() -> list[Row]:
    mine, menu, echo, ratio = await throughput.measure()
    return [
        Row(
            "2. updates/s, referral flow vs a storage-free bot making the same calls",
            f"{mine:.0f} vs {menu:.0f} ({mine / menu:.0%}); a bare PTB echo bot: "
            f"{echo:.0f} (ours {ratio:.0%} of it)",
            "≥ 60% of the storage-free bot",
            mine >= 0.6 * menu,
        )
    ]


async def _escalation_lateness() -> list[Row]:
    p50, p99, worst, missed, doubled = await escalation_lateness.measure(1000)
    return [
        Row(
            "3. escalation lateness, 1,000 due within 3 s",
            f"p50 {p50:.2f} s, p99 {p99:.2f} s, max {worst:.2f} s, "
            f"missed {missed}, doubled {doubled}",
            "p99 ≤ 2 s, 0 missed, 0 doubled",
            p99 <= 2 and missed == 0 and doubled == 0,
        )
    ]


async def _outbox_limits() -> list[Row]:
    rate, share, cards, too_many = await outbox_limits.measure()
    return [
        Row(
            "4. outbox against Telegram's limits, 600 notifications to 300 chats",
            f"{rate:.1f} msg/s ({share:.0%} of 30/s), {too_many} × 429, {cards} of 600 sent",
            "≥ 90% of 30/s, 0 × 429",
            share >= 0.9 and too_many == 0 and cards == 600,
        )
    ]


async def _cold_start() -> list[Row]:
    seconds, memory = await cold_start.measure()
    return [
        Row(
            "5. cold start, 100,000 historic + 10,000 open referrals",
            f"{seconds:.2f} s to the first engine round, peak RSS {memory:.0f} MB",
            "≤ 2 s and ≤ 120 MB",
            seconds <= 2 and memory <= 120,
        )
    ]


async def _scaling() -> list[Row]:
    small, large = await scaling.submit()
    late_small, late_large, missed, doubled = await scaling.lateness()
    return [
        Row(
            "6. figure 1 at 10×: 500 officers at once (50 in the same run)",
            f"p99 {large:.0f} ms vs {small:.0f} ms: ×{large / small:.1f}",
            "cost stated (×10 = the same per referral)",
            True,
        ),
        Row(
            "6. figure 3 at 10×: 10,000 due within 30 s (1,000 within 3 s)",
            f"p99 {late_large:.2f} s vs {late_small:.2f} s; missed {missed}, doubled {doubled}",
            "cost stated; 0 missed, 0 doubled",
            missed == 0 and doubled == 0,
        ),
    ]


async def _responsiveness() -> list[Row]:
    p50, p99, r = await responsiveness.measure()
    return [
        Row(
            "7. a sixth person's taps while 50 officers file to 5 workers, limits on",
            f"p50 {p50:.0f} ms, p99 {p99:.0f} ms; {r.offers} of {r.expected} offers, "
            f"{r.too_many} × 429, drained in {r.drain:.0f} s (the per-chat limit "
            f"allows {r.allowed:.0f} s)",
            "p99 ≤ 300 ms, all offers, 0 × 429, drain ≤ 1.5× allowed",
            p99 <= 300
            and r.offers == r.expected
            and r.too_many == 0
            and r.drain <= 1.5 * r.allowed,
        )
    ]


async def _reports() -> list[Row]:
    seconds, counted = await reports.measure()
    return [
        Row(
            "8. a year's report: 100,000 referrals, all stations, per worker",
            f"{seconds:.2f} s ({counted:,} referrals counted)",
            "< 2 s",
            seconds < 2 and counted == reports.REFERRALS,
        )
    ]


BENCHMARKS: dict[str, Callable[[], Awaitable[list[Row]]]] = {
    "1": _submit_latency,
    "2": _throughput,
    "3": _escalation_lateness,
    "4": _outbox_limits,
    "5": _cold_start,
    "6": _scaling,
    "7": _responsiveness,
    "8": _reports,
}


async def _run(chosen: list[str]) -> list[Row]:
    rows = []
    for number in chosen:
        rows += await BENCHMARKS[number]()
    return rows


def main(argv: list[str] | None = None) -> int:
    """``python -m bench`` runs them all; ``python -m bench 2 4`` only those numbered."""
    chosen = argv if argv is not None else sys.argv[1:]
    unknown = [n for n in chosen if n not in BENCHMARKS]
    if unknown:
        print(f"no benchmark {', '.join(unknown)}; there are {', '.join(BENCHMARKS)}")
        return 2
    logging.disable(logging.CRITICAL)
    rows = asyncio.run(_run(chosen or list(BENCHMARKS)))
    cores = os.cpu_count()
    print(f"machine: {platform.machine()}, {cores} cores, Python {platform.python_version()}")
    print("| benchmark | measured | target | met |")
    print("|---|---|---|---|")
    for row in rows:
        print(f"| {row.name} | {row.figure} | {row.target} | {'yes' if row.met else 'NO'} |")
    return 0 if all(row.met for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
