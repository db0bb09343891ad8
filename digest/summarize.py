"""Choose the sentences that stand for an article: extractive summarisation with sumy.

This module owns the summarisation stage: ``summarize`` (``Article`` in, ``Summary`` out),
``summarize_text`` for plain text, and ``METHODS``, the method names a user may pick.

Pure: no I/O (no files, network or clock), and no state kept between calls apart from a
per-language cache of stemmers and stop words.

How a text is summarised:

1. Paragraphs are split on blank lines and sentences with ``digest.tokenizer.Tokenizer``.
   The sumy document is built here from sumy's ``Sentence``/``Paragraph`` classes, not
   with ``PlaintextParser``, which would treat ALL-CAPS lines as headings and drop them.
2. Subheadings (a short one-line paragraph with no sentence ending) are not candidates
   unless the text has nothing else. Sentences without a word, and sentences whose word
   set is a near-duplicate (Jaccard >= 0.8) of an earlier one, are dropped, so a page that
   repeats its lead yields it once.
3. Very long texts are cut to the ``_MAX_CANDIDATES`` sentences whose words are most
   frequent in the text, because sumy's summarizers are quadratic (KL: cubic).
4. The chosen sumy summarizer ranks the sentences; the result is returned in article
   order, verbatim, topped up from the start of the text if the summarizer returns fewer.
"""

from __future__ import annotations

import heapq
import math
import re
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import numpy
from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
from sumy.nlp.stemmers import Stemmer, null_stemmer
from sumy.summarizers.edmundson import EdmundsonSummarizer
from sumy.summarizers.kl import KLSummarizer
from sumy.summarizers.lex_rank import LexRankSummarizer
from sumy.summarizers.lsa import LsaSummarizer
from sumy.summarizers.luhn import LuhnSummarizer
from sumy.summarizers.reduction import ReductionSummarizer
from sumy.summarizers.sum_basic import SumBasicSummarizer
from sumy.summarizers.text_rank import TextRankSummarizer
from sumy.utils import get_stop_words

from digest.errors import SummarizeError
from digest.models import Article, Summary
from digest.tokenizer import Tokenizer, language_for

__all__ = ["METHODS", "summarize", "summarize_text"]

_RANKERS: dict[str, Callable[..., Any]] = {
    "lexrank": LexRankSummarizer,
    "textrank": TextRankSummarizer,
    "lsa": LsaSummarizer,
    "luhn": LuhnSummarizer,
    "kl": KLSummarizer,
    "sumbasic": SumBasicSummarizer,
    "reduction": ReductionSummarizer,
}
METHODS: tuple[str, ...] = (*_RANKERS, "edmundson", "lead")
"""The summarisation method names ``summarize`` accepts."""

_DUPLICATE_JACCARD = 0.8
# Above this many sentences a text is cut down before ranking; KL re-scores every remaining
# sentence against the growing summary on each pick, so it gets a smaller budget.
_MAX_CANDIDATES = 200
_MAX_CANDIDATES_KL = 60
# Page furniture and hedges: Edmundson's cue method subtracts a point for each.
_STIGMA_WORDS = frozenset(
    {
        "advertisement",
        "advertising",
        "sponsored",
        "subscribe",
        "subscription",
        "newsletter",
        "cookies",
        "click",
        "scroll",
        "playback",
        "caption",
        "copyright",
        "unsubscribe",
        "login",
        "signup",
        "reportedly",
        "allegedly",
    }
)
_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")


@dataclass(frozen=True, slots=True)
class _Language:
    tokenizer: Tokenizer
    stemmer: Callable[[str], str]
    stop_words: frozenset[str]


@dataclass(frozen=True, slots=True)
class _Candidate:
    order: int  # position in the article
    paragraph: int
    text: str
    words: frozenset[str]  # lower-case word set, for near-duplicate checks


@cache  # one entry per sumy language name, a closed set
def _language(name: str) -> _Language:
    try:
        stemmer: Callable[[str], str] = Stemmer(name)
    except LookupError:  # e.g. Thai: no Snowball stemmer
        stemmer = null_stemmer
    try:
        stop_words = frozenset(get_stop_words(name))
    except LookupError:  # sumy ships no list for e.g. Russian or Dutch
        stop_words = frozenset()
    # Snowball stemming dominates the summarizers' run time and words repeat a lot.
    return _Language(Tokenizer(name), lru_cache(maxsize=65536)(stemmer), stop_words)


def summarize_text(
    text: str,
    sentences: int = 3,
    language: str | None = None,
    *,
    method: str = "lexrank",
    title: str = "",
) -> list[str]:
    """Return up to ``sentences`` sentences that summarise ``text``.

    ``text`` has paragraphs separated by blank lines. ``language`` is a sumy language name or
    an ISO code (default English); ``title`` gives Edmundson its bonus words and every
    method a heading for context. The sentences are verbatim slices of ``text``, in article
    order, and no two are near-duplicates. Empty text gives ``[]``; a text with fewer
    sentences than asked gives all of them. Sentences without a word (bare numbers,
    symbols) are left out unless the text has nothing else. Raises ``SummarizeError`` only
    for a method name not in ``METHODS``.
    """
    name = method.strip().lower()
    if name not in METHODS:
        raise SummarizeError(
            f"Unknown summarisation method {method!r}. Use one of: {', '.join(METHODS)}."
        )
    if sentences < 1 or not text.strip():
        return []
    lang = _language(language_for(language))
    candidates = _candidates(text, lang.tokenizer)
    if name == "lead":
        return [c.text for c in _drop_near_duplicates(candidates, limit=sentences)]
    limit = _MAX_CANDIDATES_KL if name == "kl" else _MAX_CANDIDATES
    candidates = _drop_near_duplicates(_most_central(candidates, limit, lang.stop_words))
    if len(candidates) <= sentences:
        return [c.text for c in candidates]
    chosen = _rank(name, candidates, sentences, lang, title)
    for candidate in candidates:  # the summarizer may return fewer than asked (LSA, ties)
        if len(chosen) >= sentences:
            break
        chosen.add(candidate.order)
    return [c.text for c in candidates if c.order in chosen]


