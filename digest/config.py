"""Read one TOML configuration file into a frozen, validated `Config`.

This module owns the defaults (each defined once, below, and mirrored with comments in
``config/digest.example.toml``) and the rules for finding the file and the data folder. It
reads the configuration file and nothing else; it never reads secrets: the SMTP password and
the key that signs links are named here by the environment variables that hold them and
read where they are used.

Every problem in a file (unknown keys, wrong types, missing values, bad time zones) is
collected and raised together as one `ConfigError`, each naming the file and the key.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from digest.errors import ConfigError
from digest.models import Source, SourceKind, StoreAddress, Subscriber
from digest.validation import (
    Checker,
    Invalid,
    Rule,
    address,
    between,
    choice,
    file,
    folder,
    join,
    mailbox,
    names,
    of_type,
    positive,
    ratio,
    relative_folder,
    send_time,
    store_url,
    timezone,
    web_url,
    weekday,
)

CONFIG_ENV = "DIGEST_CONFIG"
HOME_ENV = "DIGEST_HOME"
CONFIG_FILENAME = "digest.toml"

FEED_SUFFIXES = (".xml", ".rss", ".atom", ".rdf")


@dataclass(frozen=True, slots=True)
class DigestSettings:
    """What goes into a digest."""

    title: str = "Your daily digest"
    sentences: int = 3  # at most this many sentences per summary...
    ratio: float | None = None  # ...and at most this share of the article's sentences...
    max_words: int | None = None  # ...and at most this many words
    method: str = "newsrank"  # digest.summarize.DEFAULT_METHOD
    language: str = "english"
    max_articles: int = 50
    group_by: str = "none"  # "none", or "source": a heading per source
    max_html_bytes: int = 100_000  # Gmail clips larger messages
    timezone: str = "UTC"
    templates: Path | None = None  # a folder overriding the packaged templates file by file


@dataclass(frozen=True, slots=True)
class HttpSettings:
    """How sources are fetched."""

    timeout: float = 20.0  # connect and read timeout, seconds
    total_timeout: float = 60.0  # a whole request (redirects included), seconds
    max_bytes: int = 10_000_000  # on the wire
    max_decompressed_bytes: int = 50_000_000
    max_redirects: int = 5
    concurrency: int = 8  # sources fetched at once
    per_host: int = 4  # requests to one host at once
    max_retry_wait: float = 5.0  # wait this long for a Retry-After, else try next run


@dataclass(frozen=True, slots=True)
class CollectSettings:
    """How collection uses the machine."""

    processes: int = 0  # worker processes for parsing and cleaning; 0: automatic, 1: none
    max_items_per_source: int = 300  # new items taken from one source per run, newest first
    full_text_wait_hours: float = 24.0  # then a teaser whose page never came is shown as one


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where the `smtp` backend sends mail. The password comes from `password_env`."""

    host: str = "localhost"
    port: int = 587
    security: str = "starttls"  # "starttls", "tls" (implicit) or "none"
    username: str = ""
    password_env: str = "DIGEST_SMTP_PASSWORD"
    timeout: float = 30.0
    ca_file: Path | None = None  # certificates to trust instead of the system's
    connections: int = 1  # connections used at once
    messages_per_connection: int = 100  # then a new connection
    rate: float = 0.0  # at most this many messages a second in all; 0: no limit


@dataclass(frozen=True, slots=True)
class SendmailSettings:
    """The local mail transfer agent the `sendmail` backend pipes each message to."""

    command: str = "/usr/sbin/sendmail"
    timeout: float = 60.0


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """How digests leave (`file`: an outbox folder; `smtp`; `sendmail`), and retries."""

    backend: str = "file"
    sender: str = "digest <digest@localhost>"
    outbox: Path = Path("outbox")  # relative to the data folder
    list_id: str = ""  # the List-Id label; empty: derived from the title and sender domain
    first_retry_minutes: float = 5.0  # after a temporary failure; doubling each time...
    max_retry_minutes: float = 240.0  # ...up to this
    give_up_hours: float = 72.0  # a digest still not sent this long after queueing fails
    keep_sent_days: float = 30.0  # then a sent digest's message is dropped (its record stays)
    allow_test_addresses: bool = False  # subscribers at localhost or .test, for local setups


