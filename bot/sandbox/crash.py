"""Kill the bot with SIGKILL at random moments and check that nothing was lost.

The bot runs as a real process (``python -m bot run``) on a real SQLite file, talking
HTTP to the fake Bot API (:mod:`bot.sandbox.http`) served from this process, with its
time running 30 times faster (``--time-warp``) so escalations climb in seconds. People
act through their phones all along, as they would: an officer files referrals by
reading the screen and tapping (typing again what a crash swallowed), workers accept or
decline offer cards, a coordinator takes escalated ones. Meanwhile the bot is killed
and started again, ``kills`` times. Then it runs once more until things are quiet and
the database is checked:

* every referral the officer saw confirmed is there, and no draft was filed twice;
* no referral was accepted twice;
* every escalation step fired exactly once, and none that fell due is left unfired;
* every outbox message was delivered (none waiting, none given up).

With ``--paging`` the bot also pages, through a fake Twilio and a fake agency gateway
served from this process on loopback (:mod:`bot.sandbox.fake_twilio`,
:mod:`bot.sandbox.fake_gateway`): the bot's clock starts at 23:00 so the escalations
are at night, two coordinators have verified voice, SMS and gateway methods, the
escalation pages them from level 2 and repeats at level 3, and a coordinator now and
then presses 1 on a call. A third of the kills come *during a provider request*: the
fake Twilio holds the bot's next call or SMS (having made it first, or not, by the
dice) until the bot is killed. Then also:

* no page twice: every call and SMS Twilio made is the one SID of one page row (one row
  is one referral's escalation step, one person, one channel), and the gateway took
  each page's key once (its dropped repeats are counted, not a fault);
* every page written was sent, or given up only because its referral was taken or its
  person had said "I'm on it" by then;
* no page reached a provider more than :data:`PAGE_TOLERANCE` (bot time: two real
  seconds) after its referral was taken or its person acknowledged: the sender checks
  just before the request, so what it may miss is what happens during one database
  read, one write and the request itself.

``python -m bot.sandbox.crash --kills 100`` is the soak run; it prints the counts.
tests/test_crash.py runs it with 20 kills in CI, and a short ``--paging`` run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import logging
import os
import random
import re
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tornado.netutil import bind_sockets

from bot import cli
from bot.clock import WarpedClock
from bot.config import load_config
from bot.domain.paging import ContactKind
from bot.sandbox.fake_gateway import FakeGateway
from bot.sandbox.fake_telegram import FakeTelegram, Phone, SeenMessage
from bot.sandbox.fake_twilio import FakeTwilio
from bot.sandbox.http import BotApiServer
from bot.sandbox.world import ONE_STATION
from bot.services import Services, open_database
from bot.services import paging as paging_service
from storage import people as people_storage
from storage import referrals as referral_storage
from storage.db import Conn, Row, fetch_all
from storage.timefmt import from_db

WARP = 30.0  # one minute of the bot's time passes in two seconds
OFFICER, WORKERS, COORDINATOR = 101, (201, 202, 203), 301
SECOND_COORDINATOR = 302  # --paging: level 3 pages both
ZONE = ZoneInfo("Asia/Shanghai")
# --paging: the fake providers' credentials, and how late a page may reach a provider
# after its referral was taken (two real seconds of the bot's warped time).
TWILIO_SID = "AC" + "c0ffee00" * 4
TWILIO_TOKEN = "crash-test-twilio-token"  # noqa: S105 - the fake's
TWILIO_FROM = "+85230000000"
GATEWAY_SECRET = "crash-test-gateway-secret"  # noqa: S105 - the fake's
PAGE_TOLERANCE = timedelta(seconds=2 * WARP)

CONFIG = (
    """
timezone = "Asia/Shanghai"
default_language = "en"

[telegram]
bot_username = "referral_test_bot"

[database]
path = "bot.sqlite3"

[privacy]
key_file = "referral.key"

[cases]
max_open_per_worker = 100

[escalation]
immediate = [1, 1, 1]
urgent = [1, 1, 1]
routine = [1, 1, 1]
repeat_every = 1
repeat_limit = 2

