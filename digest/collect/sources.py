"""The list of sources: those in the configuration file and those added on the command line.

How the two combine: sources in the configuration file are the user's hand-written list and
are never changed by digest; ``digest sources add`` and ``digest sources import`` keep theirs
in the store. A run reads both, the file's first. A name may be used once across both; a
source in the file cannot be removed with ``digest sources remove`` (edit the file instead).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from digest.collect.opml import OpmlFeed, parse_opml, render_opml
from digest.collect.urls import canonical_url
from digest.config import Config, parse_source
from digest.errors import ConfigError
from digest.models import Source, SourceKind
from digest.store import SourceState, Store


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """A source with what the store knows about fetching it."""

    source: Source
    state: SourceState


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an OPML import did."""

    added: tuple[Source, ...]
    known: tuple[str, ...]  # feed URLs already subscribed
    skipped: tuple[str, ...]  # outlines whose URL is not http(s)


def all_sources(config: Config, store: Store) -> tuple[Source, ...]:
    """The configured sources, then those added on the command line (a name once)."""
    configured = {source.name for source in config.sources}
    added = [source for source in store.sources(origin="cli") if source.name not in configured]
    return (*config.sources, *added)


def add_source(
    config: Config,
    store: Store,
    location: str,
    *,
    name: str | None = None,
    kind: str | None = None,
    full_text: str = "auto",
    allow_private: bool = False,
    base: Path | None = None,
) -> Source:
    """Add a source (a feed or page URL, or a file or folder path) to the store.

    Raises `ConfigError` for an invalid location or option, a name already in use, or a
    location already subscribed; relative paths are taken relative to `base` (the current
    folder by default).
    """
    table: dict[str, object] = {"full_text": full_text, "allow_private": allow_private}
    table["url" if "://" in location else "path"] = location
    if name is not None:
        table["name"] = name
    if kind is not None:
        table["kind"] = kind
    source = parse_source(table, base=base or Path.cwd(), name="digest sources add")
    source = replace(source, origin="cli")
    if not source.is_remote and not Path(source.location).exists():
        raise ConfigError(f"{source.location} does not exist.")
    _check_new(config, store, source)
    store.add_source(source)
    return source


def _check_new(config: Config, store: Store, source: Source) -> None:
    for known in all_sources(config, store):
        where = "in the configuration file" if known.origin == "config" else "added before"
        if known.name == source.name:
            raise ConfigError(
                f"A source named {source.name!r} exists already ({where}); choose another "
                "name with --name."
            )
        if _same_location(known.location, source.location):
            raise ConfigError(f"{source.location} is already a source, {known.name!r} ({where}).")


def _same_location(a: str, b: str) -> bool:
    return a == b or canonical_url(a) == canonical_url(b)


def remove_source(config: Config, store: Store, name: str) -> None:
    """Remove a source added on the command line. Raises `ConfigError` otherwise."""
    if any(source.name == name for source in config.sources):
        raise ConfigError(
            f"The source {name!r} is defined in {config.path or 'the configuration file'}; "
            "remove it there."
        )
    if not any(source.name == name for source in store.sources(origin="cli")):
        raise ConfigError(f"There is no source named {name!r}; see `digest sources list`.")
    store.remove_source(name)


def source_statuses(config: Config, store: Store) -> list[SourceStatus]:
    """Every source with its last fetch time, status and error."""
    return [
        SourceStatus(source, store.source_state(source.name))
        for source in all_sources(config, store)
    ]


def import_opml(config: Config, store: Store, content: bytes, *, location: str) -> ImportReport:
    """Add every feed of an OPML document that is not a source yet.

    Raises `FeedError` when the document is not OPML. A name already in use gets a number.
    """
    parsed = parse_opml(content, location=location)
    added: list[Source] = []
    known: list[str] = []
    # The sources are read once and kept up to date here: reading them again for each feed
    # made an import cost feeds x sources.
    existing = all_sources(config, store)
    names = {source.name for source in existing}
    locations = {source.location for source in existing}
    locations |= {canonical_url(source.location) for source in existing}
    for feed in parsed.feeds:
        if feed.url in locations or canonical_url(feed.url) in locations:
            known.append(feed.url)
            continue
        name, number = feed.name, 2
        while name in names:
            name, number = f"{feed.name} ({number})", number + 1
        source = Source(name=name, kind=SourceKind.FEED, location=feed.url, origin="cli")
        store.add_source(source)
        added.append(source)
        names.add(name)
        locations |= {feed.url, canonical_url(feed.url)}
    return ImportReport(tuple(added), tuple(known), parsed.skipped)


def export_opml(config: Config, store: Store, *, now: datetime) -> tuple[str, list[str]]:
    """An OPML document of every remote feed source, and the names of those left out.

    Local files and single pages have no place in OPML, so they are listed as left out.
    """
    feeds: list[OpmlFeed] = []
    left_out: list[str] = []
    for source in all_sources(config, store):
        if source.kind is SourceKind.FEED and source.is_remote:
            feeds.append(OpmlFeed(name=source.name, url=source.location))
        else:
            left_out.append(source.name)
    return render_opml(feeds, created=now), left_out
