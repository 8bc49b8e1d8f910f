"""Invite codes and lifetimes, as an admin types them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.invite import (
    ALPHABET,
    CODE_LENGTH,
    Scope,
    ScopeError,
    code_hash,
    looks_like_code,
    new_code,
    parse_lifetime,
)
from bot.domain.people import Role


def test_codes_are_unambiguous_and_distinct() -> None:
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == CODE_LENGTH and set(code) <= set(ALPHABET)
        assert not set(code) & set("01IO")


def test_a_code_read_over_the_phone_matches_however_it_is_typed() -> None:
    code = "ABCD-EFGH-JKLM"
    assert code_hash("abcd efgh jklm") == code_hash(code) == code_hash("ABCDEFGHJKLM")
    assert looks_like_code("abcd efgh jklm")
    assert not looks_like_code("hello there")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("72h", timedelta(hours=72)),
        ("3d", timedelta(days=3)),
        ("90m", timedelta(minutes=90)),
        ("1w", timedelta(weeks=1)),
        (" 2 H ", timedelta(hours=2)),
    ],
)
def test_lifetimes(text: str, expected: timedelta) -> None:
    assert parse_lifetime(text) == expected


@pytest.mark.parametrize("text", ["", "soon", "0m", "31d", "-1h", "5y"])
def test_bad_lifetimes_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_lifetime(text)


@pytest.mark.parametrize(
    "scope",
    [
        Scope(Role.OFFICER),
        Scope(Role.OFFICER, station_id="a", team_id="t"),
        Scope(Role.SOCIAL_WORKER),
        Scope(Role.SOCIAL_WORKER, station_id="a"),
        Scope(Role.COORDINATOR, station_id="a"),
        Scope(Role.ADMIN, team_id="t"),
    ],
)
def test_role_and_scope_must_fit(scope: Scope) -> None:
    with pytest.raises(ScopeError):
        scope.check()


def test_fitting_scopes() -> None:
    for scope in (
        Scope(Role.OFFICER, station_id="a"),
        Scope(Role.SOCIAL_WORKER, team_id="t"),
        Scope(Role.COORDINATOR, team_id="t"),
        Scope(Role.COORDINATOR),
        Scope(Role.ADMIN),
    ):
        scope.check()
