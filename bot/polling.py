"""Long polling that confirms an update to Telegram only after it was handled.

Telegram forgets an update once ``getUpdates`` is called with a higher offset. PTB's
own poller asks for the next batch while the last one is still being handled, so a
crash can lose an update that Telegram already considers delivered — an officer's
Submit among them. Here the next offset is sent only after every update of the batch
has been handled: after a crash Telegram hands the unconfirmed ones over again, and the
handlers take them safely (see :mod:`bot.services.intake`).

Within a batch each chat's updates run in order; different chats run side by side.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Sequence

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, TelegramError

from bot.stopping import Stopped, start_up_call
from handlers.context import BotApp

log = logging.getLogger("referral_bot.polling")

POLL_SECONDS = 30  # how long one getUpdates waits for something to happen
MAX_PAUSE = 30.0  # the longest wait between tries when Telegram cannot be reached
UPDATE_LIMIT = 120.0  # seconds one update may take before it is stopped (its work rolls back)


async def serve(
    app: BotApp,
    stop: asyncio.Event,
    allowed_updates: Sequence[str],
    *,
    base_url: str = "",
    ready: asyncio.Event | None = None,
) -> None:
    """Fetch, handle, then confirm, until ``stop`` is set (the current batch finishes).

    A bot with a webhook set gets no updates by polling, so the webhook is deleted first;
    a stop asked for meanwhile ends this at once, and no answer after the tries is
    :class:`~bot.stopping.NoAnswer` (see :mod:`bot.stopping`). ``ready`` is set once
    the webhook is out of the way and polling begins."""
    try:
        await start_up_call(
            app.bot.delete_webhook(), stop, method="deleteWebhook", base_url=base_url
        )
    except Stopped:
        return
    if ready is not None:
        ready.set()
    offset: int | None = None
    failures = 0
    while not stop.is_set():
        fetch = asyncio.ensure_future(
            app.bot.get_updates(
                offset=offset, timeout=POLL_SECONDS, allowed_updates=list(allowed_updates)
            )
        )
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not fetch.done():
            fetch.cancel()
            break
        try:
            updates = fetch.result()
        except InvalidToken:
            raise
        except (NetworkError, Conflict, TelegramError) as exc:
            failures += 1
            pause = min(MAX_PAUSE, 0.5 * 2**failures)
            log.warning("getUpdates failed (%s); trying again in %.0f s", exc, pause)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), pause)
            continue
        failures = 0
        if updates:
            await handle(app, updates)
            offset = updates[-1].update_id + 1  # confirmed with the next call, not before
    if offset is not None:
        # Confirm the last batch now, so a restart does not hand it over again.
        try:
            await app.bot.get_updates(offset=offset, timeout=0, limit=1)
        except TelegramError as exc:
            log.info("could not confirm the last updates before stopping: %s", exc)


async def handle(app: BotApp, updates: Sequence[Update]) -> None:
    """Each chat's updates in order; chats side by side."""
    by_chat: dict[int | None, list[Update]] = defaultdict(list)
    for update in updates:
        chat = update.effective_chat
        by_chat[chat.id if chat else None].append(update)

    async def one_chat(batch: list[Update]) -> None:
        for update in batch:
            try:
                await asyncio.wait_for(app.process_update(update), UPDATE_LIMIT)
            except TimeoutError:  # a hung handler must not stop everyone's updates
                log.error(
                    "update %s took over %.0f s and was stopped", update.update_id, UPDATE_LIMIT
                )

    await asyncio.gather(*(one_chat(batch) for batch in by_chat.values()))
