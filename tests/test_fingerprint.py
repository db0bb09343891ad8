"""Tests for digest.collect.fingerprint: exact and near-duplicate fingerprints of texts."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

from digest.collect.fingerprint import (
    MAX_DISTANCE,
    MIN_SHARED,
    NearDuplicateIndex,
    fingerprints,
    same_story,
    shingles,
    simhash,
)
from digest.models import Article, CollectedArticle, Source, SourceKind
from digest.store import Store

NOW = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)

WORDS = [
    "harbour",
    "board",
    "barrier",
    "storm",
    "surge",
    "homes",
    "town",
    "construction",
    "march",
    "years",
    "cost",
    "million",
    "pounds",
    "flood",
    "agency",
    "council",
    "fishermen",
    "navigation",
    "design",
    "residents",
    "plans",
    "library",
    "meeting",
    "january",
    "river",
    "bridge",
    "ferry",
    "island",
    "school",
    "team",
    "robot",
    "volunteers",
    "beach",
    "litter",
]


def text(seed: int, words: int = 300) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(words)) + "."


def distance(a: int | None, b: int | None) -> int:
    assert a is not None and b is not None
    return (a ^ b).bit_count()


def test_exact_fingerprint_ignores_case_spacing_and_punctuation() -> None:
    assert fingerprints("Hello,  World!\n")[0] == fingerprints("hello world")[0]
    assert fingerprints("hello world")[0] != fingerprints("hello there")[0]


def test_short_texts_get_no_simhash() -> None:
    assert simhash("Too short to tell.") is None
    assert fingerprints("Too short to tell.")[1] is None


def test_a_lightly_edited_copy_is_near_and_another_text_is_far() -> None:
    original = text(1)
    edited = original.replace("harbour", "port", 1) + " Copyright Example News."
    assert distance(simhash(original), simhash(edited)) <= MAX_DISTANCE
    assert distance(simhash(original), simhash(text(2))) > MAX_DISTANCE


def test_simhash_is_stable_across_calls() -> None:
    assert simhash(text(3)) == simhash(text(3)) == fingerprints(text(3))[1]


def test_index_finds_the_closest_copy_within_the_distance() -> None:
    original, other = simhash(text(1)), simhash(text(2))
    assert original is not None and other is not None
    index = NearDuplicateIndex([(10, original)])
    index.add(11, other)
    assert index.find(original ^ 0b111) == 10
    assert index.find(other) == 11
    assert index.find(original ^ ((1 << 20) - 1)) is None
    assert NearDuplicateIndex().find(original) is None
    assert len(index) == 2


def _prose(seed: str, words: int) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(words))


def test_a_copy_with_a_sentence_added_is_the_same_story() -> None:
    text = _prose("story", 300)
    assert same_story("Barrier plans", text, "Barrier plans!", text + " A line was added here.")
    assert same_story("Barrier plans", text, "Harbour news", text + " A line was added here.")


def test_look_alikes_sharing_a_quarter_of_their_shingles_are_distinct() -> None:
    shared = _prose("shared", 100)
    first = shared + " " + _prose("first", 300)
    second = shared + " " + _prose("second", 300)
    mine, theirs = shingles(first), shingles(second)
    assert 0.1 < len(mine & theirs) / len(mine | theirs) < MIN_SHARED
    assert not same_story("Storm surge", first, "Barrier costs", second)
    # The same title words (case and punctuation aside) are enough.
    assert same_story("Storm surge", first, "storm, SURGE", second)


def test_candidates_are_the_close_fingerprints_closest_first() -> None:
    index = NearDuplicateIndex([(1, 0b1111), (2, 0b1), (3, 0), (4, (1 << 40) - 1)])
    assert index.candidates(0) == [3, 2, 1]
    assert index.candidates(0, limit=2) == [3, 2]
    assert index.candidates(1 << 63, max_distance=0) == []
    assert index.find(0b11) == 2


def test_a_close_fingerprint_not_confirmed_is_not_merged(tmp_path: Path) -> None:
    """Two distinct articles whose fingerprints collide are both stored."""
    from digest.collect.gather import _near

    first, second = _prose("one", 200), _prose("two", 200)
    with Store(tmp_path / "digest.sqlite3") as store:
        store.sync_source(Source("feed", SourceKind.FEED, "https://example.org/feed"))
        stored = CollectedArticle("a", Article("https://e.org/a", "Storm", first), "h1", 42)
        ((article_id, _),) = store.store_items("feed", [(stored, None)], [], when=NOW)
        index = NearDuplicateIndex([(article_id, 42)])
        look_alike = CollectedArticle("b", Article("https://e.org/b", "Costs", second), "h2", 43)
        copy = CollectedArticle(
            "c", Article("https://e.org/c", "Storm", first + " More."), "h3", 43
        )
        assert _near(store, index, look_alike) is None
        assert _near(store, index, copy) == article_id
