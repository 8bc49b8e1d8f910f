"""How often someone who is not enrolled is answered: once a :data:`WINDOW`, not per message.

Every answer is a message the bot sends, under Telegram's limit of about one a second per
chat and thirty a second in all; a stranger writing 30 messages used to be answered 30
times, and five such strangers writing in turn held up an enrolled officer's answer by
29 s of per-chat waits (1 s now: tests/test_guard.py). The answer a stranger gets never
changes (who the bot is for and how to be invited), so once is enough: it stays in their
chat to read again, and messages after it within the window cost no Telegram call at all.
After the window the next message is answered again, so somebody who comes back later, or
missed the answer, is not met with silence for ever.

The memory is in the process and bounded (many made-up ids must not grow it): entries
older than the window are forgotten as time passes, and at most :data:`CAPACITY` are kept,
the oldest dropped first. A restart forgets everything, which costs at most one more
answer per stranger; a forgotten entry likewise.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta

# Long enough that a flood, or somebody trying every command, is answered once; short
# enough that somebody who writes again later (after asking for an invite, say) is
# answered again and does not think the bot is broken.
WINDOW = timedelta(minutes=5)
# More ids than the bot can answer in a window at Telegram's overall 30 messages a second
# (9,000 in five minutes), so the cap only bites when the answers could not have gone out
# anyway; each entry is a few hundred bytes, a few MB at most.
CAPACITY = 10_000


class OnceAWindow:
    """Who was answered when: each id at most once a window, in bounded memory."""

    def __init__(self, window: timedelta = WINDOW, capacity: int = CAPACITY) -> None:
        self._window, self._capacity = window, capacity
        self._answered: OrderedDict[int, datetime] = OrderedDict()  # oldest answer first

    def should_answer(self, who: int, now: datetime) -> bool:
        """Whether to answer ``who`` now; if so, they count as answered from ``now`` on."""
        self._forget_expired(now)
        if self.answered_lately(who, now):
            return False
        self._answered[who] = now
        self._answered.move_to_end(who)
        while len(self._answered) > self._capacity:
            self._answered.popitem(last=False)
        return True

    def answered_lately(self, who: int, now: datetime) -> bool:
        """Whether ``who`` was answered within the window (and so is not answered now)."""
        at = self._answered.get(who)
        return at is not None and self._silent(at, now)

    def forget(self, who: int) -> None:
        """``who`` is no stranger any more (enrolled): answer them as the bot answers anyone."""
        self._answered.pop(who, None)

    def __len__(self) -> int:
        """How many ids are remembered."""
        return len(self._answered)

    def _silent(self, at: datetime, now: datetime) -> bool:
        # A clock set back (never the case for the bot's UTC clock, but cheap to survive)
        # ends the silence rather than stretching it beyond the window.
        return at <= now < at + self._window

    def _forget_expired(self, now: datetime) -> None:
        while self._answered:
            oldest, at = next(iter(self._answered.items()))
            if self._silent(at, now):
                return
            del self._answered[oldest]
