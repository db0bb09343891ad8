"""Choose the sentences that stand for an article: extractive summarisation.

This module is the summarisation stage's front: ``summarize`` (``Article`` in, ``Summary``
out), ``summarize_text`` for plain text, ``METHODS``, the method names a user may pick, and
``DEFAULT_METHOD``, the project's own ``newsrank`` (`digest.summarize.newsrank`). The other
methods are sumy's summarizers, plus ``lead`` (the opening sentences).

Pure: no I/O (no files, network or clock), and no state kept between calls apart from a
per-language cache of tokenizers, stemmers and stop words.

How a text is summarised:

1. The language is the one given (a sumy name or an ISO code) or, when none or an unknown
   one is given, detected from the text; it picks the tokenizer rules, stemmer and stop
   words. Paragraphs are split on blank lines and sentences with ``digest.summarize.tokenizer``.
   The sumy document is built here from sumy's ``Sentence``/``Paragraph`` classes, not
   with ``PlaintextParser``, which would treat ALL-CAPS lines as headings and drop them.
2. Subheadings (a short one-line paragraph with no sentence ending) are not candidates
   unless the text has nothing else; page furniture (bylines, "Read more", "Scroll down
   for video": ``digest.summarize.newsrank.is_furniture``) never is. Sentences without a word, and
   sentences whose word set is a near-duplicate (Jaccard >= 0.8) of an earlier one, are
   dropped, so a page that repeats its lead yields it once.
3. Very long texts are cut to ``_MAX_CANDIDATES`` sentences (for ``newsrank`` the first
   ones; for sumy's quadratic or cubic summarizers those whose words are most frequent).
4. The method ranks every candidate; sentences are taken best first until the budget (a
   number of sentences, a share of the text's sentences, a number of words) is spent, and
   returned in article order, verbatim.
"""

from __future__ import annotations

import contextlib
import heapq
import math
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy
from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
from sumy.summarizers.edmundson import EdmundsonSummarizer
from sumy.summarizers.kl import KLSummarizer
from sumy.summarizers.lex_rank import LexRankSummarizer
from sumy.summarizers.lsa import LsaSummarizer
from sumy.summarizers.luhn import LuhnSummarizer
from sumy.summarizers.reduction import ReductionSummarizer
from sumy.summarizers.sum_basic import SumBasicSummarizer
from sumy.summarizers.text_rank import TextRankSummarizer

from digest.errors import SummarizeError
from digest.language import detect_language, known_language
from digest.models import Article, Summary
from digest.summarize import scorer
from digest.summarize.candidates import (
    Candidate,
    Language,
    drop_near_duplicates,
    is_near_duplicate,
    is_page_furniture,
    word_count,
)
from digest.summarize.candidates import candidates as split_sentences
from digest.summarize.candidates import language as language_tools
from digest.summarize.newsrank import (
    content_terms,
    rank_sentences,
    sentence_features,
)

__all__ = ["DEFAULT_METHOD", "METHODS", "newsrank_features", "summarize", "summarize_text"]

_RANKERS: dict[str, Callable[..., Any]] = {
    "lexrank": LexRankSummarizer,
    "textrank": TextRankSummarizer,
    "lsa": LsaSummarizer,
    "luhn": LuhnSummarizer,
    "kl": KLSummarizer,
    "sumbasic": SumBasicSummarizer,
    "reduction": ReductionSummarizer,
}
DEFAULT_METHOD = "newsrank"
"""The project's own method: lead-aware centrality (see ``digest.summarize.newsrank``)."""
METHODS: tuple[str, ...] = (DEFAULT_METHOD, *_RANKERS, "edmundson", "lead")
"""The summarisation method names ``summarize`` accepts."""

# Above this many sentences a text is cut down before ranking; KL re-scores every remaining
# sentence against the growing summary on each pick, so it gets a smaller budget.
_MAX_CANDIDATES = 200
_MAX_CANDIDATES_KL = 60
# Page furniture and hedges: Edmundson's cue method subtracts a point for each.
_STIGMA_WORDS = frozenset({
    "advertisement", "advertising", "sponsored", "subscribe", "subscription", "newsletter",
    "cookies", "click", "scroll", "playback", "caption", "copyright", "unsubscribe", "login",
    "signup", "reportedly", "allegedly",
})  # fmt: skip


