"""What an administrator needs to know at a glance: is the bot alive and keeping up?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.people import Person
from bot.services import Services, page_trail
from bot.services.page_trail import PagingHealth
from storage import outbox, people


@dataclass(frozen=True)
class Health:
    started_at: datetime
    last_tick: datetime | None  # the escalation engine's last round
    waiting: int  # notices not sent yet
    oldest_waiting: datetime | None
    given_up: int  # notices given up in the last day (people who blocked the bot)
    unreachable: list[Person]
    database_bytes: int
    paging: PagingHealth


async def check(services: Services, started_at: datetime, last_tick: datetime | None) -> Health:
    now = services.clock.now()
    depth = await outbox.depth(services.db.reader, now - timedelta(days=1))
    path = services.config.database.path
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())
    return Health(
        started_at=started_at,
        last_tick=last_tick,
        waiting=depth.waiting,
        oldest_waiting=depth.oldest,
        given_up=depth.given_up,
        unreachable=await people.unreachable(services.db.reader),
        database_bytes=size,
        paging=await page_trail.health(services),
    )
