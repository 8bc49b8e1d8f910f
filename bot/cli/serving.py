"""Serving the bot (``run``): the clock it runs on, the database's lock, start-up that
SIGTERM and Ctrl+C can interrupt, and taking updates until stopped."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from telegram import Update
from telegram.error import InvalidToken, NetworkError

from bot.cli.common import EXIT_INVALID, CliError, _config, _services
from bot.clock import Clock, SystemClock, WarpedClock
from bot.config import Config
from bot.stopping import NoAnswer, Stopped, unless_stopped
from bot.systemd import Notifier
from storage import lock

if TYPE_CHECKING:
    from handlers.context import BotApp

log = logging.getLogger("bot.cli")  # the logger name its lines had before the split


def _run_clock(args: argparse.Namespace) -> Clock:
    """The bot's clock: the wall clock, or for demos and crash tests a warped one.

    ``--start-at`` names the bot time to start from (local time in the config's zone),
    so a demo can begin just before midnight whatever the hour; with ``--time-origin``
    too, that bot time belongs to that real moment, so a restarted process agrees with
    the one that was killed."""
    if args.time_warp is None and args.start_at is None:
        if args.time_origin is not None:
            raise CliError("--time-origin needs --time-warp or --start-at", EXIT_INVALID)
        return SystemClock()
    origin = args.time_origin if args.time_origin is not None else datetime.now(UTC).timestamp()
    real_origin = datetime.fromtimestamp(origin, UTC)
    start = None
    if args.start_at is not None:
        zone = _config(args.config).zone
        try:
            start = datetime.strptime(args.start_at, "%Y-%m-%d %H:%M").replace(tzinfo=zone)
        except ValueError:
            raise CliError(
                f"--start-at {args.start_at!r}: give local time as 'YYYY-MM-DD HH:MM'",
                EXIT_INVALID,
            ) from None
    try:
        return WarpedClock(real_origin, args.time_warp or 1.0, start=start)
    except ValueError as exc:
        raise CliError(f"--time-warp: {exc}", EXIT_INVALID) from None


def _run(config_path: Path, clock: Clock, *, webhook: bool = False) -> int:
    config = _config(config_path)
    if config.telegram.token is None or not config.telegram.token.get_secret_value():
        raise CliError(
            "no bot token: set REFERRAL_BOT_TELEGRAM__TOKEN (from @BotFather), "
            "or telegram.token in the config file"
        )
    if webhook:
        from bot.webhook import WebhookError, check

        secret = config.telegram.webhook_secret
        try:
            check(config.telegram.webhook_url, secret.get_secret_value() if secret else None)
        except WebhookError as exc:
            raise CliError(str(exc), EXIT_INVALID) from None

    with _only_one(config):
        asyncio.run(_start_and_serve(config, clock, webhook=webhook))
        log.info("stopped")
    return 0


async def _start_and_serve(config: Config, clock: Clock, *, webhook: bool) -> None:
    """Start-up in one event loop: open the database once (key, schema version and the
    config's directory are checked there), check the token with the application's own
    ``getMe``, then serve. Each expected failure is one clear line before PTB's own
    start-up could log a traceback.

    SIGTERM and Ctrl+C are listened to from the start: while Telegram does not answer a
    start-up call, a stop request ends the process at once (see :mod:`bot.stopping`)."""
    with _stop_on_signals() as stop:
        await _start_and_serve_until(stop, config, clock, webhook=webhook)


async def _start_and_serve_until(
    stop: asyncio.Event, config: Config, clock: Clock, *, webhook: bool
) -> None:
    from bot.app import build_application  # the heavy import only when running

    services = await _services(config, clock, sync=True)
    handed_over = False
    try:
        if not config.privacy.keys():  # asked after opening: the first start makes the key
            log.warning("no key for personal data: it is stored in clear (set privacy.key_file)")
        app = build_application(config, clock=clock, services=services)
        if not await initialize(app, config, stop):
            return
        try:
            await unless_stopped(paging_check(config), stop)
        except Stopped:
            await app.shutdown()
            return
        log.info("starting; stop with Ctrl+C or SIGTERM")
        handed_over = True  # the application closes the database when it shuts down
        try:
            await _serve(app, stop, webhook=webhook)
        except NoAnswer as exc:
            raise CliError(str(exc)) from None
    finally:
        if not handed_over:
            await services.db.close()


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[asyncio.Event]:
    """An event set by SIGTERM or SIGINT, while inside (in the running loop)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for signum in signals:
        loop.add_signal_handler(signum, stop.set)
    try:
        yield stop
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)


async def initialize(app: BotApp, config: Config, stop: asyncio.Event) -> bool:
    """Initialise ``app`` (its ``getMe`` is the token check); False if a stop was asked
    for first. A refused token or no answer is a :class:`CliError`.

    On any failure the bot's HTTP clients are closed here: PTB's own ``shutdown`` does
    nothing for an application whose ``initialize`` did not finish, and would leave
    their connections open."""
    try:
        await unless_stopped(app.initialize(), stop)
    except BaseException as exc:
        await app.bot.shutdown()  # the connection pools PTB opened before getMe
        if isinstance(exc, Stopped):
            return False
        if isinstance(exc, InvalidToken):
            raise CliError("Telegram refused the bot token; check it with @BotFather") from None
        if isinstance(exc, NetworkError):
            raise CliError(f"cannot reach Telegram at {config.telegram.base_url}: {exc}") from None
        raise
    return True


async def paging_check(config: Config) -> None:
    """Twilio asked once for its account (:mod:`bot.paging.probe`, a few seconds at
    most). A problem is one line in the log (on stderr, where the start-up's other
    problems go) and not a reason to stop: Telegram still works, pages wait in the
    outbox and are tried again, but nobody is called or texted until it is fixed, and
    the line says so. Incomplete settings are ``doctor``'s and ``check-config``'s to say."""
    from bot.paging import probe

    paging = config.paging
    if not paging.twilio:
        return
    answer = await probe.twilio(paging, wait=min(probe.TIMEOUT, paging.timeout_seconds))
    if answer.live:
        log.info("paging: Twilio answers (calls and SMS)")
        return
    consequence = (
        "the coordinators are NOT paged by call or SMS until it is fixed; pages wait and"
        " are retried, Telegram works"
        if answer.refused
        else "pages wait and are retried; Telegram works"
    )
    log.error("paging: %s; %s", answer.problem, consequence)


@contextlib.contextmanager
def _only_one(config: Config) -> Iterator[None]:
    """The database's lock, held while the bot runs (see storage/lock.py)."""
    path = config.database.path
    try:
        with lock.exclusive(path):
            yield
    except lock.Held:
        raise CliError(f"another referral-bot is running on {path}; stop it first") from None
    except lock.Unavailable as exc:
        raise CliError(f"cannot open the database at {path}: {exc}") from None


async def _serve(app: BotApp, stop: asyncio.Event, *, webhook: bool) -> None:
    """Open everything, take updates (polling, or the webhook) until ``stop`` is set
    (SIGTERM or Ctrl+C), close everything."""
    from bot import polling
    from bot import webhook as hook
    from bot.app import publish_menus_soon, running
    from handlers import jobs

    config = app.bot_data["config"]
    assert isinstance(config, Config)
    base_url = config.telegram.base_url
    wanted = [Update.MESSAGE, Update.CALLBACK_QUERY]
    async with running(app, menus=False, background=True):
        notifier = app.bot_data[jobs.NOTIFIER]
        assert isinstance(notifier, Notifier)
        notifier.status("starting")
        await app.start()  # the engine's jobs: its first round starts now
        menus = publish_menus_soon(app)  # beside it, not before it
        keypresses = _keypresses(app, stop)
        ready = asyncio.Event()
        mode = "serving the webhook" if webhook else "polling Telegram"
        announce = asyncio.create_task(_when_ready(ready, notifier, f"{mode}; engine running"))
        try:
            if webhook:
                telegram = config.telegram
                secret = telegram.webhook_secret
                await hook.serve(
                    app,
                    stop,
                    wanted,
                    url=telegram.webhook_url or "",
                    secret=secret.get_secret_value() if secret else "",
                    listen=telegram.webhook_listen,
                    port=telegram.webhook_port,
                    ready=ready,
                    base_url=base_url,
                )
            else:
                await polling.serve(app, stop, wanted, base_url=base_url, ready=ready)
        finally:
            announce.cancel()
            notifier.stopping()  # systemd: a stop under way, not a hang
            # Menus Telegram has not answered yet are published at the next start:
            # app.stop() would otherwise wait for all their tries (bot/stopping.py).
            menus.cancel()
            if keypresses is not None:
                await _keypresses_stopped(keypresses)  # stops with ``stop``
            jobs.stop_jobs(app)
            await app.stop()


def _keypresses(app: BotApp, stop: asyncio.Event) -> asyncio.Task[None] | None:
    """Twilio's keypress posts (bot/paging/inbound.py), served on ``[paging]
    listen:port`` beside polling or the webhook, when calls are configured.

    The port is bound here, before the bot reports ready: if it cannot be (another
    process has it), that is one ``ERROR`` line at start-up, like a refused Twilio
    token, and the bot runs on without it (calls still ring; a 1 pressed is not heard,
    "I'm on it" works in Telegram). A crash of the serving task later is logged."""
    from bot.paging import inbound
    from bot.services import Services
    from handlers.paging import names

    services = app.bot_data["services"]
    assert isinstance(services, Services)
    paging = services.config.paging
    if not (paging.twilio and paging.public_url):
        return None
    try:
        endpoint = inbound.Keypresses.bind(services, names(services.config))
    except OSError as exc:
        log.error(
            "paging: cannot take Twilio's keypresses on %s:%s (%s); calls still ring but a"
            ' 1 pressed is not heard until it is fixed: "I\'m on it" works in Telegram',
            paging.listen,
            paging.port,
            exc.strerror or type(exc).__name__,
        )
        return None
    task = asyncio.create_task(endpoint.serve(stop), name="keypresses")
    task.add_done_callback(_keypresses_ended)
    return task


def _keypresses_ended(task: asyncio.Task[None]) -> None:
    """A crash of the keypress server is said when it happens, not at the stop."""
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.error("paging: the keypress server stopped: %s", type(exc).__name__)


async def _keypresses_stopped(task: asyncio.Task[None]) -> None:
    """Wait for the keypress server to close; whatever became of it, the stop goes on
    (its crash was logged when it happened)."""
    await asyncio.wait([task])  # never raises what the task raised


async def _when_ready(ready: asyncio.Event, notifier: Notifier, status: str) -> None:
    """``READY=1`` for systemd once updates are taken (polling, or the webhook set)."""
    await ready.wait()
    notifier.ready(status)
