"""Who may use the bot, and in which role."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    OFFICER = "officer"  # 民警: files referrals
    SOCIAL_WORKER = "social_worker"  # 社工: accepts and works cases
    COORDINATOR = "coordinator"  # 值班协调员: covers gaps and nights
    ADMIN = "admin"  # runs the deployment


@dataclass(frozen=True)
class Person:
    """An enrolled person. ``language`` None means "follow the Telegram app"."""

    id: int
    telegram_id: int
    display_name: str
    roles: frozenset[Role]
    station_id: str | None
    team_id: str | None
    language: str | None
    active: bool
    reachable: bool
    on_duty: bool

    def has(self, *roles: Role) -> bool:
        """True if the person holds any of ``roles``."""
        return any(role in self.roles for role in roles)
