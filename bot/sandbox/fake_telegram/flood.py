"""Telegram's flood limits as the fake keeps them: 429 with ``retry_after`` beyond them.

Opt-in (:meth:`bot.sandbox.fake_telegram.FakeTelegram.enforce_limits`); the model is
spelled out in :class:`FloodLimits`, and :class:`bot.telegram_link.ChatRateLimiter`
keeps the same one on the bot's side.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class FloodLimits:
    """Telegram's flood limits as the fake keeps them (opt-in: :meth:`FakeTelegram.enforce_limits`).

    Telegram documents them loosely: "no more than about 30 messages per second" to
    different chats, "no more than 20 messages per minute" in one group, and in one chat
    "avoid sending more than one message per second; short bursts may be allowed, but
    eventually you will get 429". The fake reads each the strict way, so a bot that keeps
    these keeps the real ones:

    * **overall**: at most ``per_second`` calls in *any* 1-second window (a sliding
      window: 30 at once, then the 31st only a full second after the first);
    * **group chat** (negative id): at most ``group_per_minute`` in any 60-second window;
    * **private chat** (positive id): a token bucket of ``private_burst`` tokens, one back
      every ``private_every`` seconds (a burst of three, then one a second). In GCRA terms:
      a call at ``t`` is allowed when ``t >= tat - (burst - 1) * every``, and then
      ``tat = max(tat, t) + every`` (``tat`` starts at the first call's time).

    What counts: each call of a method in :data:`.server.NOTIFYING_METHODS` that names a chat,
    at the moment it reaches the fake, once it passes these limits (whether it then
    succeeds or is refused for another reason). Calls refused with 429 do not count, and
    neither do injected faults that never reached the server ("lost", "bad_gateway",
    "flood"). Beyond a limit the call is answered ``429 Too Many Requests: retry after N``
    with ``parameters.retry_after = N``: the whole seconds until it would be allowed
    (at least 1). :class:`bot.telegram_link.ChatRateLimiter` keeps the same model.
    """

    per_second: int = 30
    group_per_minute: int = 20
    private_burst: int = 3
    private_every: float = 1.0


class _FloodControl:
    """The bookkeeping behind :class:`FloodLimits`, on a monotonic clock in seconds."""

    def __init__(self, limits: FloodLimits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self._clock = clock
        self._overall: deque[float] = deque()  # times of the calls in the last second
        self._groups: dict[int, deque[float]] = {}  # per group: calls in the last minute
        self._tat: dict[int, float] = {}  # per private chat: theoretical arrival time

    def admit(self, chat_id: int) -> tuple[str, float] | None:
        """Count the call now, or say which limit refuses it and for how long."""
        now, limits = self._clock(), self.limits
        waits: list[tuple[float, str]] = []
        _expire(self._overall, now - 1.0)
        if len(self._overall) >= limits.per_second:
            waits.append((self._overall[0] + 1.0 - now, "overall"))
        if chat_id < 0:
            window = self._groups.setdefault(chat_id, deque())
            _expire(window, now - 60.0)
            if len(window) >= limits.group_per_minute:
                waits.append((window[0] + 60.0 - now, "group"))
        else:
            tat = self._tat.get(chat_id, now)
            allowed_from = tat - (limits.private_burst - 1) * limits.private_every
            if now < allowed_from:
                waits.append((allowed_from - now, "private"))
        if waits:
            wait, limit = max(waits)
            return limit, wait
        self._overall.append(now)
        if chat_id < 0:
            self._groups[chat_id].append(now)
        else:
            self._tat[chat_id] = max(self._tat.get(chat_id, now), now) + limits.private_every
        return None


def _expire(window: deque[float], before: float) -> None:
    """Drop the times at or before ``before``: a window is the half-open (now - W, now]."""
    while window and window[0] <= before:
        window.popleft()
