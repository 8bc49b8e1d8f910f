"""``referral-bot demo``: one night played on the real bot, no token, no network.

The real Application runs against the built-in fake Bot API (bot/sandbox/) on a demo
database in a temporary folder, with a clock that jumps from step to step. At 23:40 an
officer files a domestic-violence referral; the worker with the skill is away and
nobody else is on duty, so it goes straight to the coordinator on duty, who assigns it
to the worker after a phone call; she makes first contact that night and books a visit
for the morning, where the assessment starts. The case stays open, as a real one would:
nobody closes domestic violence within the hour.

The transcript is the fake's timeline (:attr:`FakeTelegram.timeline`), printed in time
order: every screen as the person saw it then (an edited card again, marked ✎), every
tap (``▸ [Domestic violence]``) and typed text, under one heading per scene. Its own
words (headings, narration, the cast) go through the catalogue like the bot's.
"""

from __future__ import annotations

import socket
import tempfile
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from bot import labels
from bot.clock import FakeClock
from bot.config import DEFAULT_AGE_BANDS, DEFAULT_CATEGORIES, AgeBandSettings, CategorySettings
from bot.domain.paging import ContactKind
from bot.domain.referral import Consent, Safety, Status
from bot.engine import daily, reminders
from bot.i18n import Translator, available_languages
from bot.paging import inbound
from bot.sandbox.fake_telegram import Event, Phone
from bot.sandbox.fake_twilio import FakeTwilio, Sent
from bot.sandbox.world import ONE_STATION, World, world
from bot.services import paging
from bot.services import people as people_service
from bot.services import referrals as referral_service
from handlers.context import BotContext
from handlers.filing import SKIP_INCIDENT
from handlers.jobs import escalation_round
from handlers.paging import names as page_names

_Choice = TypeVar("_Choice", CategorySettings, AgeBandSettings)

