"""Text into candidate sentences: the words, language tools and repeats every method shares.

This module owns ``Candidate`` (a sentence with its place and words), ``candidates`` (a text
split into paragraphs and sentences, subheadings and wordless lines set aside, exact repeats
dropped), ``Language`` with ``language`` (a language's tokenizer, cached stemmer and stop
words), and the near-duplicate and page-furniture tests. ``digest.summarize.methods`` ranks
what it returns.

Pure: no I/O, and no state apart from the per-language cache.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache, lru_cache

from sumy.nlp.stemmers import Stemmer, null_stemmer
from sumy.utils import get_stop_words

from digest.summarize.newsrank import is_furniture
from digest.summarize.tokenizer import Tokenizer

__all__ = [
    "Candidate",
    "Language",
    "candidates",
    "drop_near_duplicates",
    "is_near_duplicate",
    "is_page_furniture",
    "language",
    "word_count",
]

_DUPLICATE_JACCARD = 0.8
_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")


@dataclass(frozen=True, slots=True)
class Language:
    """One language's sentence and word splitter, stemmer and stop words."""

    tokenizer: Tokenizer
    stemmer: Callable[[str], str]
    stop_words: frozenset[str]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A sentence that may be chosen, verbatim, with its place and its words."""

    order: int  # position in the article
    paragraph: int
    text: str
    tokens: tuple[str, ...]  # lower-case words, in order
    words: frozenset[str]  # lower-case word set, for near-duplicate checks


@cache  # one entry per sumy language name, a closed set
def language(name: str) -> Language:
    """The tools for a sumy language name; no stemmer or stop words where sumy has none."""
    try:
        stemmer: Callable[[str], str] = Stemmer(name)
    except LookupError:  # e.g. Thai: no Snowball stemmer
        stemmer = null_stemmer
    try:
        stop_words = frozenset(get_stop_words(name))
    except LookupError:  # sumy ships no list for e.g. Russian or Dutch
        stop_words = frozenset()
    # Snowball stemming dominates the summarizers' run time and words repeat a lot.
    return Language(Tokenizer(name), lru_cache(maxsize=65536)(stemmer), stop_words)


def is_page_furniture(candidate: Candidate) -> bool:
    """Whether the sentence is a byline, "Read more" or other page furniture."""
    return is_furniture(candidate.text, word_count(candidate))


def word_count(candidate: Candidate) -> int:
    """The sentence's length in words, for budgets and the scorer."""
    # Whitespace-separated words; Han and kana count one each, as the tokenizer splits them.
    return max(len(candidate.text.split()), len(candidate.tokens))


def candidates(text: str, tokenizer: Tokenizer) -> list[Candidate]:
    """Split text into sentences with words, dropping exact repeats of a word set."""
    found: list[Candidate] = []
    wordless: list[Candidate] = []
    seen: set[frozenset[str]] = set()
    headings: list[Candidate] = []
    for paragraph_index, paragraph in enumerate(_PARAGRAPH_BREAK.split(text.strip())):
        heading = _is_heading(paragraph)
        for sentence in tokenizer.to_sentences(paragraph):
            tokens = tokenizer.to_words(sentence.lower())
            words = frozenset(tokens)
            order = len(found) + len(wordless) + len(headings)
            candidate = Candidate(order, paragraph_index, sentence, tokens, words)
            if heading and words:
                headings.append(candidate)
            elif not words:
                wordless.append(candidate)
            elif words not in seen:
                seen.add(words)
                found.append(candidate)
    if found:
        return found
    if headings:  # nothing but headings: they are all the text has to say
        return drop_near_duplicates(headings)
    # Only numbers or symbols: compare whole texts instead of word sets.
    by_text = {" ".join(c.text.split()): c for c in reversed(wordless)}
    return sorted(
        (replace(c, words=frozenset([key])) for key, c in by_text.items()),
        key=lambda c: c.order,
    )


_HEADING_MAX_WORDS = 12
_SENTENCE_END = re.compile(r"[.!?\u2026\u3002\uff01\uff1f\u061f][\"'\u201d\u2019\u00bb)\]]*$")


def _is_heading(paragraph: str) -> bool:
    """A one-line paragraph of a few words with no sentence ending: a subheading, not prose."""
    line = paragraph.strip()
    return (
        "\n" not in line
        and len(line.split()) <= _HEADING_MAX_WORDS
        and not _SENTENCE_END.search(line)
    )


def drop_near_duplicates(candidates: list[Candidate], limit: int | None = None) -> list[Candidate]:
    """Keep each sentence unless its word set is a near-duplicate of one kept before it."""
    kept: list[Candidate] = []
    for candidate in candidates:
        if limit is not None and len(kept) >= limit:
            break
        if not any(is_near_duplicate(candidate.words, other.words) for other in kept):
            kept.append(candidate)
    return kept


def is_near_duplicate(a: frozenset[str], b: frozenset[str]) -> bool:
    small, large = sorted((len(a), len(b)))
    if small < _DUPLICATE_JACCARD * large:  # the Jaccard index cannot reach the threshold
        return False
    common = len(a & b)
    return common >= _DUPLICATE_JACCARD * (len(a) + len(b) - common)
