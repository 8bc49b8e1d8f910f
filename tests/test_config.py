"""The config file: what an admin writes, and what they are told when it is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_config


def test_example_config_is_valid_and_complete() -> None:
    config = load_config(Path(__file__).parent.parent / "config.example.toml")
    assert config.timezone == "Asia/Shanghai"
    assert config.stations and config.teams
    assert config.uncovered_stations() == []


def test_values_and_relative_database_path(config_path: Path) -> None:
    config = load_config(config_path)
    assert config.database.path == config_path.parent / "bot.sqlite3"
    assert config.cases.max_open_per_worker == 4
    assert config.team("xuhui-sw") is not None
    assert config.station("tianping") is not None
    assert config.station("tianping").name("en") == "Tianping Road Station"  # type: ignore[union-attr]
    assert config.telegram.token is None


def test_traditional_chinese_can_be_the_default_and_names_fall_back(tmp_path: Path) -> None:
    text = (
        'default_language = "zh_Hant"\n'
        '[[stations]]\nid = "a"\nname_zh = "湾仔警署"\nname_zh_hant = "灣仔警署"\nname_en = "A"\n'
        '[[stations]]\nid = "b"\nname_zh = "中区警署"\nname_en = "B"\n'
    )
    config = load_config(_write(tmp_path, text))
    assert config.default_language == "zh_Hant"
    a, b = config.station("a"), config.station("b")
    assert a is not None and b is not None
    assert (a.name("zh_Hant"), a.name("zh_Hans"), a.name("en")) == ("灣仔警署", "湾仔警署", "A")
    assert b.name("zh_Hant") == "中区警署"  # no Traditional name: the Simplified one


def test_environment_overrides_the_file(config_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFERRAL_BOT_TELEGRAM__TOKEN", "123:secret")
    monkeypatch.setenv("REFERRAL_BOT_TIMEZONE", "Europe/Berlin")
    config = load_config(config_path)
    assert config.timezone == "Europe/Berlin"
    assert config.telegram.token is not None
    assert config.telegram.token.get_secret_value() == "123:secret"
    assert "123:secret" not in repr(config)  # the token never shows in logs or tracebacks


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_misspelt_key_is_named_with_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, '[telegram]\ntokn = "x"\n[cases]\nmax_open_per_workr = 3\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    text = str(caught.value)
    assert "telegram.tokn" in text and "cases.max_open_per_workr" in text
    assert str(path) in text


def test_misspelt_key_inside_a_station(tmp_path: Path) -> None:
    path = _write(tmp_path, '[[stations]]\nid = "a"\nname_zh = "甲"\nnme_en = "A"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "stations[0].nme_en" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('timezone = "Mars/Olympus"', "unknown time zone"),
        ('default_language = "fr"', "no catalogue"),
        (
            '[[teams]]\nid = "t"\nname_zh = "队"\nname_en = "T"\nstations = ["nowhere"]',
            "unknown station 'nowhere'",
        ),
        ('[[stations]]\nid = "Bad Id!"\nname_zh = "甲"\nname_en = "A"', "stations[0].id"),
        ("[cases]\nmax_open_per_worker = 0", "cases.max_open_per_worker"),
        ("timezone = ", "not valid TOML"),
    ],
)
def test_invalid_values_are_explained(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, text))
    assert expected in str(caught.value)


def test_station_covered_twice_is_refused(tmp_path: Path) -> None:
    text = """
[[stations]]
id = "a"
name_zh = "甲"
name_en = "A"
[[teams]]
id = "t1"
name_zh = "一"
name_en = "One"
stations = ["a"]
[[teams]]
id = "t2"
name_zh = "二"
name_en = "Two"
stations = ["a"]
"""
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, text))
    assert "covered by both 't1' and 't2'" in str(caught.value)


def test_missing_file_is_an_error_not_defaults(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.toml")
    assert "no such configuration file" in str(caught.value)


@pytest.mark.parametrize("name", ["REFERRAL_BOT_TIMEZNE", "REFERRAL_BOT_TELEGRAM__TOKN"])
def test_misspelt_environment_variable_is_named(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(name, "x")
    with pytest.raises(ConfigError) as caught:
        load_config(config_path)
    assert f"environment variable {name}: unknown key" in str(caught.value)


def test_a_bad_value_from_the_environment_is_blamed_on_the_variable(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFERRAL_BOT_CASES__MAX_OPEN_PER_WORKER", "lots")
    with pytest.raises(ConfigError) as caught:
        load_config(config_path)
    assert "environment variable REFERRAL_BOT_CASES__MAX_OPEN_PER_WORKER" in str(caught.value)
