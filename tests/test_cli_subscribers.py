"""Tests for ``digest subscribe``, ``unsubscribe``, ``subscribers`` and ``schedule``."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest import config as config_module
from digest.cli import cli
from digest.models import Subscriber
from digest.store import Store

from .conftest import DEMO_CONFIG

CONFIG = str(DEMO_CONFIG)


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [*args[:1], "-c", CONFIG, *args[1:]])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("arguments", "line"),
    [
        (["nobody"], "Error: 'nobody' is not a valid email address: An email address must "
                     "have an @-sign.\n"),
        (["ann@example.org", "--tz", "Mars/Base"], "Error: --tz 'Mars/Base' is not a known time "
         "zone (use an IANA name such as 'Europe/Berlin').\n"),
        (["ann@example.org", "--at", "7am"], "Error: --at must be a time of day as HH:MM "
         "(24-hour clock), not '7am'.\n"),
    ],
)  # fmt: skip
def test_subscribe_refuses_bad_values_with_one_line_and_stores_nothing(
    arguments: list[str], line: str
) -> None:
    code, out, err = invoke("subscribe", *arguments)
    assert (code, out, err) == (2, "", line)
    assert "ann@example.org" not in invoke("subscribers")[1]


def test_subscribe_list_and_unsubscribe() -> None:
    code, out, _ = invoke(
        "subscribe", "Ann@Example.org", "--name", "Ann", "--tz", "Asia/Kolkata", "--at", "06:15",
        "--weekly", "monday", "--sources", "Notes",
    )  # fmt: skip
    assert (code, out) == (
        0,
        "Subscribed ann@example.org: weekly on monday at 06:15 Asia/Kolkata.\n",
    )
    code, out, _ = invoke("subscribers")
    assert out.splitlines() == [
        "ann@example.org  active  weekly on monday at 06:15 Asia/Kolkata  Notes  (cli)",
        "reader@example.org  active  daily at 07:00 Europe/London  every source  (config)",
    ]
    listed = json.loads(invoke("subscribers", "--json")[1])
    assert listed[0]["sources"] == ["Notes"] and listed[0]["at"] == "06:15"
    code, out, _ = invoke("schedule")
    ann = next(line for line in out.splitlines() if line.startswith("ann@"))
    assert re.fullmatch(
        r"ann@example\.org  Mon \d\d \w{3} \d{4} 06:15 IST \(Asia/Kolkata\)  "
        r"\d{4}-\d\d-\d\d 00:45 UTC  weekly on monday",
        ann,
    )
    assert invoke("unsubscribe", "ANN@example.org")[1] == "Unsubscribed ann@example.org.\n"
    assert "ann@example.org  unsubscribed" in invoke("subscribers")[1]
    assert "ann@" not in invoke("schedule")[1]
    code, _, err = invoke("unsubscribe", "who@example.org")
    assert (code, err) == (
        2,
        "Error: who@example.org is not a subscriber; see `digest subscribers`.\n",
    )


def test_run_for_one_subscriber_who_is_not_one_is_an_error() -> None:
    code, _, err = invoke("run", "--subscriber", "who@example.org")
    assert (code, err) == (
        2,
        "Error: who@example.org is not a subscriber; see `digest subscribers`.\n",
    )


def test_subscribe_again_changes_only_the_options_given_and_says_what_changed() -> None:
    invoke("subscribe", "carol@example.org", "--name", "Carol", "--tz", "Europe/Paris",
           "--at", "08:30", "--weekly", "friday")  # fmt: skip
    code, out, _ = invoke("subscribe", "carol@example.org", "--at", "07:00")
    assert code == 0
    assert out == "Changed carol@example.org:\n  send time: 08:30 -> 07:00\n"
    listed = json.loads(invoke("subscribers", "--json")[1])
    (carol,) = [row for row in listed if row["email"] == "carol@example.org"]
    assert (carol["name"], carol["timezone"], carol["at"], carol["frequency"], carol["origin"]) == (
        "Carol", "Europe/Paris", "07:00", "weekly on friday", "cli"
    )  # fmt: skip
    assert invoke("subscribe", "carol@example.org")[1] == (
        "No change for carol@example.org: weekly on friday at 07:00 Europe/Paris.\n"
    )
    code, out, _ = invoke("subscribe", "carol@example.org", "--daily", "--tz", "UTC")
    assert out == (
        "Changed carol@example.org:\n  time zone: Europe/Paris -> UTC\n"
        "  frequency: weekly on friday -> daily\n"
    )


def test_subscribe_again_keeps_a_web_subscribers_origin(tmp_path: Path) -> None:
    config = config_module.load(DEMO_CONFIG)
    with Store(config.database) as store:
        store.save_subscriber(
            Subscriber("dan@example.org", "Dan", "Asia/Tokyo"), origin="web", when=datetime.now(UTC)
        )
    invoke("subscribe", "dan@example.org", "--at", "06:00")
    with Store(config.database) as store:
        dan = store.subscriber("dan@example.org")
    assert dan is not None
    assert (dan.origin, dan.subscriber.timezone, dan.subscriber.name) == (
        "web",
        "Asia/Tokyo",
        "Dan",
    )


def test_subscribe_a_test_address_only_where_the_configuration_allows_it(tmp_path: Path) -> None:
    code, _, err = invoke("subscribe", "me@localhost")
    assert code == 2 and "allow_test_addresses = true" in err
    local = tmp_path / "local.toml"
    local.write_text(
        DEMO_CONFIG.read_text(encoding="utf-8").replace(
            "[delivery]", "[delivery]\nallow_test_addresses = true", 1
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["subscribe", "-c", str(local), "me@localhost"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Subscribed me@localhost:")
