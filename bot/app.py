"""Wiring: the PTB Application, its handlers, and the services behind them.

The database is opened in ``post_init`` (inside the loop PTB runs) and closed in
``post_shutdown``. Tests, benchmarks and the demo use :func:`running`, which does the
same around an application driven by ``process_update`` instead of polling.

``referral-bot run`` opens the database itself before anything else (its checks fail
with one clear line) and hands it over with ``services``; it publishes the command
menus beside the running application, so the escalation engine's first round does not
wait for those Telegram calls (see :func:`running`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import cast

import httpx
from httpx import create_ssl_context
from telegram.constants import ParseMode
from telegram.ext import ApplicationBuilder, ContextTypes, Defaults
from telegram.request import BaseRequest, HTTPXRequest

import handlers
from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.domain.paging import ContactMethod, Page
from bot.heartbeat import Heartbeat
from bot.paging.gateway import Gateway
from bot.paging.sender import PageSender
from bot.paging.twilio import Twilio
from bot.services import Services, open_database, outbox
from bot.services import paging as paging_service
from bot.systemd import Notifier
from bot.telegram_link import ChatRateLimiter, RetryingRequest
from handlers import jobs
from handlers.commands import refresh_menus
from handlers.context import BotApp, BotContext
from handlers.paging import names as page_names
from handlers.sender import SENDER, Sender

PAGE_SENDER = "page_sender"  # its key in bot_data, when [paging] has a channel


def page_sender(services: Services) -> PageSender:
    """The page sender for ``[paging]``: Twilio and/or the gateway, as configured, over
    one HTTP client of its own (closed with :meth:`PageSender.close`)."""
    paging = services.config.paging
    http = httpx.AsyncClient(verify=create_ssl_context())
    twilio = gateway = None
    if paging.twilio:
        assert paging.account_sid and paging.auth_token and paging.from_number
        twilio = Twilio(
            http,
            base_url=paging.base_url,
            account_sid=paging.account_sid,
            auth_token=paging.auth_token.get_secret_value(),
            from_number=paging.from_number,
            timeout=paging.timeout_seconds,
        )
    if paging.webhook:
        assert paging.webhook_url and paging.webhook_secret
        gateway = Gateway(
            http,
            url=paging.webhook_url,
            secret=paging.webhook_secret.get_secret_value(),
            timeout=paging.timeout_seconds,
        )

    async def refused(page: Page, method: ContactMethod) -> None:
        await paging_service.contact_refused(services, page, method)

    async def misconfigured(provider: str, code: str) -> None:
        await paging_service.provider_misconfigured(services, provider, code)

    return PageSender(
        services,
        names=page_names(services.config),
        twilio=twilio,
        gateway=gateway,
        on_refused=refused,
        on_misconfigured=misconfigured,
        http=http,
    )


PLACEHOLDER_TOKEN = "0:no-token-sandbox"  # noqa: S105 - used only with the fake Bot API


def build_application(
    config: Config,
    *,
    clock: Clock | None = None,
    request: BaseRequest | None = None,
    rate_limit: bool = True,
    pause: Callable[[float], Awaitable[None]] = asyncio.sleep,
    rate_limiter: ChatRateLimiter | None = None,
    services: Services | None = None,
) -> BotApp:
    """The application for ``config``; ``request`` replaces the network (fake Bot API).

    Every call but ``getUpdates`` (PTB's poller has its own retry loop) goes through
    :class:`~bot.telegram_link.RetryingRequest`; ``pause`` is how it waits between tries
    (a fake clock's ``sleep`` with the in-process fake, so no test waits for real);
    ``rate_limiter`` replaces the default :class:`ChatRateLimiter` (one on virtual time).
    ``services`` are already open (else they are opened at start-up)."""
    token = config.telegram.token.get_secret_value() if config.telegram.token else None
    builder = (
        ApplicationBuilder()
        .token(token or PLACEHOLDER_TOKEN)
        .base_url(config.telegram.base_url)
        .context_types(ContextTypes(context=BotContext))
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if request is None:
        # One TLS context for both connection pools (PTB would load the CA bundle for
        # each, a noticeable part of the start-up time).
        tls = {"verify": create_ssl_context()}
        outgoing: BaseRequest = HTTPXRequest(connection_pool_size=32, httpx_kwargs=tls)
        polling: BaseRequest = HTTPXRequest(connection_pool_size=1, httpx_kwargs=tls)
    else:
        outgoing = polling = request
    builder = builder.get_updates_request(polling)
    builder = builder.request(RetryingRequest(outgoing, pause=pause))
    if rate_limit:
        builder = builder.rate_limiter(rate_limiter or ChatRateLimiter())
    app = cast(BotApp, builder.build())
    app.bot_data["config"] = config
    app.bot_data["clock"] = clock or SystemClock()
    if services is not None:
        app.bot_data["services"] = services
    handlers.register(app)
    return app


async def _post_init(app: BotApp, *, menus: bool = True) -> None:
    services = app.bot_data.get("services")
    if not isinstance(services, Services):
        config = cast(Config, app.bot_data["config"])
        db = await open_database(config)
        services = Services(config=config, db=db, clock=app.bot_data["clock"])
        app.bot_data["services"] = services
    app.bot_data["started_at"] = services.clock.now()  # for /status
    await outbox.release(services)  # what the last run left claimed is due again now
    app.bot_data[SENDER] = Sender(app, services)
    if services.config.paging.enabled:
        app.bot_data[PAGE_SENDER] = page_sender(services)
    app.bot_data[jobs.NOTIFIER] = Notifier.from_environment(services.clock)
    health = services.config.health
    if health.heartbeat_url:
        every = timedelta(seconds=health.heartbeat_every)
        app.bot_data[jobs.HEARTBEAT] = Heartbeat(health.heartbeat_url, every, services.clock)
    jobs.schedule(app)
    if menus:
        await refresh_menus(app.bot, services)


def publish_menus_soon(app: BotApp) -> asyncio.Task[None]:
    """Publish the command menus in a task beside the running application (``app.stop()``
    waits for it), for callers of ``running(app, menus=False)`` once ``app.start()``;
    the task is returned so that a stop need not wait for a Telegram that hangs."""
    services = cast(Services, app.bot_data["services"])
    return app.create_task(refresh_menus(app.bot, services), name="menus")


async def _post_shutdown(app: BotApp) -> None:
    """Close the database; what this run left unsent is first handed over (due now),
    so a planned stop leaves no notice waiting out a sender's lease."""
    sender = app.bot_data.pop(SENDER, None)
    if isinstance(sender, Sender):
        await sender.stop()  # the sends under way finish; the rest waits in the outbox
    pager = app.bot_data.pop(PAGE_SENDER, None)
    if isinstance(pager, PageSender):
        await pager.stop()
        await pager.close()
    heartbeat = app.bot_data.pop(jobs.HEARTBEAT, None)
    if isinstance(heartbeat, Heartbeat):
        await heartbeat.close()  # the ping under way, within its short timeout
    services = app.bot_data.pop("services", None)
    if isinstance(services, Services):
        try:
            await outbox.release(services)
        finally:
            await services.db.close()


@asynccontextmanager
async def running(
    app: BotApp, *, menus: bool = True, background: bool = False
) -> AsyncIterator[BotApp]:
    """Initialise, open the database and shut down again, without polling Telegram.

    ``menus=False`` leaves publishing the command menus to the caller (see
    :func:`publish_menus_soon`), so the engine need not wait for those calls.
    ``background``: the sender sends in a task of its own, as the running bot does;
    without, nothing is sent until someone calls its ``settle`` (tests, the sandbox)."""
    async with app:
        await _post_init(app, menus=menus)
        if background:
            cast(Sender, app.bot_data[SENDER]).start()
            pager = app.bot_data.get(PAGE_SENDER)
            if isinstance(pager, PageSender):
                pager.start()
        try:
            yield app
        finally:
            await _post_shutdown(app)
