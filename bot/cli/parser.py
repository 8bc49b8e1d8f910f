"""The command line's arguments: every command, its options and its help text."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from bot.domain.people import Role
from bot.domain.referral import Skill
from bot.i18n import available_languages
from bot.services import resource_directory
from bot.services import rota as rota_service

DEFAULT_CONFIG = "config.toml"


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
    resources = sub.add_parser("directory", help="the directory of local resources")
    resources_sub = resources.add_subparsers(
        dest="directory_command", required=True, metavar="ACTION"
    )
    directory_import = with_config(
        resources_sub.add_parser(
            "import",
            help="replace the directory of local resources from a CSV file",
            description=resource_directory.CSV_HELP,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    )
    directory_import.add_argument("file", type=Path, help="the CSV file (UTF-8)")
    directory_import.add_argument(
        "--allow-empty",
        action="store_true",
        help="accept a file with no entries, withdrawing the whole directory "
        "(without it, such a file is refused)",
    )
    report = with_config(
        sub.add_parser(
            "report",
            help="write an accountability report for a period to a file (no personal data, "
            "small counts hidden; recorded in the audit log)",
        )
    )
    report.add_argument("--from", dest="start", required=True, metavar="DAY", help="2026-11-01")
    report.add_argument(
        "--to", dest="end", required=True, metavar="DAY", help="2026-11-30 (included)"
    )
    report.add_argument(
        "--station",
        dest="stations",
        action="extend",
        nargs="+",
        metavar="ID",
        help="only these stations (default: all)",
    )
    report.add_argument(
        "--format",
        required=True,
        metavar="xlsx|csv|png",
        help="a workbook with charts, a zip of CSV files, or a picture",
    )
    report.add_argument(
        "--language",
        metavar="|".join(available_languages()),
        help="the report's language (default: the config's default_language)",
    )
    report.add_argument(
        "--output",
        type=Path,
        metavar="PATH",
        help="the file, or a folder for it (default: report-FROM-TO.EXT here)",
    )
    report.add_argument("--force", action="store_true", help="replace an existing file")
    paging = sub.add_parser("paging", help="who can be paged outside Telegram, and how")
    paging_sub = paging.add_subparsers(dest="paging_command", required=True, metavar="ACTION")
    with_config(
        paging_sub.add_parser(
            "list", help="everybody's channels, verified or not working (no numbers shown)"
        )
    )
    gateway = paging_sub.add_parser("gateway", help="a person's id at the agency's gateway")
    gateway_sub = gateway.add_subparsers(dest="gateway_command", required=True, metavar="ACTION")
    gateway_set = with_config(
        gateway_sub.add_parser(
            "set",
            help="page the person through the gateway at ADDRESS (verified at once; replaces "
            "the one they had)",
        )
    )
    gateway_set.add_argument("telegram_id", type=int, metavar="PERSON", help="their Telegram id")
    gateway_set.add_argument("address", metavar="ADDRESS", help="the gateway's id for them")
    gateway_remove = with_config(
        gateway_sub.add_parser("remove", help="stop paging the person through the gateway")
    )
    gateway_remove.add_argument("telegram_id", type=int, metavar="PERSON", help="their Telegram id")
    return parser