@dataclass(frozen=True, slots=True)
class WebSettings:
    """The subscriber pages (`digest web`), and the links to them in emails."""

    public_url: str = ""  # e.g. "https://digest.example.org"; empty: mailto links only
    secret_env: str = "DIGEST_SECRET_KEY"  # the variable holding the key that signs links
    admin_key_env: str = "DIGEST_ADMIN_KEY"  # the variable holding the status page's key
    host: str = "127.0.0.1"  # where `digest web` listens
    port: int = 8080
    proxies: int = 0  # reverse proxies in front that set X-Forwarded-For (trusted, in order)
    signups_per_hour: int = 10  # sign-ups one client may make in an hour...
    mails_per_address_per_day: int = 3  # ...and confirmation mails one address may get a day
    trusted_hosts: tuple[str, ...] = ()  # Host names served besides public_url's
    connection_limit: int = 200  # open connections at once; more wait to be accepted
    idle_timeout: int = 15  # seconds a connection may send nothing before it is closed


@dataclass(frozen=True, slots=True)
class ScheduleSettings:
    """When `digest serve` collects and sends."""

    collect_minutes: float = 30.0  # collect every source this often
    tick_seconds: float = 60.0  # look for digests that are due this often
    grace_hours: float = 12.0  # a digest due longer ago than this (service down) is skipped
    first_digest_hours: float = 24.0  # a new subscriber's first digest: articles this recent
    send_empty: bool = False  # send a digest that says nothing is new, rather than none


@dataclass(frozen=True, slots=True)
class StoreSettings:
    """How long the store keeps what it collected and sent."""

    # Articles, their items and finished digests older than this many days are pruned
    # daily by `digest serve` (and by `digest store prune`); 0 keeps everything. At least
    # `MIN_KEEP_DAYS`, so that a new copy of a story is still recognised as one.
    keep_days: int = 0
    # Where the store is: empty for the SQLite file in the data folder, ``sqlite:///path``
    # for another file, ``postgresql://user@host/db`` for a PostgreSQL database shared by
    # several `digest serve` workers. The PostgreSQL password is read from the environment
    # variable named by `password_env`, never from the file.
    url: str = ""
    password_env: str = "DIGEST_STORE_PASSWORD"


MIN_KEEP_DAYS = 30
"""The de-duplication window (`digest.collect.gather.DEDUP_WINDOW`): a stored article's
fingerprints are compared with new ones for this long, so it is kept at least as long."""


@dataclass(frozen=True, slots=True)
class Config:
    """A whole, validated configuration."""

    path: Path | None
    data_dir: Path
    digest: DigestSettings
    http: HttpSettings
    collect: CollectSettings
    delivery: DeliverySettings
    smtp: SmtpSettings
    sendmail: SendmailSettings
    web: WebSettings
    schedule: ScheduleSettings
    sources: tuple[Source, ...]
    subscribers: tuple[Subscriber, ...]
    store: StoreSettings = StoreSettings()

    @property
    def database(self) -> Path:
        """The SQLite file of the store (for a PostgreSQL store, the file a SQLite store would
        use, beside which the lock file of `digest run` and `digest send` is kept)."""
        if self.store.url.startswith("sqlite:///"):
            return Path(self.store.url.removeprefix("sqlite:///"))
        return self.data_dir / "digest.sqlite3"

    @property
    def store_address(self) -> StoreAddress:
        """Where the store is, as `digest.store.Store` opens it."""
        if self.store.url and not self.store.url.startswith("sqlite:"):
            return StoreAddress(self.store.url, self.store.password_env)
        return StoreAddress(f"sqlite:///{self.database}")

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
    delivery_table = raw.get("delivery") if isinstance(raw, Mapping) else None
    test_addresses = isinstance(delivery_table, Mapping) and (
        delivery_table.get("allow_test_addresses") is True
    )
    checker = _ConfigChecker(name, base, test_addresses=test_addresses)
    top = checker.table(raw, "", _TOP_KEYS)

    digest = checker.section(top, "digest", DigestSettings, _DIGEST_RULES)
    http = checker.section(top, "http", HttpSettings, _HTTP_RULES)
    collect = checker.section(top, "collect", CollectSettings, _COLLECT_RULES)
    delivery = checker.section(top, "delivery", DeliverySettings, _DELIVERY_RULES)
    smtp = checker.section(top, "smtp", SmtpSettings, _SMTP_RULES)
    sendmail = checker.section(top, "sendmail", SendmailSettings, _SENDMAIL_RULES)
    web = checker.section(top, "web", WebSettings, _WEB_RULES)
    schedule = checker.section(top, "schedule", ScheduleSettings, _SCHEDULE_RULES)
    store = checker.section(top, "store", StoreSettings, _STORE_RULES)
    sources = checker.sources(top.get("sources", []))
    subscribers = checker.subscribers(top.get("subscribers", []))

    data_dir = _data_dir(checker, top.get("data_dir"))
    checker.raise_if_any()
    return Config(
        path=path,
        data_dir=data_dir,
        digest=digest,
        http=http,
        collect=collect,
        delivery=delivery,
        smtp=smtp,
        sendmail=sendmail,
        web=web,
        schedule=schedule,
        sources=sources,
        subscribers=subscribers,
        store=store,
    )


