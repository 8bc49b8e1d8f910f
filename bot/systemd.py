"""Telling systemd how the bot is (``Type=notify``), so a hung bot is restarted.

systemd starts the bot with ``NOTIFY_SOCKET`` set (and ``WATCHDOG_USEC`` when the unit
has ``WatchdogSec=``). The bot says ``READY=1`` once it takes updates (until then
systemd holds units ordered after it), ``WATCHDOG=1`` after each completed escalation
round (a round that hangs sends none, and after ``WatchdogSec`` systemd kills and, with
``Restart=on-failure``, restarts the bot), ``STOPPING=1`` when it begins to stop, and a
``STATUS=`` line that ``systemctl status`` shows.

The protocol is one datagram of ``KEY=value`` lines to a unix socket, whose name starts
with ``@`` for the abstract namespace (sd_notify(3)); written here rather than adding a
dependency. Without ``NOTIFY_SOCKET`` every call does nothing. A message that cannot be
sent is logged once: a bot that runs is worth more than a note to systemd.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping
from datetime import datetime, timedelta

from bot.clock import Clock, real_wait

log = logging.getLogger("referral_bot.systemd")


class Notifier:
    """sd_notify for this process; see the module's docstring."""

    def __init__(self, address: str | None, watchdog: timedelta | None, clock: Clock) -> None:
        self.address = address or None
        self.watchdog = watchdog  # WatchdogSec; pinged at most every half of it
        self._clock = clock
        self._last_watchdog: datetime | None = None
        self._warned = False

    @classmethod
    def from_environment(cls, clock: Clock, environ: Mapping[str, str] = os.environ) -> Notifier:
        usec = environ.get("WATCHDOG_USEC", "")
        pid = environ.get("WATCHDOG_PID", "")
        mine = not pid or pid == str(os.getpid())  # set for another process: not ours
        watchdog = timedelta(microseconds=int(usec)) if usec.isdigit() and mine else None
        return cls(environ.get("NOTIFY_SOCKET"), watchdog, clock)

    @property
    def active(self) -> bool:
        return self.address is not None

    def notify(self, *fields: str) -> None:
        """Send ``fields`` (``KEY=value``) as one message; nothing without a socket."""
        if self.address is None:
            return
        address = "\0" + self.address[1:] if self.address.startswith("@") else self.address
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.connect(address)
                sock.sendall("\n".join(fields).encode())
        except OSError as exc:
            if not self._warned:
                self._warned = True
                log.warning("cannot tell systemd (%s): %s", self.address, exc)

    def ready(self, status: str) -> None:
        self.notify("READY=1", f"STATUS={status}")

    def status(self, status: str) -> None:
        self.notify(f"STATUS={status}")

    def alive(self) -> None:
        """A round completed: the watchdog's ping, at most every half of its time."""
        if self.watchdog is None or self.address is None:
            return
        now = self._clock.now()
        last = self._last_watchdog
        if last is not None and real_wait(self._clock, now - last) < self.watchdog / 2:
            return
        self._last_watchdog = now
        self.notify("WATCHDOG=1")

    def stopping(self) -> None:
        self.notify("STOPPING=1", "STATUS=stopping")
