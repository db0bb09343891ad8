"""Tests for digest.render.filters: the template filters."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from digest.render.filters import domain, localtime, reading_time, truncate_words
from digest.render.templates import environment


@pytest.mark.parametrize(
    ("words", "expected"), [(0, "1 min read"), (230, "1 min read"), (231, "2 min read")]
)
def test_reading_time(words: int, expected: str) -> None:
    assert reading_time("word " * words) == expected


def test_localtime_converts_and_keeps_none() -> None:
    when = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
    assert localtime(when, "Asia/Kolkata").strftime("%H:%M %Z") == "12:30 IST"
    assert localtime(None, "Asia/Kolkata") is None
    with pytest.raises(ValueError, match="unknown time zone 'Nowhere'"):
        localtime(when, "Nowhere")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.example.org/a?b=1", "example.org"),
        ("http://news.example.com:8080/", "news.example.com"),
        ("file:///home/notes.md", ""),
    ],
)
def test_domain(url: str, expected: str) -> None:
    assert domain(url) == expected


def test_truncate_words() -> None:
    assert truncate_words("one two three four", 2) == "one two..."
    assert truncate_words("one two", 2) == "one two"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('{{ 1|plural("new article") }}', "1 new article"),
        ('{{ 0|plural("new article") }}', "0 new articles"),
        ('{{ 3|plural("entry", "entries") }}', "3 entries"),
    ],
)
def test_plural_is_a_template_filter(source: str, expected: str) -> None:
    """Every template, the user's too, has it (the sandboxed environment of the digest)."""
    assert environment().from_string(source).render() == expected
