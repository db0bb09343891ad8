"""Tests for retention: `Store.prune`, ``[store] keep_days``, ``digest store`` and the
service's daily prune, against real SQLite databases (and pruning on PostgreSQL too)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import cli
from digest.config import load, parse
from digest.errors import ConfigError
from digest.models import Article, CollectedArticle, Source, SourceKind, Subscriber
from digest.pipeline import collect_all
from digest.service import jobs
from digest.store import Store

NOW = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
READER = Subscriber("reader@example.org")


def _article(guid: str) -> tuple[CollectedArticle, int | None]:
    article = Article(f"https://e.org/{guid}", f"Title {guid}", f"Text of {guid}.")
    return CollectedArticle(guid, article, f"hash-{guid}", None), None


def _digest(store: Store, ids: list[int], when: datetime, name: str) -> int:
    return store.queue_digest(
        READER,
        envelope_from="digest@localhost",
        subject="S",
        message_id=f"<{name}@x>",
        message=b"m",
        article_ids=ids,
        when=when,
        period=name,
    )


def _filled(where: Path | str) -> Store:
    store = Store(where)
    store.sync_source(Source("feed", SourceKind.FEED, "https://e.org/feed"))
    old, new = NOW - timedelta(days=60), NOW - timedelta(days=1)
    ((a, _), (b, _)) = store.store_items("feed", [_article("a"), _article("b")], ["x"], when=old)
    ((c, _),) = store.store_items("feed", [_article("c")], [], when=new)
    sent = _digest(store, [a], old, "old-sent")
    store.mark_sent(sent, reply="250", backend="file", location="", when=old)
    _digest(store, [b], old, "old-waiting")  # still queued: b must stay
    recent = _digest(store, [c], new, "recent")
    store.mark_sent(recent, reply="250", backend="file", location="", when=new)
    return store


def test_prune_removes_what_is_older_than_the_cutoff_and_keeps_what_a_digest_waits_for(
    store_where: Path | str,
) -> None:
    with _filled(store_where) as store:
        pruned = store.prune(before=NOW - timedelta(days=30))
        assert (pruned.articles, pruned.items, pruned.digests) == (1, 3, 1)
        assert store.article_count() == 2
        assert store.known_guids("feed", ["a", "b", "c", "x"]) == {"c"}
        assert [entry.status for entry in store.outbox_entries(("queued", "sent"))] == [
            "queued",
            "sent",
        ]
        assert store.periods(READER.email) == [("old-waiting", "queued"), ("recent", "queued")]
        assert store.check() == []
        # Nothing older is left: a second prune removes nothing.
        again = store.prune(before=NOW - timedelta(days=30))
        assert (again.articles, again.items, again.digests) == (0, 0, 0)


def test_keep_days_is_zero_or_at_least_the_dedup_window(tmp_path: Path) -> None:
    assert parse({}, base=tmp_path).store.keep_days == 0
    assert parse({"store": {"keep_days": 90}}, base=tmp_path).store.keep_days == 90
    with pytest.raises(ConfigError, match=r"keep_days: must be 0 \(keep everything\) or at least"):
        parse({"store": {"keep_days": 7}}, base=tmp_path)
    with pytest.raises(ConfigError, match="keep_days"):
        parse({"store": {"keep_days": "30"}}, base=tmp_path)


def _config(tmp_path: Path, keep_days: int) -> Path:
    """A configuration file; its store is where `load` says (the data folder of the test)."""
    path = tmp_path / "digest.toml"
    path.write_text(f"[store]\nkeep_days = {keep_days}\n", encoding="utf-8")
    return path


def test_digest_store_check_prune_and_vacuum(tmp_path: Path) -> None:
    config = _config(tmp_path, 0)
    _filled(load(config).database).close()
    runner = CliRunner()
    result = runner.invoke(cli, ["store", "check", "-c", str(config)])
    assert result.exit_code == 0 and "is sound" in result.stdout
    result = runner.invoke(cli, ["store", "prune", "-c", str(config)])
    assert result.exit_code == 0 and "Nothing pruned" in result.stdout
    result = runner.invoke(cli, ["store", "prune", "-c", str(config), "--keep-days", "7"])
    assert result.exit_code == 2  # below the dedup window
    result = runner.invoke(cli, ["store", "prune", "-c", str(config), "--keep-days", "30"])
    assert result.exit_code == 0
    assert "1 article, 3 items, 1 digest" in result.stdout
    result = runner.invoke(cli, ["store", "vacuum", "-c", str(config)])
    assert result.exit_code == 0 and "bytes" in result.stdout


def test_digest_store_check_reports_a_broken_reference(tmp_path: Path) -> None:
    config = _config(tmp_path, 0)
    with _filled(load(config).database) as store:
        store._db.execute("PRAGMA foreign_keys = OFF")
        store._db.execute("INSERT INTO items VALUES (42, 'orphan', NULL, '2026-11-26', NULL)")
    result = CliRunner().invoke(cli, ["store", "check", "-c", str(config)])
    assert result.exit_code == 1
    assert "refers to a missing row of sources" in result.stderr


def test_the_service_prune_job_uses_keep_days(tmp_path: Path) -> None:
    config_path = _config(tmp_path, 30)
    config = load(config_path)
    _filled(config.database).close()
    jobs.prune(config, lambda: NOW)
    with Store(config.database) as store:
        assert store.article_count() == 2


UNDATED_FEED = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>Old news</title><link>https://e.org/</link>
<item><guid>undated-1</guid><title>An entry with no date</title><link>https://e.org/undated</link>
<description>{text}</description></item>
</channel></rss>
"""


def test_an_undated_entry_still_listed_is_not_collected_again_after_a_prune(
    tmp_path: Path,
) -> None:
    """Retention forgets an item once its source stops listing it, not once it is old."""
    text = " ".join(["The harbour bridge reopened after the long winter repairs."] * 8)
    (tmp_path / "feed.xml").write_text(UNDATED_FEED.format(text=text), encoding="utf-8")
    config = parse(
        {
            "data_dir": str(tmp_path / "data"),
            "store": {"keep_days": 30},
            "sources": [
                {"name": "old news", "path": str(tmp_path / "feed.xml"), "full_text": "never"}
            ],
        },
        base=tmp_path,
    )
    with Store(config.database) as store:
        assert collect_all(config, store, now=NOW).new_articles == 1
        for days in (20, 40, 60):  # the feed keeps listing the entry
            later = NOW + timedelta(days=days)
            assert collect_all(config, store, now=later).new_articles == 0
            store.prune(before=later - timedelta(days=30))
        assert store.known_guids("old news", ["undated-1"]) == {"undated-1"}
        assert store.article_count() == 0  # the article itself is old and gone
        # Once the source stops listing it for longer than keep_days, the item goes too.
        (tmp_path / "feed.xml").write_text(
            UNDATED_FEED.replace("undated-1", "undated-2").format(text=text), encoding="utf-8"
        )
        collect_all(config, store, now=NOW + timedelta(days=95))
        store.prune(before=NOW + timedelta(days=95) - timedelta(days=30))
        assert store.known_guids("old news", ["undated-1", "undated-2"]) == {"undated-2"}
