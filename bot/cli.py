"""``referral-bot``: run the bot and do the few things an admin needs from a shell.

Every expected failure (no token, unreadable config, unwritable database) is one
readable line on stderr and exit code 2; ``check-config`` exits 1 on an invalid file.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from telegram import Bot, Update
from telegram.error import InvalidToken, NetworkError, TelegramError

from bot import logs
from bot.clock import Clock, SystemClock, WarpedClock
from bot.config import Config, ConfigError, load_config
from bot.domain.invite import Scope, ScopeError, invite_link, parse_lifetime
from bot.domain.people import Role
from bot.domain.referral import Skill
from bot.domain.rota import Change
from bot.i18n import available_languages
from bot.services import Services, enrolment, open_database
from bot.services import people as people_service
from bot.services import rota as rota_service
from bot.stopping import NoAnswer, Stopped, unless_stopped
from storage import audit as audit_storage
from storage import lock
from storage import referrals as referrals_storage
from storage.db import StorageError, inspect, restore_copy
from storage.sealing import Sealer, SealingError, reseal_all, write_key_file

if TYPE_CHECKING:
    from handlers.context import BotApp

DEFAULT_CONFIG = "config.toml"
EXIT_INVALID = 1
EXIT_CANNOT_RUN = 2


class CliError(Exception):
    """An expected failure: print ``str(self)`` and exit with ``code``."""

    def __init__(self, message: str, code: int = EXIT_CANNOT_RUN) -> None:
        super().__init__(message)
        self.code = code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="referral-bot",
        description="Police to social work referral bot (警社联动转介).",
    )
    parser.add_argument(
        "--debug", action="store_true", help="log our own steps in detail (never personal data)"
    )
    parser.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="json: one object a line with time, level, message and the referral reference",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    config_default = os.environ.get("REFERRAL_BOT_CONFIG", DEFAULT_CONFIG)

    def with_config(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument(
            "--config",
            type=Path,
            default=Path(config_default),
            help=f"configuration file (default: $REFERRAL_BOT_CONFIG or {DEFAULT_CONFIG})",
        )
        return p

    run = with_config(sub.add_parser("run", help="run the bot (long polling) until stopped"))
    run.add_argument(
        "--webhook",
        action="store_true",
        help="take updates on telegram.webhook_url (behind a reverse proxy) instead of polling",
    )
    # Demos and crash tests only, so not in `run --help` (see the README, "Command line").
    run.add_argument("--time-warp", type=float, default=None, help=argparse.SUPPRESS)
    run.add_argument("--time-origin", type=float, default=None, help=argparse.SUPPRESS)
    run.add_argument("--start-at", default=None, help=argparse.SUPPRESS)
    with_config(
        sub.add_parser(
            "rotate-key",
            help="re-encrypt all personal data with the first key (put a new key first, keep "
            "the old one after it, run this, then remove the old key)",
        )
    )
    hold = with_config(
        sub.add_parser(
            "legal-hold", help="stop erasing a referral (or, with --off, allow it again)"
        )
    )
    hold.add_argument("ref")
    hold.add_argument("--off", action="store_true", help="lift the hold")
    keygen = sub.add_parser(
        "keygen", help="write a new key for personal data at rest to FILE (mode 0600)"
    )
    keygen.add_argument("file", type=Path)
    check = sub.add_parser("check-config", help="validate a configuration file")
    check.add_argument("path", type=Path)
    with_config(sub.add_parser("init-db", help="create or migrate the database"))
    invite = with_config(sub.add_parser("invite", help="make a one-time invite code and link"))
    invite.add_argument("--role", required=True, choices=[r.value for r in Role])
    invite.add_argument("--station", help="station id (officers)")
    invite.add_argument("--team", help="team id (social workers, coordinators)")
    invite.add_argument("--name", help="the person's display name in the bot")
    invite.add_argument("--expires", default="72h", help="lifetime such as 72h, 3d, 90m")
    backup = with_config(sub.add_parser("backup", help="copy the database while it is in use"))
    backup.add_argument("destination", type=Path)
    restore = with_config(
        sub.add_parser(
            "restore",
            help="put a backup in place of the database (the bot must be stopped; the "
            "database that was there is kept beside it)",
        )
    )
    restore.add_argument("source", type=Path)
    demo = sub.add_parser(
        "demo", help="play a night on the real bot with a fake Telegram: no token, no network"
    )
    demo.add_argument("--lang", choices=available_languages(), default="en")
    with_config(
        sub.add_parser(
            "doctor",
            help="check config, database, key, time zone and token; one line each, exit 1 "
            "if any fails",
        )
    )
    skills = with_config(sub.add_parser("skills", help="set a social worker's skills"))
    skills.add_argument("telegram_id", type=int)
    skills.add_argument(
        "--set",
        required=True,
        dest="skills",
        help=f"comma list of {', '.join(s.value for s in Skill)}; empty clears",
    )
    for name, text in (("deactivate", "turn a person's access off"), ("reactivate", "turn it on")):
        p = with_config(sub.add_parser(name, help=text))
        p.add_argument("telegram_id", type=int)
    rota = sub.add_parser("rota", help="the weekly rota of workers and coordinators")
    rota_sub = rota.add_subparsers(dest="rota_command", required=True, metavar="ACTION")
    rota_import = with_config(
        rota_sub.add_parser(
            "import",
            help="import weekly shifts (replacing them all) or covers (added) from a CSV file",
            description=rota_service.CSV_HELP,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )
    rota_import.add_argument("file", type=Path, help="the CSV file (UTF-8)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    level = logging.DEBUG if args.debug else logging.INFO
    if args.command == "demo" and not args.debug:
        level = logging.ERROR  # the transcript is the output
    logs.configure(level, json_lines=args.log_format == "json")
    try:
        if args.command == "run":
            return _run(args.config, _run_clock(args), webhook=args.webhook)
        if args.command == "restore":
            return _restore(_config(args.config), args.source)
        return asyncio.run(_dispatch(args, SystemClock()))
    except CliError as exc:
        print(f"referral-bot: {exc}", file=sys.stderr)
        return exc.code


async def amain(argv: Sequence[str], *, clock: Clock | None = None) -> int:
    """The non-``run`` commands, awaitable (tests call this inside their event loop)."""
    args = _parser().parse_args(argv)
    if args.command in ("run", "restore"):
        raise CliError(f"use main() for {args.command!r}")
    try:
        return await _dispatch(args, clock or SystemClock())
    except CliError as exc:
        print(f"referral-bot: {exc}", file=sys.stderr)
        return exc.code


def _config(path: Path) -> Config:
    try:
        return load_config(path)
    except ConfigError as exc:
        raise CliError("; ".join(exc.lines)) from None


async def _services(config: Config, clock: Clock, *, sync: bool = False) -> Services:
    """The database; ``sync`` also mirrors the config's stations and teams into it.

    Only ``run`` and ``init-db`` sync: an ``invite`` run with another copy of the config
    must not change the stations under a running bot.
    """
    try:
        db = await open_database(config, sync=sync)
    except StorageError as exc:
        raise CliError(str(exc)) from None
    except ConfigError as exc:
        raise CliError("; ".join(exc.lines)) from None
    return Services(config=config, db=db, clock=clock)


async def _dispatch(args: argparse.Namespace, clock: Clock) -> int:
    if args.command == "check-config":
        return _check_config(args.path)
    if args.command == "keygen":
        return _keygen(args.file)
    if args.command == "demo":
        from bot.sandbox import demo as demo_night

        print(await demo_night.play(args.lang))
        return 0
    if args.command == "doctor":
        from bot import doctor

        passed, lines = await doctor.examine(args.config)
        print("\n".join(lines))
        return 0 if passed else 1
    config = _config(args.config)
    services = await _services(config, clock, sync=args.command == "init-db")
    try:
        if args.command == "init-db":
            version = await services.db.schema_version()
            print(f"database {config.database.path} is ready (schema version {version})")
        elif args.command == "invite":
            await _invite(services, args)
        elif args.command == "backup":
            await _backup(services, args.destination)
        elif args.command == "legal-hold":
            await _legal_hold(services, args.ref.upper(), hold=not args.off)
        elif args.command == "rotate-key":
            await _rotate_key(services)
        elif args.command == "skills":
            await _skills(services, args.telegram_id, args.skills)
        elif args.command in ("deactivate", "reactivate"):
            active = args.command == "reactivate"
            person = await people_service.set_active(services, args.telegram_id, active)
            if person is None:
                raise CliError(f"nobody with Telegram id {args.telegram_id} is enrolled", 1)
            state = "active" if active else "deactivated"
            print(f"{person.display_name} ({args.telegram_id}) is now {state}")
        elif args.command == "rota":
            await _rota_import(services, args.file)
    finally:
        await services.db.close()
    return 0


async def _legal_hold(services: Services, ref: str, *, hold: bool) -> None:
    async with services.db.write() as tx:
        if not await referrals_storage.set_legal_hold(tx, ref, hold):
            raise CliError(f"no referral {ref}", EXIT_INVALID)
        await audit_storage.record(
            tx,
            now=services.clock.now(),
            action="referral.legal_hold" if hold else "referral.legal_hold_lifted",
            subject=ref,
        )
    print(f"{ref}: legal hold {'on: it will not be erased' if hold else 'lifted'}")


async def _rotate_key(services: Services) -> None:
    if not services.config.privacy.keys():
        raise CliError("no key configured: run referral-bot keygen and set privacy.key_file", 1)
    try:
        async with services.db.write() as tx:
            count = await reseal_all(tx)
            await audit_storage.record(
                tx, now=services.clock.now(), action="key.rotated", detail=f"{count} values"
            )
    except SealingError as exc:
        raise CliError(f"{exc}: is the old key still listed after the new one?", 1) from None
    print(f"{count} personal values re-encrypted with the first key")


def _keygen(path: Path) -> int:
    """A new key in a file only its owner can read; never overwrites an existing one."""
    try:
        write_key_file(path)
    except FileExistsError:
        raise CliError(f"{path} already exists; keys are never overwritten", EXIT_INVALID) from None
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror}") from None
    print(f'key written to {path} (mode 0600); set privacy.key_file = "{path}" in the config')
    print("keep a copy somewhere safe: without it the personal data cannot be read")
    return 0


def _check_config(path: Path) -> int:
    try:
        config = load_config(path)
    except ConfigError as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        return EXIT_INVALID
    token = "set" if config.telegram.token else "not set (give it as REFERRAL_BOT_TELEGRAM__TOKEN)"
    print(f"{path}: OK")
    print(f"  stations: {len(config.stations)}, teams: {len(config.teams)}")
    print(f"  admins: {len(config.admins)}, time zone: {config.timezone}")
    print(f"  language: {config.default_language}, database: {config.database.path}")
    print(f"  bot token: {token}")
    key_file = config.privacy.key_file
    try:
        keys = len(config.privacy.keys()) if key_file is None or key_file.exists() else 0
    except ConfigError as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        return EXIT_INVALID
    sealed = f"encrypted ({keys} key(s))" if keys else "NOT encrypted (run referral-bot keygen)"
    if key_file is not None and not key_file.exists():
        sealed = f"encrypted; the key file {key_file} is made at the first start"
    print(f"  personal data at rest: {sealed}")
    for station in config.uncovered_stations():
        print(f"  warning: no team covers station {station!r}; its referrals reach nobody")
    return 0


async def _invite(services: Services, args: argparse.Namespace) -> None:
    try:
        lifetime = parse_lifetime(args.expires)
        scope = Scope(Role(args.role), station_id=args.station, team_id=args.team)
        issued = await enrolment.create_invite(
            services, scope, lifetime=lifetime, display_name=args.name
        )
    except (ValueError, ScopeError) as exc:
        raise CliError(str(exc), EXIT_INVALID) from None
    assert issued is not None  # only a chat card's second tap yields None
    config = services.config
    print(f"code:    {issued.code}")
    print(f"role:    {issued.scope.role.value}")
    print(
        f"expires: {issued.expires_at.astimezone(config.zone):%Y-%m-%d %H:%M} ({config.timezone})"
    )
    username = config.telegram.bot_username or await _username_from_telegram(config)
    if username:
        print(f"link:    {invite_link(username, issued.code)}")
    else:
        print("link:    set telegram.bot_username in the config to print the link;")
        print(f"         meanwhile the person can send: /start {issued.code}")


async def _username_from_telegram(config: Config) -> str | None:
    if config.telegram.token is None:
        return None
    bot = Bot(config.telegram.token.get_secret_value(), base_url=config.telegram.base_url)
    try:
        async with bot:
            return bot.username
    except TelegramError:
        return None


async def _skills(services: Services, telegram_id: int, text: str) -> None:
    try:
        skills = frozenset(Skill(s.strip()) for s in text.split(",") if s.strip())
    except ValueError:
        known = ", ".join(s.value for s in Skill)
        raise CliError(f"unknown skill in {text!r}; known: {known}", EXIT_INVALID) from None
    person = await people_service.set_skills(services, telegram_id, skills)
    if person is None:
        raise CliError(f"nobody with Telegram id {telegram_id} is enrolled", EXIT_INVALID)
    shown = ", ".join(sorted(skills)) or "none"
    print(f"{person.display_name} ({telegram_id}) skills: {shown}")


async def _rota_import(services: Services, path: Path) -> None:
    try:
        text = path.read_text(encoding="utf-8-sig")  # noqa: ASYNC240 - one small file
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {path}: {exc}", EXIT_INVALID) from None
    try:
        imported = await rota_service.import_file(services, text)
    except rota_service.RotaFileError as exc:
        for line in exc.errors:
            print(f"{path}: {line}", file=sys.stderr)
        count = len(exc.errors)
        raise CliError(f"{count} bad row(s); nothing was imported", EXIT_INVALID) from None
    if isinstance(imported, rota_service.ImportedCovers):
        _print_covers(services, path, imported)
        return
    print(f"rota imported from {path}: {imported.total_shifts} shifts, {imported.rows} rows")
    for (team_id, role), shifts in sorted(imported.shifts.items(), key=lambda i: i[0][0] or ""):
        who = f"team {team_id}" if team_id else "coordinators"
        staff = imported.people[(team_id, role)]
        print(f"  {who}: {shifts} shift(s), {staff} {role.value.replace('_', ' ')}(s)")
    print(f"covers kept: {imported.overrides_kept}")
    for team_id in imported.teams_without_rota:
        print(f"  note: team {team_id!r} has no shifts; only /available puts its workers on duty")


def _print_covers(services: Services, path: Path, imported: rota_service.ImportedCovers) -> None:
    """One line per cover added, in local time, so the admin can check what the file said."""
    zone = services.config.zone

    def local(moment: datetime) -> str:
        return f"{moment.astimezone(zone):%Y-%m-%d %H:%M}"

    print(
        f"covers imported from {path}: {len(imported.added)} added,"
        f" {imported.already_there} already there, {imported.rows} rows"
        f" (times in {services.config.timezone}); weekly shifts are unchanged"
    )
    for cover in imported.added:
        who = f"team {cover.team_id}" if cover.team_id else "coordinators"
        person = f"{cover.person.display_name} ({cover.person.telegram_id})"
        if cover.replaces is not None:
            replaced = f"{cover.replaces.display_name} ({cover.replaces.telegram_id})"
            what = f"{person} covers for {replaced}"
        elif cover.override.change is Change.REMOVE:
            what = f"{person} off duty"
        else:
            what = f"{person} on duty as well"
        span = f"{local(cover.override.start)} until {local(cover.override.end)}"
        print(f"  {who}: {what}, {span}")
    for team_id in imported.rotas_without_rules:
        who = f"team {team_id!r}" if team_id else "the coordinators' rota"
        print(f"  note: {who} has no weekly shifts yet; its covers count once some are imported")


async def _backup(services: Services, destination: Path) -> None:
    if destination.exists():  # noqa: ASYNC240 - one stat before a long copy
        raise CliError(f"{destination} already exists; choose a new file name", EXIT_INVALID)
    try:
        await services.db.backup(destination)
    except (OSError, sqlite3.Error) as exc:
        raise CliError(f"cannot write the backup to {destination}: {exc}") from None
    async with services.db.write() as tx:  # a copy of everything leaves: on the record
        await audit_storage.record(
            tx, now=services.clock.now(), action="database.exported", detail=str(destination)
        )
    print(f"backup written to {destination}")


def _run_clock(args: argparse.Namespace) -> Clock:
    """The bot's clock: the wall clock, or for demos and crash tests a warped one.

    ``--start-at`` names the bot time to start from (local time in the config's zone),
    so a demo can begin just before midnight whatever the hour; with ``--time-origin``
    too, that bot time belongs to that real moment, so a restarted process agrees with
    the one that was killed."""
    if args.time_warp is None and args.start_at is None:
        if args.time_origin is not None:
            raise CliError("--time-origin needs --time-warp or --start-at", EXIT_INVALID)
        return SystemClock()
    origin = args.time_origin if args.time_origin is not None else datetime.now(UTC).timestamp()
    real_origin = datetime.fromtimestamp(origin, UTC)
    start = None
    if args.start_at is not None:
        zone = _config(args.config).zone
        try:
            start = datetime.strptime(args.start_at, "%Y-%m-%d %H:%M").replace(tzinfo=zone)
        except ValueError:
            raise CliError(
                f"--start-at {args.start_at!r}: give local time as 'YYYY-MM-DD HH:MM'",
                EXIT_INVALID,
            ) from None
    try:
        return WarpedClock(real_origin, args.time_warp or 1.0, start=start)
    except ValueError as exc:
        raise CliError(f"--time-warp: {exc}", EXIT_INVALID) from None


def _run(config_path: Path, clock: Clock, *, webhook: bool = False) -> int:
    config = _config(config_path)
    if config.telegram.token is None or not config.telegram.token.get_secret_value():
        raise CliError(
            "no bot token: set REFERRAL_BOT_TELEGRAM__TOKEN (from @BotFather), "
            "or telegram.token in the config file"
        )
    if webhook:
        from bot.webhook import WebhookError, check

        secret = config.telegram.webhook_secret
        try:
            check(config.telegram.webhook_url, secret.get_secret_value() if secret else None)
        except WebhookError as exc:
            raise CliError(str(exc), EXIT_INVALID) from None

    with _only_one(config):
        asyncio.run(_start_and_serve(config, clock, webhook=webhook))
        logging.getLogger(__name__).info("stopped")
    return 0


async def _start_and_serve(config: Config, clock: Clock, *, webhook: bool) -> None:
    """Start-up in one event loop: open the database once (key, schema version and the
    config's directory are checked there), check the token with the application's own
    ``getMe``, then serve. Each expected failure is one clear line before PTB's own
    start-up could log a traceback.

    SIGTERM and Ctrl+C are listened to from the start: while Telegram does not answer a
    start-up call, a stop request ends the process at once (see :mod:`bot.stopping`)."""
    with _stop_on_signals() as stop:
        await _start_and_serve_until(stop, config, clock, webhook=webhook)


async def _start_and_serve_until(
    stop: asyncio.Event, config: Config, clock: Clock, *, webhook: bool
) -> None:
    from bot.app import build_application  # the heavy import only when running

    services = await _services(config, clock, sync=True)
    handed_over = False
    try:
        if not config.privacy.keys():  # asked after opening: the first start makes the key
            logging.getLogger(__name__).warning(
                "no key for personal data: it is stored in clear (set privacy.key_file)"
            )
        app = build_application(config, clock=clock, services=services)
        if not await initialize(app, config, stop):
            return
        logging.getLogger(__name__).info("starting; stop with Ctrl+C or SIGTERM")
        handed_over = True  # the application closes the database when it shuts down
        try:
            await _serve(app, stop, webhook=webhook)
        except NoAnswer as exc:
            raise CliError(str(exc)) from None
    finally:
        if not handed_over:
            await services.db.close()


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[asyncio.Event]:
    """An event set by SIGTERM or SIGINT, while inside (in the running loop)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for signum in signals:
        loop.add_signal_handler(signum, stop.set)
    try:
        yield stop
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)


async def initialize(app: BotApp, config: Config, stop: asyncio.Event) -> bool:
    """Initialise ``app`` (its ``getMe`` is the token check); False if a stop was asked
    for first. A refused token or no answer is a :class:`CliError`.

    On any failure the bot's HTTP clients are closed here: PTB's own ``shutdown`` does
    nothing for an application whose ``initialize`` did not finish, and would leave
    their connections open."""
    try:
        await unless_stopped(app.initialize(), stop)
    except BaseException as exc:
        await app.bot.shutdown()  # the connection pools PTB opened before getMe
        if isinstance(exc, Stopped):
            return False
        if isinstance(exc, InvalidToken):
            raise CliError("Telegram refused the bot token; check it with @BotFather") from None
        if isinstance(exc, NetworkError):
            raise CliError(f"cannot reach Telegram at {config.telegram.base_url}: {exc}") from None
        raise
    return True


@contextlib.contextmanager
def _only_one(config: Config) -> Iterator[None]:
    """The database's lock, held while the bot runs (see storage/lock.py)."""
    path = config.database.path
    try:
        with lock.exclusive(path):
            yield
    except lock.Held:
        raise CliError(f"another referral-bot is running on {path}; stop it first") from None
    except lock.Unavailable as exc:
        raise CliError(f"cannot open the database at {path}: {exc}") from None


def _key_opens(config: Config, source: Path) -> None:
    """Refuse a backup whose personal data the configured key cannot open."""
    try:
        sealed = inspect(source)[2]
    except sqlite3.DatabaseError:
        return  # not a database: check_copy says so in its own words
    if sealed is None:
        return
    try:
        Sealer(config.privacy.keys()).unseal(sealed)
    except (SealingError, ConfigError) as exc:
        raise CliError(f"the configured key cannot open {source}: {exc}", 1) from None


def _restore(config: Config, source: Path) -> int:
    path = config.database.path
    keep = path.with_name(f"{path.name}.before-restore-{datetime.now(UTC):%Y%m%dT%H%M%S}")
    _key_opens(config, source)
    with _only_one(config):
        try:
            restore_copy(source, path, keep)
        except StorageError as exc:
            raise CliError(str(exc), 1) from None
        except (OSError, sqlite3.Error) as exc:
            raise CliError(f"cannot restore {source}: {exc}") from None

        async def record() -> None:
            services = await _services(config, SystemClock())
            try:
                async with services.db.write() as tx:
                    await audit_storage.record(
                        tx, now=services.clock.now(), action="database.restored", detail=str(source)
                    )
            finally:
                await services.db.close()

        asyncio.run(record())
    print(f"restored {path} from {source}")
    if keep.exists():
        print(f"the database that was there is kept as {keep}")
    return 0


async def _serve(app: BotApp, stop: asyncio.Event, *, webhook: bool) -> None:
    """Open everything, take updates (polling, or the webhook) until ``stop`` is set
    (SIGTERM or Ctrl+C), close everything."""
    from bot import polling
    from bot import webhook as hook
    from bot.app import publish_menus_soon, running
    from handlers import jobs

    config = app.bot_data["config"]
    assert isinstance(config, Config)
    base_url = config.telegram.base_url
    wanted = [Update.MESSAGE, Update.CALLBACK_QUERY]
    async with running(app, menus=False, background=True):
        await app.start()  # the engine's jobs: its first round starts now
        menus = publish_menus_soon(app)  # beside it, not before it
        try:
            if webhook:
                telegram = config.telegram
                secret = telegram.webhook_secret
                await hook.serve(
                    app,
                    stop,
                    wanted,
                    url=telegram.webhook_url or "",
                    secret=secret.get_secret_value() if secret else "",
                    listen=telegram.webhook_listen,
                    port=telegram.webhook_port,
                    base_url=base_url,
                )
            else:
                await polling.serve(app, stop, wanted, base_url=base_url)
        finally:
            # Menus Telegram has not answered yet are published at the next start:
            # app.stop() would otherwise wait for all their tries (bot/stopping.py).
            menus.cancel()
            jobs.stop_jobs(app)
            await app.stop()