def summarize_text(
    text: str,
    sentences: int | None = 3,
    language: str | None = None,
    *,
    method: str = DEFAULT_METHOD,
    title: str = "",
    ratio: float | None = None,
    max_words: int | None = None,
    weights: scorer.Weights | None = None,
) -> list[str]:
    """Return the sentences that best summarise ``text``, in article order.

    ``text`` has paragraphs separated by blank lines. ``language`` is a sumy language name or
    an ISO code; when it is ``None`` or names no language sumy knows, the language is
    detected from the text (English when unsure). ``title`` gives ``newsrank`` a headline to
    favour, Edmundson its bonus words, and every sumy method a heading for context.

    The budget: at most ``sentences`` sentences (``None``: no count limit), at most
    ``ceil(ratio * n)`` of the text's ``n`` candidate sentences (``0 < ratio <= 1``), and at
    most ``max_words`` words (Chinese and Japanese: characters), skipping a sentence that
    would overflow it; the best sentence is kept even if it alone is longer. Every given
    limit applies. The sentences are verbatim slices of ``text`` and no two are
    near-duplicates. Empty text, text that is only page furniture, or ``sentences < 1``
    gives ``[]``; a text with fewer sentences than asked gives all of them. Sentences
    without a word (bare numbers, symbols) are left out unless the text has nothing else.

    ``weights`` replaces the shipped weights of ``newsrank``'s scorer (for fitting them).

    Raises ``SummarizeError`` for a method name not in ``METHODS``, a ``ratio`` outside
    (0, 1] or a ``max_words`` below 1.
    """
    name = _method_name(method)
    if ratio is not None and not 0 < ratio <= 1:
        raise SummarizeError(f"The summary ratio must be above 0 and at most 1, not {ratio}.")
    if max_words is not None and max_words < 1:
        raise SummarizeError(f"The summary word budget must be at least 1, not {max_words}.")
    if (sentences is not None and sentences < 1) or not text.strip():
        return []
    lang = _tools(language, text)
    candidates = [c for c in split_sentences(text, lang.tokenizer) if not is_page_furniture(c)]
    if not candidates:
        return []  # nothing but page furniture: nothing to summarise
    count = len(candidates) if sentences is None else sentences
    if ratio is not None:
        count = min(count, math.ceil(ratio * len(candidates)))
    if name == "lead":
        ranked: Iterable[Candidate] = candidates
    elif name == DEFAULT_METHOD:
        # No pairwise near-duplicate pass first: the ranking's redundancy penalty and the
        # check in _take keep repeats out, at a fraction of the cost.
        ranked = _newsrank(candidates[:_MAX_CANDIDATES], lang, title, weights)
    else:
        limit = _MAX_CANDIDATES_KL if name == "kl" else _MAX_CANDIDATES
        candidates = drop_near_duplicates(_most_central(candidates, limit, lang.stop_words))
        ranked = _rank(name, candidates, lang, title) if len(candidates) > count else candidates
    chosen = _take(ranked, count, max_words)
    return [c.text for c in sorted(chosen, key=lambda c: c.order)]


def summarize(
    article: Article,
    *,
    sentences: int | None = 3,
    method: str = DEFAULT_METHOD,
    ratio: float | None = None,
    max_words: int | None = None,
) -> Summary:
    """Summarise an article's text in its language, with its title as context.

    Returns a ``Summary`` holding the chosen sentences (see ``summarize_text`` for the
    budget) and the method name. The article's ``language`` is used when set and known;
    otherwise the language is detected. Raises ``SummarizeError`` as ``summarize_text``.
    """
    chosen = summarize_text(
        article.text,
        sentences,
        article.language,
        method=method,
        title=article.title,
        ratio=ratio,
        max_words=max_words,
    )
    return Summary(article=article, sentences=tuple(chosen), method=_method_name(method))


def _tools(language: str | None, text: str) -> Language:
    """The given language's tools, or the detected language's (English when unsure)."""
    name = known_language(language) or known_language(detect_language(text))
    return language_tools(name or "english")


def _method_name(method: str) -> str:
    name = method.strip().lower()
    if name not in METHODS:
        raise SummarizeError(
            f"Unknown summarisation method {method!r}. Use one of: {', '.join(METHODS)}."
        )
    return name


def _take(ranked: Iterable[Candidate], count: int, max_words: int | None) -> list[Candidate]:
    """Take candidates best first within the budget, skipping near-duplicates."""
    chosen: list[Candidate] = []
    words = 0
    for candidate in ranked:
        if len(chosen) >= count:
            break
        size = word_count(candidate)
        if max_words is not None and chosen and words + size > max_words:
            continue  # a shorter sentence further down may still fit
        if not any(is_near_duplicate(candidate.words, c.words) for c in chosen):
            chosen.append(candidate)
            words += size
    return chosen


