"""Updates Telegram hands over again after a crash are not applied twice.

The bot confirms updates to Telegram only after handling them (see bot/polling.py), so
a crash can mean the same updates arrive again. Button taps are safe to handle again:
each is checked against the state the tapped card showed (first accept wins, a step
is marked once, Submit files a draft once). A typed message is not: the same words
would answer the next question. So a chat's messages are taken in order, once; a
message seen before is dropped (the person, if it was lost mid-way, just types it
again: nothing they had entered before it is lost).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.services import Services
from storage import intake

REMEMBER = timedelta(days=1)  # replays come within minutes of a restart


async def first_sight(services: Services, chat_id: int, message_id: int, sent_at: datetime) -> bool:
    """True the first time this message of this chat is seen, False on a replay.

    One statement on the writer (a single INSERT is atomic and durable by itself): this
    runs before every typed message, and a transaction around it cost three more trips
    to the database thread under the write lock that every other write waits for."""
    async with services.db.statement() as conn:
        return await intake.take(conn, chat_id, message_id, sent_at, services.clock.now())


async def forget_old(services: Services) -> int:
    """Forget the messages taken more than :data:`REMEMBER` ago (a periodic clean-up:
    a replay comes within minutes of a restart); how many."""
    async with services.db.statement() as conn:
        return await intake.forget_seen_before(conn, services.clock.now() - REMEMBER)
