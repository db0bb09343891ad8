"""The project's own sentence ranking, ``newsrank``: a learned scorer that follows the lead.

This module owns ``rank_sentences`` (sentences and their content terms in, indices best
first out), ``sentence_features`` and ``sentence_flags`` (what the learned scorer sees),
``content_terms`` (words to stemmed terms), ``sentence_quality`` and ``is_furniture`` (how
much a sentence looks like prose rather than page furniture), and ``NewsRankSummarizer``,
the same ranking behind sumy's summarizer interface.

How a sentence is scored:

1. **Features.** Sentences are TF-IDF vectors of their content-word stems (log term
   frequency, inverse sentence frequency within the article). Each sentence gets the
   features of ``digest.summarize.scorer``: its position (news puts the point first), its
   centrality (the sum of its cosine similarities to all others, scaled to [0, 1]), its
   similarity to the headline and to the opening sentence, its length, and, for the
   opening sentences, signs of a soft lead: a question, a quote, a short teaser, no number
   and no attribution.
2. **Score.** A logistic model over those features, learned from which sentences best
   match reference summaries (``bench/train_scorer.py``), weights shipped as
   ``weights.json``. So the lead wins where it is good and loses where it is soft.
3. **Quality.** The probability is multiplied by a factor below 1 for sentences that look
   like boilerplate, photo captions ("(pictured)", "Label: ..."), lines without a sentence
   ending, very short fragments and run-ons: product policy, so that a digest never leads
   with a fragment (out of fold it changes ROUGE by less than the noise).
4. **Redundancy.** Sentences are taken greedily; one that repeats a chosen sentence
   (cosine above one half) loses score in proportion (maximal marginal relevance).

Pure: no I/O and no state; regular expressions are compiled once at import.
"""

# ruff: noqa: RUF001
# (Curly quotes and CJK sentence ends are data in the patterns below.)
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy
from sumy.nlp.stemmers import null_stemmer
from sumy.summarizers._summarizer import AbstractSummarizer

from digest.summarize import scorer

__all__ = [
    "NewsRankSummarizer",
    "content_terms",
    "is_furniture",
    "rank_sentences",
    "sentence_quality",
]

_SHORT_WORDS = 12  # below this many words, score shrinks in proportion
_LONG_WORDS = 80  # above this many words (a run-on or a lost paragraph break), likewise
_REDUNDANT_COSINE = 0.5  # similarity to a chosen sentence that starts to cost score
_REDUNDANCY_WEIGHT = 1.0  # a sentence identical to a chosen one falls below every other
_BOILERPLATE_FACTOR = 0.1  # furniture comes last, yet a text of only furniture still ranks
_CAPTION_FACTOR = 0.3  # captions and unterminated lines: rarely the point, sometimes all

# Page furniture that survives extraction, as lower-case phrases (English: feeds in other
# languages rarely carry these). Plain substring tests: a regex alternation is ten times
# slower here, and this runs on every sentence.
_FURNITURE = (
    "scroll down for",
    "read more",
    "click here",
    "sign up for",
    "sign up to",
    "subscribe to",
    "follow us on",
    "share this",
    "all rights reserved",
    "\u00a9",  # the copyright sign
    "media playback",
    "image copyright",
    "image caption",
    "image source",
    "getty images",
    "related articles",
    "related stories",
    "published:",
    "updated:",
    "last modified:",
)
_COPYRIGHT = re.compile(r"copyright\s+(?:\(c\)\s*|\u00a9\s*)?(?:19|20)\d\d")
_BYLINE = re.compile(
    r"(?:[Bb]y|BY|[Ff]rom)\s+(?:\.\s*)?[A-Z][\w'.-]*(?:\s+[A-Z][\w'.-]*){0,3}\s*\.?$"
)
# "Jones (left) and Smith leave court", "Sweet life: The Duchess of Cornwall."
_CAPTION_MARK = re.compile(
    r"\((?:(?:far |second |top |bottom )?(?:left|right|centre|center)|pictured|above|below|"
    r"inset|file photo|main picture)\b[^)]{0,30}\)",
    re.IGNORECASE,
)
_LABEL = re.compile(r"[A-Z][\w'’-]*(?: [\w'’-]+)?: \S")
_TERMINATORS = frozenset(".!?…。！？؟")
_CLOSERS = "\"'”’»)]"


_FURNITURE_MAX_WORDS = 25  # a longer sentence that mentions "sign up for" is prose