def parse_source(table: Mapping[str, Any], *, base: Path, name: str) -> Source:
    """Validate one source given outside the file (``digest sources add``).

    `table` holds the same keys as a ``[[sources]]`` table; relative paths are taken
    relative to `base`. Raises `ConfigError` listing every problem.
    """
    checker = _ConfigChecker(name, base)
    source = checker.source(dict(checker.table(dict(table), "source", _SOURCE_KEYS)), "source")
    checker.raise_if_any()
    assert source is not None  # every way to None records a problem
    return source


def _data_dir(checker: Checker, value: Any) -> Path:
    if os.environ.get(HOME_ENV):
        return Path(os.environ[HOME_ENV]).expanduser().resolve()
    if value is None:
        return Path(platformdirs.user_data_dir("digest"))
    if not isinstance(value, str) or not value:
        checker.problem("data_dir", "must be a folder path (a non-empty string)")
        return Path(".")
    return checker.path(value)


_TEXT = of_type(str, "text")
# Every number has a range (`between`, `positive`): generous, but finite.
_HOUR, _DAY, _GIB = 3600, 86_400, 1 << 30
_TOP_KEYS = (
    "data_dir", "digest", "http", "collect", "delivery", "smtp", "sendmail", "web", "schedule",
    "store", "sources", "subscribers",
)  # fmt: skip
_DIGEST_RULES: dict[str, Rule] = {
    "title": _TEXT,
    "sentences": positive(int, "a whole number", 100),
    "ratio": ratio,
    "max_words": positive(int, "a whole number", 10_000),
    "method": _TEXT,
    "language": _TEXT,
    "max_articles": positive(int, "a whole number", 10_000),
    "group_by": choice("none", "source"),
    "max_html_bytes": between(int, "a whole number of bytes", 10_000, 10_000_000),
    "timezone": timezone,
    "templates": folder,
}
_HTTP_RULES: dict[str, Rule] = {
    "timeout": positive(float, "a number of seconds", _HOUR),
    "total_timeout": positive(float, "a number of seconds", _DAY),
    "max_bytes": positive(int, "a whole number of bytes", _GIB),
    "max_decompressed_bytes": positive(int, "a whole number of bytes", 4 * _GIB),
    "max_redirects": between(int, "a whole number", 0, 50),
    "concurrency": positive(int, "a whole number", 1_000),
    "per_host": positive(int, "a whole number", 1_000),
    "max_retry_wait": between(float, "a number of seconds", 0, 30 * _DAY),
}
_COLLECT_RULES: dict[str, Rule] = {
    "processes": between(int, "a whole number", 0, 512),
    "max_items_per_source": positive(int, "a whole number", 1_000_000),
    "full_text_wait_hours": between(float, "a number of hours", 0, 365 * 24),
}
_DELIVERY_RULES: dict[str, Rule] = {
    "backend": choice("file", "smtp", "sendmail"),
    "sender": address,
    "outbox": relative_folder,
    "list_id": _TEXT,
    "first_retry_minutes": positive(float, "a number of minutes", 24 * 60),
    "max_retry_minutes": positive(float, "a number of minutes", 30 * 24 * 60),
    "give_up_hours": positive(float, "a number of hours", 365 * 24),
    "keep_sent_days": positive(float, "a number of days", 100 * 365),
    "allow_test_addresses": of_type(bool, "true or false"),
}
_SMTP_RULES: dict[str, Rule] = {
    "host": _TEXT,
    "port": positive(int, "a port number", 65_535),
    "security": choice("starttls", "tls", "none"),
    "username": _TEXT,
    "password_env": _TEXT,
    "timeout": positive(float, "a number of seconds", _HOUR),
    "ca_file": file,
    "connections": positive(int, "a whole number", 100),
    "messages_per_connection": positive(int, "a whole number", 1_000_000),
    "rate": between(float, "a number of messages a second", 0, 1_000_000),
}
_SENDMAIL_RULES: dict[str, Rule] = {
    "command": _TEXT,
    "timeout": positive(float, "a number of seconds", _HOUR),
}
_WEB_RULES: dict[str, Rule] = {
    "public_url": web_url,
    "secret_env": _TEXT,
    "admin_key_env": _TEXT,
    "host": _TEXT,
    "port": positive(int, "a port number", 65_535),
    "proxies": between(int, "a whole number", 0, 10),
    "signups_per_hour": positive(int, "a whole number", 1_000_000),
    "mails_per_address_per_day": positive(int, "a whole number", 1_000),
    "trusted_hosts": names,
    "connection_limit": positive(int, "a whole number", 100_000),
    "idle_timeout": positive(int, "a whole number of seconds", 3_600),
}


