"""Tests for digest.schedule.status and ``digest status``: the service's state in one read."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from click.testing import CliRunner

from digest import config as config_module
from digest.cli import cli
from digest.models import Source, SourceKind
from digest.pipeline import run_once
from digest.schedule.status import status
from digest.store import Store

from .test_pipeline import demo as demo  # the demo configuration over a copy of its sources

EARLY = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)  # before the demo reader's 07:00 (London)
LATE = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def test_before_anything_happened(demo: config_module.Config) -> None:
    with Store(demo.database) as store:
        early, late = status(demo, store, now=EARLY), status(demo, store, now=LATE)
    assert (early.last_collection, early.new_articles, early.failing) == (None, 0, [])
    assert [(t.email, t.period, t.state) for t in early.today] == [
        ("reader@example.org", "2026-11-26", "later")
    ]
    assert [t.state for t in late.today] == ["due"]
    assert early.next_sends == [("reader@example.org", datetime(2026, 11, 26, 7, 0, tzinfo=UTC))]


def test_after_a_run_the_digest_is_sent_and_the_next_send_is_tomorrow(
    demo: config_module.Config,
) -> None:
    with Store(demo.database) as store:
        run_once(demo, store, now=EARLY)
        found = status(demo, store, now=EARLY)
    assert found.last_collection is not None and found.new_articles == 8
    assert found.outbox["sent"] == 1 and found.waiting == [] and found.failed == []
    assert [t.state for t in found.today] == ["sent"]
    assert found.next_sends == [("reader@example.org", datetime(2026, 11, 27, 7, 0, tzinfo=UTC))]


def test_a_failing_source_is_listed_with_its_error(demo: config_module.Config) -> None:
    broken = Source("Broken", SourceKind.FEED, str(demo.path.parent / "missing.xml"))  # type: ignore[union-attr]
    config = replace(demo, sources=(*demo.sources, broken))
    with Store(config.database) as store:
        run_once(config, store, now=EARLY)
        found = status(config, store, now=EARLY)
    (failing,) = found.failing
    assert (failing.name, failing.status) == ("Broken", "error")
    assert "missing.xml" in failing.error
    assert (failing.since, failing.attempts) == (EARLY, 1)
    assert found.sources == 4


def test_digest_status_says_since_when_a_source_fails(demo: config_module.Config) -> None:
    """Two failed fetches after one that worked: failing since the first, 2 attempts."""
    with Store(demo.database) as store:
        run_once(demo, store, now=EARLY)
        store.record_fetch("Notes", when=EARLY.replace(hour=6), status="error", error="gone")
        store.record_fetch("Notes", when=LATE, status="deferred", error="busy")
    text = CliRunner().invoke(cli, ["status", "-c", str(demo.path)])
    assert text.exit_code == 0, text.output
    assert (
        "  Notes: deferred, failing since 2026-11-26 06:00 UTC, 2 attempts "
        "(last tried 2026-11-26 08:00 UTC): busy\n"
    ) in text.output
    payload = json.loads(CliRunner().invoke(cli, ["status", "-c", str(demo.path), "--json"]).output)
    (failing,) = payload["collection"]["failing"]
    assert failing["failing_since"] == "2026-11-26T06:00:00+00:00"
    assert failing["attempts"] == 2


def test_digest_status_prints_one_screen_or_json(demo: config_module.Config) -> None:
    with Store(demo.database) as store:
        run_once(demo, store, now=datetime.now(UTC))
    text = CliRunner().invoke(cli, ["status", "-c", str(demo.path)])
    assert text.exit_code == 0, text.output
    assert "8 new articles in the last 24 hours; 0 sources of 3 failing." in text.output
    assert "1 sent." in text.output and "reader@example.org" in text.output
    payload = json.loads(CliRunner().invoke(cli, ["status", "-c", str(demo.path), "--json"]).output)
    assert payload["outbox"]["counts"]["sent"] == 1
    assert payload["collection"]["new_articles_24h"] == 8
    assert [t["state"] for t in payload["today"]] == ["sent"]
