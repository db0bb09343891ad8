"""Validation helpers for the configuration: rules that check one value, and a checker
that collects every problem with the file and key it concerns.

A rule takes a raw TOML value and the checker and returns the setting's value, or an
`Invalid` text saying what is wrong. Nothing here knows which keys exist; `config` does.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from datetime import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email

from digest.errors import ConfigError
from digest.models import WEEKDAYS

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$|^[^@\s<>]+@localhost$")

Rule = Callable[[Any, "Checker"], Any]


class Invalid(str):
    """An error text returned by a rule instead of a value."""


def of_type(kind: type, label: str) -> Rule:
    """A value of `kind` (an int is accepted as a float); `label` names it in errors."""

    def rule(value: Any, _: Checker) -> Any:
        if isinstance(value, bool) and kind is not bool:
            return Invalid(f"must be {label}, not a boolean")
        if kind is float and isinstance(value, int):
            return float(value)
        if not isinstance(value, kind):
            return Invalid(f"must be {label}, not {describe(value)}")
        return value

    return rule


def between(kind: type, label: str, low: float, high: float, *, above: bool = False) -> Rule:
    """A value of `kind` from `low` (or, with `above`, greater than `low`) to `high`.

    Every number in a configuration has such a range, so a value no setting can mean (2**64,
    1e308, inf, nan) is reported like any other problem instead of overflowing later.
    """
    base = of_type(kind, label)

    def rule(value: Any, checker: Checker) -> Any:
        result = base(value, checker)
        if isinstance(result, Invalid):
            return result
        if (result > low if above else result >= low) and result <= high:
            return result
        lowest = f"greater than {_figure(low)}" if above else f"at least {_figure(low)}"
        return Invalid(f"must be {lowest} and at most {_figure(high)}, not {value!r}")

    return rule


def _figure(number: float) -> str:
    """1073741824 as "1,073,741,824", 0.5 as "0.5"."""
    return f"{int(number):,}" if float(number).is_integer() else f"{number:g}"


def positive(kind: type, label: str, high: float) -> Rule:
    """A value of `kind` greater than zero and at most `high`."""
    return between(kind, label, 0, high, above=True)


def choice(*options: str) -> Rule:
    """One of `options`, exactly."""

    def rule(value: Any, _: Checker) -> Any:
        if value not in options:
            listed = ", ".join(repr(option) for option in options)
            return Invalid(f"must be one of {listed}, not {value!r}")
        return value

    return rule


def ratio(value: Any, _: Checker) -> Any:
    """A share: a number greater than 0 and at most 1."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        return Invalid(f"must be a number greater than 0 and at most 1, not {value!r}")
    return float(value)


# Names in the time zone database that are not places: fixed offsets or POSIX-style rules
# that ignore a region's daylight saving history. "EST" is UTC-5 all year, so a New York
# reader given it would get their digest an hour late all summer.
_NOT_PLACES = {
    "EST": "America/New_York", "MST": "America/Denver", "HST": "Pacific/Honolulu",
    "EST5EDT": "America/New_York", "CST6CDT": "America/Chicago", "MST7MDT": "America/Denver",
    "PST8PDT": "America/Los_Angeles", "CET": "Europe/Paris", "EET": "Europe/Athens",
    "MET": "Europe/Paris", "WET": "Europe/Lisbon",
}  # fmt: skip


def timezone(value: Any, _: Checker | None = None) -> Any:
    """An IANA time zone name of a place (or UTC) this machine knows."""
    if not isinstance(value, str) or not value:
        return Invalid(f"must be a time zone name, not {describe(value)}")
    place = _NOT_PLACES.get(value.upper())
    if place is not None or value.upper().startswith(("ETC/GMT+", "ETC/GMT-")):
        example = place or "Europe/Berlin"
        return Invalid(
            f"{value!r} is a fixed offset that ignores daylight saving time; use the IANA "
            f"name of a place, such as {example!r}"
        )
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return Invalid(
            f"{value!r} is not a known time zone (use an IANA name such as 'Europe/Berlin')"
        )
    return value


