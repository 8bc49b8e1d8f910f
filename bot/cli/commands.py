"""The administrative commands, everything but ``run``: each does one thing (to the
database; to a file for ``keygen`` and ``check-config``) and prints what it did.
``demo`` and ``doctor`` live in their own modules, imported only when asked for.

``restore`` takes the database's lock from :mod:`bot.cli.serving`: it must not replace
the database under a running bot."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from telegram import Bot
from telegram.error import TelegramError

from bot.cli import report as report_cli
from bot.cli.common import EXIT_INVALID, CliError, _config, _services
from bot.cli.serving import _only_one
from bot.clock import Clock, SystemClock
from bot.config import (
    DEFAULT_AGE_BANDS,
    DEFAULT_CATEGORIES,
    Config,
    ConfigError,
    Named,
    load_config,
)
from bot.domain.invite import Scope, ScopeError, invite_link, parse_lifetime
from bot.domain.paging import ContactKind, ContactMethod
from bot.domain.people import Role
from bot.domain.phones import masked
from bot.domain.referral import Skill
from bot.domain.rota import Change
from bot.paging import probe
from bot.services import Services, enrolment, gateways, resource_directory
from bot.services import people as people_service
from bot.services import rota as rota_service
from bot.services.paging import BadAddress
from storage import audit as audit_storage
from storage import referrals as referrals_storage
from storage.db import StorageError, inspect, restore_copy
from storage.sealing import Sealer, SealingError, reseal_all, write_key_file


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
    today = clock.now().astimezone(config.zone).date()
    asked = report_cli.request(args, config, today) if args.command == "report" else None
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
        elif args.command == "directory":
            await _directory_import(services, args.file, allow_empty=args.allow_empty)
        elif args.command == "paging":
            await _paging(services, args)
        elif asked is not None:
            await report_cli.run(services, asked)
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
    for line in _untranslated_names(config):
        print(line)
    for line in _dropped_defaults(config):
        print(line)
    for line in _paging_lines(config):
        print(line)
    return 0


def _paging_lines(config: Config) -> list[str]:
    """``[paging]`` as a whole: which channels it gives, and the combinations that would
    leave one half-working (a malformed number is already refused by the loader). Secrets
    come from the environment, so a missing one is said by its variable's name."""
    paging = config.paging
    lines = []
    lacking = probe.missing(paging)
    if lacking:
        lines.append(
            f"  warning: paging: Twilio needs {', '.join(lacking)} too;"
            " no call or SMS is sent without it"
        )
    elif paging.twilio and not paging.public_url:
        lines.append(
            "  warning: paging: calls without paging.public_url cannot be acknowledged"
            " by pressing 1 (Twilio has nowhere to post the keypress)"
        )
    if paging.webhook_url and not paging.webhook:
        lines.append(
            "  warning: paging: webhook_url without a secret"
            " (REFERRAL_BOT_PAGING__WEBHOOK_SECRET); nothing is posted to the gateway"
        )
    channels = [
        *(["Twilio calls and SMS"] if paging.twilio else []),
        *(["webhook gateway"] if paging.webhook else []),
    ]
    lines.insert(0, f"  paging: {' and '.join(channels) or 'off (Telegram only)'}")
    return lines


def _untranslated_names(config: Config) -> list[str]:
    """Stations, teams, categories and age bands without a Traditional name: not an
    error (people reading 繁體中文 see the Simplified ``name_zh``), but worth an
    administrator's minute."""
    kinds: list[tuple[str, str, Sequence[Named]]] = [
        ("station", "stations", config.stations),
        ("team", "teams", config.teams),
        ("category", "categories", config.categories),
        ("age band", "age bands", config.age_bands),
    ]
    lines = []
    for one, many, named in kinds:
        missing = [item.id for item in named if item.name_zh_hant is None]
        if missing:
            lines.append(
                f"  warning: no Traditional Chinese name (name_zh_hant) for"
                f" {one if len(missing) == 1 else many} {', '.join(map(repr, missing))};"
                " people who read 繁體中文 see the Simplified name_zh instead"
            )
    return lines