THURSDAY_2330 = datetime(2026, 11, 26, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
OFFICER, WORKER, COORDINATOR = 101, 201, 301

CONFIG = (
    """
timezone = "Asia/Shanghai"
default_language = "{lang}"

[telegram]
bot_username = "tianping_referral_bot"

[database]
path = "demo.sqlite3"

[privacy]
key_file = "demo.key"

[backup]
keep = 0

[paging]
base_url = "{twilio}"
account_sid = "{sid}"
auth_token = "{token}"
from_number = "+85230000000"
public_url = "{keypress}"

"""
    + ONE_STATION
)
# The fake Twilio's account (on loopback, for this night only: no real provider is asked).
DEMO_SID = "AC" + "de30" * 8
DEMO_TOKEN = "demo-twilio-token"  # noqa: S105 - the fake provider's, never a real one
# The coordinator's phone, verified as /phone would leave it; never printed.
COORDINATOR_NUMBER = {
    "en": "+8613900000000",
    "zh_Hans": "+8613900000000",
    "zh_Hant": "+85291234567",
}

# The people, in each language's script: (officer, worker, coordinator).
NAMES = {
    "en": ("Officer Wang", "Li Na", "Chen Jing"),
    "zh_Hans": ("王警官", "李娜", "陈静"),
    "zh_Hant": ("王警官", "李娜", "陳靜"),
}


@dataclass(frozen=True)
class Story:
    """What the people type: the officer's report and nothing the bot could translate."""

    place: str
    name: str
    phone: str
    summary: str


STORY = {
    "en": Story(
        "Lane 12, Tianping Road, 3rd floor",
        "Ms Zhang",
        "13800000000",
        "Neighbours called: shouting and a crash. She has a cut on her arm; her husband "
        "left before we arrived. She wants to talk to someone tonight.",
    ),
    "zh_Hans": Story(
        "天平路12弄3楼",
        "张女士",
        "13800000000",
        "邻居报警：听到争吵和摔东西声。她手臂有划伤，丈夫在民警到达前离开。她希望今晚能和人谈谈。",
    ),
    "zh_Hant": Story(
        "天平路12弄3樓",
        "張女士",
        "61234567",
        "鄰居報警：聽到爭吵和摔東西的聲音。她手臂有割傷，丈夫在警員到達前離開。她希望今晚能找人傾談。",
    ),
}


@dataclass
class _Mark:
    """A heading or a line of narration, printed before the timeline's event ``at``."""

    at: int
    text: str
    heading: bool
    plain: bool = False  # printed as it is (the phone provider's log), not as narration


@dataclass
class _Script:
    """The night's outline, laid over the fake's timeline as the people act."""

    w: World
    tr: Translator
    twilio: FakeTwilio
    names: dict[str, str]  # a phone number → whose (the coordinator's), to print the log
    marks: list[_Mark] = field(default_factory=list)
    rung: int = 0  # how much of the provider's log is printed already

    async def scene(self, title: str, at: tuple[int, int] | None = None) -> None:
        """A heading; with ``at``, time first passes to that local hour and minute (the
        next one), and the bot's jobs go round then as the running bot's would
        (escalation, reminders, the coordinators' daily messages), so what they send
        falls under this heading."""
        w = self.w
        if at is not None:
            now = w.clock.now().astimezone(w.services.config.zone)
            target = now.replace(hour=at[0], minute=at[1], second=0, microsecond=0)
            if target <= now:
                target += timedelta(days=1)
            w.clock.advance(target - now)
        local = w.clock.now().astimezone(w.services.config.zone)
        self.marks.append(_Mark(len(w.telegram.timeline), f"{local:%H:%M} — {title}", True))
        if at is not None:
            await escalation_round(BotContext(w.app))
            await reminders.tick(w.services)
            await daily.tick(w.services)
            await w.settle()  # what the jobs decided reaches the phones, as the sender would
            self.ring()

    def ring(self) -> None:
        """The fake provider's new log lines (calls, SMS), printed where they happened."""
        zone = self.w.services.config.zone
        for sent in self.twilio.log[self.rung :]:
            self.marks.append(
                _Mark(
                    len(self.w.telegram.timeline),
                    _provider_line(self.tr, zone, sent, self.names),
                    False,
                    plain=True,
                )
            )
        self.rung = len(self.twilio.log)

    async def press(self, digits: str = "1") -> None:
        """The coordinator answers the latest call and presses ``digits``."""
        call = [sent for sent in self.twilio.log if sent.kind == "call"][-1]
        answer = await self.twilio.press(call, digits)
        assert answer.status_code == 200, answer.text
        zone = self.w.services.config.zone
        at = f"{self.w.clock.now().astimezone(zone):%H:%M}"
        self.marks.append(
            _Mark(
                len(self.w.telegram.timeline),
                "📞 "
                + self.tr(
                    "{time} {name} pressed {digits}",
                    time=at,
                    name=self.names[call.to],
                    digits=digits,
                ),
                False,
                plain=True,
            )
        )
        await self.w.settle()

    def say(self, text: str) -> None:
        """A line of narration: what happened off the phones."""
        self.marks.append(_Mark(len(self.w.telegram.timeline), text, False))

    def wait(self, seconds: int) -> None:
        """A few seconds while a person reads and thinks (no job is due meanwhile)."""
        self.w.clock.advance(timedelta(seconds=seconds))


def dv_button(tr: Translator) -> str:
    """The category button for domestic violence, as the officer reads it (the demo's
    configuration keeps the default categories)."""
    return _default(DEFAULT_CATEGORIES, "domestic_violence").name(tr.language)


def _adult_button(tr: Translator) -> str:
    """The adult age band's button, as the officer reads it (the default bands)."""
    return _default(DEFAULT_AGE_BANDS, "18_59").name(tr.language)


def _default(choices: tuple[_Choice, ...], choice_id: str) -> _Choice:
    return next(choice for choice in choices if choice.id == choice_id)


async def _enrol(w: World, user_id: int, name: str, lang: str, *invite: str) -> Phone:
    code = await w.invite(*invite, "--name", name)
    phone = w.phone(user_id, name, language=lang)
    await phone.send(f"/start {code}")
    return phone


async def _file(s: _Script, officer: Phone, story: Story) -> None:
    """At the scene, on a phone: about a minute from the first tap to Submit."""
    tr = s.tr

    def suggested() -> str:
        return next(b for b in officer.last.button_labels() if b.startswith("● "))

    steps: list[Callable[[], Awaitable[object]]] = [
        lambda: officer.send(tr("➕ New referral")),
        lambda: officer.tap(dv_button(tr)),
        lambda: officer.tap(tr(labels.SAFETY[Safety.WEAPON_OR_INJURY])),
        lambda: officer.tap(tr("Continue ▶")),
        lambda: officer.tap(suggested()),  # the urgency the bot suggests
        lambda: officer.send(story.place),
        lambda: officer.send(f"{story.name} {story.phone}"),  # name and phone in one
        lambda: officer.tap(_adult_button(tr)),
        lambda: officer.tap(tr(labels.CONSENT[Consent.PERSON_AGREES])),
        lambda: officer.send(story.summary),
        lambda: officer.tap(tr(SKIP_INCIDENT)),  # the police incident number is optional
    ]
    for step in steps:
        await step()
        s.wait(6)
    s.say(
        tr(
            "Nobody on duty has the skill, so once submitted it goes straight to the "
            "coordinator on duty."
        )
    )
    await officer.tap(tr("📨 Submit"))


async def _night(s: _Script, lang: str) -> None:
    w, tr = s.w, s.tr
    officer_name, li_name, chen_name = NAMES[lang]
    story = STORY[lang]
    officer = await _enrol(
        w, OFFICER, officer_name, lang, "--role", "officer", "--station", "tianping"
    )
    li = await _enrol(w, WORKER, li_name, lang, "--role", "social_worker", "--team", "xuhui-sw")
    status, _, _ = await w.cli("skills", str(WORKER), "--set", "domestic_violence")
    assert status == 0
    chen = await _enrol(
        w, COORDINATOR, chen_name, lang, "--role", "coordinator", "--team", "xuhui-sw"
    )
    coordinator = await people_service.find(w.services, COORDINATOR)
    assert coordinator is not None
    for kind in (ContactKind.VOICE, ContactKind.SMS):  # as /phone leaves them, verified
        method = await paging.add_contact_method(
            w.services, coordinator.id, kind, COORDINATOR_NUMBER[lang]
        )
        await paging.verify_contact_method(w.services, method.id)
    s.names[COORDINATOR_NUMBER[lang]] = chen_name

    await s.scene(
        tr(
            "Before the night: {worker}, trained for domestic violence, is off; "
            "{coordinator} starts overnight duty",
            worker=li_name,
            coordinator=chen_name,
        )
    )
    await li.send("/away")  # she is off tonight, and nobody else is on
    s.wait(60)
    await chen.send("/available")

    await s.scene(
        tr("{officer} files a domestic-violence referral at the scene", officer=officer_name),
        at=(23, 40),
    )
    await _file(s, officer, story)
    s.ring()  # the coordinator's phone rings: a call and an SMS
    s.wait(60)
    s.say(
        tr(
            "{coordinator} is asleep; Telegram does not ring through Do Not Disturb, "
            "the call does. She answers and presses 1.",
            coordinator=chen_name,
        )
    )
    await s.press("1")

    await s.scene(
        tr(
            "{coordinator} phones {worker}, who agrees to take it, and assigns it to her",
            coordinator=chen_name,
            worker=li_name,
        ),
        at=(23, 44),
    )
    await chen.tap(tr("👥 Assign to…"))
    s.wait(5)
    await chen.tap(next(b for b in chen.last.button_labels() if b.startswith(li_name)))
    s.wait(3)
    await chen.tap(tr("Assign anyway"))  # she is away tonight: asked once more
    s.wait(20)
    await li.tap(tr("✅ I take it"))
    s.wait(30)
    await li.tap(tr("🚶 On my way"))  # a co-response: she joins the police at the scene
    await li.tap(tr("{minutes} min", minutes=30))

    await s.scene(
        tr("{worker} arrives at the scene; the police can leave", worker=li_name),
        at=(0, 10),
    )
    await li.tap(tr("📍 Arrived"))
    s.wait(60)
    await officer.tap(tr("🚓 Police may leave now"))

    await s.scene(
        tr(
            "{worker} talks with {person} and makes first contact",
            worker=li_name,
            person=story.name,
        ),
        at=(0, 30),
    )
    s.say(
        tr(
            "{person} will spend the night at her sister's and is safe there. They agree "
            "that {worker} visits her tomorrow at 10:00.",
            person=story.name,
            worker=li_name,
        )
    )
    await li.tap(tr(labels.STEP_BUTTON[Status.CONTACTED]))
    s.say(
        tr(
            "The bot keeps no appointments: the 10:00 visit is in {worker}'s own diary, "
            "and the case stays open at “First contact made”.",
            worker=li_name,
        )
    )

    await s.scene(tr("Next morning: the overnight handover reaches the coordinator"), at=(8, 0))

    await s.scene(
        tr(
            "{worker} visits {person} as agreed and starts the assessment",
            worker=li_name,
            person=story.name,
        ),
        at=(10, 0),
    )
    await li.tap(tr(labels.STEP_BUTTON[Status.ASSESSMENT]))
    s.say(
        tr(
            "The case stays open: next {worker} agrees a plan with {person}, and closes it "
            "only after a review.",
            worker=li_name,
            person=story.name,
        )
    )


@dataclass(frozen=True)
class Night:
    """One played night: the transcript, the events it was printed from, and where the
    referral stood at the end."""

    transcript: str
    timeline: list[Event]
    status: Status
    names: dict[int, str]


async def night(lang: str = "en") -> Night:
    """Play the night in ``lang`` (a language with a catalogue, or the source language)."""
    if lang not in available_languages():
        have = ", ".join(available_languages())
        raise ValueError(f"no catalogue for {lang!r} yet; the demo speaks {have}")
    tr = Translator(lang)
    clock = FakeClock(THURSDAY_2330)
    twilio = FakeTwilio(DEMO_SID, DEMO_TOKEN, clock)  # the phone provider, on loopback
    await twilio.start()
    keypress: list[socket.socket] = bind_sockets(0, "127.0.0.1")
    server: HTTPServer | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="referral-bot-demo-") as folder:
            config_path = Path(folder) / "config.toml"
            values = {
                "{lang}": lang,
                "{twilio}": twilio.base_url,
                "{sid}": DEMO_SID,
                "{token}": DEMO_TOKEN,
                "{keypress}": f"http://127.0.0.1:{keypress[0].getsockname()[1]}",
            }
            text = CONFIG
            for key, value in values.items():
                text = text.replace(key, value)
            config_path.write_text(text, encoding="utf-8")
            async with world(config_path, clock=clock) as w:
                server = inbound.server(w.services, page_names(w.services.config))
                server.add_sockets(keypress)
                played = await _play(w, tr, twilio, lang)
    finally:
        if server is not None:
            server.stop()
            await server.close_all_connections()
        await twilio.close()
        for bound in keypress:
            bound.close()
    return played


