"""Tests for digest.words: one way to put a count with its noun, and no other."""

from __future__ import annotations

import re

import pytest

from digest.words import plural

from .conftest import ROOT


@pytest.mark.parametrize(
    ("count", "words", "expected"),
    [
        (0, ("article",), "0 articles"),
        (1, ("article",), "1 article"),
        (2, ("new article",), "2 new articles"),
        (1, ("entry", "entries"), "1 entry"),
        (12, ("entry", "entries"), "12 entries"),
        (-1, ("degree",), "-1 degrees"),
    ],
)
def test_plural(count: int, words: tuple[str, ...], expected: str) -> None:
    assert plural(count, *words) == expected


# What pluralising by hand looks like, in Python and in Jinja: an "s" chosen by a condition,
# or a choice between two forms hanging on a count of one.
HAND_ROLLED = re.compile(
    r"""['"]s['"]\s+if\b"""  # "s" if n != 1
    r"""|\bif\s+[\w.()\[\]]+\s*[!=]=\s*1\s+else\b"""  # "x" if n == 1 else "xs"
    r"""|[!=]=\s*1\s+else\b"""  # ... == 1 else ...
    r"""|\bif\s+[\w.()\[\]]+\s*!=\s*1\s*\}\}"""  # {{ "s" if n != 1 }}
)


def hand_rolled_plurals() -> list[str]:
    found = []
    files = [*(ROOT / "digest").rglob("*.py"), *(ROOT / "templates").rglob("*")]
    for path in files:
        if path.is_dir() or path == ROOT / "digest" / "words.py":
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            if HAND_ROLLED.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return found


def test_nothing_pluralises_by_hand() -> None:
    """Counts with nouns go through `digest.words.plural` (``|plural`` in templates)."""
    assert hand_rolled_plurals() == []


@pytest.mark.parametrize(
    "line",
    [
        """f"{count} page" if count == 1 else f"{count} pages\"""",
        """return f"{n} {word}{'' if n == 1 else 's'}\"""",
        """{{ n }} new article{{ "s" if n != 1 }}""",
        """noun = "entry" if len(found) == 1 else "entries\"""",
    ],
)
def test_the_check_sees_pluralising_by_hand(line: str) -> None:
    assert HAND_ROLLED.search(line)