def _most_central(
    candidates: list[Candidate], limit: int, stop_words: frozenset[str]
) -> list[Candidate]:
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


def _newsrank(
    candidates: list[Candidate], lang: Language, title: str, weights: scorer.Weights | None
) -> Iterable[Candidate]:
    """Rank candidates with the project's own method, best first, lazily."""
    terms, title_terms = _terms(candidates, lang, title)
    counts = [word_count(c) for c in candidates]
    texts = [c.text for c in candidates]
    order = rank_sentences(texts, terms, counts, title_terms=title_terms, weights=weights)
    return _first_wording(candidates, order)


def _first_wording(candidates: list[Candidate], order: Iterable[int]) -> Iterator[Candidate]:
    """Yield candidates in ranked order, each repeat in the wording that came first.

    A page that repeats its lead further down should give the lead, not the late copy,
    whichever of the two the scorer happens to rank higher; ``_take`` then skips the copy.
    """
    given: set[int] = set()
    for index in order:
        if index in given:
            continue
        words = candidates[index].words
        pick = next(
            (
                earlier
                for earlier in range(index)
                if earlier not in given and is_near_duplicate(candidates[earlier].words, words)
            ),
            index,
        )
        given.add(pick)
        yield candidates[pick]
        if pick != index:
            given.add(index)
            yield candidates[index]


def _terms(
    candidates: list[Candidate], lang: Language, title: str
) -> tuple[list[list[str]], list[str]]:
    words = [c.tokens for c in candidates]
    words.append(lang.tokenizer.to_words(title.lower()))
    *terms, title_terms = content_terms(words, lang.stemmer, lang.stop_words)
    return terms, title_terms


def newsrank_features(
    text: str, language: str | None = None, *, title: str = ""
) -> tuple[list[str], numpy.ndarray[Any, Any]]:
    """The sentences ``newsrank`` would rank in ``text`` and their scorer features.

    For fitting the scorer: the same candidates, in article order, as ``summarize_text``.
    """
    lang = _tools(language, text)
    candidates = [c for c in split_sentences(text, lang.tokenizer) if not is_page_furniture(c)]
    candidates = candidates[:_MAX_CANDIDATES]
    terms, title_terms = _terms(candidates, lang, title)
    counts = [word_count(c) for c in candidates]
    texts = [c.text for c in candidates]
    features, _ = sentence_features(texts, terms, counts, title_terms=title_terms)
    return texts, features


class _Ranking:
    """A sumy ``sentences_count`` that keeps the summarizer's whole ranking.

    sumy's ``_get_best_sentences`` hands a callable count the sentences sorted best first
    (a stable sort, so ties stay in article order) and keeps what it returns.
    """

    def __init__(self) -> None:
        self.best_first: list[Any] = []

    def __call__(self, infos: list[Any]) -> list[Any]:
        self.best_first = [info.sentence for info in infos]
        return infos


def _rank(name: str, candidates: list[Candidate], lang: Language, title: str) -> list[Candidate]:
    """Run one sumy summarizer over the candidates; return all of them, best first."""
    by_paragraph: dict[int, list[Sentence]] = {}
    by_sentence: dict[int, Candidate] = {}
    for candidate in candidates:
        sentence = Sentence(candidate.text, lang.tokenizer)
        by_paragraph.setdefault(candidate.paragraph, []).append(sentence)
        by_sentence[id(sentence)] = candidate
    paragraphs = list(by_paragraph.values())
    if title.strip():
        paragraphs[0].insert(0, Sentence(title, lang.tokenizer, is_heading=True))
    document = ObjectDocumentModel([Paragraph(p) for p in paragraphs])

    summarizer = _build(name, lang, title, document)
    ranking = _Ranking()
    # LSA warns when a text has fewer distinct words than sentences, and numpy warns on
    # degenerate similarity matrices; neither changes the (still usable) ranking. Note that
    # catch_warnings swaps the process-wide filters for the duration of the call.
    with warnings.catch_warnings(), numpy.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        # e.g. an SVD that does not converge: the candidates stay in article order
        with contextlib.suppress(ArithmeticError, numpy.linalg.LinAlgError):
            summarizer(document, ranking)
    ranked = [by_sentence[id(s)] for s in ranking.best_first if id(s) in by_sentence]
    seen = {c.order for c in ranked}
    return ranked + [c for c in candidates if c.order not in seen]  # unranked: article order


def _build(name: str, lang: Language, title: str, document: ObjectDocumentModel) -> Any:
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