"""
    + ONE_STATION
)


@dataclass
class Counts:
    """What happened, and what the checks found (every ``bad_*`` must be 0)."""

    kills: int = 0
    starts: int = 0
    confirmed: int = 0  # referrals the officer saw "Submitted as"
    referrals: int = 0  # referrals in the database
    accepted: int = 0
    escalation_steps: int = 0
    messages: int = 0  # bot messages on all phones
    duplicate_messages: int = 0  # the same words twice in a chat, never edited since
    too_many: int = 0  # 429s the fake answered for going beyond Telegram's limits (--limits)
    bad_missing: list[str] = field(default_factory=list)  # confirmed but not stored
    bad_filed_twice: list[str] = field(default_factory=list)  # one draft, two referrals
    bad_accepted_twice: list[str] = field(default_factory=list)
    bad_steps_twice: list[str] = field(default_factory=list)
    bad_steps_overdue: list[str] = field(default_factory=list)
    bad_outbox: tuple[int, int] = (0, 0)  # (waiting, Telegram notices given up)
    # --paging
    pages: int = 0  # page rows written (referral, step, person, channel)
    pages_sent: int = 0
    pages_not_needed: int = 0  # given up: taken, or the person was on it
    paged_referrals: int = 0
    calls: int = 0  # what the fake Twilio made
    sms: int = 0
    gateway_posts: int = 0
    gateway_repeats: int = 0  # the same Idempotency-Key again, dropped by the gateway
    twilio_lists: int = 0  # reconciliation questions asked
    found_at_twilio: int = 0  # pages a run found made before a crash (not made again)
    kills_in_request: int = 0  # kills while the fake Twilio held a request
    made_in_request: int = 0  # of those, the call or SMS was made (the answer lost)
    keypresses: int = 0
    acknowledgements: int = 0
    latest_page_after_taken: float = 0.0  # seconds (bot time), at most PAGE_TOLERANCE
    bad_pages_twice: list[str] = field(default_factory=list)
    bad_pages_unsent: list[str] = field(default_factory=list)
    bad_pages_after_taken: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (
            self.bad_missing
            or self.bad_filed_twice
            or self.bad_accepted_twice
            or self.bad_steps_twice
            or self.bad_steps_overdue
            or any(self.bad_outbox)
            or self.bad_pages_twice
            or self.bad_pages_unsent
            or self.bad_pages_after_taken
        )

    def report(self) -> str:
        lines = [f"{name}: {value}" for name, value in vars(self).items()]
        return "\n".join([*lines, f"ok: {self.ok}"])


class Deployment:
    """One folder with a config, a key, a database; the bot as a process on it."""

    def __init__(
        self,
        folder: Path,
        base_url: str,
        *,
        warp: float | None = WARP,
        origin: float | None = None,
        start_at: datetime | None = None,
        extra_config: str = "",
        env: dict[str, str] | None = None,
    ) -> None:
        """``warp``: the bot's time runs that many times faster (None: the wall clock);
        ``start_at``: the bot's time at the real moment ``origin`` (default: that moment);
        ``extra_config`` and ``env``: more of the config file and the environment."""
        self.folder = folder
        self.warp = warp
        self.config_path = folder / "config.toml"
        self.config_path.write_text(CONFIG + extra_config, encoding="utf-8")
        self.base_url = base_url
        self.origin = time.time() if origin is None else origin
        self.start_at = start_at
        self.env = env or {}
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    @property
    def clock(self) -> WarpedClock:
        return warped(self.origin, self.warp or 1.0, self.start_at)

    async def cli(self, *args: str) -> str:
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            code = await cli.amain([*args, "--config", str(self.config_path)])
        if code != 0:
            raise RuntimeError(f"referral-bot {' '.join(args)} failed with {code}")
        return out.getvalue()

    async def invite(self, *args: str) -> str:
        out = await self.cli("invite", *args)
        return next(line.split()[-1] for line in out.splitlines() if line.startswith("code:"))

    async def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("REFERRAL_BOT_")}
        env["REFERRAL_BOT_TELEGRAM__TOKEN"] = "123:crash-test"  # noqa: S105 - the fake's
        env["REFERRAL_BOT_TELEGRAM__BASE_URL"] = self.base_url
        env.update(self.env)
        timing = (
            []
            if self.warp is None
            else ["--time-warp", str(self.warp), "--time-origin", str(self.origin)]
        )
        if self.start_at is not None:
            timing += ["--start-at", self.start_at.astimezone(ZONE).strftime("%Y-%m-%d %H:%M")]
        with (self.folder / "bot.log").open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                "--config",
                str(self.config_path),
                *timing,
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log,
            )
        self.starts += 1

    async def kill(self) -> int | None:
        """SIGKILL; the exit code (None if it was not running)."""
        return await self._end(signal.SIGKILL)

    async def stop(self) -> int | None:
        """SIGTERM, as systemd stops it; the exit code (None if it was not running)."""
        return await self._end(signal.SIGTERM)

    async def _end(self, signum: signal.Signals) -> int | None:
        process, self.process = self.process, None
        if process is None or process.returncode is not None:
            return None
        process.send_signal(signum)
        return await asyncio.wait_for(process.wait(), 60)


def warped(origin: float, warp: float, start_at: datetime | None) -> WarpedClock:
    """The bot's clock as ``run --time-warp --time-origin [--start-at]`` makes it."""
    return WarpedClock(datetime.fromtimestamp(origin, UTC), warp, start=start_at)


