"""Tests for digest.summarize.newsrank: newsrank, the project's lead-aware centrality ranking."""

from __future__ import annotations

import pytest
from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
from sumy.nlp.stemmers import Stemmer

from digest.summarize.newsrank import (
    NewsRankSummarizer,
    content_terms,
    is_furniture,
    rank_sentences,
    sentence_quality,
)
from digest.summarize.tokenizer import Tokenizer

SENTENCES = [
    "The harbour in Dunmore reopened to cargo ships on Friday after a month of repairs.",
    "Crews rebuilt the harbour wall that a January storm had broken in two places.",
    "The mayor thanked the crews and said the harbour was open for business again.",
    "A local bakery sold harbour-shaped biscuits to mark the day.",
    "Cargo ships had been diverted to a port forty miles away during the repairs.",
]


def _terms(sentences: list[str]) -> list[list[str]]:
    words = [[w.lower() for w in Tokenizer().to_words(s)] for s in sentences]
    return content_terms(words, Stemmer("english"), frozenset({"the", "a", "to", "of", "in"}))


def _rank(sentences: list[str], title: str = "") -> list[int]:
    *terms, title_terms = _terms([*sentences, title])
    counts = [len(s.split()) for s in sentences]
    return list(rank_sentences(sentences, terms, counts, title_terms=title_terms))


def test_ranking_yields_every_sentence_once() -> None:
    order = _rank(SENTENCES)
    assert sorted(order) == list(range(len(SENTENCES)))


def test_ranking_of_nothing_yields_nothing() -> None:
    assert list(rank_sentences([], [], [])) == []


def test_lede_ranks_first_and_a_central_sentence_beats_a_side_note() -> None:
    order = _rank(SENTENCES)
    assert order[0] == 0
    assert order.index(1) < order.index(3)  # the repairs story, not the biscuits


def test_lede_is_the_first_real_sentence_in_the_opening_ones() -> None:
    sentences = ["Scroll down for video.", "Harbour reopens.", *SENTENCES]
    assert _rank(sentences)[0] == 2


def test_title_pulls_matching_sentences_up() -> None:
    sentences = [
        "The harbour in Dunmore reopened on Friday after a month of repairs to its wall.",
        "A bakery in the town sold biscuits shaped like boats to everyone who came by.",
        "Cargo ships that had been diverted to a port forty miles away came back at dawn.",
    ]
    assert _rank(sentences) == [0, 1, 2]
    assert _rank(sentences, title="Diverted cargo ships come back") == [0, 2, 1]


def test_repeated_sentence_is_ranked_below_fresh_ones() -> None:
    """Maximal marginal relevance: a near-copy of a chosen sentence loses its place."""
    copy = SENTENCES[0].replace("Friday", "Friday morning")
    order = _rank([*SENTENCES, copy])
    assert order.index(len(SENTENCES)) > order.index(1)


@pytest.mark.parametrize(
    "sentence",
    [
        "Scroll down for video.",
        "Read more: the best of the week.",
        "By Jane Smith",
        "Copyright 2024 Example News.",
        "Follow us on Twitter for updates.",
        "Media playback is not supported on this device.",
    ],
)
def test_furniture_is_recognised(sentence: str) -> None:
    assert is_furniture(sentence, len(sentence.split()))
    assert sentence_quality(sentence, len(sentence.split())) < 0.2


@pytest.mark.parametrize(
    "sentence",
    [
        "The council voted to keep copyright on the city's old maps.",
        "Thousands of fans rushed to sign up for the marathon in its first hour, organisers "
        "said, a record for the race and twice as many as in any year since it began in 1981.",
        "By the end of the year, prices had doubled.",
    ],
)
def test_prose_is_not_furniture(sentence: str) -> None:
    assert not is_furniture(sentence, len(sentence.split()))


@pytest.mark.parametrize(
    ("sentence", "reason"),
    [
        ("Jones (left) and Smith leave the court after the hearing on Monday.", "caption"),
        ("Sweet life: The Duchess of Cornwall in her garden in Wiltshire.", "label"),
        ("Tottenham striker Emmanuel Adebayor rides the challenge of Lovren", "no ending"),
        ("Frightening.", "fragment"),
    ],
)
def test_captions_labels_and_fragments_score_lower(sentence: str, reason: str) -> None:
    assert sentence_quality(sentence, len(sentence.split())) < 0.5, reason


def test_ordinary_prose_scores_one() -> None:
    sentence = SENTENCES[1]
    assert sentence_quality(sentence, len(sentence.split())) == 1.0


def test_content_terms_stem_only_words_that_meet_another_sentence() -> None:
    terms = _terms(["The councils voted.", "A council meeting followed.", "Zebras grazing."])
    assert terms[0] == ["council", "voted"]  # "councils" meets "council"; "voted" meets nothing
    assert terms[1] == ["council", "meeting", "followed"]
    assert terms[2] == ["zebras", "grazing"]  # no other sentence shares their letters


def test_content_terms_fold_accents_when_matching_prefixes() -> None:
    words = [["häuser", "stehen"], ["das", "haus", "steht"]]
    stem = Stemmer("german")
    terms = content_terms(words, stem, frozenset({"das"}))
    assert terms[0][0] == terms[1][0] == stem("haus")


def test_newsrank_summarizer_plugs_into_sumy() -> None:
    tokenizer = Tokenizer("english")
    heading = Sentence("Harbour reopens after repairs", tokenizer, is_heading=True)
    body = [Sentence(text, tokenizer) for text in SENTENCES]
    document = ObjectDocumentModel([Paragraph([heading, *body])])
    summarizer = NewsRankSummarizer(Stemmer("english"), frozenset({"the", "a"}))
    picked = summarizer(document, 2)
    assert isinstance(picked, tuple) and len(picked) == 2
    assert str(picked[0]) == SENTENCES[0]
    assert all(not s.is_heading for s in picked)
    assert summarizer(ObjectDocumentModel([]), 3) == ()
