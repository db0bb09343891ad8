"""Tests for digest.collect.sources: the configured and the added sources, and OPML in and out."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest import config as config_module
from digest.collect.opml import parse_opml
from digest.collect.sources import (
    add_source,
    all_sources,
    export_opml,
    import_opml,
    remove_source,
    source_statuses,
)
from digest.errors import ConfigError, FeedError
from digest.models import SourceKind
from digest.store import Store

NOW = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
OPML = b"""<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>
<outline text="News">
  <outline type="rss" text="River" xmlUrl="https://river.example/feed.xml"/>
  <outline type="rss" text="Configured" xmlUrl="https://conf.example/feed"/>
</outline>
<outline type="rss" text="River" xmlUrl="https://other.example/rss"/>
<outline type="rss" text="Gopher" xmlUrl="gopher://old.example/feed"/>
</body></opml>"""


@pytest.fixture
def config(tmp_path: Path) -> config_module.Config:
    (tmp_path / "notes").mkdir()
    raw = {"sources": [{"name": "Configured", "url": "https://conf.example/feed"}]}
    return config_module.parse(raw, base=tmp_path)


@pytest.fixture
def store(config: config_module.Config) -> Store:
    return Store(config.database)


def test_added_sources_follow_the_configured_ones(
    config: config_module.Config, store: Store, tmp_path: Path
) -> None:
    add_source(config, store, "https://b.example/feed", full_text="always")
    add_source(config, store, str(tmp_path / "notes"), name="Notes")
    names = [(s.name, s.origin) for s in all_sources(config, store)]
    assert names == [("Configured", "config"), ("b.example/feed", "cli"), ("Notes", "cli")]
    notes = all_sources(config, store)[2]
    assert notes.kind is SourceKind.FILES and notes.location == str(tmp_path / "notes")
    assert all_sources(config, store)[1].full_text == "always"


@pytest.mark.parametrize(
    ("location", "options", "message"),
    [
        ("https://x.example/feed", {"name": "Configured"}, "named 'Configured' exists already"),
        ("https://conf.example/feed?utm_source=a", {}, "is already a source, 'Configured'"),
        ("ftp://x.example/feed", {}, "must be an http\\(s\\) URL"),
        ("/no/such/folder", {}, "does not exist"),
        ("https://x.example/feed", {"kind": "podcast"}, "kind: must be one of"),
        ("https://x.example/feed", {"full_text": "sometimes"}, "full_text: must be one of"),
    ],
)
def test_add_source_rejects_bad_input(
    config: config_module.Config,
    store: Store,
    location: str,
    options: dict[str, str],
    message: str,
) -> None:
    with pytest.raises(ConfigError, match=message):
        add_source(config, store, location, **options)  # type: ignore[arg-type]
    assert store.sources(origin="cli") == []


def test_only_added_sources_can_be_removed(config: config_module.Config, store: Store) -> None:
    add_source(config, store, "https://b.example/feed", name="B")
    remove_source(config, store, "B")
    assert store.sources(origin="cli") == []
    with pytest.raises(ConfigError, match=r"is defined in .* remove it there"):
        remove_source(config, store, "Configured")
    with pytest.raises(ConfigError, match="There is no source named 'B'"):
        remove_source(config, store, "B")


def test_import_opml_adds_new_feeds_and_reports_the_rest(
    config: config_module.Config, store: Store
) -> None:
    report = import_opml(config, store, OPML, location="feeds.opml")
    assert [(s.name, s.location) for s in report.added] == [
        ("River", "https://river.example/feed.xml"),
        ("River (2)", "https://other.example/rss"),
    ]
    assert report.known == ("https://conf.example/feed",)
    assert report.skipped == ("gopher://old.example/feed",)
    again = import_opml(config, store, OPML, location="feeds.opml")
    assert again.added == () and len(again.known) == 3


def test_import_rejects_what_is_not_opml(config: config_module.Config, store: Store) -> None:
    with pytest.raises(FeedError, match=r"feeds\.opml is not an OPML file"):
        import_opml(config, store, b"<html></html>", location="feeds.opml")


def test_export_round_trips_through_opml(
    config: config_module.Config, store: Store, tmp_path: Path
) -> None:
    add_source(config, store, "https://b.example/feed", name="B & co")
    add_source(config, store, str(tmp_path / "notes"), name="Notes")
    document, left_out = export_opml(config, store, now=NOW)
    feeds = parse_opml(document.encode("utf-8")).feeds
    assert [(f.name, f.url) for f in feeds] == [
        ("Configured", "https://conf.example/feed"),
        ("B & co", "https://b.example/feed"),
    ]
    assert left_out == ["Notes"]


def test_statuses_show_the_last_fetch(config: config_module.Config, store: Store) -> None:
    store.sync_source(config.sources[0])
    store.record_fetch("Configured", when=NOW, status="error", error="timed out")
    (status,) = source_statuses(config, store)
    assert (status.state.last_status, status.state.last_error) == ("error", "timed out")
