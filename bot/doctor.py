"""``referral-bot doctor``: is this deployment fit to run tonight? One line per check.

Nothing is changed: the database is opened read-only (no migration, no key made), so
the doctor can be run beside the running bot, before an upgrade, or on a copy.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import httpx
from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from bot import heartbeat, systemd
from bot.clock import SystemClock
from bot.config import Config, ConfigError, load_config
from bot.paging import probe
from storage import lock
from storage.db import inspect, migrations
from storage.sealing import Sealer, SealingError

# passed, failed, WARN (to act on, but the bot runs as it is), or None: only to know
Verdict = bool | Literal["warn"] | None
Report = Callable[[Verdict, str, str], None]
WARN: Literal["warn"] = "warn"
Check = Callable[[Config, Report], Awaitable[bool]]


def _printer(lines: list[str]) -> Report:
    def report(ok: Verdict, check: str, detail: str) -> None:
        mark = "info" if ok is None else "WARN" if ok == WARN else "ok  " if ok else "FAIL"
        lines.append(f"{mark}  {check}: {detail}")

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
    results = [await check(config, report) for check in CHECKS]
    _running(config, lines)
    return all(results), lines


def _at_once(check: Callable[[Config, Report], bool]) -> Check:
    async def run(config: Config, report: Report) -> bool:
        return check(config, report)

    return run


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


async def _heartbeat(config: Config, report: Report) -> bool:
    """Configured, and does the service answer? Asked with ``<url>/log`` (Healthchecks.io
    records it without counting it as a sign of life: a doctor run beside a stuck bot
    must not hide it). Not configured is no failure: only nobody hears when the bot is
    down."""
    url = config.health.heartbeat_url
    if not url:
        report(
            None,
            "heartbeat",
            "not configured ([health] heartbeat_url): nobody outside hears if the bot is down",
        )
        return True
    where = heartbeat.host(url)
    try:
        async with httpx.AsyncClient(timeout=heartbeat.TIMEOUT, follow_redirects=True) as client:
            response = await client.post(url.rstrip("/") + "/log", content=b"referral-bot doctor")
    except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
        report(False, "heartbeat", f"{where} does not answer: {heartbeat.describe(exc)}")
        return False
    if response.is_error:
        report(False, "heartbeat", f"{where} answers HTTP {response.status_code}")
        return False
    every = config.health.heartbeat_every
    report(
        True, "heartbeat", f"{where} answers; pinged after engine rounds, at most every {every} s"
    )
    return True


async def _systemd(config: Config, report: Report) -> bool:
    """Whether systemd notification is active for this process (the doctor run as the
    unit's ExecStartPre, or with ``systemd-run``); run from a shell it never is."""
    notifier = systemd.Notifier.from_environment(SystemClock())
    if not notifier.active:
        report(
            None,
            "systemd",
            "no NOTIFY_SOCKET here: readiness and watchdog are sent only under Type=notify",
        )
        return True
    watchdog = (
        f"watchdog every {notifier.watchdog.total_seconds():.0f} s"
        if notifier.watchdog
        else "no watchdog (WatchdogSec)"
    )
    report(True, "systemd", f"notification active ({notifier.address}), {watchdog}")
    return True


async def _paging(config: Config, report: Report) -> bool:
    """Which paging channels are live. Twilio: its settings complete, and the account
    asked for (read-only, see :mod:`bot.paging.probe`). The gateway: its URL and secret
    present; nothing is sent to it (a gateway takes every signed POST as a page)."""
    paging = config.paging
    passed = True
    lacking = probe.missing(paging)
    if lacking:
        report(False, "paging", f"Twilio is not used: {', '.join(lacking)} not set")
        passed = False
    elif paging.twilio:
        answer = await probe.twilio(paging)
        if not answer.live:
            report(False, "paging", answer.problem)
            passed = False
        elif paging.public_url:
            report(True, "paging", "Twilio live (calls, SMS)")
        else:
            report(
                False,
                "paging",
                "Twilio live (SMS); calls cannot be answered with a keypress:"
                " set paging.public_url",
            )
            passed = False
    if paging.webhook_url and not paging.webhook:
        report(
            False,
            "paging",
            "webhook gateway without a secret (REFERRAL_BOT_PAGING__WEBHOOK_SECRET)",
        )
        passed = False
    elif paging.webhook:
        where = probe.host(paging.webhook_url or "")
        report(
            True, "paging", f"webhook gateway {where} configured (not tried: every post is a page)"
        )
    if not lacking and not paging.twilio and not paging.webhook_url:
        report(None, "paging", "off (Telegram only)")
    return passed


async def _report_pictures(config: Config, report: Report) -> bool:
    """Whether report pictures can be drawn in Chinese: without a CJK font they fall
    back to English (bot/reports/picture.py), a warning rather than a failure. The font
    is looked for as the bot looks for it, through fontconfig, on every picture: one
    installed while the bot runs is used from the next picture on. Imported here, not
    at the top: matplotlib is loaded only when the doctor asks."""
    from bot.reports.picture import cjk_font

    fonts = {language: cjk_font(language) for language in ("zh_Hans", "zh_Hant")}
    if fonts["zh_Hans"] is None or fonts["zh_Hant"] is None:
        report(
            WARN,
            "report pictures",
            "no Chinese font found by fontconfig (fc-list :lang=zh); pictures are drawn"
            " in English. Install one (Debian/Ubuntu: apt install fonts-noto-cjk): the"
            " next picture uses it, no restart needed.",
        )
    elif fonts["zh_Hans"] == fonts["zh_Hant"]:
        report(True, "report pictures", f"Chinese font {fonts['zh_Hans']}")
    else:
        report(
            True,
            "report pictures",
            f"Chinese fonts {fonts['zh_Hans']} (zh_Hans), {fonts['zh_Hant']} (zh_Hant)",
        )
    return True


# Each check reports its own lines; a new one is one function here.
CHECKS: tuple[Check, ...] = (
    _at_once(_time_zone),
    _at_once(_database),
    _at_once(_key),
    _token,
    _heartbeat,
    _systemd,
    _paging,
    _report_pictures,
)


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