# -- people ----------------------------------------------------------------------------------

SUBMITTED = re.compile(r"^Submitted as (R-[0-9A-Z]+)\.$")
MARKER = re.compile(r"CrashCase-\d+")
NOTICE = re.compile(r"^(R-[0-9A-Z]+) · ")  # "R-7F3K · Other · Urgent\nSent. …"
REFERENCE = re.compile(r"\bR-[0-9A-Z]{4}\b")


def _card(phone: Phone) -> SeenMessage | None:
    """The officer's filing card on screen now, if any."""
    for message in reversed(phone.bot_messages):
        text = message.plain
        if text.startswith("You have no unfinished referral"):
            return None  # filed meanwhile (the card never said so: the bot died first)
        if message.buttons and (
            text.startswith(("New referral · step", "Check the referral"))
            or text.startswith("You have an unfinished referral")
        ):
            return message
    return None


class Officer:
    """Files referrals by reading the screen, like a person: a step the screen still
    asks for after a while (the bot died meanwhile) is answered again."""

    PATIENCE = 5.0  # seconds before answering the same screen again (replies: one a second)

    def __init__(self, phone: Phone) -> None:
        self.phone = phone
        self.drafts = 0
        self.marker: str | None = None
        self.last: tuple[int, str] | None = None
        self.acted_at = 0.0
        self.alerts_seen = 0

    async def act(self) -> None:
        answers = self.phone.callback_answers
        if len(answers) > self.alerts_seen:
            self.alerts_seen = len(answers)
            said = answers[-1].text or ""
            if said.startswith(("Submitted as", "Already submitted as")):
                # The Submit tap's answer says it is filed (the card says so a moment
                # later, from the outbox): on to the next one, as a person would.
                self.marker, self.last, self.acted_at = None, None, time.monotonic()
                await self.phone.send("/new")
                return
            if "/resume" in said:  # the card went stale in a crash
                self.last, self.acted_at = None, time.monotonic()
                await self.phone.send("/resume")
                return
        card = _card(self.phone)
        screen = (card.message_id, card.plain) if card else None
        waited = time.monotonic() - self.acted_at
        if (screen == self.last or screen is None) and waited < self.PATIENCE:
            return  # the bot is still on it (or down): wait before doing it again
        self.last, self.acted_at = screen, time.monotonic()
        if card is None:
            self.marker = None
            await self.phone.send("/new")
            return
        text = card.plain
        if text.startswith("You have an unfinished referral"):
            await self.phone.tap("▶ Resume", message=card)
        elif text.startswith("Check the referral"):
            await self.phone.tap("📨 Submit", message=card)
        elif "step 1 of 9" in text:
            await self.phone.tap("Other", message=card)
        elif "step 2 of 9" in text:
            await self.phone.tap("None of these", message=card)
        elif "step 3 of 9" in text:
            await self.phone.tap("Urgent", message=card)  # not held for the morning
        elif "step 4 of 9" in text:
            await self.phone.send("Market street 1")
        elif "step 5 of 9" in text:
            await self.phone.tap("Adult (18–59)", message=card)
        elif "step 6 of 9" in text:
            await self.phone.tap("No phone: visit only", message=card)
        elif "step 7 of 9" in text:
            await self.phone.tap("The person agrees to be contacted", message=card)
        elif "step 8 of 9" in text:
            if self.marker is None:
                self.drafts += 1
                self.marker = f"CrashCase-{self.drafts}"
            await self.phone.send(f"{self.marker}: neighbours quarrel in the stairwell")
        elif "step 9 of 9" in text:
            await self.phone.tap("Skip: no incident number", message=card)

    def confirmed(self) -> dict[str, str | None]:
        """Reference -> the summary marker the officer saw on the card before submitting, for
        every referral the officer was told about (the card, or the notice that follows)."""
        found: dict[str, str | None] = {}
        for message in self.phone.bot_messages:
            match = SUBMITTED.match(message.plain) or NOTICE.match(message.plain)
            if match:
                marker = next((m.group() for t in message.history if (m := MARKER.search(t))), None)
                found[match.group(1)] = found.get(match.group(1)) or marker
        return found


