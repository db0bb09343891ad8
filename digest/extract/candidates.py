"""Choosing the main text among candidate extractions by agreement between signals.

Pure: no I/O. Main-text extraction (`digest.extract.page`) runs its passes one after the
other, most precise first; this module says whether a pass's cleaned paragraphs look like
the article (`Signals.is_weak`) and, when none does, which of them to keep (`best`).

A candidate is never rejected for lacking a full stop at the end of a paragraph: table
cells end in ``|``, list pages and some languages end lines without one. Instead each
candidate is measured: how many of its words are in paragraphs with a sentence end
anywhere (prose), how many are in paragraphs that are the text of one of the page's links
(link density: menus and related-story lists), and how many of the words of the page's
own copy of the article (its JSON-LD ``articleBody``, when it has one) it holds.
A candidate is taken when these agree that it is the article; otherwise the later passes
are tried and the best-supported candidate wins. Only a page on which every candidate is
nearly empty (`NEARLY_EMPTY_WORDS` words outside link text) has no article.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from digest.extract.cleanup import text_key

__all__ = ["NEARLY_EMPTY_WORDS", "Measure", "Signals", "best", "measure"]

# A sentence ends here: a stop, perhaps inside closing quotes or brackets, then a space or
# the end of the paragraph. Anywhere in the paragraph, so that a last line without
# punctuation, or a table row ending in "|", still counts as prose.
_SENTENCE_END = re.compile(r"[.!?\u2026\u3002\uff01\uff1f][\"'\u201d\u2019\u00bb)\]]*(?:\s|$)")
# Full-width stops end sentences with no space after them (Japanese, Chinese).
_WIDE_STOP = re.compile(r"[\u3002\uff01\uff1f]")
_MIN_SENTENCE_CHARS = 20

NEARLY_EMPTY_WORDS = 10
"""Fewer words than this outside link text, in every candidate: the page has no article
(a gallery, a JavaScript-only page, a list of links)."""
_MIN_PROSE_WORDS = 50  # less prose than this: a caption, a teaser, a stub, not the article
_MAX_LINK_SHARE = 0.5  # more of the words than this in link text: a menu or a link list
# A candidate that holds less than this share of the words of the page's own copy of the
# article, and little prose, is probably some other block of the page.
_MIN_AGREEMENT = 0.5
_SHORT_PROSE_WORDS = 150
_REFERENCE_WORDS = 300  # of a JSON-LD articleBody, as much as a description needs


@dataclass(frozen=True, slots=True)
class Measure:
    """What a candidate's paragraphs hold, by the signals."""

    words: int
    prose_words: int
    link_words: int
    agreement: float | None  # None when the page describes itself nowhere

    @property
    def substance(self) -> int:
        """Words outside the text of links."""
        return self.words - self.link_words

    @property
    def score(self) -> float:
        """Prose outside link text, counted more when the page's description agrees."""
        agreement = 1.0 if self.agreement is None else 0.5 + self.agreement
        return (self.prose_words - min(self.link_words, self.prose_words)) * agreement


@dataclass(frozen=True, slots=True)
class Signals:
    """What the page says of itself, to check a candidate against."""

    link_keys: frozenset[str]
    reference: frozenset[str]

    @classmethod
    def of(cls, links: Iterable[str], descriptions: Iterable[str]) -> Signals:
        """From the texts of the page's links and its descriptions of itself."""
        keys = frozenset(key for key in map(_link_key, links) if key)
        words: set[str] = set()
        for description in descriptions:
            words.update(w for w in text_key(description).split()[:_REFERENCE_WORDS] if len(w) > 3)
        return cls(keys, frozenset(words))

    def measure(self, paragraphs: list[str]) -> Measure:
        return measure(paragraphs, self)

    def is_weak(self, found: Measure) -> bool:
        """Whether the signals doubt that a candidate is the article."""
        if found.prose_words < _MIN_PROSE_WORDS:
            return True
        if found.link_words > _MAX_LINK_SHARE * found.words:
            return True
        return (
            found.agreement is not None
            and found.agreement < _MIN_AGREEMENT
            and found.prose_words < _SHORT_PROSE_WORDS
        )


def is_prose(paragraph: str) -> bool:
    """A paragraph with a sentence end anywhere in it (table pipes ignored)."""
    if len(paragraph) < _MIN_SENTENCE_CHARS:
        return False
    text = paragraph.replace("|", " ")
    return _SENTENCE_END.search(text) is not None or _WIDE_STOP.search(text) is not None


def _words(paragraph: str) -> int:
    # Scripts without spaces between words: count characters in fours, roughly a word.
    spaced = paragraph.count(" ") + 1
    return max(spaced, len(paragraph) // 4) if _WIDE_STOP.search(paragraph) else spaced


def _link_key(text: str) -> str:
    # Cheaper than `text_key` (no pattern), for the hundreds of links of a page.
    return " ".join(text.split()).casefold()


def measure(paragraphs: list[str], signals: Signals) -> Measure:
    """Measure a candidate's cleaned paragraphs against the page's signals."""
    words = prose = links = 0
    for paragraph in paragraphs:
        count = _words(paragraph)
        words += count
        if _link_key(paragraph) in signals.link_keys:
            links += count
        elif is_prose(paragraph):
            prose += count
    agreement = None
    if signals.reference:
        held = set(text_key(" ".join(paragraphs)).split())
        agreement = len(signals.reference & held) / len(signals.reference)
    return Measure(words, prose, links, agreement)


def best(candidates: list[tuple[list[str], Measure]]) -> list[str] | None:
    """The best-supported candidate's paragraphs, or None when every one is nearly empty.

    Earlier candidates (the more precise passes) win ties, as when no candidate has prose
    (a list or a table): then the most precise pass that found some text is kept.
    """
    found = [c for c in candidates if c[1].substance >= NEARLY_EMPTY_WORDS]
    if not found:
        return None
    return max(found, key=lambda candidate: candidate[1].score)[0]
