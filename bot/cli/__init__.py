"""``referral-bot``: run the bot and do the few things an admin needs from a shell.

Every expected failure (no token, unreadable config, unwritable database) is one
readable line on stderr and exit code 2; ``check-config`` exits 1 on an invalid file.

The arguments are in :mod:`bot.cli.parser`, the administrative commands in
:mod:`bot.cli.commands`, serving the bot (``run``) in :mod:`bot.cli.serving`.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Sequence

from bot import logs
from bot.cli.commands import _dispatch, _restore
from bot.cli.common import CliError, _config
from bot.cli.parser import _parser
from bot.cli.serving import _run, _run_clock, _start_and_serve
from bot.clock import Clock, SystemClock

__all__ = ["CliError", "_parser", "_run_clock", "_start_and_serve", "amain", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    level = logging.DEBUG if args.debug else logging.INFO
    if args.command == "demo" and not args.debug:
        level = logging.ERROR  # the transcript is the output
    logs.configure(level, json_lines=args.log_format == "json")
    try:
        if args.command == "run":
            return _run(args.config, _run_clock(args), webhook=args.webhook)
        if args.command == "restore":
            return _restore(_config(args.config), args.source)
        return asyncio.run(_dispatch(args, SystemClock()))
    except CliError as exc:
        print(f"referral-bot: {exc}", file=sys.stderr)
        return exc.code


async def amain(argv: Sequence[str], *, clock: Clock | None = None) -> int:
    """The non-``run`` commands, awaitable (tests call this inside their event loop)."""
    args = _parser().parse_args(argv)
    if args.command in ("run", "restore"):
        raise CliError(f"use main() for {args.command!r}")
    try:
        return await _dispatch(args, clock or SystemClock())
    except CliError as exc:
        print(f"referral-bot: {exc}", file=sys.stderr)
        return exc.code
