"""The command list: one table drives /help and the per-person command menus.

A person's menu and help show only what their roles may do, so an officer is never
offered /invite and a stranger sees only /start and /help.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from telegram import Bot, BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from telegram.error import TelegramError

from bot.domain.people import Person, Role
from bot.i18n import N_, Translator, available_languages
from bot.services import Services
from bot.services import people as people_service

EVERYONE = frozenset(Role)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Command:
    name: str
    description: str  # a message id, translated when shown
    roles: frozenset[Role] = EVERYONE


OFFICER = frozenset({Role.OFFICER})
WORKER = frozenset({Role.SOCIAL_WORKER})
COORDINATOR = frozenset({Role.COORDINATOR})
ADMIN = frozenset({Role.ADMIN})
COMMANDS: tuple[Command, ...] = (
    Command("new", N_("File a new referral"), OFFICER),
    Command("resume", N_("Continue your unfinished referral"), OFFICER),
    Command("cancel", N_("Cancel what you are doing"), OFFICER | WORKER),
    Command("mine", N_("My referrals and cases"), OFFICER | WORKER),
    Command("available", N_("I am available for new referrals"), WORKER | COORDINATOR),
    Command("away", N_("I am away: no new offers"), WORKER | COORDINATOR),
    Command("oncall", N_("Who is on duty now and next"), WORKER | COORDINATOR | OFFICER),
    Command("cover", N_("Change who is on duty (cover)"), COORDINATOR),
    Command("phone", N_("Your phone number for urgent calls"), OFFICER | WORKER | COORDINATOR),
    Command("audit", N_("Who did what to a referral"), COORDINATOR | frozenset({Role.ADMIN})),
    Command("report", N_("Accountability report: a chart and a spreadsheet"), COORDINATOR | ADMIN),
    Command("help", N_("What I can do for you")),
    Command("whoami", N_("Your role, station or team")),
    Command("language", N_("Change the language")),
    Command("invite", N_("Invite a person to the bot"), frozenset({Role.ADMIN})),
    Command("status", N_("Is the bot well: engine, outbox, reachability"), frozenset({Role.ADMIN})),
)
STRANGER_COMMANDS: tuple[Command, ...] = (
    Command("start", N_("Join with an invite code")),
    Command("help", N_("What this bot is")),
)

ROLE_NAMES = {
    Role.OFFICER: N_("Officer"),
    Role.SOCIAL_WORKER: N_("Social worker"),
    Role.COORDINATOR: N_("Coordinator"),
    Role.ADMIN: N_("Administrator"),
}


def commands_for(person: Person | None) -> list[Command]:
    if person is None or not person.active:
        return list(STRANGER_COMMANDS)
    return [c for c in COMMANDS if c.roles & person.roles]


def _bot_commands(commands: list[Command], tr: Translator) -> list[BotCommand]:
    return [BotCommand(c.name, tr(c.description)) for c in commands]


MENU_VERSION_KEY = "menu_version"


def menu_version() -> str:
    """Changes whenever a command, its roles or any translation of it changes."""
    parts = [
        f"{c.name}|{sorted(c.roles)}|{Translator(lang)(c.description)}"
        for lang in available_languages()
        for c in (*COMMANDS, *STRANGER_COMMANDS)
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


async def refresh_menus(bot: Bot, services: Services) -> None:
    """Publish the strangers' menu, and everyone's own menu again if the commands changed.

    A person's chat menu overrides the general one, so without this a command added in
    a new release would never appear for people enrolled before it.
    """
    try:
        await publish_default_menus(bot, services.config.default_language)
    except TelegramError as exc:
        log.warning("could not set the default command menus: %s", exc)
        return
    version = menu_version()
    if await people_service.remembered(services, MENU_VERSION_KEY) == version:
        return
    for person in await people_service.active_people(services):
        await publish_person_menu(bot, person, person.language)
    await people_service.remember(services, MENU_VERSION_KEY, version)


async def publish_default_menus(bot: Bot, default_language: str) -> None:
    """Strangers' menu in private chats (never in groups), in each language Telegram can
    tell apart by its 2-letter code."""
    await bot.set_my_commands(
        _bot_commands(list(STRANGER_COMMANDS), Translator(default_language)),
        scope=BotCommandScopeAllPrivateChats(),
    )
    seen: set[str] = set()
    for language in available_languages():
        short = language.split("_")[0]
        if short in seen:
            continue
        seen.add(short)
        await bot.set_my_commands(
            _bot_commands(list(STRANGER_COMMANDS), Translator(language)),
            scope=BotCommandScopeAllPrivateChats(),
            language_code=short,
        )


async def publish_person_menu(bot: Bot, person: Person, language: str) -> None:
    """The menu in the person's own chat: their roles, their language.

    A menu that fails to update is an inconvenience, not a reason to fail enrolment.
    """
    try:
        await bot.set_my_commands(
            _bot_commands(commands_for(person), Translator(language)),
            scope=BotCommandScopeChat(person.telegram_id),
        )
    except TelegramError as exc:
        log.warning("could not set the menu of person %s: %s", person.id, exc)