async def _play(w: World, tr: Translator, twilio: FakeTwilio, lang: str) -> Night:
    """The night on a running world, and its transcript (in ``tr``'s language)."""
    script = _Script(w, tr, twilio, {})
    await _night(script, lang)
    officer = await people_service.find(w.services, OFFICER)
    assert officer is not None
    filed = await referral_service.of_officer(w.services, officer)
    status = filed[0].status
    timeline = list(w.telegram.timeline)
    zone = w.services.config.zone
    station = w.services.config.stations[0].name(lang)
    names = dict(zip((OFFICER, WORKER, COORDINATOR), NAMES[lang], strict=True))
    text = _transcript(tr, zone, timeline, script.marks, names, station)
    return Night(text, timeline, status, names)


async def play(lang: str = "en") -> str:
    """The night's transcript, in time order, as each person saw it."""
    return (await night(lang)).transcript


# -- printing ------------------------------------------------------------------------------

INDENT = " " * 8
ICON = {OFFICER: "👮", WORKER: "🤝", COORDINATOR: "📋"}


def _cast(tr: Translator, names: dict[int, str], station: str) -> list[str]:
    return [
        tr("Who is who:"),
        f"  {ICON[OFFICER]} "
        + tr("{name}: police officer at {station}", name=names[OFFICER], station=station),
        f"  {ICON[WORKER]} "
        + tr(
            "{name}: social worker, the team's one trained for domestic violence",
            name=names[WORKER],
        ),
        f"  {ICON[COORDINATOR]} "
        + tr("{name}: the coordinator on overnight duty", name=names[COORDINATOR]),
        tr("▸ is what a person did (a [button] tapped, or text typed); ◂ what the bot showed."),
    ]