class Answerer:
    """Taps what a worker (or coordinator) would: on first sight of a card decides to
    accept, decline or leave it (so some referrals climb to the coordinator), and does it
    a moment later. A worker leaves the first offer card they get: the story's first
    referral always climbs the ladder, so every run has escalation steps to check (left
    to the dice, a short run with three referrals sometimes had none)."""

    def __init__(self, phone: Phone, dice: random.Random, *, coordinator: bool = False) -> None:
        self.phone, self.dice, self.coordinator = phone, dice, coordinator
        self.plans: dict[tuple[int, str], tuple[float, str | None]] = {}
        self.offered = False  # has had an offer card (the first is left alone)

    def _decide(self, labels: list[str]) -> str | None:
        if self.coordinator and "🙋 Take it myself" in labels:
            return "🙋 Take it myself" if self.dice.random() < 0.6 else None
        if "✅ Accept" in labels:
            if not self.offered:
                self.offered = True
                return None
            roll = self.dice.random()
            return "✅ Accept" if roll < 0.4 else "Decline" if roll < 0.6 else None
        if "Busy with another case" in labels:
            return "Busy with another case"
        return None

    async def act(self) -> None:
        now = time.monotonic()
        for message in self.phone.bot_messages:
            key = (message.message_id, message.plain)
            if key not in self.plans:
                choice = self._decide(message.button_labels())
                self.plans[key] = (now + self.dice.uniform(0.3, 4.0), choice)
            at, choice = self.plans[key]
            if choice is None or at > now:
                continue
            self.plans[key] = (at, None)  # once
            with contextlib.suppress(LookupError):  # edited away meanwhile
                await self.phone.tap(choice, message=message)
            return


async def _people(
    fake: FakeTelegram, deployment: Deployment, *, second_coordinator: bool = False
) -> tuple[Officer, list[Answerer]]:
    dice = random.Random(7)  # noqa: S311 - who taps what, not a secret
    officer = fake.user(OFFICER, "Officer Wang")
    await officer.send(
        "/start " + await deployment.invite("--role", "officer", "--station", "tianping")
    )
    answerers = []
    for number, user_id in enumerate(WORKERS):
        worker = fake.user(user_id, f"Worker {number}")
        code = await deployment.invite("--role", "social_worker", "--team", "xuhui-sw")
        await worker.send(f"/start {code}")
        await worker.send("/available")
        answerers.append(Answerer(worker, dice))
    chen = fake.user(COORDINATOR, "Coord Chen")
    code = await deployment.invite("--role", "coordinator", "--team", "xuhui-sw")
    await chen.send(f"/start {code}")
    await chen.send("/available")
    answerers.append(Answerer(chen, dice, coordinator=True))
    if second_coordinator:
        zhou = fake.user(SECOND_COORDINATOR, "Coord Zhou")
        code = await deployment.invite("--role", "coordinator", "--team", "xuhui-sw")
        await zhou.send(f"/start {code}")
        answerers.append(Answerer(zhou, dice, coordinator=True))
    return Officer(officer), answerers