def is_furniture(sentence: str, word_count: int) -> bool:
    """Whether a sentence is page furniture (a byline, "Read more", "Scroll down for video")."""
    if word_count > _FURNITURE_MAX_WORDS:
        return False
    lowered = sentence.lower()
    return (
        any(phrase in lowered for phrase in _FURNITURE)
        or ("copyright" in lowered and _COPYRIGHT.search(lowered) is not None)
        or _BYLINE.match(sentence) is not None
    )


def sentence_quality(sentence: str, word_count: int) -> float:
    """Return a factor in (0, 1]: 1 for ordinary prose, less for furniture or fragments."""
    factor = 1.0
    if is_furniture(sentence, word_count):
        factor *= _BOILERPLATE_FACTOR
    if ("(" in sentence and _CAPTION_MARK.search(sentence)) or _LABEL.match(sentence):
        factor *= _CAPTION_FACTOR
    if sentence.rstrip(_CLOSERS)[-1:] not in _TERMINATORS:
        factor *= _CAPTION_FACTOR
    if word_count < _SHORT_WORDS:
        factor *= max(word_count, 1) / _SHORT_WORDS
    elif word_count > _LONG_WORDS:
        factor *= _LONG_WORDS / word_count
    return factor


_PREFIX = 4  # letters; words sharing no prefix this long with another sentence never meet


def _prefix(word: str) -> str:
    """The first letters of a word, folded as stemmers fold them ("häuser": "haus")."""
    head = word[:_PREFIX]
    if head.isascii():
        return head
    decomposed = unicodedata.normalize("NFKD", word.replace("ß", "ss"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))[:_PREFIX]


def content_terms(
    sentences: Sequence[Sequence[str]],
    stem: Callable[[str], str],
    stop_words: frozenset[str],
) -> list[list[str]]:
    """Turn each sentence's lower-case words into its terms: stems of the non-stop words.

    Stemming only matters where two sentences could share a term, so a word whose first
    letters appear in no other sentence keeps its spelling: this spares most calls to the
    Snowball stemmers, the costliest step of ranking a text the first time its words are
    seen. Pass the title as one more sentence to have its words matched too.
    """
    content = [[word for word in words if word not in stop_words] for words in sentences]
    prefix_of: dict[str, str] = {}
    owner: dict[str, int] = {}
    shared: set[str] = set()
    for index, words in enumerate(content):
        for word in words:
            key = prefix_of.get(word)
            if key is None:
                key = prefix_of[word] = _prefix(word)
            if owner.setdefault(key, index) != index:
                shared.add(key)
    stems = {word: stem(word) if key in shared else word for word, key in prefix_of.items()}
    return [[stems[word] for word in words] for words in content]


def _unit_tfidf(
    terms: Sequence[Sequence[str]], title_terms: Sequence[str]
) -> tuple[numpy.ndarray[Any, Any], numpy.ndarray[Any, Any]]:
    """Row-normalised TF-IDF matrix of the sentences, and the title's unit vector."""
    vocabulary: dict[str, int] = {}
    rows: list[int] = []
    cells: list[int] = []
    for row, sentence_terms in enumerate(terms):
        rows.extend([row] * len(sentence_terms))
        cells.extend([vocabulary.setdefault(term, len(vocabulary)) for term in sentence_terms])
    count, size = len(terms), max(len(vocabulary), 1)
    flat = numpy.asarray(rows, dtype=numpy.int64) * size + numpy.asarray(cells, dtype=numpy.int64)
    tf = numpy.bincount(flat, minlength=count * size).reshape(count, size).astype(float)
    idf = numpy.log((count + 1.0) / ((tf > 0).sum(axis=0) + 0.5))
    matrix = numpy.log1p(tf) * idf
    norms = numpy.linalg.norm(matrix, axis=1, keepdims=True)
    matrix /= numpy.where(norms > 0, norms, 1.0)
    title = numpy.zeros(size)
    for term in title_terms:
        column = vocabulary.get(term)
        if column is not None:
            title[column] = idf[column]
    title_norm = numpy.linalg.norm(title)
    return matrix, title / title_norm if title_norm > 0 else title