def _transcript(
    tr: Translator,
    zone: ZoneInfo,
    timeline: list[Event],
    marks: list[_Mark],
    names: dict[int, str],
    station: str,
) -> str:
    lines = [tr("A night at Tianping Road Station (demo: no token, no network)"), ""]
    lines += _cast(tr, names, station)
    first = marks[0].at if marks else 0
    shown: dict[tuple[int, int], str] = {}  # what each message read before, for edits
    for event in timeline[:first]:
        _remember(shown, event)
    pending = iter(marks)
    mark = next(pending, None)
    for index in range(first, len(timeline) + 1):
        while mark is not None and mark.at == index:
            aside = tr("({narration})", narration=mark.text)  # translators: （…） in Chinese
            if mark.heading:
                lines += ["", f"━━ {mark.text}"]
            else:
                lines.append(f"   {mark.text}" if mark.plain else f"   {aside}")
            mark = next(pending, None)
        if index < len(timeline):
            lines += _event(tr, zone, timeline[index], names, shown)
    return "\n".join(lines)


def _remember(shown: dict[tuple[int, int], str], event: Event) -> str | None:
    """Note what a message reads now; returns what it read before."""
    if event.message_id is None or event.kind in {"tapped", "answered"}:
        return None
    key = (event.chat_id, event.message_id)
    before = shown.get(key)
    shown[key] = event.text
    return before