async def _act(
    officer: Officer, answerers: list[Answerer], stop: asyncio.Event, pagers: Pagers | None
) -> None:
    while not stop.is_set():
        await officer.act()
        for answerer in answerers:
            await answerer.act()
        if pagers is not None:
            await pagers.act()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.1)


# -- paging (--paging) -----------------------------------------------------------------------


def _number(user_id: int) -> str:
    return f"+852912{user_id:05d}"


class Pagers:
    """The fake Twilio and gateway the bot pages through, in this process, on the bot's
    clock; and the coordinators' phones ringing: one presses 1 now and then."""

    def __init__(self, clock: WarpedClock, dice: random.Random) -> None:
        self.twilio = FakeTwilio(TWILIO_SID, TWILIO_TOKEN, clock)
        self.gateway = FakeGateway(GATEWAY_SECRET, clock)
        self.dice = dice
        sockets = bind_sockets(0, "127.0.0.1")  # a free port for the bot's keypress server
        self.port = sockets[0].getsockname()[1]
        for sock in sockets:
            sock.close()
        self.heard = 0  # calls looked at
        self.presses: list[tuple[float, int]] = []  # (when, which call) to press 1 on
        self.keypresses = 0

    async def start(self) -> None:
        await self.twilio.start()
        await self.gateway.start()

    async def close(self) -> None:
        await self.twilio.close()
        await self.gateway.close()

    def config(self) -> str:
        return f"""
[paging]
base_url = "{self.twilio.base_url}"
account_sid = "{TWILIO_SID}"
from_number = "{TWILIO_FROM}"
webhook_url = "{self.gateway.url}"
public_url = "http://127.0.0.1:{self.port}"
listen = "127.0.0.1"
port = {self.port}
rate_limit_seconds = 30
timeout_seconds = 3
from_level = 2
night_only = true
"""

    @staticmethod
    def env() -> dict[str, str]:
        return {
            "REFERRAL_BOT_PAGING__AUTH_TOKEN": TWILIO_TOKEN,
            "REFERRAL_BOT_PAGING__WEBHOOK_SECRET": GATEWAY_SECRET,
        }

    async def act(self) -> None:
        """A coordinator presses 1 on about one call in four, a moment after it rang (a
        press while the bot is down is lost, as a real one would be)."""
        calls = self.twilio.calls
        now = time.monotonic()
        for index in range(self.heard, len(calls)):
            if self.dice.random() < 0.25:
                self.presses.append((now + self.dice.uniform(0.2, 2.0), index))
        self.heard = len(calls)
        due = [press for press in self.presses if press[0] <= now]
        self.presses = [press for press in self.presses if press[0] > now]
        for _, index in due:
            with contextlib.suppress(Exception):
                answer = await self.twilio.press(calls[index])
                if answer.status_code == 200:
                    self.keypresses += 1

    async def kill_in_request(self, deployment: Deployment, dice: random.Random) -> bool:
        """Kill the bot while the fake Twilio holds its next call or SMS (made first or
        not, by the dice); True if one was held, else the kill comes after a wait."""
        self.twilio.hold_next(made=dice.random() < 0.5)
        held = True
        try:
            # Until the next call or SMS, which comes when an escalation reaches the
            # coordinators (half a minute of the bot's warped night at most, longer on a
            # loaded machine): a fixed short wait made these kills chance, not the story.
            await asyncio.wait_for(self.twilio.holding_now.wait(), 60)
        except TimeoutError:
            held = False
        await deployment.kill()
        self.twilio.holding.clear()
        self.twilio.release()
        return held


async def _give_methods(deployment: Deployment, coordinators: list[int]) -> None:
    """Verified voice, SMS and gateway methods for the coordinators, once the running bot
    has enrolled them (as /phone would leave them)."""
    config = load_config(deployment.config_path)
    deadline = time.monotonic() + 60
    waiting = list(coordinators)
    while waiting:
        if time.monotonic() > deadline:
            raise RuntimeError("the coordinators were never enrolled")
        db = await open_database(config, sync=False)
        try:
            services = Services(config=config, db=db, clock=deployment.clock)
            for telegram_id in list(waiting):
                person = await people_storage.by_telegram_id(db.reader, telegram_id)
                if person is None:
                    continue
                for kind, address in (
                    (ContactKind.VOICE, _number(telegram_id)),
                    (ContactKind.SMS, _number(telegram_id)),
                    (ContactKind.WEBHOOK, f"coord-{telegram_id}"),
                ):
                    method = await paging_service.add_contact_method(
                        services, person.id, kind, address
                    )
                    await paging_service.verify_contact_method(services, method.id)
                waiting.remove(telegram_id)
        finally:
            await db.close()
        if waiting:
            await asyncio.sleep(0.5)