def _dropped_defaults(config: Config) -> list[str]:
    """Default categories and age bands the configuration has no entry for: a warning,
    not an error (a deployment may never have used them), but referrals filed under one
    before would read "no longer in use" and, for a category, lose its rules."""
    kinds: list[tuple[str, str, str, Sequence[Named], Sequence[Named]]] = [
        ("category", "categories", "name and rules", DEFAULT_CATEGORIES, config.categories),
        ("age band", "age bands", "name", DEFAULT_AGE_BANDS, config.age_bands),
    ]
    lines = []
    for one, many, kept, defaults, listed in kinds:
        have = {item.id for item in listed}
        missing = [item.id for item in defaults if item.id not in have]
        if missing:
            lines.append(
                f"  warning: no entry for the default {one if len(missing) == 1 else many}"
                f" {', '.join(map(repr, missing))}; referrals filed under"
                f' {"it" if len(missing) == 1 else "them"} before read "no longer in use"'
                f" (list each with retired = true to keep its {kept})"
            )
    return lines


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


async def _paging(services: Services, args: argparse.Namespace) -> None:
    """``paging list`` and ``paging gateway set|remove``; no address is ever printed."""
    if args.paging_command == "list":
        found = await gateways.holders(services)
        if not found:
            print("nobody can be paged outside Telegram yet")
        for holder in found:
            shown = "; ".join(_method_line(m) for m in holder.methods)
            print(f"{holder.person.display_name} ({holder.person.telegram_id}): {shown}")
        return
    telegram_id = args.telegram_id
    if args.gateway_command == "set":
        try:
            person = await gateways.set_gateway(services, telegram_id, args.address)
        except BadAddress:
            raise CliError(
                "not a gateway id: up to 64 letters, digits and . _ : @ + -", EXIT_INVALID
            ) from None
        if person is None:
            raise CliError(f"nobody with Telegram id {telegram_id} is enrolled", EXIT_INVALID)
        print(f"{person.display_name} ({telegram_id}): the gateway pages them (verified)")
        return
    person, removed = await gateways.remove_gateway(services, telegram_id)
    if person is None:
        raise CliError(f"nobody with Telegram id {telegram_id} is enrolled", EXIT_INVALID)
    said = "no longer paged through the gateway" if removed else "had no gateway id"
    print(f"{person.display_name} ({telegram_id}): {said}")


def _method_line(method: ContactMethod) -> str:
    """ "voice ••••4567 verified", "gateway not working (http 404)": a number masked as
    its owner sees it in /phone, a gateway id not at all."""
    if method.failing_since is not None:
        state = f"not working ({method.failing_error or 'refused'})"
    else:
        state = "verified" if method.verified_at is not None else "waiting for the code"
    if method.kind is ContactKind.WEBHOOK:
        return f"gateway {state}"
    return f"{method.kind.value} {masked(method.address)} {state}"


async def _directory_import(services: Services, path: Path, *, allow_empty: bool) -> None:
    try:
        text = path.read_text(encoding="utf-8-sig")  # noqa: ASYNC240 - one small file
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {path}: {exc}", EXIT_INVALID) from None
    try:
        written, dropped = await resource_directory.import_file(
            services, text, allow_empty=allow_empty
        )
    except resource_directory.EmptyDirectoryFile:
        raise CliError(
            f"{path} lists no resources; nothing was imported (importing it would withdraw "
            "the whole directory: give --allow-empty if that is what you want)",
            EXIT_INVALID,
        ) from None
    except resource_directory.DirectoryFileError as exc:
        for line in exc.errors:
            print(f"{path}: {line}", file=sys.stderr)
        count = len(exc.errors)
        raise CliError(f"{count} bad row(s); nothing was imported", EXIT_INVALID) from None
    print(f"directory imported from {path}: {written} resource(s)")
    if dropped:
        print(f"  {dropped} resource(s) not in the file are no longer offered")


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
