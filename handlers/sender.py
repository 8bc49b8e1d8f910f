"""The one sender: everything the bot says to anyone but the person in front of it.

A handler commits its decision and its notices (the outbox rows) in one transaction,
replies to the person who tapped or wrote, and returns; it never waits for Telegram to
carry an offer to a worker or a notice to an officer. The commit rings the bell
(:class:`~bot.services.OutboxBell`) and this sender takes what is due from the outbox:
one lane per chat, each chat's notices in the order they were written, different chats
side by side (:mod:`handlers.lanes`), so a chat waiting for its turn under Telegram's
per-chat limit holds up nobody else. Its calls are :func:`~bot.telegram_link.paced`;
the handlers' replies are not, so a person's own taps are answered at once however long
the sender's backlog (the model is GoAlert's engine: every part updates its rows, then
one message step sends, woken by a trigger).

The engine's rounds, the reminders, the morning handover: all of them only write rows.
Retries come from the same place: a failed send is due again after its backoff (or
the ``retry_after`` Telegram gave), and the sender looks at the outbox again when the
earliest of those falls due, and every :data:`LOOK_EVERY` in any case.

One failed send (a worker who blocked the bot, a Telegram hiccup) must not stop the
others: it is logged with the referral reference, never with personal data. An offer
that cannot reach its worker is closed and the referral offered to the next one. When
Telegram asks for quiet in a chat (429), that chat's notices wait in the outbox until
the time it gave; everyone else's go on.

Notices to the person in front of the bot (the officer's own card saying "Submitted",
the details for the worker who just accepted) are sent by the handler itself through
:func:`reply`, before whatever the sender still has queued for that person: they are
the answer that person is waiting for.

Tests and the sandbox run without the background task and call :meth:`Sender.settle`
after each update, so a phone's action returns once everything it caused was sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from typing import cast

from telegram import Update
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.clock import real_wait
from bot.logs import where
from bot.services import Services, outbox, report_deliveries
from bot.services import offers as offer_service
from bot.services import referrals as referral_service
from bot.services.notices import Notice, NoticeKind
from bot.telegram_link import paced
from handlers.context import BotApp, BotContext
from handlers.lanes import Lanes
from handlers.notify import send_notice

log = logging.getLogger("referral_bot.sender")

LOOK_EVERY = timedelta(seconds=2)  # the outbox is read at least this often (a safety net)
# A person whose update is being handled: notices to them are left to the handler's
# reply() for this long (real seconds), then the sender takes them after all.
IN_FRONT_FOR = 2.0
SENDER = "sender"  # its key in bot_data

Refused = Callable[[Notice, TelegramError], Awaitable[None]]


def _chat(notice: Notice) -> int:
    return notice.recipient.telegram_id


def _counts(notice: Notice, other: Notice) -> bool:
    """The officer's "offered to N workers" waits for that referral's offer cards, not
    for other people's notices a worker's lane took on meanwhile. Only for offers
    written before it (the wave it counts): waiting on a later re-offer could wait in
    a circle (two people who each file and receive offers) and never end."""
    return (
        notice.kind is NoticeKind.FILED
        and other.kind is NoticeKind.OFFER
        and other.referral_id == notice.referral_id
        and (other.outbox_id or 0) < (notice.outbox_id or 0)
    )


class Sender:
    """Sends what the outbox holds; see the module docstring."""

    def __init__(self, app: BotApp, services: Services) -> None:
        self.context = BotContext(app)
        self.services = services
        self.lanes: Lanes[Notice] = Lanes(self._one, waits_for=_counts)
        self.queued: set[int] = set()  # outbox ids in a lane, not yet taken up
        self.quiet: dict[int, datetime] = {}  # chats Telegram asked to wait (429), until
        self._bell = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._settling = asyncio.Lock()  # settles one at a time (the lanes open once)
        self._in_front: dict[int, float] = {}  # Telegram id → when their update began
        services.bell.listen(self._bell.set)

    # -- running -------------------------------------------------------------------------

    def start(self) -> None:
        """Send in the background from now on (the running bot)."""
        if self._task is None:
            self._task = asyncio.create_task(self._serve(), name="sender")

    async def stop(self) -> None:
        """Take nothing more; let the sends under way finish. What is queued stays in the
        outbox (unclaimed: the next run, or the next start, sends it)."""
        self._stopping = True
        self._bell.set()
        self.lanes.close()
        if self._task is not None:
            await self._task
            self._task = None

    async def _serve(self) -> None:
        with paced():
            async with self.lanes.open():
                while not self._stopping:
                    self._bell.clear()
                    try:
                        await self._take_due()
                    except Exception as exc:  # the database failing: look again later
                        log.error("could not read the outbox: %s", type(exc).__name__)
                    await self._wait()

    def answering(self, telegram_id: int) -> None:
        """An update from this person is being handled (the guard let it through): what
        it writes to them is its reply's to send. The commit rings the bell before the
        handler has answered the tap; the sender must not take the details from under
        it. Ended by :func:`answered` (the last handler group), or after
        :data:`IN_FRONT_FOR` whatever happens."""
        self._in_front[telegram_id] = time.monotonic()

    def done_with(self, telegram_id: int) -> None:
        if self._in_front.pop(telegram_id, None) is not None:
            self._bell.set()  # what was left for the reply and is still there: now

    def _left_to_reply(self, notice: Notice) -> bool:
        """Only while the sender runs beside the handlers (a settle runs after them)."""
        chat = _chat(notice)
        began = self._in_front.get(chat)
        if began is None or self._task is None or notice.kind is NoticeKind.FILED:
            return False
        if time.monotonic() - began > IN_FRONT_FOR:
            del self._in_front[chat]
            return False
        return True

    async def _wait(self) -> None:
        """Until the bell rings, the earliest retry falls due, or :data:`LOOK_EVERY`
        (sooner while something is left to a handler's reply)."""
        if self._bell.is_set():
            return  # rung while the lanes were being filled: look again at once
        wait = LOOK_EVERY if not self._in_front else timedelta(seconds=IN_FRONT_FOR / 4)
        with contextlib.suppress(Exception):
            at = await outbox.next_attempt(self.services)
            now = self.services.clock.now()
            if at is not None and at > now:
                wait = min(wait, at - now)
        with contextlib.suppress(TimeoutError):
            seconds = real_wait(self.services.clock, wait).total_seconds()
            await asyncio.wait_for(self._bell.wait(), max(seconds, 0.01))

    async def settle(self) -> None:
        """Send everything due now and return when nothing more is (tests, the sandbox):
        what a failure left for later stays for later."""
        if self._task is not None:  # the background task sends: wait until it is idle
            while True:
                self._bell.set()
                await asyncio.sleep(0)
                await self.lanes.quiet()
                if not await outbox.due(self.services) and not self.lanes.busy:
                    return
        tried: set[int | None] = set()
        async with self._settling:
            with paced():
                while True:
                    async with self.lanes.open():
                        taken = await self._take_due(tried)
                    if not taken:
                        return

    async def _take_due(self, tried: set[int | None] | None = None) -> int:
        """Put what is due into the lanes; how many were new. ``tried``: outbox ids taken
        before in this settle, not taken again (what could not go then cannot now)."""
        self._forget_quiet()
        due = await outbox.due(self.services)
        if tried is not None:
            due = [n for n in due if n.outbox_id not in tried]
            tried.update(n.outbox_id for n in due)
        return self._admit(due)

    def _admit(self, notices: Iterable[Notice]) -> int:
        """Queue those of ``notices`` not already in a lane (the same row comes again
        from the next look, or as the follower of a sent one)."""
        taken = 0
        for notice in notices:
            if notice.outbox_id is not None:
                if notice.outbox_id in self.queued:
                    continue
                self.queued.add(notice.outbox_id)
            self.lanes.add(_chat(notice), notice)
            taken += 1
        return taken

    def _forget_quiet(self) -> None:
        now = self.services.clock.now()
        for chat, until in list(self.quiet.items()):
            if until <= now:
                del self.quiet[chat]

    # -- one notice ----------------------------------------------------------------------

    async def _one(self, notice: Notice) -> None:
        """Deliver one notice. Nothing escapes: the lanes share a task group, and an
        error let out of one lane would cancel the sends under way in every other chat
        (each then sent again after the lease: a duplicate)."""
        self.queued.discard(notice.outbox_id or 0)
        try:
            until = self.quiet.get(_chat(notice))
            if until is not None and until > self.services.clock.now():
                await outbox.postpone(self.services, notice, until)
                return
            if self._left_to_reply(notice):
                return  # the handler sends it; if it does not, the next look after the wait
            if not await outbox.claim(self.services, notice):
                # Sent, or waiting behind an earlier notice to the same person: whoever
                # sends that one takes this one next (outbox.behind).
                return
            sent = await deliver_one(self.context, notice, self.refused)
            if sent and not self.lanes.waiting(_chat(notice)):
                # What waited for this one. Asked only when the lane holds nothing more
                # for the chat: a burst's rows came in one read, in order, and the last
                # of them asks; a row written meanwhile rang the bell.
                self._admit(await outbox.behind(self.services, notice))
        except Exception as exc:  # the database failing (a full disk, locked by another program)
            log.error(
                "could not deliver %s for referral #%s: %s\n%s",
                notice.kind,
                notice.referral_id,
                type(exc).__name__,
                where(exc),  # no exception message: it can quote personal data
            )

    async def refused(self, notice: Notice, exc: TelegramError) -> None:
        """What follows a refusal: a quiet chat, or a re-offer / a coordinator told."""
        services = self.services
        if isinstance(exc, RetryAfter):
            self.quiet[_chat(notice)] = services.clock.now() + exc_wait(exc)
        elif isinstance(exc, Forbidden):
            if notice.kind in (NoticeKind.OFFER, NoticeKind.ASSIGNMENT, NoticeKind.ESCALATION):
                assert notice.offer_id is not None
                await offer_service.undeliverable(services, notice.offer_id)
            else:
                await offer_service.unreachable(services, notice.recipient)


async def deliver_one(context: BotContext, notice: Notice, refused: Refused | None = None) -> bool:
    """Send one claimed notice and record what became of it; True once sent. A refusal
    is recorded (tried again later, or given up) and handed to ``refused``."""
    services = context.services
    referral = None
    if notice.referral_id is not None:
        referral = await referral_service.get(services, notice.referral_id)
        if referral is None:  # cannot happen (no referral is ever deleted): give it up
            await outbox.failed(services, notice, "no such referral", permanent=True)
            return False
    ref = referral.ref if referral else None
    try:
        await send_notice(context, notice, referral)
    except TelegramError as exc:
        log.warning("could not deliver %s for %s: %s", notice.kind, ref, exc, extra={"ref": ref})
        # Refusals are final; network trouble and flood limits are tried again later.
        final = isinstance(exc, Forbidden | BadRequest)
        await outbox.failed(
            services, notice, type(exc).__name__, permanent=final, retry_after=_wait(exc)
        )
        await report_deliveries.settled(services, notice)  # a report file given up: gone
        if refused is not None:
            await refused(notice, exc)
        return False
    except Exception as exc:
        log.error(
            "bug delivering %s for %s: %s\n%s",
            notice.kind,
            ref,
            type(exc).__name__,
            where(exc),  # no exception message: it can quote personal data
            extra={"ref": ref},
        )
        await outbox.failed(services, notice, type(exc).__name__, permanent=False)
        return False
    await outbox.sent(services, notice)
    await report_deliveries.settled(services, notice)  # a report file, sent: not kept
    return True


def _wait(exc: TelegramError) -> timedelta | None:
    """How long Telegram asked us to wait, if it did."""
    return exc_wait(exc) if isinstance(exc, RetryAfter) else None


def exc_wait(exc: RetryAfter) -> timedelta:
    """PTB gives seconds or a timedelta."""
    wait = exc.retry_after
    return wait if isinstance(wait, timedelta) else timedelta(seconds=wait)


def sender(context: BotContext) -> Sender:
    return cast(Sender, context.bot_data[SENDER])


async def reply(context: BotContext, notices: Iterable[Notice]) -> None:
    """Send now, from the handler, those of ``notices`` addressed to the person in front
    of the bot: the answer they are waiting for goes before whatever the sender still
    has queued for them. The rest is the sender's (the commit woke it). The officer's
    "offered to N workers" is the sender's too: it waits for the offers to be tried."""
    person = context.person
    if person is None:
        return
    the_sender = context.bot_data.get(SENDER)
    running = the_sender if isinstance(the_sender, Sender) else None
    for notice in notices:
        if notice.recipient.id != person.id or notice.kind is NoticeKind.FILED:
            continue
        if not await outbox.claim(context.services, notice, in_front=True):
            continue  # the sender took it first: it is on its way
        await deliver_one(context, notice, running.refused if running else None)
    if running is not None:
        running.done_with(person.telegram_id)  # the rest to them: now


async def answered(update: Update, context: BotContext) -> None:
    """The last handler group: this update is done; what is left for its person is the
    sender's now."""
    user = update.effective_user
    if user is not None and isinstance(the_sender := context.bot_data.get(SENDER), Sender):
        the_sender.done_with(user.id)
