"""Work in lanes: one lane per key, done in order; different lanes side by side.

Delivery uses one lane per chat. Telegram lets a bot write about 30 messages a second
in all but only about one a second in one chat, so a chat that must wait for its turn
should hold up nobody else's messages (no head-of-line blocking), while the messages
of one chat still go strictly one after another, in the order they were written.

Work can add items while the lanes run (a sent notice's followers, a re-offer): to the
end of a running lane, or as a new lane. An item waits, at the head of its lane, while
another lane still holds an item it ``waits_for`` (the officer's "offered to N workers"
counts that referral's offers only once they have all been tried). It waits for those
only: not for the rest of a worker's backlog that a lane took on meanwhile.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from typing import Generic, TypeVar

T = TypeVar("T")


class Lanes(Generic[T]):
    """Run ``work`` on every item added, lane by lane; see the module docstring."""

    def __init__(
        self,
        work: Callable[[T], Awaitable[None]],
        *,
        waits_for: Callable[[T, T], bool] = lambda _item, _other: False,
    ) -> None:
        self._work = work
        self._waits_for = waits_for
        self._queues: dict[Hashable, deque[T]] = {}
        self._group: asyncio.TaskGroup | None = None
        self._changed = asyncio.Event()  # set when an item is done; a new one each time
        self._closing = False

    @asynccontextmanager
    async def open(self) -> AsyncIterator[None]:
        """Lanes can be added while this is open; on leaving, wait for every lane to end
        (after its current item if :meth:`close` was called, else when it is empty). An
        exception the work lets out stops them all."""
        self._closing = False
        try:
            async with asyncio.TaskGroup() as group:
                self._group = group
                yield
        except BaseExceptionGroup as errors:
            raise errors.exceptions[0] from None
        finally:
            self._group = None

    async def run(self, items: list[tuple[Hashable, T]]) -> None:
        """Add ``items`` (key, item) and return once every lane is done, including the
        lanes and items added meanwhile."""
        async with self.open():
            for key, item in items:
                self.add(key, item)

    def close(self) -> None:
        """Each lane stops after the item it is working on; what is queued is dropped
        (the caller keeps it elsewhere: the outbox)."""
        self._closing = True
        self._done()

    @property
    def busy(self) -> bool:
        return bool(self._queues)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._queues

    def waiting(self, key: Hashable) -> int:
        """How many items of ``key``'s lane wait behind the one being worked on."""
        queue = self._queues.get(key)
        return len(queue) - 1 if queue else 0

    async def quiet(self) -> None:
        """Return once no lane holds anything."""
        while self._queues:
            await self._changed.wait()

    def add(self, key: Hashable, item: T) -> None:
        """Queue ``item`` at the end of ``key``'s lane (only while :meth:`run` runs)."""
        if self._group is None:
            raise RuntimeError("items are added while the lanes run")
        queue = self._queues.get(key)
        if queue is not None:
            queue.append(item)
            return
        self._queues[key] = deque([item])
        self._group.create_task(self._drain(key))

    async def _drain(self, key: Hashable) -> None:
        queue = self._queues[key]
        try:
            while queue and not self._closing:
                while self._held(key, queue[0]) and not self._closing:
                    await self._changed.wait()
                if self._closing:
                    break
                await self._work(queue[0])
                queue.popleft()
                self._done()
        finally:
            del self._queues[key]
            self._done()

    def _held(self, key: Hashable, item: T) -> bool:
        """Whether another lane still holds something ``item`` waits for (its own lane's
        items are behind it: waiting for them would wait forever)."""
        return any(
            self._waits_for(item, other)
            for lane, queue in self._queues.items()
            if lane != key
            for other in queue
        )

    def _done(self) -> None:
        self._changed.set()  # every waiting lane looks again
        self._changed = asyncio.Event()