def _event(
    tr: Translator,
    zone: ZoneInfo,
    event: Event,
    names: dict[int, str],
    shown: dict[tuple[int, int], str],
) -> list[str]:
    who = names.get(event.chat_id, str(event.chat_id))
    prefix = f"{event.at.astimezone(zone):%H:%M} {ICON.get(event.chat_id, '💬')} {who}"
    before = _remember(shown, event)
    if event.kind == "tapped":
        return [f"{prefix} ▸ [{event.text}]"]
    if event.kind == "typed":
        return _block(f"{prefix} ▸ ", event.text)
    if event.kind == "answered":
        return [f"{prefix} ◂ " + tr("(pop-up) {text}", text=event.text)]
    if event.kind == "deleted":
        return [f"{prefix} ◂ " + tr("🗑 deleted: {text}", text=event.text.splitlines()[0])]
    if event.kind == "edited" and event.text == before:
        change = (
            tr("✎ edited: buttons changed") if event.buttons else tr("✎ edited: buttons removed")
        )
        return [f"{prefix} ◂ {change}", *_buttons(event.buttons)]
    body = event.text if event.kind == "sent" else tr("✎ edited") + "\n" + event.text
    return [*_block(f"{prefix} ◂ ", body), *_buttons(event.buttons)]


def _provider_line(tr: Translator, zone: ZoneInfo, sent: Sent, names: dict[str, str]) -> str:
    """One line of the fake Twilio's log: a call (what it says, in which voice) or an
    SMS, to whom (by name: the number is never printed)."""
    at, name = f"{sent.at.astimezone(zone):%H:%M}", names.get(sent.to, "?")
    if sent.kind == "call":
        root = ElementTree.fromstring(sent.body)  # noqa: S314 - the bot's own TwiML
        say = root.find("Gather/Say")
        language = say.get("language", "") if say is not None else ""
        said = "".join(say.itertext()) if say is not None else ""
        return "📞 " + tr(
            "{time} call to {name} ({language}): “{said}”",
            time=at,
            name=name,
            language=language,
            said=said,
        )
    return "💬 " + tr("{time} SMS to {name}: “{said}”", time=at, name=name, said=sent.body)


def _block(first: str, text: str) -> list[str]:
    head, *rest = text.split("\n")
    return [first + head, *(INDENT + line if line else "" for line in rest)]


def _buttons(rows: Iterable[Iterable[str]]) -> list[str]:
    return [INDENT + " ".join(f"[{label}]" for label in row) for row in rows]
