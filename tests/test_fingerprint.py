"""Tests for digest.collect.fingerprint: exact and near-duplicate fingerprints of texts."""

from __future__ import annotations

import random

from digest.collect.fingerprint import MAX_DISTANCE, NearDuplicateIndex, fingerprints, simhash

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