def folder(value: Any, checker: Checker) -> Any:
    """A folder, resolved against the configuration file's folder; empty means none."""
    if not isinstance(value, str):
        return Invalid(f"must be a folder path, not {describe(value)}")
    return checker.path(value) if value else None


def file(value: Any, checker: Checker) -> Any:
    """An existing file, resolved against the configuration file's folder; empty means none."""
    if not isinstance(value, str):
        return Invalid(f"must be a file path, not {describe(value)}")
    if not value:
        return None
    path = checker.path(value)
    return path if path.is_file() else Invalid(f"{str(path)!r} is not a file")


def web_url(value: Any, _: Checker) -> Any:
    """An http(s) URL with a host and no query, without its trailing slash; empty means none."""
    if not isinstance(value, str):
        return Invalid(f"must be a URL, not {describe(value)}")
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment:
        return Invalid(
            f"must be an http or https URL such as 'https://digest.example.org', not {value!r}"
        )
    return value.rstrip("/")


def store_url(value: Any, checker: Checker) -> Any:
    """``sqlite:///path`` (resolved against the file's folder) or ``postgresql://...``
    without a password; empty means the SQLite file in the data folder."""
    if not isinstance(value, str):
        return Invalid(f"must be a URL, not {describe(value)}")
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme in ("postgresql", "postgres"):
        if parts.password is not None:
            return Invalid(
                "must not hold a password: give it in the environment variable named by "
                "[store] password_env"
            )
        return value
    if parts.scheme == "sqlite" and value.startswith("sqlite:///") and len(value) > 10:
        return f"sqlite:///{checker.path(value.removeprefix('sqlite:///'))}"
    return Invalid(
        "must be sqlite:///path/to/file or postgresql://user@host/database, not "
        f"{value.split('@')[-1]!r}"
    )


def relative_folder(value: Any, _: Checker) -> Any:
    """A folder kept as written: relative ones are resolved later, against the data folder."""
    if not isinstance(value, str) or not value:
        return Invalid(f"must be a folder path, not {describe(value)}")
    return Path(value).expanduser()


def address(value: Any, _: Checker) -> Any:
    """An email address, bare or as ``Name <address>``."""
    if not isinstance(value, str) or not _EMAIL.search(bare_address(value)):
        return Invalid(f"must be an email address, not {value!r}")
    return value


def mailbox(value: Any, checker: Checker) -> Any:
    """A subscriber's address, checked (without DNS) and normalised to lower case."""
    if not isinstance(value, str):
        return Invalid(f"must be an email address, not {describe(value)}")
    try:
        return normalise_email(value, test_addresses=checker.test_addresses)
    except ValueError as exc:
        return Invalid(str(exc))


# Domains that no mail leaves the machine for (RFC 2606, RFC 6761): for local setups only.
_TEST_DOMAINS = ("localhost", ".localhost", ".test", ".example", ".invalid", ".local")


def normalise_email(value: str, *, test_addresses: bool = False) -> str:
    """`value` as one canonical address (IDNA domain, lower case); raises `ValueError` with a
    readable reason when it is not a valid address. With `test_addresses`, an address at
    localhost or a test domain (``.test``, ``.localhost``, ``.example``, ``.invalid``,
    ``.local``) is accepted too."""
    try:
        checked = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        local, _, domain = value.strip().rpartition("@")
        domain = domain.lower().rstrip(".")
        if local and test_addresses and (domain == "localhost" or domain.endswith(_TEST_DOMAINS)):
            try:  # the part before the @ must still be a valid one
                checked = validate_email(f"{local}@example.org", check_deliverability=False)
            except EmailNotValidError:
                pass
            else:
                return f"{checked.local_part.lower()}@{domain}"
        hint = ""
        if domain == "localhost" or domain.endswith(_TEST_DOMAINS):
            hint = " (for a local setup, set [delivery] allow_test_addresses = true)"
        raise ValueError(f"{value!r} is not a valid email address: {exc}{hint}") from None
    return str(checked.normalized).lower()


