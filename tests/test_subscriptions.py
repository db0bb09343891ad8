"""Tests for digest.schedule.subscriptions and the digest each subscriber gets (digest.pipeline):
how the file and the store combine, and which articles a digest holds."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from digest import config as config_module
from digest.config import Config
from digest.errors import SubscriptionError
from digest.models import Article, CollectedArticle, Source, SourceKind, Subscriber
from digest.pipeline import choose_articles
from digest.schedule.subscriptions import (
    active_subscribers,
    confirm,
    sign_up,
    subscribe,
    unsubscribe,
    update_preferences,
)
from digest.store import Store

NOW = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    raw = {
        "sources": [
            {"name": "News", "url": "https://news.example/feed"},
            {"name": "Notes", "path": str(tmp_path)},
        ],
        "subscribers": [{"email": "Ann@Example.org", "name": "Ann", "timezone": "Europe/Berlin"}],
    }
    return config_module.parse(raw, base=tmp_path)


@pytest.fixture
def store(config: Config) -> Store:
    opened = Store(config.database)
    for source in config.sources:
        opened.sync_source(source)
    return opened


def add_articles(store: Store, source: str, *names: str, when: datetime = NOW) -> list[int]:
    found = [
        CollectedArticle(
            name, Article(url=f"https://e.org/{name}", title=name, text=f"Text {name}."), name, None
        )
        for name in names
    ]
    return [
        article_id
        for article_id, _ in store.store_items(source, [(a, None) for a in found], [], when=when)
    ]


def emails(subscribers: list[Subscriber]) -> list[str]:
    return [subscriber.email for subscriber in subscribers]


def test_the_files_subscribers_are_normalised_and_active(config: Config, store: Store) -> None:
    (ann,) = active_subscribers(config, store, now=NOW)
    assert (ann.email, ann.name, ann.timezone, ann.send_at) == (
        "ann@example.org", "Ann", "Europe/Berlin", time(7, 0),
    )  # fmt: skip
    assert store.subscriber("ann@example.org").origin == "config"  # type: ignore[union-attr]


def test_subscribe_adds_a_subscriber_with_their_preferences(config: Config, store: Store) -> None:
    bob = subscribe(
        config, store, email=" Bob@Example.ORG ", name="Bob  B.", zone="Asia/Kolkata",
        at="6:45", weekly="fri", sources=("Notes",), now=NOW,
    ).subscriber  # fmt: skip
    assert bob == Subscriber(
        "bob@example.org", "Bob B.", "Asia/Kolkata", time(6, 45), 4, ("Notes",), "active"
    )
    assert emails(active_subscribers(config, store, now=NOW)) == [
        "ann@example.org",
        "bob@example.org",
    ]
    stored = store.subscriber("bob@example.org")
    assert stored is not None and stored.origin == "cli" and len(stored.token) == 32


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"email": "not-an-address"}, "'not-an-address' is not a valid email address"),
        ({"zone": "Mars/Olympus_Mons"}, "--tz 'Mars/Olympus_Mons' is not a known time zone"),
        ({"at": "7.30"}, "--at must be a time of day as HH:MM (24-hour clock), not '7.30'"),
        ({"at": "24:00"}, "--at must be a time of day"),
        ({"weekly": "someday"}, "--weekly must be a day of the week"),
        ({"sources": ("Gossip",)}, "--sources: no source is named 'Gossip'"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_stored(
    config: Config, store: Store, changes: dict[str, object], problem: str
) -> None:
    values: dict[str, object] = {"email": "bob@example.org", **changes}
    with pytest.raises(SubscriptionError) as caught:
        subscribe(config, store, now=NOW, **values)  # type: ignore[arg-type]
    assert len(caught.value.problems) == 1 and caught.value.problems[0].startswith(problem)
    assert store.subscriber("bob@example.org") is None
    assert caught.value.exit_code == 2


def test_an_unsubscribed_file_subscriber_stays_unsubscribed(config: Config, store: Store) -> None:
    active_subscribers(config, store, now=NOW)
    assert unsubscribe(store, "ANN@example.org", now=NOW) == "ann@example.org"
    assert active_subscribers(config, store, now=NOW + timedelta(days=1)) == []
    subscribe(config, store, email="ann@example.org", now=NOW + timedelta(days=2))
    (ann,) = active_subscribers(config, store, now=NOW + timedelta(days=2))
    assert ann.timezone == "Europe/Berlin"  # the file's preferences still hold


def test_a_subscriber_removed_from_the_file_gets_no_more_digests(
    config: Config, store: Store
) -> None:
    active_subscribers(config, store, now=NOW)
    emptied = replace(config, subscribers=())
    assert active_subscribers(emptied, store, now=NOW) == []


def test_unsubscribing_a_stranger_is_an_error(store: Store) -> None:
    with pytest.raises(SubscriptionError, match=r"nobody@example\.org is not a subscriber"):
        unsubscribe(store, "nobody@example.org", now=NOW)


def test_a_first_digest_holds_only_recent_articles(config: Config, store: Store) -> None:
    add_articles(store, "News", "old", when=NOW - timedelta(days=3))
    add_articles(store, "News", "fresh", when=NOW - timedelta(hours=2))
    ann = Subscriber("ann@example.org")
    chosen = choose_articles(config, store, ann, now=NOW)
    assert [stored.article.title for stored in chosen.articles] == ["fresh"]


def test_a_digest_holds_what_was_stored_since_the_previous_one(
    config: Config, store: Store
) -> None:
    ann = Subscriber("ann@example.org")
    first_ids = add_articles(store, "News", "a", "b")
    chosen = choose_articles(config, store, ann, now=NOW)
    store.queue_digest(ann, envelope_from="d@example.org", subject="S", message_id="<1@x>",
                       message=b"m", article_ids=first_ids[:1], when=NOW,
                       newest_article_id=chosen.newest_article_id)  # fmt: skip
    later = add_articles(store, "News", "c", when=NOW + timedelta(hours=1))
    again = choose_articles(config, store, ann, now=NOW + timedelta(days=1))
    # "b" was left out of the first digest (say, beyond max_articles): it does not come back
    assert [stored.article_id for stored in again.articles] == later


def test_a_subscriber_gets_only_their_sources(config: Config, store: Store) -> None:
    add_articles(store, "News", "news")
    add_articles(store, "Notes", "note")
    reader = Subscriber("bob@example.org", sources=("Notes",))
    assert [s.article.title for s in choose_articles(config, store, reader, now=NOW).articles] == [
        "note"
    ]


def test_beyond_max_articles_the_oldest_are_left_out_and_counted(
    config: Config, store: Store
) -> None:
    small = replace(config, digest=replace(config.digest, max_articles=2))
    for hour in range(5):
        add_articles(store, "News", f"n{hour}", when=NOW - timedelta(hours=5 - hour))
    chosen = choose_articles(small, store, Subscriber("ann@example.org"), now=NOW)
    assert [s.article.title for s in chosen.articles] == ["n4", "n3"]
    assert chosen.omitted == 3


def test_file_subscribers_may_name_only_known_sources(tmp_path: Path) -> None:
    raw = {"subscribers": [{"email": "a@example.org", "sources": ["Nowhere"]}]}
    config = config_module.parse(raw, base=tmp_path)
    with Store(config.database) as store, pytest.raises(SubscriptionError, match="'Nowhere'"):
        active_subscribers(config, store, now=NOW)


def test_sources_added_on_the_command_line_may_be_chosen(config: Config, store: Store) -> None:
    store.add_source(Source("Extra", SourceKind.FEED, "https://extra.example/feed", origin="cli"))
    bob = subscribe(config, store, email="bob@example.org", sources=("Extra",), now=NOW)
    assert bob.subscriber.sources == ("Extra",)


def test_a_web_sign_up_is_pending_until_confirmed(config: Config, store: Store) -> None:
    outcome = sign_up(config, store, now=NOW, email="New@Example.org", zone="UTC")
    assert (outcome.mail, outcome.subscriber.subscriber.status) == ("confirm", "pending")
    assert "new@example.org" not in emails(active_subscribers(config, store, now=NOW))
    confirmed = confirm(store, outcome.subscriber.id, now=NOW)
    assert confirmed is not None and confirmed.subscriber.status == "active"
    again = sign_up(config, store, now=NOW, email="new@example.org")
    assert (again.mail, again.subscriber.subscriber.status) == ("already", "active")
    unsubscribe(store, "new@example.org", now=NOW)
    assert confirm(store, outcome.subscriber.id, now=NOW) is None  # an old link resubscribes no one


def test_new_preferences_apply_from_the_next_period(config: Config, store: Store) -> None:
    """After today's 07:00 digest in Berlin, a move east waits for 07:00 there; a move west
    into a day whose send time has passed does not bring a second digest at once."""
    outcome = sign_up(config, store, now=NOW, email="pat@example.org", zone="Europe/Berlin")
    confirm(store, outcome.subscriber.id, now=NOW)
    store.decide_period("pat@example.org", "2026-11-26", status="queued", when=NOW)
    stored = store.subscriber("pat@example.org")
    assert stored is not None
    later = NOW.replace(hour=12)  # 13:00 in Berlin; 01:00 on the 27th in Auckland
    east = update_preferences(config, store, stored, now=later, zone="Pacific/Auckland")
    assert east.timezone == "Pacific/Auckland"
    assert store.periods("pat@example.org") == [("2026-11-26", "queued")]  # 07:00 is ahead
    evening = NOW.replace(hour=20)  # 21:00 in Berlin; 10:00 on the 26th in Honolulu
    west = update_preferences(config, store, stored, now=evening, zone="Pacific/Honolulu")
    assert west.timezone == "Pacific/Honolulu"
    assert store.periods("pat@example.org") == [("2026-11-26", "queued")]  # the same day


def test_a_move_into_a_day_already_past_its_send_time_waits(config: Config, store: Store) -> None:
    outcome = sign_up(config, store, now=NOW, email="kim@example.org", zone="Asia/Tokyo")
    confirm(store, outcome.subscriber.id, now=NOW)
    store.decide_period("kim@example.org", "2026-11-27", status="queued", when=NOW)
    stored = store.subscriber("kim@example.org")
    assert stored is not None
    late = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)  # 08:30 on the 27th in Tokyo
    update_preferences(config, store, stored, now=late, zone="Europe/London")  # 23:30 on the 26th
    assert ("2026-11-26", "skipped") in store.periods("kim@example.org")


def test_subscribers_from_the_file_change_preferences_in_the_file(
    config: Config, store: Store
) -> None:
    active_subscribers(config, store, now=NOW)
    stored = store.subscriber("ann@example.org")
    assert stored is not None
    with pytest.raises(SubscriptionError, match="configuration file"):
        update_preferences(config, store, stored, now=NOW, zone="UTC")