def sentence_features(
    sentences: Sequence[str],
    terms: Sequence[Sequence[str]],
    word_counts: Sequence[int],
    *,
    title_terms: Sequence[str] = (),
) -> tuple[numpy.ndarray[Any, Any], numpy.ndarray[Any, Any]]:
    """Each sentence's features (``digest.summarize.scorer.FEATURES``) and the similarities.

    The arguments are those of ``rank_sentences``. Returns the feature matrix, one row per
    sentence, and the sentences' cosine similarity matrix with a zero diagonal.
    """
    matrix, title = _unit_tfidf(terms, title_terms)
    similarity = matrix @ matrix.T
    numpy.fill_diagonal(similarity, 0.0)
    centrality = similarity.sum(axis=1)
    top = centrality.max() if len(sentences) else 0.0
    if top > 0:
        centrality /= top
    flags = [sentence_flags(text) for text in sentences]
    features = scorer.feature_matrix(
        flags, word_counts, centrality, matrix @ title, similarity, has_title=bool(title_terms)
    )
    return features, similarity


def sentence_flags(sentence: str) -> dict[str, bool]:
    """The yes-or-no signals of one sentence that the scorer weighs (``scorer.FLAGS``)."""
    return {
        "question": sentence.strip().rstrip(_CLOSERS).endswith("?"),
        "quote": any(mark in sentence for mark in '"\u201c\u201d'),
        "number": any(ch.isdigit() for ch in sentence),
        "said": " said" in sentence or " says" in sentence,
    }


def rank_sentences(
    sentences: Sequence[str],
    terms: Sequence[Sequence[str]],
    word_counts: Sequence[int],
    *,
    title_terms: Sequence[str] = (),
    weights: scorer.Weights | None = None,
) -> Iterator[int]:
    """Yield the indices of ``sentences``, best first, until every one has been yielded.

    ``terms`` holds each sentence's content terms (stemmed, stop words removed) and
    ``word_counts`` its number of words; the three sequences are parallel and in article
    order. ``title_terms`` are the headline's terms, if any. Sentences are scored by the
    learned scorer (``weights``, by default the shipped ones) and taken greedily, a
    sentence that repeats a chosen one losing score in proportion. The ranking is lazy:
    taking the first k indices costs O(k * n) after the O(n^2) similarity matrix.
    Never raises.
    """
    count = len(sentences)
    if count == 0:
        return
    features, similarity = sentence_features(sentences, terms, word_counts, title_terms=title_terms)
    # Product policy on top of the learned score: furniture, captions and fragments rank
    # below prose even where the references would not punish them (tests/test_ranking.py).
    pairs = zip(sentences, word_counts, strict=True)
    quality = numpy.array([sentence_quality(text, words) for text, words in pairs])
    score = scorer.score(features, weights or scorer.shipped_weights()) * quality
    available = numpy.ones(count, dtype=bool)
    redundancy = numpy.zeros(count)
    for _ in range(count):
        adjusted = score - _REDUNDANCY_WEIGHT * redundancy
        adjusted[~available] = -numpy.inf
        pick = int(numpy.argmax(adjusted))  # ties: the earliest sentence
        yield pick
        available[pick] = False
        overlap = (similarity[:, pick] - _REDUNDANT_COSINE) / (1.0 - _REDUNDANT_COSINE)
        numpy.maximum(redundancy, overlap, out=redundancy)


class NewsRankSummarizer(AbstractSummarizer):  # type: ignore[misc]
    """``newsrank`` as a sumy summarizer: ``summarizer(document, count)`` -> sentences.

    Headings in the document (``Sentence.is_heading``) serve as the title and are never
    chosen. Words are lower-cased, filtered by ``stop_words`` and stemmed with ``stemmer``.
    """

    def __init__(
        self,
        stemmer: Callable[[str], str] = null_stemmer,
        stop_words: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(stemmer)
        self.stop_words = frozenset(word.lower() for word in stop_words)

    def __call__(self, document: Any, sentences_count: Any) -> tuple[Any, ...]:
        """Return the best sentences of a sumy document, in document order."""
        sentences = [s for s in document.sentences if not s.is_heading]
        words = [[word.lower() for word in s.words] for s in sentences]
        title = [word.lower() for heading in document.headings for word in heading.words]
        *terms, title_terms = content_terms([*words, title], self._stemmer, self.stop_words)
        order = rank_sentences(
            [str(s) for s in sentences], terms, [len(w) for w in words], title_terms=title_terms
        )
        rating = {sentences[index]: -rank for rank, index in enumerate(order)}
        return tuple(self._get_best_sentences(sentences, sentences_count, rating))
