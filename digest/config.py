"""Read one TOML configuration file into a frozen, validated `Config`.

This module owns the defaults (each defined once, below, and mirrored with comments in
``config/digest.example.toml``) and the rules for finding the file and the data folder. It
reads the configuration file and nothing else; it never reads secrets: the SMTP password is
named here by the environment variable that holds it and read by the delivery stage.

Every problem in a file (unknown keys, wrong types, missing values, bad time zones) is
collected and raised together as one `ConfigError`, each naming the file and the key.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

from digest.errors import ConfigError
from digest.models import Source, SourceKind, Subscriber

CONFIG_ENV = "DIGEST_CONFIG"
HOME_ENV = "DIGEST_HOME"
CONFIG_FILENAME = "digest.toml"

FEED_SUFFIXES = (".xml", ".rss", ".atom", ".rdf")
DOCUMENT_SUFFIXES = (".html", ".htm", ".txt", ".md")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$|^[^@\s<>]+@localhost$")


@dataclass(frozen=True, slots=True)
class DigestSettings:
    """What goes into a digest."""

    title: str = "Your daily digest"
    sentences: int = 3
    method: str = "lexrank"
    language: str = "english"
    max_articles: int = 50
    timezone: str = "UTC"
    templates: Path | None = None  # a folder overriding the packaged templates file by file


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """How sources are fetched."""

    timeout: float = 20.0
    max_bytes: int = 10_000_000
    max_redirects: int = 5


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where the `smtp` backend sends mail. The password comes from `password_env`."""

    host: str = "localhost"
    port: int = 587
    security: str = "starttls"  # "starttls", "tls" (implicit) or "none"
    username: str = ""
    password_env: str = "DIGEST_SMTP_PASSWORD"
    timeout: float = 30.0


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """How digests leave: `file` writes to an outbox folder, `smtp` sends mail."""

    backend: str = "file"
    sender: str = "digest <digest@localhost>"
    outbox: Path = Path("outbox")  # relative to the data folder


@dataclass(frozen=True, slots=True)
class Config:
    """A whole, validated configuration."""

    path: Path | None
    data_dir: Path
    digest: DigestSettings
    http: HttpSettings
    delivery: DeliverySettings
    smtp: SmtpSettings
    sources: tuple[Source, ...]
    subscribers: tuple[Subscriber, ...]

    @property
    def database(self) -> Path:
        return self.data_dir / "digest.sqlite3"

    @property
    def outbox(self) -> Path:
        return (
            self.delivery.outbox
            if self.delivery.outbox.is_absolute()
            else (self.data_dir / self.delivery.outbox)
        )


def default_config_path() -> Path:
    """The file used when neither ``--config`` nor ``DIGEST_CONFIG`` names one."""
    return Path(platformdirs.user_config_dir("digest")) / CONFIG_FILENAME


def find_config(explicit: str | os.PathLike[str] | None) -> Path:
    """Choose the configuration file: ``--config``, else ``DIGEST_CONFIG``, else the default.

    Raises `ConfigError` when the chosen file does not exist.
    """
    if explicit:
        path, how = Path(explicit), "given with --config"
    elif os.environ.get(CONFIG_ENV):
        path, how = Path(os.environ[CONFIG_ENV]), f"named by {CONFIG_ENV}"
    else:
        path, how = default_config_path(), "the default location"
    path = path.expanduser()
    if not path.is_file():
        raise ConfigError(
            f"No configuration file at {path} ({how}). Copy config/digest.example.toml "
            f"there, pass --config FILE, or set {CONFIG_ENV}."
        )
    return path


def load(path: str | os.PathLike[str]) -> Config:
    """Read and validate the TOML file at `path`.

    Relative paths inside the file are taken relative to the file's folder. Raises
    `ConfigError` listing every problem found.
    """
    file = Path(path).expanduser()
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"Cannot read the configuration file {file}: {exc.strerror}.") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{file} is not UTF-8 text.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file} is not valid TOML: {exc}.") from exc
    return parse(raw, base=file.parent.resolve(), name=str(file), path=file)