_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def send_time(value: Any, _: Checker | None = None) -> Any:
    """A local time of day as ``HH:MM`` (24-hour clock)."""
    match = _TIME.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        return Invalid(f"must be a time of day as HH:MM (24-hour clock), not {value!r}")
    return time(int(match.group(1)), int(match.group(2)))


def weekday(value: Any, _: Checker | None = None) -> Any:
    """A day of the week by name (``monday`` or ``mon``); 0 is Monday."""
    if isinstance(value, str):
        name = value.strip().lower()
        for number, day in enumerate(WEEKDAYS):
            if len(name) >= 3 and day.startswith(name):
                return number
    return Invalid(f"must be a day of the week such as 'monday', not {value!r}")


def names(value: Any, _: Checker | None = None) -> Any:
    """A list of non-empty names."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        return Invalid(f"must be a list of names, not {describe(value)}")
    return tuple(dict.fromkeys(v.strip() for v in value))


class Checker:
    """Collects problems while a configuration is validated."""

    def __init__(self, name: str, base: Path, *, test_addresses: bool = False) -> None:
        self.name = name
        self.base = base
        self.test_addresses = test_addresses  # [delivery] allow_test_addresses
        self.problems: list[str] = []

    def problem(self, key: str, text: str) -> None:
        self.problems.append(f"{self.name}: {key}: {text}")

    def raise_if_any(self) -> None:
        if self.problems:
            raise ConfigError(self.problems)

    def path(self, value: str) -> Path:
        path = Path(value).expanduser()
        return path if path.is_absolute() else (self.base / path).resolve()

    def table(self, value: Any, where: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        """Check that `value` is a table with only `allowed` keys; return it (or {})."""
        if not isinstance(value, dict):
            self.problem(where or "(top level)", f"must be a table, not {describe(value)}")
            return {}
        for key in value:
            if key not in allowed:
                hint = difflib.get_close_matches(key, allowed, n=1)
                suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
                self.problem(join(where, key), f"unknown key{suggestion}")
        return value

    def section(
        self, top: Mapping[str, Any], name: str, factory: type[Any], rules: dict[str, Rule]
    ) -> Any:
        values = self.values(top.get(name, {}), f"[{name}]", rules)
        return factory(**values)

    def values(self, raw: Any, where: str, rules: dict[str, Rule]) -> dict[str, Any]:
        table = self.table(raw, where, tuple(rules))
        values: dict[str, Any] = {}
        for key, value in table.items():
            if key not in rules:
                continue
            result = rules[key](value, self)
            if isinstance(result, Invalid):
                self.problem(join(where, key), str(result))
            else:
                values[key] = result
        return values

    def array(self, raw: Any, name: str) -> list[Any]:
        if not isinstance(raw, list):
            self.problem(name, f"must be an array of tables ([[{name}]]), not {describe(raw)}")
            return []
        return raw


def join(where: str, key: str) -> str:
    """How a key is named in messages: ``[section] key`` or ``[[array]] #n key``."""
    if not where:
        return key
    if where.startswith("[") and where.endswith("]") and not where.startswith("[["):
        return f"[{where[1:-1]}] {key}"
    return f"{where} {key}"


def describe(value: Any) -> str:
    """A TOML value's kind, in words, for messages."""
    kinds = {
        str: "text",
        int: "a number",
        float: "a number",
        bool: "a boolean",
        list: "an array",
        dict: "a table",
    }
    return kinds.get(type(value), type(value).__name__)


def bare_address(value: str) -> str:
    match = re.search(r"<([^<>]*)>\s*$", value)
    return (match.group(1) if match else value).strip()
