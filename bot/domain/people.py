"""Who may use the bot, and in which role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    OFFICER = "officer"  # 民警: files referrals
    SOCIAL_WORKER = "social_worker"  # 社工: accepts and works cases
    COORDINATOR = "coordinator"  # 协调员 (the one on duty: 值班协调员): covers gaps and nights
    ADMIN = "admin"  # runs the deployment


class ScopeError(ValueError):
    """The role and the station/team given do not fit together."""


@dataclass(frozen=True)
class Scope:
    """A role and where it applies: officers at a station, workers in a team, and
    coordinators in a team or, with neither, at every station (overnight cover)."""

    role: Role
    station_id: str | None = None
    team_id: str | None = None

    def check(self) -> None:
        if self.role is Role.OFFICER:
            if not self.station_id or self.team_id:
                raise ScopeError("an officer invite needs a station (and no team)")
        elif self.role is Role.SOCIAL_WORKER:
            if not self.team_id or self.station_id:
                raise ScopeError("a social worker invite needs a team (and no station)")
        elif self.role is Role.COORDINATOR:
            if self.station_id:
                raise ScopeError("a coordinator invite takes a team or nothing, not a station")
        elif self.station_id or self.team_id:
            raise ScopeError("an admin invite takes no station or team")

    @property
    def all_stations(self) -> bool:
        return self.role is Role.COORDINATOR and self.team_id is None


@dataclass(frozen=True)
class Person:
    """An enrolled person with their roles, each with its own scope."""

    id: int
    telegram_id: int
    display_name: str
    scopes: tuple[Scope, ...]
    language: str
    active: bool
    reachable: bool
    available: bool
    away_until: datetime | None = None

    def on_duty(self, rota: frozenset[int] | None, now: datetime) -> bool:
        """On duty now. /away always wins while it lasts. Where the team has a rota, the
        rota and its covers decide; without one, /available does (and a timed /away that
        has run out means they are back)."""
        if self.away_until is not None and self.away_until > now:
            return False
        if rota is not None:
            return self.id in rota
        return self.available or self.away_until is not None

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(scope.role for scope in self.scopes)

    def has(self, *roles: Role) -> bool:
        """True if the person holds any of ``roles``."""
        return any(scope.role in roles for scope in self.scopes)

    def scope(self, role: Role) -> Scope | None:
        return next((scope for scope in self.scopes if scope.role is role), None)

    @property
    def station_id(self) -> str | None:
        """The officer's station."""
        scope = self.scope(Role.OFFICER)
        return scope.station_id if scope else None

    @property
    def team_id(self) -> str | None:
        """The social worker's team."""
        scope = self.scope(Role.SOCIAL_WORKER)
        return scope.team_id if scope else None
