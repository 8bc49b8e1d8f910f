"""A whole deployment in one process: the real Application, a fake Telegram, phones.

A :class:`World` is one deployment: config file, database, clock and Telegram. Tests,
benchmarks and the demo make invites with the real command line and act through
people's phones; :func:`world` again on the same config file is a restart.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bot import cli
from bot.app import PAGE_SENDER, build_application, running
from bot.clock import FakeClock
from bot.config import load_config
from bot.paging.sender import PageSender
from bot.sandbox import FakeTelegram, Phone
from bot.services import Services
from bot.telegram_link import ChatRateLimiter
from handlers.context import BotApp
from handlers.sender import SENDER, Sender

# The place the demo, the crash harness and the benchmarks play in: one station and the
# social work team that covers it (appended to each one's own settings).
ONE_STATION = """
[[stations]]
id = "tianping"
name_zh = "天平路派出所"
name_zh_hant = "天平路警署"
name_en = "Tianping Road Station"

[[teams]]
id = "xuhui-sw"
name_zh = "徐汇区社工站"
name_zh_hant = "徐匯區社工隊"
name_en = "Xuhui Social Work Station"
stations = ["tianping"]
"""


@dataclass
class World:
    app: BotApp
    telegram: FakeTelegram
    clock: FakeClock
    config_path: Path

    @property
    def services(self) -> Services:
        services = self.app.bot_data["services"]
        assert isinstance(services, Services)
        return services

    @property
    def sender(self) -> Sender:
        sender = self.app.bot_data[SENDER]
        assert isinstance(sender, Sender)
        return sender

    @property
    def pager(self) -> PageSender | None:
        """The page sender, when the config has a ``[paging]`` channel."""
        pager = self.app.bot_data.get(PAGE_SENDER)
        return pager if isinstance(pager, PageSender) else None

    async def settle(self) -> None:
        """Let the bot send everything due now (after a job's tick, say): its messages,
        and its pages when paging is configured."""
        await self.sender.settle()
        if self.pager is not None:
            await self.pager.settle()

    def phone(self, user_id: int, name: str, language: str | None = "en") -> Phone:
        return self.telegram.user(user_id, name, language_code=language)

    async def cli(self, *args: str) -> tuple[int, str, str]:
        """Run ``referral-bot ARGS --config <this deployment>``; (exit code, stdout, stderr)."""
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = await cli.amain([*args, "--config", str(self.config_path)], clock=self.clock)
        return code, out.getvalue(), err.getvalue()

    async def invite(self, *args: str) -> str:
        """An invite made on the command line, as an admin would; returns the code."""
        code, out, err = await self.cli("invite", *args)
        assert code == 0, err
        return next(line.split()[-1] for line in out.splitlines() if line.startswith("code:"))


@asynccontextmanager
async def world(
    config_path: Path,
    *,
    clock: FakeClock | None = None,
    telegram: FakeTelegram | None = None,
    rate_limiter: ChatRateLimiter | None = None,
    background: bool = False,
) -> AsyncIterator[World]:
    """Start the bot on ``config_path``'s database; the same arguments again is a restart.
    Without ``rate_limiter`` the bot sends as fast as it can (the fake keeps no limits
    unless told to).

    Without ``background`` a person's action returns once everything it caused was sent
    (the sender settles after each update), and a job's tick is followed by
    :meth:`World.settle`; with it the sender runs in its own task, as in production, and
    actions return as soon as the bot has answered the person."""
    clock = clock or FakeClock()
    telegram = telegram or FakeTelegram(clock=clock.now)
    app = build_application(
        load_config(config_path),
        clock=clock,
        request=telegram.request,
        rate_limit=rate_limiter is not None,
        pause=clock.sleep,
        rate_limiter=rate_limiter,
    )
    telegram.attach(app)
    async with running(app, background=background):
        w = World(app, telegram, clock, config_path)
        telegram.after_update = None if background else w.settle
        try:
            yield w
        finally:
            telegram.after_update = None
