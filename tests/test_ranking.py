"""Tests for digest.summarize.newsrank: newsrank, the project's lead-aware centrality ranking."""

from __future__ import annotations

import numpy
import pytest
from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
from sumy.nlp.stemmers import Stemmer

from digest.summarize.newsrank import (
    NewsRankSummarizer,
    content_terms,
    is_furniture,
    rank_sentences,
    sentence_features,
    sentence_quality,
)
from digest.summarize.scorer import FEATURES, Weights, shipped_weights
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
    """The side story about diverted ships climbs when the headline is about it."""
    assert _rank(SENTENCES).index(4) > _rank(SENTENCES, title="Diverted cargo ships").index(4)


def test_repeated_sentence_is_ranked_below_fresh_ones() -> None:
    """Maximal marginal relevance: of two near-copies, the later pick comes after all else."""
    copy = SENTENCES[0].replace("Friday", "Friday morning")
    order = _rank([*SENTENCES, copy])
    assert max(order.index(0), order.index(len(SENTENCES))) == len(SENTENCES)


def test_features_have_one_column_per_name_and_one_row_per_sentence() -> None:
    *terms, title_terms = _terms([*SENTENCES, ""])
    counts = [len(s.split()) for s in SENTENCES]
    features, similarity = sentence_features(SENTENCES, terms, counts, title_terms=title_terms)
    assert features.shape == (len(SENTENCES), len(FEATURES))
    assert similarity.shape == (len(SENTENCES), len(SENTENCES))
    first = dict(zip(FEATURES, features[0], strict=True))
    assert first["first"] == first["prior"] == first["lede"] == 1.0
    assert first["has_title"] == 0.0


@pytest.mark.parametrize(
    ("opener", "flag"),
    [
        ("Who would have thought a harbour could matter this much?", "early_question"),
        ('"We are open again," the harbour master told reporters.', "early_quote"),
        ("The harbour took 31 days and 2 million euros to mend.", "early_number"),
        ("The harbour is open again, the harbour master says.", "early_said"),
    ],
)
def test_the_leads_signals_are_seen_in_the_lead_only(opener: str, flag: str) -> None:
    """The same sentence sets its flag when it opens the text, not further down."""
    column = FEATURES.index(flag)
    for sentences, row in (([opener, *SENTENCES], 0), ([*SENTENCES, opener], len(SENTENCES))):
        *terms, title_terms = _terms([*sentences, ""])
        counts = [len(s.split()) for s in sentences]
        features, _ = sentence_features(sentences, terms, counts, title_terms=title_terms)
        assert features[row, column] == (1.0 if row == 0 else 0.0)


def test_a_plain_lead_sets_no_question_or_quote_flag() -> None:
    *terms, title_terms = _terms([*SENTENCES, ""])
    counts = [len(s.split()) for s in SENTENCES]
    features, _ = sentence_features(SENTENCES, terms, counts, title_terms=title_terms)
    for flag in ("early_question", "early_quote"):
        assert not features[:, FEATURES.index(flag)].any()
    # "The mayor ... said": attribution, third sentence, inside the lead.
    assert list(features[:, FEATURES.index("early_said")]) == [0.0, 0.0, 1.0, 0.0, 0.0]


def test_shipped_weights_fit_the_features() -> None:
    weights = shipped_weights()
    assert weights.coef.shape == weights.mean.shape == weights.scale.shape == (len(FEATURES),)
    assert (weights.scale > 0).all()
    # Position is the strongest signal, as in every study of news summaries.
    assert weights.coef[FEATURES.index("prior")] > 0


def test_weights_round_trip_and_refuse_other_features() -> None:
    weights = shipped_weights()
    again = Weights.from_mapping(weights.to_mapping())
    assert numpy.allclose(again.coef, weights.coef, atol=1e-6)
    other = {**weights.to_mapping(), "features": ["position", *FEATURES[1:]]}
    with pytest.raises(ValueError, match="other features"):
        Weights.from_mapping(other)
    short = {**weights.to_mapping(), "coef": [1.0]}
    with pytest.raises(ValueError, match="wrong number"):
        Weights.from_mapping(short)


def test_other_weights_change_the_ranking() -> None:
    """A scorer that only counts centrality, against one that only counts position."""
    size = len(FEATURES)

    def only(name: str) -> Weights:
        coef = numpy.zeros(size)
        coef[FEATURES.index(name)] = 1.0
        return Weights(numpy.zeros(size), numpy.ones(size), coef, 0.0)

    *terms, _ = _terms([*SENTENCES, ""])
    counts = [len(s.split()) for s in SENTENCES]
    by_position = list(rank_sentences(SENTENCES, terms, counts, weights=only("prior")))
    by_centrality = list(rank_sentences(SENTENCES, terms, counts, weights=only("centrality")))
    assert by_position[:3] == [0, 1, 2]
    assert by_centrality != by_position


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