def parse(
    raw: Mapping[str, Any], *, base: Path, name: str = "<config>", path: Path | None = None
) -> Config:
    """Validate an already-parsed TOML document; `base` resolves relative paths."""
    checker = _Checker(name, base)
    top = checker.table(raw, "", _TOP_KEYS)

    digest = checker.section(top, "digest", DigestSettings, _DIGEST_RULES)
    http = checker.section(top, "http", HttpSettings, _HTTP_RULES)
    delivery = checker.section(top, "delivery", DeliverySettings, _DELIVERY_RULES)
    smtp = checker.section(top, "smtp", SmtpSettings, _SMTP_RULES)
    sources = checker.sources(top.get("sources", []))
    subscribers = checker.subscribers(top.get("subscribers", []))

    data_dir = _data_dir(checker, top.get("data_dir"))
    checker.raise_if_any()
    return Config(
        path=path,
        data_dir=data_dir,
        digest=digest,
        http=http,
        delivery=delivery,
        smtp=smtp,
        sources=sources,
        subscribers=subscribers,
    )


def _data_dir(checker: _Checker, value: Any) -> Path:
    if os.environ.get(HOME_ENV):
        return Path(os.environ[HOME_ENV]).expanduser().resolve()
    if value is None:
        return Path(platformdirs.user_data_dir("digest"))
    if not isinstance(value, str) or not value:
        checker.problem("data_dir", "must be a folder path (a non-empty string)")
        return Path(".")
    return checker.path(value)


# --- validation rules -------------------------------------------------------------------
# A rule turns a raw TOML value into the setting's value, or returns an error text.

Rule = Callable[[Any, "_Checker"], Any]


class _Invalid(str):
    """An error text returned by a rule instead of a value."""


def _of_type(kind: type, label: str) -> Rule:
    def rule(value: Any, _: _Checker) -> Any:
        if isinstance(value, bool) and kind is not bool:
            return _Invalid(f"must be {label}, not a boolean")
        if kind is float and isinstance(value, int):
            return float(value)
        if not isinstance(value, kind):
            return _Invalid(f"must be {label}, not {_describe(value)}")
        return value

    return rule


def _positive(kind: type, label: str) -> Rule:
    base = _of_type(kind, label)

    def rule(value: Any, checker: _Checker) -> Any:
        result = base(value, checker)
        if isinstance(result, _Invalid):
            return result
        return result if result > 0 else _Invalid(f"must be greater than 0, not {value}")

    return rule


def _choice(*options: str) -> Rule:
    def rule(value: Any, _: _Checker) -> Any:
        if value not in options:
            listed = ", ".join(repr(option) for option in options)
            return _Invalid(f"must be one of {listed}, not {value!r}")
        return value

    return rule


def _timezone(value: Any, _: _Checker) -> Any:
    if not isinstance(value, str) or not value:
        return _Invalid(f"must be a time zone name, not {_describe(value)}")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return _Invalid(
            f"{value!r} is not a known time zone (use an IANA name such as 'Europe/Berlin')"
        )
    return value


def _folder(value: Any, checker: _Checker) -> Any:
    if not isinstance(value, str):
        return _Invalid(f"must be a folder path, not {_describe(value)}")
    return checker.path(value) if value else None


def _relative_folder(value: Any, _: _Checker) -> Any:
    """A folder kept as written: relative ones are resolved later, against the data folder."""
    if not isinstance(value, str) or not value:
        return _Invalid(f"must be a folder path, not {_describe(value)}")
    return Path(value).expanduser()


def _address(value: Any, _: _Checker) -> Any:
    if not isinstance(value, str) or not _EMAIL.search(_bare_address(value)):
        return _Invalid(f"must be an email address, not {value!r}")
    return value


_TEXT = _of_type(str, "text")
_TOP_KEYS = ("data_dir", "digest", "http", "delivery", "smtp", "sources", "subscribers")
_DIGEST_RULES: dict[str, Rule] = {
    "title": _TEXT,
    "sentences": _positive(int, "a whole number"),
    "method": _TEXT,
    "language": _TEXT,
    "max_articles": _positive(int, "a whole number"),
    "timezone": _timezone,
    "templates": _folder,
}
_HTTP_RULES: dict[str, Rule] = {
    "timeout": _positive(float, "a number of seconds"),
    "max_bytes": _positive(int, "a whole number of bytes"),
    "max_redirects": _of_type(int, "a whole number"),
}
_DELIVERY_RULES: dict[str, Rule] = {
    "backend": _choice("file", "smtp"),
    "sender": _address,
    "outbox": _relative_folder,
}
_SMTP_RULES: dict[str, Rule] = {
    "host": _TEXT,
    "port": _positive(int, "a port number"),
    "security": _choice("starttls", "tls", "none"),
    "username": _TEXT,
    "password_env": _TEXT,
    "timeout": _positive(float, "a number of seconds"),
}
_SOURCE_KEYS = ("name", "url", "path", "kind", "language")
_SUBSCRIBER_KEYS = ("email", "name", "timezone")


