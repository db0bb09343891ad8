"""The records passed between pipeline stages.

Every record is a frozen dataclass; stages build new records instead of changing old ones.
Nothing here does I/O or imports another digest module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum
from pathlib import Path


class SourceKind(StrEnum):
    """How a source is read."""

    FEED = "feed"  # RSS or Atom, from a URL or a file
    PAGE = "page"  # one web page, from a URL
    FILES = "files"  # a local file or a folder of .html/.htm/.txt/.md files


@dataclass(frozen=True, slots=True)
class Source:
    """One configured place articles come from."""

    name: str
    kind: SourceKind
    location: str  # an http(s) URL or an absolute file system path
    language: str | None = None  # e.g. "english"; None means the digest's default
    full_text: str = "auto"  # fetch linked pages: "auto" (teasers only), "always", "never"
    allow_private: bool = False  # may links from this source lead to private addresses?
    origin: str = "config"  # "config" (the configuration file) or "cli" (digest sources add)

    @property
    def is_remote(self) -> bool:
        return self.location.startswith(("http://", "https://"))


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One raw item found in a source, before extraction.

    ``content`` is HTML when ``content_type`` is ``"html"`` and plain text when it is
    ``"text"``. ``guid`` is the item's identity within its source (a feed GUID, a link or a
    file path).
    """

    source: str
    guid: str
    url: str
    title: str
    content: str
    content_type: str  # "html" or "text"
    published: datetime | None = None
    author: str | None = None
    is_full_page: bool = False  # a whole web page (extract the main text) or a feed's content


@dataclass(frozen=True, slots=True)
class Article:
    """An article's clean text and metadata."""

    url: str
    title: str
    text: str  # paragraphs separated by one blank line
    source: str = ""
    guid: str = ""
    published: datetime | None = None
    author: str | None = None
    language: str | None = None
    image: str | None = None  # the lead image's absolute http(s) URL
    teaser: bool = False  # the text is only the feed's teaser: its page could not be fetched


@dataclass(frozen=True, slots=True)
class CollectedArticle:
    """A new article ready to be stored: its text, its item identity and its fingerprints."""

    guid: str  # the item's identity within its source
    article: Article
    content_hash: str  # exact: the same words
    simhash: int | None  # near: the same story, slightly edited (None for short texts)


@dataclass(frozen=True, slots=True)
class Summary:
    """An article with the sentences chosen to stand for it, in article order."""

    article: Article
    sentences: tuple[str, ...]
    method: str


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
STATUSES = ("pending", "active", "unsubscribed")


@dataclass(frozen=True, slots=True)
class Subscriber:
    """Someone who receives digests, and when and what they receive."""

    email: str
    name: str = ""
    timezone: str = "UTC"  # an IANA zone: send times are local to it
    send_at: time = time(7, 0)  # local time of the digest
    weekly_on: int | None = None  # 0 (Monday) to 6 for a weekly digest; None: daily
    sources: tuple[str, ...] = ()  # names of the sources they get; empty: every source
    status: str = "active"  # "pending" (not confirmed yet), "active" or "unsubscribed"

    @property
    def frequency(self) -> str:
        """``daily``, or ``weekly on <day>``."""
        return "daily" if self.weekly_on is None else f"weekly on {WEEKDAYS[self.weekly_on]}"


@dataclass(frozen=True, slots=True)
class Digest:
    """Everything a template receives: one subscriber's digest at one moment."""

    subscriber: Subscriber
    title: str
    generated_at: datetime  # aware, in the subscriber's time zone
    items: tuple[Summary, ...]
    sources: tuple[str, ...] = ()
    group_by: str = "none"  # "none" or "source": how `groups` gathers the items
    omitted: int = 0  # articles left out to keep the email small enough
    unsubscribe_url: str = ""  # where the reader stops these emails
    preferences_url: str = ""  # where the reader changes when and what they get

    @property
    def article_count(self) -> int:
        return len(self.items)

    @property
    def groups(self) -> tuple[tuple[str, tuple[Summary, ...]], ...]:
        """The items as (heading, items) pairs: one group with no heading, or one per source,
        in the order the sources first appear."""
        if self.group_by != "source":
            return (("", self.items),)
        grouped: dict[str, list[Summary]] = {}
        for item in self.items:
            grouped.setdefault(item.article.source or "Other", []).append(item)
        return tuple((name, tuple(items)) for name, items in grouped.items())


@dataclass(frozen=True, slots=True)
class RenderedDigest:
    """A digest turned into an email's subject and its two bodies."""

    subject: str
    text: str
    html: str


@dataclass(frozen=True, slots=True)
class Delivery:
    """The outcome of handing one digest to a delivery backend."""

    recipient: str
    message_id: str
    backend: str
    location: str  # the outbox file, or "host:port" for SMTP
    files: tuple[Path, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class StoreAddress:
    """Where the store is: ``sqlite:///path/to/file`` or ``postgresql://user@host/db``.

    A PostgreSQL password is never part of the URL; `password_env` names the environment
    variable that holds it (read only when the store is opened)."""

    url: str
    password_env: str = ""

    @property
    def shared(self) -> bool:
        """Whether several processes and machines may work on this store at once."""
        return self.url.startswith(("postgresql://", "postgres://"))