def _keep_days(value: Any, checker: Checker) -> Any:
    """0 (keep everything), or a number of days from `MIN_KEEP_DAYS`."""
    days = between(int, "a whole number of days", 0, 100 * 365)(value, checker)
    if isinstance(days, Invalid) or days == 0 or days >= MIN_KEEP_DAYS:
        return days
    return Invalid(
        f"must be 0 (keep everything) or at least {MIN_KEEP_DAYS} days (the window in which "
        f"a new copy of a story is recognised), not {days}"
    )


_STORE_RULES: dict[str, Rule] = {
    "keep_days": _keep_days,
    "url": store_url,
    "password_env": _TEXT,
}
_SCHEDULE_RULES: dict[str, Rule] = {
    "collect_minutes": positive(float, "a number of minutes", 7 * 24 * 60),
    "tick_seconds": positive(float, "a number of seconds", _HOUR),
    "grace_hours": positive(float, "a number of hours", 365 * 24),
    "first_digest_hours": positive(float, "a number of hours", 365 * 24),
    "send_empty": of_type(bool, "true or false"),
}
_SOURCE_RULES: dict[str, Rule] = {
    "language": _TEXT,
    "full_text": choice("auto", "always", "never"),
    "allow_private": of_type(bool, "true or false"),
}
_SOURCE_KEYS = ("name", "url", "path", "kind", *_SOURCE_RULES)
_SUBSCRIBER_RULES: dict[str, Rule] = {
    "email": mailbox,
    "name": _TEXT,
    "timezone": timezone,
    "at": send_time,
    "weekly": weekday,
    "sources": names,
}
_SUBSCRIBER_KEYS = tuple(_SUBSCRIBER_RULES)
_SUBSCRIBER_FIELDS = {"at": "send_at", "weekly": "weekly_on"}  # key -> Subscriber field


class _ConfigChecker(Checker):
    """The checker, plus the rules for sources and subscribers."""

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
                self.problem(join(where, "name"), f"{source.name!r} is used by another source")
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
                self.problem(join(where, "url"), f"must be an http(s) URL, not {url!r}")
                return None
            location = url
        else:
            if not isinstance(path, str) or not path:
                self.problem(join(where, "path"), f"must be a file or folder path, not {path!r}")
                return None
            location = str(self.path(path))
        kind = self.source_kind(table.get("kind"), location, join(where, "kind"))
        name = table.get("name", _default_source_name(location))
        if not isinstance(name, str) or not name.strip():
            self.problem(join(where, "name"), "must be non-empty text")
            return None
        options = self.values(
            {key: table[key] for key in _SOURCE_RULES if key in table}, where, _SOURCE_RULES
        )
        if kind is None:
            return None
        return Source(name=name.strip(), kind=kind, location=location, **options)

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
        emails: set[str] = set()
        for index, entry in enumerate(self.array(raw, "subscribers")):
            where = f"[[subscribers]] #{index + 1}"
            table = self.table(entry, where, _SUBSCRIBER_KEYS)
            values = self.values(table, where, _SUBSCRIBER_RULES)
            if "email" not in table:
                self.problem(join(where, "email"), "is missing")
            if "email" in values:
                if values["email"] in emails:
                    self.problem(join(where, "email"), f"{values['email']!r} is listed twice")
                emails.add(values["email"])
                renamed = {_SUBSCRIBER_FIELDS.get(key, key): value for key, value in values.items()}
                found.append(Subscriber(**renamed))
        return tuple(found)


def _default_source_name(location: str) -> str:
    stripped = re.sub(r"^https?://", "", location).rstrip("/")
    return stripped or location
