"""``referral-bot demo``: one night played on the real bot, no token, no network.

The real Application runs against the built-in fake Bot API (bot/sandbox/) on a demo
database in a temporary folder, with a clock that jumps from step to step. At 23:40 an
officer files a domestic-violence referral; the worker with the skill is away and
nobody else is on duty, so it goes straight to the coordinator on duty, who assigns it
to the worker; she makes contact and closes the case; the officer hears each step.
Then every phone's screen is printed, in the chosen language.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.config import Config
from bot.domain.referral import Consent, Outcome, Resource, Safety, Status
from bot.i18n import Translator
from bot.sandbox.fake_telegram import Phone
from bot.sandbox.world import ONE_STATION, World, world
from bot.services import Services
from bot.services import people as people_service
from bot.services import referrals as referral_service
from handlers import labels
from handlers.context import BotContext
from handlers.jobs import escalation_round

THURSDAY_2340 = datetime(2026, 11, 26, 15, 40, tzinfo=UTC)  # 23:40 in Shanghai

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

"""
    + ONE_STATION
)

NAMES = {
    "en": ("Officer Wang", "Li Na", "Chen Jing"),
    "zh_Hans": ("王警官", "李娜", "陈静"),
}
STORY = {
    "en": (
        "Lane 12, Tianping Road, 3rd floor",
        "Ms Zhang",
        "13800000000",
        "Neighbours called: shouting and a crash. She has a cut on her arm; her husband "
        "left before we arrived. She wants to talk to someone tonight.",
        "Met her at her sister's; safety plan made, linked to the DV hotline.",
        "Women's Federation DV hotline",
    ),
    "zh_Hans": (
        "天平路12弄3楼",
        "张女士",
        "13800000000",
        "邻居报警：听到争吵和摔东西声。她手臂有划伤，丈夫在民警到达前离开。她希望今晚能和人谈谈。",
        "在她姐姐家见面，已制定安全计划，并转介家暴求助热线。",
        "区妇联家暴求助热线",
    ),
}


async def _enrol(w: World, user_id: int, name: str, lang: str, *invite: str) -> Phone:
    code = await w.invite(*invite, "--name", name)
    phone = w.phone(user_id, name, language=lang)
    await phone.send(f"/start {code}")
    return phone


async def _tick(w: World, minutes: int) -> None:
    """Time passes; the engine goes round as the running bot's job would."""
    w.clock.advance(timedelta(minutes=minutes))
    await escalation_round(BotContext(w.app))
    await w.settle()  # what the round decided reaches the phones, as the sender would


async def _file(officer: Phone, tr: Translator, lang: str, config: Config) -> None:
    place, name, phone, summary, *_ = STORY[lang]
    await officer.send(tr("➕ New referral"))
    await officer.tap(labels.category(tr, config, "domestic_violence"))
    await officer.tap(tr(labels.SAFETY[Safety.WEAPON_OR_INJURY]))
    await officer.tap(tr("Continue ▶"))
    suggested = next(b for b in officer.last.button_labels() if b.startswith("● "))
    await officer.tap(suggested)
    await officer.send(place)
    await officer.send(f"{name} {phone}")  # name and phone in one message
    await officer.tap(labels.age_band(tr, config, "adult"))
    await officer.tap(tr(labels.CONSENT[Consent.PERSON_AGREES]))
    await officer.send(summary)
    await officer.tap(tr("📨 Submit"))


async def _night(w: World, lang: str) -> list[tuple[str, Phone]]:
    tr = Translator(lang)
    officer_name, li_name, chen_name = NAMES[lang]
    officer = await _enrol(w, 101, officer_name, lang, "--role", "officer", "--station", "tianping")
    li = await _enrol(w, 201, li_name, lang, "--role", "social_worker", "--team", "xuhui-sw")
    status, _, _ = await w.cli("skills", "201", "--set", "domestic_violence")
    assert status == 0
    await li.send("/away")  # she is off tonight, and nobody else is on
    chen = await _enrol(w, 301, chen_name, lang, "--role", "coordinator", "--team", "xuhui-sw")
    await chen.send("/available")  # the coordinator on overnight duty

    await _file(
        officer, tr, lang, w.services.config
    )  # 23:40: nobody on duty can take it: the coordinator
    await _tick(w, 3)
    await chen.tap(tr("👥 Assign to…"))
    button = next(b for b in chen.last.button_labels() if b.startswith(li_name))
    await chen.tap(button)  # Li Na agreed on the phone to take it
    await _tick(w, 20)
    await li.tap(tr(labels.STEP_BUTTON[Status.CONTACTED]))
    await _tick(w, 50)
    await li.tap(tr("Close case"))
    await li.tap(tr(labels.OUTCOME[Outcome.LINKED]))
    await li.tap(tr(labels.RESOURCE[Resource.NGO]))
    await li.send(STORY[lang][5])  # the service she was linked to
    await li.send(STORY[lang][4])  # one line for the officer
    return [(officer_name, officer), (chen_name, chen), (li_name, li)]


def _screen(name: str, phone: Phone, services: Services) -> str:
    zone = services.config.zone
    lines = [f"━━━ 📱 {name} ━━━"]
    for message in phone.messages:
        when = f"{message.date.astimezone(zone):%H:%M}"
        arrow = "◂" if message.from_bot else "▸"
        body = message.plain if message.kind == "text" else f"[{message.kind}]"
        text = body.replace("\n", "\n        ")
        lines.append(f"{when} {arrow} {text}")
        for row in message.buttons:
            lines.append("        " + "  ".join(f"[{button.text}]" for button in row))
    return "\n".join(lines)


async def play(lang: str = "en") -> str:
    """The night's transcript: every phone's screen at the end."""
    with tempfile.TemporaryDirectory(prefix="referral-bot-demo-") as folder:
        config_path = Path(folder) / "config.toml"
        config_path.write_text(CONFIG.replace("{lang}", lang), encoding="utf-8")
        async with world(config_path, clock=FakeClock(THURSDAY_2340)) as w:
            phones = await _night(w, lang)
            officer = await people_service.find(w.services, 101)
            assert officer is not None
            filed = await referral_service.of_officer(w.services, officer)
            assert filed[0].status is Status.CLOSED, filed[0].status  # the story ran
            screens = [_screen(name, phone, w.services) for name, phone in phones]
    tr = Translator(lang)
    title = tr("A night at Tianping Road Station (demo: no token, no network)")
    return "\n\n".join([title, *screens])