async def _check_pages(
    deployment: Deployment, pagers: Pagers, counts: Counts, log_text: str
) -> None:
    """The paging invariants (see the module docstring)."""
    config = load_config(deployment.config_path)
    db = await open_database(config, sync=False)
    try:
        reader = db.reader
        rows = await fetch_all(
            reader,
            "SELECT o.id, o.channel, o.referral_id, o.recipient_id, o.page_token, o.provider_id,"
            " o.sent_at, o.dead_at, o.last_error, r.ref FROM outbox o"
            " LEFT JOIN referrals r ON r.id = o.referral_id WHERE o.channel <> 'telegram'",
        )
        taken_rows = await fetch_all(
            reader,
            "SELECT referral_id, MIN(at) AS at FROM referral_events"
            " WHERE from_status = 'offered' AND to_status <> 'offered' GROUP BY referral_id",
        )
        acks = await fetch_all(
            reader, "SELECT referral_id, person_id, acknowledged_at FROM page_acknowledgements"
        )
    finally:
        await db.close()
    taken = {r["referral_id"]: from_db(r["at"]) for r in taken_rows}
    acked = {(a["referral_id"], a["person_id"]): from_db(a["acknowledged_at"]) for a in acks}
    counts.pages = len(rows)
    counts.pages_sent = sum(1 for r in rows if r["sent_at"])
    counts.pages_not_needed = sum(1 for r in rows if r["last_error"] == "no longer needed")
    counts.paged_referrals = len({r["referral_id"] for r in rows})
    counts.acknowledgements = len(acks)
    twilio, gateway = pagers.twilio, pagers.gateway
    counts.calls, counts.sms = len(twilio.calls), len(twilio.messages)
    counts.gateway_posts, counts.gateway_repeats = len(gateway.log), gateway.repeats
    counts.twilio_lists, counts.keypresses = twilio.lists, pagers.keypresses
    counts.made_in_request = twilio.held_made
    counts.found_at_twilio = log_text.count("found at twilio, not sent again")
    by_sid = Counter(r["provider_id"] for r in rows if r["provider_id"])
    by_token = {r["page_token"]: r for r in rows}
    row_of_sid = {r["provider_id"]: r for r in rows if r["provider_id"]}
    made: list[tuple[str, datetime, Row | None]] = [
        (f"{sent.kind} {sent.sid}", sent.at, row_of_sid.get(sent.sid)) for sent in twilio.log
    ]
    made += [
        (f"gateway {got.payload['page_id']}", got.at, by_token.get(got.payload["page_id"]))
        for got in gateway.log
    ]
    # No page twice: each call/SMS made is one row's SID, and no SID is on two rows.
    counts.bad_pages_twice = sorted(
        [what for what, _, row in made if row is None]
        + [f"{sid} on {n} pages" for sid, n in by_sid.items() if n > 1]
    )
    # Every page sent, or given up because it was no longer wanted.
    counts.bad_pages_unsent = sorted(
        f"page {r['id']} {r['channel']} {r['ref']}: {r['last_error'] or 'waiting'}"
        for r in rows
        if not r["sent_at"] and (not r["dead_at"] or r["last_error"] != "no longer needed")
    )
    # None reached a provider after its referral was taken or its person was on it.
    late: list[str] = []
    for what, at, row in made:
        if row is None:
            continue
        ends = [
            when
            for when in (
                taken.get(row["referral_id"]),
                acked.get((row["referral_id"], row["recipient_id"])),
            )
            if when is not None
        ]
        if not ends:
            continue
        after = (at - min(ends)).total_seconds()
        counts.latest_page_after_taken = max(counts.latest_page_after_taken, after)
        if after > PAGE_TOLERANCE.total_seconds():
            late.append(f"{what} {row['ref']}: {after:.0f}s after")
    counts.bad_pages_after_taken = sorted(late)


