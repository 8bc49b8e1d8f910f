"""``referral-bot doctor``: is this deployment fit to run tonight? One line per check.

Nothing is changed: the database is opened read-only (no migration, no key made), so
the doctor can be run beside the running bot, before an upgrade, or on a copy.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from bot.config import Config, ConfigError, load_config
from storage import lock
from storage.db import inspect, migrations
from storage.sealing import Sealer, SealingError

Report = Callable[[bool, str, str], None]


def _printer(lines: list[str]) -> Report:
    def report(ok: bool, check: str, detail: str) -> None:
        lines.append(f"{'ok  ' if ok else 'FAIL'}  {check}: {detail}")

    return report


async def examine(config_path: Path) -> tuple[bool, list[str]]:
    """(all passed, the report's lines)."""
    lines: list[str] = []
    report = _printer(lines)
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        report(False, "config", "; ".join(exc.lines))
        return False, lines
    report(True, "config", str(config_path))
    results = [
        _time_zone(config, report),
        _database(config, report),
        _key(config, report),
        await _token(config, report),
    ]
    _running(config, lines)
    return all(results), lines


def _time_zone(config: Config, report: Report) -> bool:
    try:
        local = datetime.now(UTC).astimezone(ZoneInfo(config.timezone))
    except (KeyError, ValueError) as exc:
        report(False, "time zone", f"{config.timezone} is unknown ({exc})")
        return False
    report(True, "time zone", f"{config.timezone}, now {local:%Y-%m-%d %H:%M}")
    return True


def _database(config: Config, report: Report) -> bool:
    path = config.database.path
    if not path.exists():
        report(False, "database", f"{path} does not exist yet (run referral-bot init-db)")
        return False
    try:
        integrity, version, _ = inspect(path)
    except Exception as exc:
        report(False, "database", f"{path} cannot be read: {exc}")
        return False
    latest = len(migrations())
    if integrity != "ok":
        report(False, "database", f"{path} is damaged: {integrity}")
        return False
    if version != latest:
        report(False, "database", f"schema {version} of {latest}: run referral-bot init-db")
        return False
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())
    report(True, "database", f"{path}, intact, schema {version} (current), {size // 1024} KiB")
    return True


def _key(config: Config, report: Report) -> bool:
    try:
        keys = config.privacy.keys()
    except ConfigError as exc:
        report(False, "key", "; ".join(exc.lines))
        return False
    sealed = None
    if config.database.path.exists():
        try:
            sealed = inspect(config.database.path)[2]
        except Exception:
            sealed = None
    if not keys:
        report(False, "key", "none configured: personal data would be stored in clear")
        return False
    if sealed is not None:
        try:
            Sealer(keys).unseal(sealed)
        except SealingError:
            report(False, "key", "it does not open the personal data in the database")
            return False
    report(True, "key", f"{len(keys)} key(s), opens the stored personal data")
    return True


async def _token(config: Config, report: Report) -> bool:
    if config.telegram.token is None or not config.telegram.token.get_secret_value():
        report(False, "token", "not set (REFERRAL_BOT_TELEGRAM__TOKEN)")
        return False
    bot = Bot(config.telegram.token.get_secret_value(), base_url=config.telegram.base_url)
    try:
        async with bot:
            me = await bot.get_me()
    except InvalidToken:
        report(False, "token", "Telegram refused it; check it with @BotFather")
        return False
    except TelegramError as exc:
        report(False, "token", f"cannot reach Telegram at {config.telegram.base_url}: {exc}")
        return False
    report(True, "token", f"valid, the bot is @{me.username}")
    return True


def _running(config: Config, lines: list[str]) -> None:
    """Not a check: whether a bot is running on this database now."""
    if not config.database.path.exists():
        return
    try:
        with lock.exclusive(config.database.path):
            lines.append("info  bot: not running on this database")
    except lock.Held:
        lines.append("info  bot: running on this database")
    except OSError:
        pass
