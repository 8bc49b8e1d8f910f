"""Work in lanes: one lane per key, done in order; different lanes side by side.

Delivery uses one lane per chat. Telegram lets a bot write about 30 messages a second
in all but only about one a second in one chat, so a chat that must wait for its turn
should hold up nobody else's messages (no head-of-line blocking), while the messages
of one chat still go strictly one after another, in the order they were written.

Work can add items while the lanes run (a sent notice's followers, a re-offer): to the
end of a running lane, or as a new lane. An item for which ``last`` is true waits until
every other lane is empty or waiting at such an item too (the officer's "offered to N
workers" counts the offers only once they have all been tried).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class Lanes(Generic[T]):
    """Run ``work`` on every item added, lane by lane; see the module docstring."""

    def __init__(
        self,
        work: Callable[[T], Awaitable[None]],
        *,
        last: Callable[[T], bool] = lambda _item: False,
    ) -> None:
        self._work = work
        self._last = last
        self._queues: dict[Hashable, deque[T]] = {}
        self._group: asyncio.TaskGroup | None = None
        self._busy = 0  # lanes running an item, or about to: not waiting at a last one
        self._quiet = asyncio.Event()  # set when no lane is busy; a new one each time

    async def run(self, items: list[tuple[Hashable, T]]) -> None:
        """Add ``items`` (key, item) and return once every lane is done, including the
        lanes and items added meanwhile. An exception the work lets out stops them all."""
        try:
            async with asyncio.TaskGroup() as group:
                self._group = group
                for key, item in items:
                    self.add(key, item)
        except BaseExceptionGroup as errors:
            raise errors.exceptions[0] from None
        finally:
            self._group = None

    def add(self, key: Hashable, item: T) -> None:
        """Queue ``item`` at the end of ``key``'s lane (only while :meth:`run` runs)."""
        if self._group is None:
            raise RuntimeError("items are added while the lanes run")
        queue = self._queues.get(key)
        if queue is not None:
            queue.append(item)
            return
        self._queues[key] = deque([item])
        self._busy += 1
        self._group.create_task(self._drain(key))

    async def _drain(self, key: Hashable) -> None:
        queue = self._queues[key]
        try:
            while queue:
                if self._last(queue[0]):
                    await self._wait_for_quiet()
                await self._work(queue[0])
                queue.popleft()
        finally:
            del self._queues[key]
            self._busy -= 1
            self._release_if_quiet()

    async def _wait_for_quiet(self) -> None:
        quiet = self._quiet
        self._busy -= 1
        self._release_if_quiet()
        try:
            await quiet.wait()
        finally:
            self._busy += 1

    def _release_if_quiet(self) -> None:
        if self._busy == 0:
            self._quiet.set()  # wakes every lane waiting at a last item
            self._quiet = asyncio.Event()
