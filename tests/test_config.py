"""Tests for digest.config: finding, parsing and validating the configuration file."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from digest import config
from digest.errors import ConfigError
from digest.models import SourceKind

from .conftest import DEMO_CONFIG, ROOT


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "digest.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_config_loads_with_defaults() -> None:
    """Every key in the annotated example is valid and holds the default."""
    loaded = config.load(ROOT / "config" / "digest.example.toml")
    assert loaded.digest == config.DigestSettings()
    assert loaded.http == config.HttpSettings()
    assert loaded.smtp == config.SmtpSettings()
    assert loaded.sendmail == config.SendmailSettings()
    assert loaded.web == config.WebSettings()
    assert loaded.schedule == config.ScheduleSettings()
    assert loaded.delivery == config.DeliverySettings()


def test_demo_config_resolves_paths_relative_to_its_file() -> None:
    loaded = config.load(DEMO_CONFIG)
    assert [source.kind for source in loaded.sources] == [
        SourceKind.FEED,
        SourceKind.FILES,
        SourceKind.FILES,
    ]
    for source in loaded.sources:
        assert Path(source.location).is_absolute()
        assert Path(source.location).exists()
    assert loaded.subscribers[0].email == "reader@example.org"


def test_digest_home_overrides_data_dir(tmp_path: Path, isolated_home: Path) -> None:
    loaded = config.load(write(tmp_path, 'data_dir = "elsewhere"\n'))
    assert loaded.data_dir == isolated_home.resolve()
    assert loaded.database == isolated_home.resolve() / "digest.sqlite3"


def test_data_dir_is_relative_to_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DIGEST_HOME")
    loaded = config.load(write(tmp_path, 'data_dir = "state"\n'))
    assert loaded.data_dir == (tmp_path / "state").resolve()
    assert loaded.outbox == (tmp_path / "state" / "outbox").resolve()


def test_typo_and_bad_time_zone_are_reported_together(tmp_path: Path) -> None:
    path = write(tmp_path, '[digest]\nsentense = 3\ntimezone = "Mars/Olympus_Mons"\n')
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    assert caught.value.problems == [
        f"{path}: [digest] sentense: unknown key (did you mean 'sentences'?)",
        f"{path}: [digest] timezone: 'Mars/Olympus_Mons' is not a known time zone "
        "(use an IANA name such as 'Europe/Berlin')",
    ]
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[digest]\nsentences = 'three'\n", "[digest] sentences: must be a whole number, not text"),
        ("[digest]\nsentences = 0\n", "[digest] sentences: must be greater than 0 and at"),
        ("[http]\ntimeout = true\n", "[http] timeout: must be a number of seconds, not a boolean"),
        ("[delivery]\nbackend = 'pigeon'\n", "[delivery] backend: must be one of 'file', 'smtp'"),
        ("[delivery]\ngive_up_hours = 0\n", "[delivery] give_up_hours: must be greater than 0"),
        ("[smtp]\nconnections = 0\n", "[smtp] connections: must be greater than 0"),
        ("[smtp]\nca_file = 'no-such.pem'\n", "[smtp] ca_file: "),
        ("[web]\npublic_url = 'digest.example.org'\n", "[web] public_url: must be an http"),
        ("[web]\npublic_url = 'https://x.org/?a=1'\n", "[web] public_url: must be an http"),
        ("[sendmail]\ntimeout = -1\n", "[sendmail] timeout: must be greater than 0"),
        ("[smtp]\nsecurity = 'ssl'\n", "[smtp] security: must be one of 'starttls', 'tls', 'none'"),
        ("[delivery]\nsender = 'nobody'\n", "[delivery] sender: must be an email address"),
        ("colour = 'blue'\n", "colour: unknown key"),
        ("digest = 3\n", "[digest]: must be a table, not a number"),
        ("[[sources]]\nname = 'x'\n", "[[sources]] #1: needs exactly one of 'url' or 'path'"),
        ("[[sources]]\nurl = 'ftp://x'\n", "[[sources]] #1 url: must be an http(s) URL"),
        ("[[sources]]\nurl = 'https://e.org/'\nkind = 'podcast'\n", "[[sources]] #1 kind: must be"),
        ("[[sources]]\nurl = 'https://e.org/'\nfeed = 1\n", "[[sources]] #1 feed: unknown key"),
        ("[[subscribers]]\nname = 'Ann'\n", "[[subscribers]] #1 email: is missing"),
        ("[[subscribers]]\nemail = 'ann'\n", "#1 email: 'ann' is not a valid email address"),
        ("[[subscribers]]\nemail = 'a@b.org'\nat = '7am'\n", "#1 at: must be a time of day"),
        ("[[subscribers]]\nemail = 'a@b.org'\nweekly = 'someday'\n", "#1 weekly: must be a day"),
        ("[[subscribers]]\nemail = 'a@b.org'\nsources = 'all'\n", "#1 sources: must be a list"),
        ("[schedule]\ngrace_hours = 0\n", "[schedule] grace_hours: must be greater than 0"),
        ("[[subscribers]]\nemail = 'a@b.org'\ntimezone = 'Nowhere'\n", "is not a known time zone"),
    ],
)
def test_invalid_values_name_file_and_key(tmp_path: Path, text: str, problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(f"{path}: ")
    assert problem in caught.value.problems[0]


def test_duplicate_source_names_are_rejected(tmp_path: Path) -> None:
    text = "[[sources]]\nname = 'a'\nurl = 'https://e.org/1'\n" * 1 + (
        "[[sources]]\nname = 'a'\nurl = 'https://e.org/2'\n"
    )
    with pytest.raises(ConfigError, match="'a' is used by another source"):
        config.load(write(tmp_path, text))


def test_source_kind_is_inferred(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    text = (
        "[[sources]]\nurl = 'https://example.org/feed'\n"
        "[[sources]]\npath = 'notes'\n"
        "[[sources]]\npath = 'local.rss'\n"
        "[[sources]]\nurl = 'https://example.org/story'\nkind = 'page'\n"
    )
    loaded = config.load(write(tmp_path, text))
    assert [s.kind for s in loaded.sources] == [
        SourceKind.FEED,
        SourceKind.FILES,
        SourceKind.FEED,
        SourceKind.PAGE,
    ]
    assert loaded.sources[0].name == "example.org/feed"


def test_invalid_toml_is_one_readable_error(tmp_path: Path) -> None:
    path = write(tmp_path, "[digest\n")
    with pytest.raises(ConfigError, match=r"is not valid TOML"):
        config.load(path)


def test_find_config_prefers_the_option_then_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    explicit = write(tmp_path, "")
    from_env = tmp_path / "env.toml"
    from_env.write_text("", encoding="utf-8")
    monkeypatch.setenv("DIGEST_CONFIG", str(from_env))
    assert config.find_config(explicit) == explicit
    assert config.find_config(None) == from_env


def test_find_config_explains_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"No configuration file at .*default location"):
        config.find_config(None)
    with pytest.raises(ConfigError, match="given with --config"):
        config.find_config(tmp_path / "missing.toml")


def test_default_config_path_is_in_the_user_config_folder(tmp_path: Path) -> None:
    assert config.default_config_path() == tmp_path / "xdg-config" / "digest" / "digest.toml"


def test_outbox_is_relative_to_the_data_folder(tmp_path: Path, isolated_home: Path) -> None:
    loaded = config.load(write(tmp_path, '[delivery]\noutbox = "mail"\n'))
    assert loaded.outbox == isolated_home.resolve() / "mail"
    absolute = config.load(write(tmp_path, f'[delivery]\noutbox = "{tmp_path / "abs"}"\n'))
    assert absolute.outbox == tmp_path / "abs"


def test_the_default_method_is_the_summarizer_default() -> None:
    from digest.summarize.methods import DEFAULT_METHOD

    assert config.DigestSettings().method == DEFAULT_METHOD


def test_summary_budgets_are_validated(tmp_path: Path) -> None:
    loaded = config.load(write(tmp_path, "[digest]\nratio = 0.25\nmax_words = 80\n"))
    assert (loaded.digest.ratio, loaded.digest.max_words) == (0.25, 80)
    with pytest.raises(ConfigError, match="ratio: must be a number greater than 0"):
        config.load(write(tmp_path, "[digest]\nratio = 1.5\n"))


def numeric_keys() -> list[tuple[str, str]]:
    """Every ``[section] key`` that takes a number (its default one, or none)."""
    sections = {
        "digest": config.DigestSettings, "http": config.HttpSettings,
        "collect": config.CollectSettings, "delivery": config.DeliverySettings,
        "smtp": config.SmtpSettings, "sendmail": config.SendmailSettings,
        "web": config.WebSettings, "schedule": config.ScheduleSettings,
    }  # fmt: skip
    return [
        (section, key.name)
        for section, settings in sections.items()
        for key in dataclasses.fields(settings)
        if isinstance(key.default, int | float) and not isinstance(key.default, bool)
    ] + [("digest", "ratio"), ("digest", "max_words")]


@pytest.mark.parametrize(("section", "key"), numeric_keys())
@pytest.mark.parametrize("value", ["18446744073709551616", "1e308", "inf", "nan", "-1"])
def test_every_number_has_a_range(tmp_path: Path, section: str, key: str, value: str) -> None:
    """Values no setting can mean are config problems (exit 2), never an overflow later."""
    path = write(tmp_path, f"[{section}]\n{key} = {value}\n")
    with pytest.raises(ConfigError) as caught:
        config.load(path)
    assert caught.value.problems == [caught.value.problems[0]]
    assert f"[{section}] {key}: must be" in caught.value.problems[0]


@pytest.mark.parametrize(
    ("zone", "suggestion"),
    [("EST", "America/New_York"), ("PST8PDT", "America/Los_Angeles"), ("Etc/GMT+5", "Europe")],
)
def test_fixed_offset_zones_are_refused_with_a_place_to_use(
    tmp_path: Path, zone: str, suggestion: str
) -> None:
    path = write(tmp_path, f"[digest]\ntimezone = '{zone}'\n")
    with pytest.raises(
        ConfigError, match=f"fixed offset that ignores daylight saving.*{suggestion}"
    ):
        config.load(path)


@pytest.mark.parametrize("zone", ["UTC", "Etc/UTC", "America/New_York", "Asia/Kolkata"])
def test_zones_of_places_and_utc_are_accepted(tmp_path: Path, zone: str) -> None:
    assert config.load(write(tmp_path, f"[digest]\ntimezone = '{zone}'\n")).digest.timezone == zone


@pytest.mark.parametrize("address", ["me@localhost", "ann@example.test", "bob@mail.localhost"])
def test_test_addresses_need_allow_test_addresses(tmp_path: Path, address: str) -> None:
    subscriber = f"[[subscribers]]\nemail = '{address}'\n"
    with pytest.raises(ConfigError, match="allow_test_addresses = true"):
        config.load(write(tmp_path, subscriber))
    allowed = config.load(write(tmp_path, f"[delivery]\nallow_test_addresses = true\n{subscriber}"))
    assert allowed.subscribers[0].email == address


def test_allow_test_addresses_still_refuses_a_bad_local_part(tmp_path: Path) -> None:
    text = "[delivery]\nallow_test_addresses = true\n[[subscribers]]\nemail = 'a b@localhost'\n"
    with pytest.raises(ConfigError, match="is not a valid email address"):
        config.load(write(tmp_path, text))
