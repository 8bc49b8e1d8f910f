"""1. Submit → the first offer card handed to the Bot API, with officers filing at once."""

from __future__ import annotations

import asyncio
import time

from bench.common import deployment, enrol, percentile, up_to_review

WORKERS = 5


async def once(officers: int) -> list[float]:
    """Seconds from each Submit tap to the first sendMessage of its offer card."""
    async with deployment() as w:
        for number in range(WORKERS):
            await enrol(w, 200 + number, "social_worker")
        phones = [await enrol(w, 1000 + number, "officer") for number in range(officers)]
        for number, phone in enumerate(phones):
            await up_to_review(phone, f"Bench-{number}")
        started: dict[int, float] = {}
        first_call = len(w.telegram.calls)

        async def submit(phone_index: int) -> None:
            started[phone_index] = time.perf_counter()
            await phones[phone_index].tap("📨 Submit")

        await asyncio.gather(*(submit(i) for i in range(officers)))
        refs = {}
        for index, phone in enumerate(phones):
            text = next(t for t in phone.texts if t.startswith("Submitted as "))
            refs[text.removeprefix("Submitted as ").rstrip(".")] = index
        latencies: dict[int, float] = {}
        for call in w.telegram.calls[first_call:]:
            text = str(call.params.get("text", ""))
            if call.method != "sendMessage" or not text.startswith("New referral"):
                continue
            for ref, index in refs.items():
                if ref in text and index not in latencies:
                    latencies[index] = call.at - started[index]
        assert len(latencies) == officers, "every referral must have been offered"
        return list(latencies.values())


async def measure(officers: int, runs: int = 3) -> tuple[float, float]:
    """(p50, p99) in milliseconds: the median over ``runs`` of each run's percentiles."""
    p50s, p99s = [], []
    for _ in range(runs):
        values = await once(officers)
        p50s.append(percentile(values, 0.5) * 1000)
        p99s.append(percentile(values, 0.99) * 1000)
    p50s.sort()
    p99s.sort()
    return p50s[len(p50s) // 2], p99s[len(p99s) // 2]
