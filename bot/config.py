"""Deployment configuration: one TOML file, overridable by ``REFERRAL_BOT_*`` variables.

The file says who the stations and teams are and how the bot runs; secrets (the bot
token) normally come from the environment so the file can be shared and versioned.
A misspelt key is an error that names the key and the file: a silently ignored
``max_open_per_workr`` would route cases to exhausted workers at night.
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from bot.domain.escalation import Plan
from bot.domain.quiet import QuietHours
from bot.domain.referral import CategoryFacts, Skill, Urgency, guardian_consents
from bot.domain.rota import WeeklyWindow
from bot.i18n import available_languages

ENV_PREFIX = "REFERRAL_BOT_"
Ident = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,23}$")]
Name = Annotated[str, Field(min_length=1, max_length=64)]


class ConfigError(Exception):
    """The configuration cannot be used; ``lines`` are readable one-line reasons."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TelegramSettings(_Strict):
    token: SecretStr | None = None
    base_url: str = "https://api.telegram.org/bot"
    bot_username: str | None = Field(default=None, pattern=r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
    # `run --webhook`: Telegram posts updates to webhook_url (https, behind your reverse
    # proxy), which forwards them to webhook_listen:webhook_port; every post must carry
    # webhook_secret (give it as REFERRAL_BOT_TELEGRAM__WEBHOOK_SECRET).
    webhook_url: str | None = Field(default=None, pattern=r"^https://[^\s]+$")
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None


E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")  # Twilio's phone numbers


class PagingRule(_Strict):
    """An override of when to page, for one urgency or one category: a key left out
    keeps the value it would otherwise have."""

    from_level: int | None = Field(default=None, ge=0, le=3)
    night_only: bool | None = None


class PagingSettings(_Strict):
    """Pages beyond Telegram (bot/paging/): voice calls and SMS through Twilio's REST API,
    and a signed post to the agency's own gateway. Secrets come from the environment:
    REFERRAL_BOT_PAGING__AUTH_TOKEN and REFERRAL_BOT_PAGING__WEBHOOK_SECRET."""

    base_url: str = Field(default="https://api.twilio.com", pattern=r"^https?://[^\s]+[^/]$")
    account_sid: str | None = Field(default=None, pattern=r"^AC[0-9a-fA-F]{32}$")
    auth_token: SecretStr | None = None
    from_number: str | None = None
    webhook_url: str | None = Field(default=None, pattern=r"^https?://[^\s]+$")
    webhook_secret: SecretStr | None = None
    # Where Twilio reaches the bot (https, through your reverse proxy) for a call's
    # keypress, forwarded to listen:port.
    public_url: str | None = Field(default=None, pattern=r"^https?://[^\s]+[^/]$")
    listen: str = "127.0.0.1"
    port: int = Field(default=8444, ge=1, le=65535)
    # At most one page per person per channel this often; a later one waits its turn.
    rate_limit_seconds: int = Field(default=60, ge=0, le=3600)
    # English voices: en-GB or en-US.
    english: str = Field(default="en-GB", pattern=r"^en-(GB|US)$")
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # Where a number typed without its country code is (/phone): "6123 4567" in HK.
    default_region: str = Field(default="HK", pattern=r"^[A-Z]{2}$")
    # When the escalation pages (bot/services/escalation.py): the people told at this
    # level or above (2: the coordinator on duty, 3: every coordinator), and only at
    # night (outside the team's service hours) when night_only. Overrides per urgency
    # and per category (a category's wins over its urgency's).
    from_level: int = Field(default=2, ge=0, le=3)
    night_only: bool = True
    urgency: dict[Urgency, PagingRule] = Field(default_factory=dict)
    categories: dict[Ident, PagingRule] = Field(default_factory=dict)
    # Once anyone says "I'm on it" for a referral, the others' pages for it (not their
    # Telegram reminders) are held this long; still waiting after it, the next repeat
    # pages again.
    hold_after_ack_minutes: int = Field(default=30, ge=0, le=24 * 60)

    def rule(self, category: str, urgency: Urgency) -> tuple[int, bool]:
        """(from which level, only at night) for a referral of ``category``, ``urgency``."""
        from_level, night_only = self.from_level, self.night_only
        for rule in (self.urgency.get(urgency), self.categories.get(category)):
            if rule is not None:
                if rule.from_level is not None:
                    from_level = rule.from_level
                if rule.night_only is not None:
                    night_only = rule.night_only
        return from_level, night_only

    @field_validator("from_number")
    @classmethod
    def _e164(cls, value: str | None) -> str | None:
        """Twilio takes ``From`` only in E.164 (its error 21212 otherwise): said here,
        in the operator's words, rather than at the first page of a night."""
        if value is not None and not E164.match(value):
            raise ValueError(
                f"{value!r} is not an E.164 number: + and the country code, digits only"
                " (e.g. +85230001234)"
            )
        return value

    @property
    def twilio(self) -> bool:
        """Calls and SMS can go: an account, its token, a number to call from."""
        token = self.auth_token.get_secret_value() if self.auth_token else ""
        return bool(self.account_sid and token and self.from_number)

    @property
    def webhook(self) -> bool:
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        return bool(self.webhook_url and secret)

    @property
    def enabled(self) -> bool:
        """Some channel beyond Telegram is configured (so the page sender runs)."""
        return self.twilio or self.webhook


class DatabaseSettings(_Strict):
    path: Path = Path("referral-bot.sqlite3")


class BackupSettings(_Strict):
    """The automatic daily backup: a consistent copy made while the bot runs, at ``at``
    local time, into ``folder`` (relative to the config file); the newest ``keep`` stay.
    ``keep = 0`` turns it off."""

    folder: Path = Path("backups")
    keep: int = Field(default=7, ge=0, le=365)
    at: HHMM = "03:30"


class PrivacySettings(_Strict):
    """The key that seals personal data at rest. Give it as REFERRAL_BOT_PRIVACY__KEY
    (several keys separated by commas; the first seals, all open, for rotation) or in
    a file (one key a line, made with `referral-bot keygen FILE`)."""

    key: SecretStr | None = None
    key_file: Path | None = None
    # Take the details off the worker's phone again: hours after they were shown (a "show
    # details again" button stays in their place), and/or when the case is closed or
    # returned. Telegram lets a bot delete a message only in its first 48 hours, hence 47.
    hide_details_after_hours: int | None = Field(default=None, ge=1, le=47)
    hide_details_at_closure: bool = False

    def keys(self) -> list[str]:
        """Every key, the sealing one first (a relative key_file is resolved at loading)."""
        found = []
        if self.key is not None:
            found += [k.strip() for k in self.key.get_secret_value().split(",") if k.strip()]
        if self.key_file is not None:
            path = self.key_file
            try:
                found += [ln.strip() for ln in path.read_text().splitlines() if ln.strip()]
            except OSError as exc:
                raise ConfigError([f"{path}: cannot read the key file: {exc.strerror}"]) from None
        return found


class RetentionSettings(_Strict):
    """Days after the last change before a referral's personal fields are erased
    (anonymous counts stay): withdrawn referrals and consultations, and the rest."""

    withdrawn_days: int = Field(default=30, ge=1, le=3650)
    closed_days: int = Field(default=365, ge=1, le=3650)


class CaseSettings(_Strict):
    max_open_per_worker: int = Field(default=5, ge=1, le=100)
    # Days after a linkage is recorded before the worker is asked whether the service
    # happened (then reminded, then the coordinator on duty is told).
    linkage_follow_up_days: int = Field(default=14, ge=1, le=180)
    # Hours a linkage's follow-up waits for an answer before the worker is reminded;
    # as long again and the coordinator on duty is told.
    linkage_remind_hours: int = Field(default=24, ge=1, le=24 * 14)


Waits = Annotated[list[Annotated[int, Field(ge=1, le=1440)]], Field(min_length=3, max_length=3)]


class EscalationSettings(_Strict):
    """Minutes to wait at levels 0, 1 and 2 before telling the next level (see
    bot/domain/escalation.py), per urgency, with optional per-category overrides."""

    immediate: Waits = Field(default_factory=lambda: [5, 10, 15])
    urgent: Waits = Field(default_factory=lambda: [15, 30, 60])
    routine: Waits = Field(default_factory=lambda: [60, 120, 240])
    repeat_every: int = Field(default=15, ge=1, le=1440)
    repeat_limit: int = Field(default=8, ge=0, le=100)
    # Keyed by category id; each must name one of the configured [[categories]].
    categories: dict[Ident, dict[Urgency, Waits]] = Field(default_factory=dict)

    def plan(self, category: str, urgency: Urgency) -> Plan:
        waits = self.categories.get(category, {}).get(urgency) or getattr(self, urgency.value)
        return Plan((waits[0], waits[1], waits[2]), self.repeat_every, self.repeat_limit)


FollowUpHours = Annotated[int, Field(ge=1, le=720)]


HHMM = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class ReminderSettings(_Strict):
    """When an accepted case needs a nudge: first contact not made within the target
    (per urgency, hours) reminds the worker, and after as long again their coordinator;
    an open case with no update for ``stale_days`` reminds the worker."""

    contact_hours: dict[Urgency, Annotated[float, Field(gt=0, le=720)]] = Field(
        default_factory=lambda: {Urgency.IMMEDIATE: 1.0, Urgency.URGENT: 2.0, Urgency.ROUTINE: 24.0}
    )
    stale_days: int = Field(default=7, ge=1, le=365)
    # A plan review the worker was reminded of and did not mark done ("Reviewed", a new
    # review date, back to assessment) within this many days: the coordinators are told.
    review_overdue_days: float = Field(default=2.0, gt=0, le=60)
    # A crisis follow-up prompt not answered within this many hours reminds the worker;
    # after as long again, the coordinator on duty is told.
    follow_up_remind_hours: float = Field(default=4.0, gt=0, le=168)
    # Follow-ups (hours after first contact) for a case whose safety screen said
    # self-harm, whatever its category (added to the category's own).
    self_harm_follow_up_hours: list[FollowUpHours] = Field(default_factory=lambda: [24, 72])
    # A crisis follow-up whose time passed longer ago than this without being asked
    # (the bot was down, or follow-ups were switched on for cases open for weeks) is
    # recorded as missed and not asked: a prompt about a day long past misleads.
    follow_up_grace_hours: float = Field(default=12.0, gt=0, le=168)
    # Quiet hours (local): day-scale follow-ups, their reminders and the coordinators'
    # notices about them wait for ``quiet_until`` (bot/domain/quiet.py). Equal: none.
    quiet_from: HHMM = "22:00"
    quiet_until: HHMM = "08:00"

    def quiet(self, zone: ZoneInfo) -> QuietHours:
        """The quiet hours in ``zone`` (the deployment's)."""
        return QuietHours(
            CoordinationSettings.clock_time(self.quiet_from),
            CoordinationSettings.clock_time(self.quiet_until),
            zone,
        )

    def contact_target(self, urgency: Urgency) -> timedelta:
        default = {Urgency.IMMEDIATE: 1.0, Urgency.URGENT: 2.0, Urgency.ROUTINE: 24.0}[urgency]
        return timedelta(hours=self.contact_hours.get(urgency, default))


ArrivalMinutes = Annotated[int, Field(ge=5, le=1440)]


class ArrivalSettings(_Strict):
    """Minutes after acceptance by which a worker who attends in person (a co-response,
    a worker asked for at the scene, an appropriate adult) should be there, per urgency
    and for the appropriate adult; once it passes without "Arrived" the worker is
    reminded, and ``coordinator_after`` minutes later the coordinator on duty is told."""

    immediate: ArrivalMinutes = 30
    urgent: ArrivalMinutes = 60
    routine: ArrivalMinutes = 120
    appropriate_adult: ArrivalMinutes = 30
    coordinator_after: ArrivalMinutes = 15

    def target_minutes(self, urgency: Urgency, appropriate_adult: bool) -> int:
        if appropriate_adult:
            return self.appropriate_adult
        minutes: int = getattr(self, urgency.value)
        return minutes


class CoordinationSettings(_Strict):
    """Daily messages to coordinators, at local times: the evening check for gaps in
    tonight's cover, and the morning handover of what came in overnight."""

    gap_warning_at: HHMM = "17:00"
    handover_at: HHMM = "08:00"
    night_starts: HHMM = "18:00"  # "overnight" in the handover runs from here to handover_at

    @staticmethod
    def clock_time(text: str) -> time:
        hours, minutes = text.split(":")
        return time(int(hours), int(minutes))


class CareSettings(_Strict):
    """Care for the workers (bot/services/care.py): a worker's request for a debrief
    that no coordinator has marked arranged within ``debrief_remind_hours`` reminds
    the coordinators, once."""

    debrief_remind_hours: float = Field(default=24.0, gt=0, le=720)
    # A night call-out (counted, and offered rest until noon) is a case taken on between
    # these local times; not the coordinators' "overnight" ([coordination] night_starts),
    # which begins at the end of the office day.
    night_starts: HHMM = "22:00"
    night_ends: HHMM = "07:00"

    @model_validator(mode="after")
    def _night_is_a_span(self) -> CareSettings:
        if self.night_starts == self.night_ends:
            raise ValueError("[care] night_starts and night_ends must differ")
        return self


class ReportSettings(_Strict):
    """Accountability reports (issue 18, bot/services/report_files.py). In every file
    that leaves the bot (chat, command line, the monthly report) a count from 1 to
    ``small_cells - 1`` reads "<small_cells", so a rare case at a small station cannot
    be recognised; 1 shows every count. The monthly report for the previous month goes
    to the administrators on the 1st at ``monthly_at`` (local), unless ``monthly`` is
    false."""

    small_cells: int = Field(default=3, ge=1, le=20)
    monthly: bool = True
    monthly_at: HHMM = "09:00"


class HealthSettings(_Strict):
    """Telling the outside world the bot is alive (bot/heartbeat.py): after each
    completed escalation round, at most every ``heartbeat_every`` seconds, a request to
    ``heartbeat_url`` (a dead man's switch such as Healthchecks.io, which alerts when
    the requests stop). The URL names the check and is as good as a password to it: set
    it as REFERRAL_BOT_HEALTH__HEARTBEAT_URL beside the token where the file is shared."""

    heartbeat_url: str | None = Field(default=None, pattern=r"^https?://[^\s]+$")
    heartbeat_every: int = Field(default=60, ge=1, le=3600)


class Named(_Strict):
    """Something people read the name of, in each catalogue's script: ``name_en``,
    ``name_zh`` (Simplified) and ``name_zh_hant`` (Traditional). A missing Traditional
    name falls back to the Simplified one, which a Hong Kong or Macau reader can still
    read (``check-config`` lists what is missing)."""

    id: Ident
    name_zh: Name
    name_en: Name
    name_zh_hant: Name | None = None

    def name(self, language: str) -> str:
        if language == "en":
            return self.name_en
        if language == "zh_Hant":
            return self.name_zh_hant or self.name_zh
        return self.name_zh


class Station(Named):
    """A police station (派出所 / 警署) whose officers file referrals."""


class Team(Named):
    stations: list[Ident] = Field(default_factory=list)
    # When the team works, in local time: "mon-fri 09:00-18:00". Outside these hours a
    # routine referral waits for the next start (other urgencies never wait).
    service_hours: list[str] = Field(default_factory=lambda: ["mon-fri 09:00-18:00"])
    backup_team: Ident | None = None

    @field_validator("service_hours")
    @classmethod
    def _hours(cls, value: list[str]) -> list[str]:
        for entry in value:
            service_window(entry)  # raises ValueError with the reason
        return value

    def service_windows(self) -> list[WeeklyWindow]:
        return [service_window(entry) for entry in self.service_hours]


def service_window(entry: str) -> WeeklyWindow:
    """``"mon-fri 09:00-18:00"`` as a weekly window."""
    days, _, hours = entry.strip().partition(" ")
    return WeeklyWindow.parse(days, hours)


class Listed(Named):
    """A category or an age band: referrals store its ``id`` for good, so an entry is
    retired rather than deleted. ``retired``: no longer offered as a button when filing,
    but its names and rules stay, so the referrals filed under it read, count and route
    as they did. An id missing from the list altogether still reads, as "no longer in
    use" (see ``bot/labels.py``), but has lost its name and its rules."""

    retired: bool = False


class CategorySettings(Listed):
    """One kind of incident an officer can file, as this deployment names it.

    ``never_waits``: not held for the team's service hours even when routine (domestic
    violence, mental health). ``skill``: offered first to workers with it, at level 0.
    ``suggested_urgency``: what the urgency step offers pre-selected when no safety
    answer raises it. Referrals store the ``id``; to stop offering a category, retire
    it (it keeps reading, counting and routing as before); ids are never reused."""

    never_waits: bool = False
    skill: Skill | None = None
    suggested_urgency: Urgency = Urgency.ROUTINE
    # Crisis follow-up: the holder is prompted this many hours after first contact.
    follow_up_hours: list[FollowUpHours] = Field(default_factory=list)

    @property
    def facts(self) -> CategoryFacts:
        return CategoryFacts(self.never_waits, self.skill, self.suggested_urgency)


def _category(
    ident: str,
    en: str,
    zh: str,
    hant: str,
    *,
    never_waits: bool = False,
    skill: Skill | None = None,
    urgency: Urgency = Urgency.ROUTINE,
    follow_up: tuple[int, ...] = (),
) -> CategorySettings:
    return CategorySettings(
        id=ident,
        name_en=en,
        name_zh=zh,
        name_zh_hant=hant,
        never_waits=never_waits,
        skill=skill,
        suggested_urgency=urgency,
        follow_up_hours=list(follow_up),
    )


# The list a deployment has when it names none (config.example.toml spells it out).
DEFAULT_CATEGORIES: tuple[CategorySettings, ...] = (
    _category("family_dispute", "Family dispute", "家庭矛盾", "家庭糾紛"),
    _category("neighbour_dispute", "Neighbour dispute", "邻里纠纷", "鄰里糾紛"),
    _category("rental_dispute", "Rental dispute", "租赁纠纷", "租賃糾紛"),
    _category("consumer_dispute", "Consumer dispute", "消费纠纷", "消費糾紛"),
    _category(
        "juvenile",
        "Juvenile",
        "未成年人",
        "未成年人",
        skill=Skill.APPROPRIATE_ADULT,
        urgency=Urgency.URGENT,
    ),
    _category(
        "domestic_violence",
        "Domestic violence",
        "家庭暴力",
        "家庭暴力",
        never_waits=True,
        skill=Skill.DOMESTIC_VIOLENCE,
        urgency=Urgency.URGENT,
        follow_up=(24, 72),
    ),
    _category(
        "mental_health",
        "Mental health",
        "精神障碍/心理危机",
        "精神健康",
        never_waits=True,
        skill=Skill.MENTAL_HEALTH,
        urgency=Urgency.URGENT,
        follow_up=(24, 72),
    ),
    _category("elderly", "Older or vulnerable person", "老年人/困境人员", "長者／困境人士"),
    _category("other", "Other", "其他", "其他"),
)


class AgeBandSettings(Listed):
    """An age band the officer taps instead of typing an age: ``min_age`` to ``max_age``
    years, both included (no ``max_age``: and older). The bands offered (not retired)
    must run from 0 upwards without gaps or overlaps, so every person falls in exactly
    one; a retired band keeps its years for the referrals filed under it."""

    min_age: int = Field(ge=0, le=150)
    max_age: int | None = Field(default=None, ge=0, le=150)

    @property
    def guardian_consents(self) -> bool:
        """For a person in this band the consent asked is the guardian's (every age in
        it is under 14): decided by the ages, so a deployment's own bands work too."""
        return guardian_consents(self.max_age)


def _band(
    ident: str,
    en: str,
    zh: str,
    hant: str,
    low: int,
    high: int | None,
    *,
    retired: bool = False,
) -> AgeBandSettings:
    return AgeBandSettings(
        id=ident,
        name_en=en,
        name_zh=zh,
        name_zh_hant=hant,
        min_age=low,
        max_age=high,
        retired=retired,
    )


# "Older people" are 60 and over in Chinese law (老年人权益保障法, art. 2). Before the
# bands came from the configuration they were under 14, 14–17, adult (18–64) and 65 or
# older: those two stay, retired, so every referral filed under them keeps its true
# label (an "adult" of 64 is not 18–59, and "65 or older" is not "60 or older").
DEFAULT_AGE_BANDS: tuple[AgeBandSettings, ...] = (
    _band("under_14", "Under 14", "未满 14 岁", "未滿 14 歲", 0, 13),
    _band("14_17", "14–17", "14–17 岁", "14–17 歲", 14, 17),
    _band("18_59", "Adult (18–59)", "成年（18–59 岁）", "成年（18–59 歲）", 18, 59),
    _band("60_plus", "60 or older", "60 岁及以上", "60 歲或以上", 60, None),
    _band("adult", "Adult (18–64)", "成年（18–64 岁）", "成年（18–64 歲）", 18, 64, retired=True),
    _band("65_plus", "65 or older", "65 岁及以上", "65 歲或以上", 65, None, retired=True),
)


class Config(BaseSettings):
    """Everything a deployment decides. See ``config.example.toml`` for each key."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    timezone: str = "Asia/Shanghai"
    default_language: str = "zh_Hans"
    admins: list[int] = Field(default_factory=list)
    telegram: TelegramSettings = TelegramSettings()
    database: DatabaseSettings = DatabaseSettings()
    backup: BackupSettings = BackupSettings()
    cases: CaseSettings = CaseSettings()
    privacy: PrivacySettings = PrivacySettings()
    retention: RetentionSettings = RetentionSettings()
    escalation: EscalationSettings = EscalationSettings()
    reminders: ReminderSettings = ReminderSettings()
    arrival: ArrivalSettings = ArrivalSettings()
    coordination: CoordinationSettings = CoordinationSettings()
    care: CareSettings = CareSettings()
    paging: PagingSettings = PagingSettings()
    health: HealthSettings = HealthSettings()
    reports: ReportSettings = ReportSettings()
    stations: list[Station] = Field(default_factory=list)
    teams: list[Team] = Field(default_factory=list)
    # In the order the officer's buttons show them.
    categories: list[CategorySettings] = Field(
        default_factory=lambda: list(DEFAULT_CATEGORIES), min_length=1
    )
    age_bands: list[AgeBandSettings] = Field(
        default_factory=lambda: list(DEFAULT_AGE_BANDS), min_length=1
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Asia/Shanghai)"
            ) from None
        return value

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in available_languages():
            raise ValueError(f"no catalogue for {value!r}; have {', '.join(available_languages())}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Config:
        station_ids = [s.id for s in self.stations]
        _no_duplicates("stations", station_ids)
        _no_duplicates("teams", [t.id for t in self.teams])
        covered_by: dict[str, str] = {}
        for team in self.teams:
            for station_id in team.stations:
                if station_id not in station_ids:
                    raise ValueError(f"team {team.id!r} covers unknown station {station_id!r}")
                if station_id in covered_by:
                    raise ValueError(
                        f"station {station_id!r} is covered by both {covered_by[station_id]!r} "
                        f"and {team.id!r}; one team per station keeps routing unambiguous"
                    )
                covered_by[station_id] = team.id
        team_ids = {t.id for t in self.teams}
        for team in self.teams:
            if team.backup_team is not None and team.backup_team not in team_ids - {team.id}:
                raise ValueError(f"team {team.id!r}: backup_team {team.backup_team!r} is unknown")
        category_ids = [c.id for c in self.categories]
        _no_duplicates("categories", category_ids)
        if not self.offered_categories:
            raise ValueError("categories: every category is retired; at least one must be offered")
        for ident in self.escalation.categories:
            if ident not in category_ids:
                raise ValueError(
                    f"escalation.categories.{ident}: no category {ident!r} in [[categories]] "
                    f"(have {', '.join(category_ids)})"
                )
        for ident in self.paging.categories:
            if ident not in category_ids:
                raise ValueError(
                    f"paging.categories.{ident}: no category {ident!r} in [[categories]] "
                    f"(have {', '.join(category_ids)})"
                )
        _no_duplicates("age_bands", [b.id for b in self.age_bands])
        _contiguous(self.offered_age_bands)
        for band in self.age_bands:
            if band.max_age is not None and band.max_age < band.min_age:
                raise ValueError(f"age_bands: {band.id!r} ends before it starts")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def station(self, station_id: str) -> Station | None:
        return next((s for s in self.stations if s.id == station_id), None)

    def team(self, team_id: str) -> Team | None:
        return next((t for t in self.teams if t.id == team_id), None)

    def team_of(self, station_id: str) -> Team | None:
        """The team covering ``station_id``."""
        return next((t for t in self.teams if station_id in t.stations), None)

    @property
    def offered_categories(self) -> list[CategorySettings]:
        """The categories an officer can file now, in the order of their buttons."""
        return [c for c in self.categories if not c.retired]

    @property
    def offered_age_bands(self) -> list[AgeBandSettings]:
        """The age bands an officer can tap now, youngest first."""
        return [b for b in self.age_bands if not b.retired]

    def category(self, category_id: str) -> CategorySettings | None:
        """The configured category, retired or not; None for an id no longer in the
        list at all (old referrals)."""
        return next((c for c in self.categories if c.id == category_id), None)

    def category_facts(self, category_id: str) -> CategoryFacts:
        """What routing and escalation follow for ``category_id``; a retired category
        keeps its rules. One taken out of the list altogether is routed as an ordinary
        one (no skill first, waits for the hours): retire it instead."""
        found = self.category(category_id)
        return found.facts if found is not None else CategoryFacts()

    def age_band(self, band_id: str) -> AgeBandSettings | None:
        """The configured age band, retired or not; None for an id no longer listed."""
        return next((b for b in self.age_bands if b.id == band_id), None)

    def uncovered_stations(self) -> list[str]:
        covered = {s for t in self.teams for s in t.stations}
        return [s.id for s in self.stations if s.id not in covered]

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment first so it overrides the file; no .env or secrets dir magic.
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


def _no_duplicates(what: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for ident in ids:
        if ident in seen:
            raise ValueError(f"{what}: id {ident!r} appears twice")
        seen.add(ident)


def _contiguous(bands: list[AgeBandSettings]) -> None:
    """From 0, each band starting the year after the one before ends; only the last open.
    ``bands`` are the offered ones: a retired band may overlap them (it is never tapped)."""
    if not bands:
        raise ValueError("age_bands: every age band is retired; the offered ones must start at 0")
    expected = 0
    for number, band in enumerate(bands):
        if band.min_age != expected:
            raise ValueError(
                f"age_bands: {band.id!r} starts at {band.min_age}, expected {expected} "
                "(list the offered bands from youngest to oldest, without gaps or overlaps)"
            )
        if band.max_age is None:
            if number != len(bands) - 1:
                raise ValueError(f"age_bands: only the last band may have no max_age ({band.id!r})")
            return
        if band.max_age < band.min_age:
            raise ValueError(f"age_bands: {band.id!r} ends before it starts")
        expected = band.max_age + 1


def load_config(path: Path | str) -> Config:
    """Read and validate ``path``; raise :class:`ConfigError` with readable lines.

    A missing or unreadable file is an error rather than "all defaults": a bot started
    with the wrong path would otherwise run with no stations and no admins.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError([f"{path}: no such configuration file"]) from None
    except PermissionError:
        raise ConfigError(
            [f"{path}: cannot read the configuration file (permission denied)"]
        ) from None
    except IsADirectoryError:
        raise ConfigError([f"{path}: is a directory, not a configuration file"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML: {exc}"]) from None

    unknown = _unknown_environment_keys()
    if unknown:
        raise ConfigError(
            [f"environment variable {name}: unknown key (misspelt?)" for name in unknown]
        )
    bound = type(
        "BoundConfig",
        (Config,),
        {"model_config": SettingsConfigDict(**{**Config.model_config, "toml_file": path})},
    )
    try:
        config: Config = bound()
    except ValidationError as exc:
        raise ConfigError([_describe(path, error) for error in exc.errors()]) from None
    key_file = config.privacy.key_file
    if key_file is not None and not key_file.is_absolute():
        privacy = config.privacy.model_copy(update={"key_file": (path.parent / key_file).resolve()})
        config = config.model_copy(update={"privacy": privacy})
    if not config.backup.folder.is_absolute():
        backup = config.backup.model_copy(
            update={"folder": (path.parent / config.backup.folder).resolve()}
        )
        config = config.model_copy(update={"backup": backup})
    if not config.database.path.is_absolute():
        # Relative to the file, not to wherever a service manager happens to start us.
        database = DatabaseSettings(path=(path.parent / config.database.path).resolve())
        config = config.model_copy(update={"database": database})
    return config


def _unknown_environment_keys() -> list[str]:
    """``REFERRAL_BOT_*`` variables that match no key (``REFERRAL_BOT_CONFIG`` is the CLI's)."""
    unknown = []
    for name in sorted(os.environ):
        if not name.startswith(ENV_PREFIX) or name == ENV_PREFIX + "CONFIG":
            continue
        top, _, nested = name.removeprefix(ENV_PREFIX).lower().partition("__")
        field = Config.model_fields.get(top)
        if field is None:
            unknown.append(name)
            continue
        model = field.annotation
        if nested and not (
            isinstance(model, type)
            and issubclass(model, BaseModel)
            and nested in model.model_fields
        ):
            unknown.append(name)
    return unknown


def _describe(path: Path, error: Any) -> str:
    location = ""
    for part in error.get("loc", ()):
        location += f"[{part}]" if isinstance(part, int) else (f".{part}" if location else part)
    if error.get("type") == "extra_forbidden":
        return f"{path}: unknown key {location!r} (misspelt?)"
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    top = [str(part) for part in error.get("loc", ())[:2] if isinstance(part, str)]
    for name in (ENV_PREFIX + "__".join(top).upper(), ENV_PREFIX + top[0].upper() if top else ""):
        if name in os.environ:  # the value came from the environment, not the file
            return f"environment variable {name}: {message}"
    return f"{path}: {location or 'configuration'}: {message}"
