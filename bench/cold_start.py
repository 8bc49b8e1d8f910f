"""5. Cold start and memory: the bot as a process on a database with 100,000 historic
referrals and 10,000 open ones with timers pending. Seconds from process start to the
engine's first round, and the process's peak resident memory."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import CONFIG
from bot.config import load_config
from bot.sandbox.fake_telegram import FakeTelegram
from bot.sandbox.http import BotApiServer
from bot.services import open_database
from storage.timefmt import to_db

HISTORIC, OPEN = 100_000, 10_000


async def _fill(config_path: Path, historic: int, open_: int) -> None:
    """Rows as years of use leave them (bench-only SQL: the fastest way to have them)."""
    config = load_config(config_path)
    db = await open_database(config)
    try:
        async with db.write() as tx:
            await tx.execute(
                "INSERT INTO people (telegram_id, display_name, language, created_at,"
                " updated_at) VALUES (101, 'Officer', 'en', '2020', '2020')"
            )
            now = to_db(datetime.now(UTC))
            later = to_db(datetime.now(UTC) + timedelta(hours=1))
            rows = [
                (
                    f"R-{number:07d}",
                    "closed" if number < historic else "offered",
                    now,
                    None if number < historic else later,
                )
                for number in range(historic + open_)
            ]
            await tx.executemany(
                "INSERT INTO referrals (ref, station_id, officer_id, category, urgency, status,"
                " created_at, updated_at, next_action_at) VALUES"
                " (?, 'tianping', 1, 'family_dispute', 'urgent', ?, ?, ?, ?)",
                [(ref, status, at, at, due) for ref, status, at, due in rows],
            )
    finally:
        await db.close()


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def once(historic: int = HISTORIC, open_: int = OPEN) -> tuple[float, float]:
    """(seconds to the first engine round, peak RSS in MB)."""
    with tempfile.TemporaryDirectory(prefix="referral-bench-") as folder:
        config_path = Path(folder) / "config.toml"
        config_path.write_text(CONFIG, encoding="utf-8")
        await _fill(config_path, historic, open_)
        server = BotApiServer(FakeTelegram())
        await server.start()
        env = {k: v for k, v in os.environ.items() if not k.startswith("REFERRAL_BOT_")}
        env["REFERRAL_BOT_TELEGRAM__TOKEN"] = "1:bench"  # noqa: S105 - the fake's
        env["REFERRAL_BOT_TELEGRAM__BASE_URL"] = server.base_url
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "--debug",
            "run",
            "--config",
            str(config_path),
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            assert process.stderr is not None
            while line := await asyncio.wait_for(process.stderr.readline(), 60):
                if b"escalation round:" in line:
                    break
            ready = time.perf_counter() - started
            peak = _peak_rss_mb(process.pid)
        finally:
            process.kill()
            await process.wait()
            await server.close()
    return ready, peak


async def measure(runs: int = 3) -> tuple[float, float]:
    results = [await once() for _ in range(runs)]
    seconds = sorted(r[0] for r in results)[runs // 2]
    memory = sorted(r[1] for r in results)[runs // 2]
    return seconds, memory