# -- the run ---------------------------------------------------------------------------------


async def run(
    folder: Path,
    kills: int,
    *,
    seed: int = 1,
    limits: bool = False,
    paging: bool = False,
    in_request: float = 1 / 3,
    stretch: float = 60,
) -> Counts:
    """Play the story with ``kills`` SIGKILLs; return the counts and what the checks found.
    With ``limits`` the fake keeps Telegram's flood limits and counts its 429s: a bot
    started again does not know what the killed one sent in its last seconds. With
    ``paging`` the bot pages through fake providers too, at night (module docstring),
    and that share of the kills (``in_request``) come during a provider's request.
    ``stretch``: seconds the bot runs unkilled at the end before the checks."""
    dice = random.Random(seed)  # noqa: S311 - when to kill, not a secret
    fake = FakeTelegram()
    if limits:
        fake.enforce_limits()  # the real monotonic clock: the bot's, in another process
    server = BotApiServer(fake)
    await server.start()
    origin = time.time()
    start_at = None
    pagers = None
    if paging:
        night = datetime.fromtimestamp(origin, ZONE).replace(hour=23, minute=0, second=0)
        start_at = night.replace(microsecond=0)
        pagers = Pagers(warped(origin, WARP, start_at), random.Random(seed + 1))  # noqa: S311
        await pagers.start()
    deployment = Deployment(
        folder,
        server.base_url,
        origin=origin,
        start_at=start_at,
        extra_config=pagers.config() if pagers else "",
        env=pagers.env() if pagers else None,
    )
    counts = Counts()
    try:
        officer, answerers = await _people(fake, deployment, second_coordinator=paging)
        stop = asyncio.Event()
        actors = asyncio.create_task(_act(officer, answerers, stop, pagers))
        for number in range(kills):
            fake.polled.clear()
            await deployment.start()
            if dice.random() < 0.75:
                # Mostly a bot that is up: on a loaded machine a start can take seconds,
                # and kills that all land in start-up would leave no story to check.
                # The rest are killed wherever the start has got to.
                await _polling(fake)
            if pagers is not None and number == 0:
                await _give_methods(deployment, [COORDINATOR, SECOND_COORDINATOR])
            if pagers is not None and dice.random() < in_request:
                await asyncio.sleep(dice.uniform(0.5, 2.0))
                counts.kills_in_request += await pagers.kill_in_request(deployment, dice)
            else:
                await asyncio.sleep(dice.uniform(2.0, 7.0))  # the bot runs; people act
                await deployment.kill()
            counts.kills += 1
        await deployment.start()
        if pagers is not None and kills == 0:
            await _give_methods(deployment, [COORDINATOR, SECOND_COORDINATOR])
        await asyncio.sleep(stretch)  # a last stretch without kills: the story gets told
        stop.set()
        await actors
        await _settle(deployment)
        await deployment.stop()
        counts.starts = deployment.starts
        await _check(deployment, officer, counts)
        if pagers is not None:
            log_text = (folder / "bot.log").read_text(encoding="utf-8", errors="replace")
            await _check_pages(deployment, pagers, counts, log_text)
        phones = [officer.phone, *(a.phone for a in answerers)]
        _count_messages(phones, counts)
        counts.too_many = sum(fake.too_many.values())
    finally:
        await deployment.kill()
        if pagers is not None:
            await pagers.close()
        await server.close()
    return counts