class _Checker:
    """Collects problems while a configuration is validated."""

    def __init__(self, name: str, base: Path) -> None:
        self.name = name
        self.base = base
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
            self.problem(where or "(top level)", f"must be a table, not {_describe(value)}")
            return {}
        for key in value:
            if key not in allowed:
                hint = difflib.get_close_matches(key, allowed, n=1)
                suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
                self.problem(_join(where, key), f"unknown key{suggestion}")
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
            if isinstance(result, _Invalid):
                self.problem(_join(where, key), str(result))
            else:
                values[key] = result
        return values

    def sources(self, raw: Any) -> tuple[Source, ...]:
        found: list[Source] = []
        names: set[str] = set()
        for index, entry in enumerate(self.array(raw, "sources")):
            where = f"[[sources]] #{index + 1}"
            table = self.table(entry, where, _SOURCE_KEYS)
            source = self.source(table, where)
            if source is None:
                continue
            if source.name in names:
                self.problem(_join(where, "name"), f"{source.name!r} is used by another source")
            names.add(source.name)
            found.append(source)
        return tuple(found)

    def source(self, table: dict[str, Any], where: str) -> Source | None:
        url, path = table.get("url"), table.get("path")
        if (url is None) == (path is None):
            self.problem(where, "needs exactly one of 'url' or 'path'")
            return None
        if url is not None:
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                self.problem(_join(where, "url"), f"must be an http(s) URL, not {url!r}")
                return None
            location = url
        else:
            if not isinstance(path, str) or not path:
                self.problem(_join(where, "path"), f"must be a file or folder path, not {path!r}")
                return None
            location = str(self.path(path))
        kind = self.source_kind(table.get("kind"), location, _join(where, "kind"))
        name = table.get("name", _default_source_name(location))
        if not isinstance(name, str) or not name.strip():
            self.problem(_join(where, "name"), "must be non-empty text")
            return None
        language = table.get("language")
        if language is not None and not isinstance(language, str):
            self.problem(_join(where, "language"), "must be text such as 'english'")
            language = None
        if kind is None:
            return None
        return Source(name=name.strip(), kind=kind, location=location, language=language)

    def source_kind(self, value: Any, location: str, where: str) -> SourceKind | None:
        if value is not None:
            try:
                return SourceKind(value)
            except ValueError:
                listed = ", ".join(repr(kind.value) for kind in SourceKind)
                self.problem(where, f"must be one of {listed}, not {value!r}")
                return None
        if location.startswith(("http://", "https://")):
            return SourceKind.FEED
        if location.lower().endswith(FEED_SUFFIXES):
            return SourceKind.FEED
        return SourceKind.FILES

    def subscribers(self, raw: Any) -> tuple[Subscriber, ...]:
        found: list[Subscriber] = []
        for index, entry in enumerate(self.array(raw, "subscribers")):
            where = f"[[subscribers]] #{index + 1}"
            table = self.table(entry, where, _SUBSCRIBER_KEYS)
            values = self.values(
                table, where, {"email": _address, "name": _TEXT, "timezone": _timezone}
            )
            if "email" not in table:
                self.problem(_join(where, "email"), "is missing")
            if "email" in values:
                found.append(Subscriber(**values))
        return tuple(found)

    def array(self, raw: Any, name: str) -> list[Any]:
        if not isinstance(raw, list):
            self.problem(name, f"must be an array of tables ([[{name}]]), not {_describe(raw)}")
            return []
        return raw


def _join(where: str, key: str) -> str:
    if not where:
        return key
    if where.startswith("[") and where.endswith("]") and not where.startswith("[["):
        return f"[{where[1:-1]}] {key}"
    return f"{where} {key}"


def _describe(value: Any) -> str:
    kinds = {
        str: "text",
        int: "a number",
        float: "a number",
        bool: "a boolean",
        list: "an array",
        dict: "a table",
    }
    return kinds.get(type(value), type(value).__name__)


def _bare_address(value: str) -> str:
    match = re.search(r"<([^<>]*)>\s*$", value)
    return (match.group(1) if match else value).strip()


def _default_source_name(location: str) -> str:
    stripped = re.sub(r"^https?://", "", location).rstrip("/")
    return stripped or location