def summarize(article: Article, *, sentences: int = 3, method: str = "lexrank") -> Summary:
    """Summarise an article's text in its own language, with its title as context.

    Returns a ``Summary`` holding the chosen sentences (see ``summarize_text``) and the
    method name. Raises ``SummarizeError`` for a method name not in ``METHODS``.
    """
    chosen = summarize_text(
        article.text, sentences, article.language, method=method, title=article.title
    )
    return Summary(article=article, sentences=tuple(chosen), method=method.strip().lower())


def _candidates(text: str, tokenizer: Tokenizer) -> list[_Candidate]:
    """Split text into sentences with words, dropping exact repeats of a word set."""
    found: list[_Candidate] = []
    wordless: list[_Candidate] = []
    seen: set[frozenset[str]] = set()
    headings: list[_Candidate] = []
    for paragraph_index, paragraph in enumerate(_PARAGRAPH_BREAK.split(text.strip())):
        heading = _is_heading(paragraph)
        for sentence in tokenizer.to_sentences(paragraph):
            words = frozenset(word.lower() for word in tokenizer.to_words(sentence))
            order = len(found) + len(wordless) + len(headings)
            candidate = _Candidate(order, paragraph_index, sentence, words)
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
        return _drop_near_duplicates(headings)
    # Only numbers or symbols: compare whole texts instead of word sets.
    by_text = {" ".join(c.text.split()): c for c in reversed(wordless)}
    return sorted(
        (_Candidate(c.order, c.paragraph, c.text, frozenset([key])) for key, c in by_text.items()),
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


def _drop_near_duplicates(
    candidates: list[_Candidate], limit: int | None = None
) -> list[_Candidate]:
    """Keep each sentence unless its word set is a near-duplicate of one kept before it."""
    kept: list[_Candidate] = []
    for candidate in candidates:
        if limit is not None and len(kept) >= limit:
            break
        if not any(_is_near_duplicate(candidate.words, other.words) for other in kept):
            kept.append(candidate)
    return kept


def _is_near_duplicate(a: frozenset[str], b: frozenset[str]) -> bool:
    small, large = sorted((len(a), len(b)))
    if small < _DUPLICATE_JACCARD * large:  # the Jaccard index cannot reach the threshold
        return False
    common = len(a & b)
    return common >= _DUPLICATE_JACCARD * (len(a) + len(b) - common)


def _most_central(
    candidates: list[_Candidate], limit: int, stop_words: frozenset[str]
) -> list[_Candidate]:
    """Cut a long text to the sentences whose content words are most frequent in it."""
    if len(candidates) <= limit:
        return candidates
    content = [c.words - stop_words for c in candidates]
    frequency = Counter(word for words in content for word in words)

    def score(index: int) -> float:
        words = content[index]
        return sum(frequency[w] for w in words) / math.sqrt(len(words)) if words else 0.0

    best = heapq.nlargest(limit, range(len(candidates)), key=lambda i: (score(i), -i))
    return [candidates[i] for i in sorted(best)]


def _rank(
    name: str, candidates: list[_Candidate], count: int, lang: _Language, title: str
) -> set[int]:
    """Run one sumy summarizer over the candidates; return the orders of those it picks."""
    by_paragraph: dict[int, list[Sentence]] = {}
    order_of: dict[str, int] = {}
    for candidate in candidates:
        sentence = Sentence(candidate.text, lang.tokenizer)
        by_paragraph.setdefault(candidate.paragraph, []).append(sentence)
        order_of[candidate.text] = candidate.order
    paragraphs = list(by_paragraph.values())
    if title.strip():
        paragraphs[0].insert(0, Sentence(title, lang.tokenizer, is_heading=True))
    document = ObjectDocumentModel([Paragraph(p) for p in paragraphs])

    summarizer = _build(name, lang, title, document)
    # LSA warns when a text has fewer distinct words than sentences, and numpy warns on
    # degenerate similarity matrices; neither changes the (still usable) ranking. Note that
    # catch_warnings swaps the process-wide filters for the duration of the call.
    with warnings.catch_warnings(), numpy.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            picked = summarizer(document, count)
        except (ArithmeticError, numpy.linalg.LinAlgError):
            picked = ()  # e.g. an SVD that does not converge: fall back to the lead
    return {order_of[str(sentence)] for sentence in picked}


def _build(name: str, lang: _Language, title: str, document: ObjectDocumentModel) -> Any:
    """Configure a sumy summarizer with this language's stemmer and stop words."""
    if name != "edmundson":
        summarizer = _RANKERS[name](lang.stemmer)
        summarizer.stop_words = lang.stop_words
        return summarizer
    bonus = [w for w in lang.tokenizer.to_words(title) if w.lower() not in lang.stop_words]
    if not bonus:  # no usable title: the text's own most frequent content words stand in
        counts = Counter(w.lower() for w in document.words if w.lower() not in lang.stop_words)
        bonus = [word for word, _ in counts.most_common(10)]
    summarizer = EdmundsonSummarizer(lang.stemmer, cue_weight=1.0 if bonus else 0.0, key_weight=0.0)
    if bonus:
        summarizer.bonus_words = bonus
        summarizer.stigma_words = _STIGMA_WORDS
    # The title and location methods refuse an empty null-word set; "" matches no word.
    summarizer.null_words = lang.stop_words or frozenset([""])
    return summarizer