async def _polling(fake: FakeTelegram, limit: float = 60) -> None:
    """Wait until the started bot asks for updates, or ``limit`` seconds: a bot that
    never comes up is what the checks then catch."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(fake.polled.wait(), limit)


async def _settle(deployment: Deployment, limit: float = 60) -> None:
    """Wait (the bot running) until its outbox is empty and no escalation step is due,
    giving up once ``limit`` seconds pass without the outbox getting shorter.

    The scripted officer files far faster than a person, and a chat takes one message a
    second: the officer's notices can still be draining when the story ends. Waiting
    while they drain is fair; a notice that never leaves is what the checks catch."""
    config = load_config(deployment.config_path)
    deadline = time.monotonic() + limit
    fewest: int | None = None
    while time.monotonic() < deadline:
        db = await open_database(config, sync=False)
        try:
            waiting, _ = await _outbox(db.reader)
            overdue = await _overdue(db.reader, deployment.clock.now())
        finally:
            await db.close()
        if waiting == 0 and not overdue:
            return
        if fewest is None or waiting < fewest:
            fewest, deadline = waiting, time.monotonic() + limit
        await asyncio.sleep(0.5)


async def _outbox(conn: Conn) -> tuple[int, int]:
    """(notices and pages waiting, Telegram notices ever given up: a page given up is
    checked by the paging checks, as it may rightly be, for a referral taken)."""
    rows = await fetch_all(
        conn,
        "SELECT (SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND dead_at IS NULL)"
        " AS waiting, (SELECT COUNT(*) FROM outbox WHERE dead_at IS NOT NULL"
        " AND channel = 'telegram') AS given_up",
    )
    return rows[0]["waiting"], rows[0]["given_up"]


async def _overdue(conn: Conn, now: datetime) -> list[str]:
    """Referrals waiting for acceptance whose next escalation step is over two of the
    engine's rounds late (a round is two seconds, one minute of the bot's time)."""
    late = await referral_storage.due(conn, now - timedelta(minutes=3), limit=1000)
    return [referral.ref for referral in late]


async def _check(deployment: Deployment, officer: Officer, counts: Counts) -> None:
    config = load_config(deployment.config_path)
    db = await open_database(config, sync=False)
    try:
        reader = db.reader
        stored = {}
        for row in await fetch_all(reader, "SELECT id FROM referrals"):
            referral = await referral_storage.by_id(reader, row["id"])
            assert referral is not None
            stored[referral.ref] = referral
        counts.referrals = len(stored)
        confirmed = officer.confirmed()
        counts.confirmed = len(confirmed)
        counts.bad_missing = sorted(ref for ref in confirmed if ref not in stored)
        markers = Counter(
            m.group() for r in stored.values() if r.summary and (m := MARKER.search(r.summary))
        )
        counts.bad_filed_twice = sorted(marker for marker, n in markers.items() if n > 1)
        accepts = await fetch_all(
            reader,
            "SELECT r.ref, COUNT(*) AS n FROM referral_events e JOIN referrals r"
            " ON r.id = e.referral_id WHERE e.to_status = 'accepted' GROUP BY r.ref",
        )
        counts.accepted = len(accepts)
        counts.bad_accepted_twice = sorted(r["ref"] for r in accepts if r["n"] > 1)
        steps = await fetch_all(
            reader,
            "SELECT subject, detail, COUNT(*) AS n FROM audit_log"
            " WHERE action = 'referral.escalation_step' GROUP BY subject, detail",
        )
        counts.escalation_steps = sum(r["n"] for r in steps)
        counts.bad_steps_twice = sorted(
            f"{r['subject']} {r['detail']}" for r in steps if r["n"] > 1
        )
        counts.bad_steps_overdue = await _overdue(reader, deployment.clock.now())
        counts.bad_outbox = await _outbox(reader)
    finally:
        await db.close()


def _count_messages(phones: list[Phone], counts: Counts) -> None:
    for phone in phones:
        messages = phone.bot_messages
        counts.messages += len(messages)
        # Only messages about a referral count: the filing card shown again after a
        # crash is the screen, not a duplicate notice.
        same = Counter(m.plain for m in messages if not m.history and REFERENCE.search(m.plain))
        counts.duplicate_messages += sum(n - 1 for n in same.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--limits", action="store_true", help="the fake keeps Telegram's flood limits (429s)"
    )
    parser.add_argument(
        "--paging",
        action="store_true",
        help="night escalations page through a fake Twilio and gateway; kills during requests",
    )
    args = parser.parse_args(argv)
    # The fake Twilio's held requests end in a 503 to a killed bot: not worth a line.
    logging.getLogger("tornado.access").setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory() as folder:
        counts = asyncio.run(
            run(Path(folder), args.kills, seed=args.seed, limits=args.limits, paging=args.paging)
        )
    print(counts.report())
    return 0 if counts.ok else 1


if __name__ == "__main__":
    sys.exit(main())
