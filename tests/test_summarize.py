"""Tests for digest.summarize: sentence selection with sumy and the digest tokenizer."""

from __future__ import annotations

import random

import pytest

from digest.errors import SummarizeError
from digest.models import Article, Summary
from digest.summarize import METHODS, summarize, summarize_text

LEAD = (
    "The city council approved a new budget for public libraries on Tuesday. "
    "The plan adds evening hours at six branches and funds a mobile library van."
)
BODY = [
    "Council members debated the library budget for nearly three hours before the vote.",
    "Supporters said longer library hours help students who work during the day.",
    "Critics argued that the budget should have gone to road repairs instead.",
    "The mayor called the library plan a modest investment in the future of the city.",
    "Library staff will be hired in the spring, and the van should start visiting "
    "villages in the summer.",
    "Branch managers expect evening visits to grow once students learn about the new hours.",
]
ARTICLE_TEXT = LEAD + "\n\n" + "\n\n".join(BODY)
TITLE = "Council approves library budget"


def _sentence_count(text: str) -> int:
    return text.count(".") + text.count("?") + text.count("!")


def test_methods_lists_every_supported_name() -> None:
    assert set(METHODS) == {
        "lexrank",
        "textrank",
        "lsa",
        "luhn",
        "kl",
        "sumbasic",
        "reduction",
        "edmundson",
        "lead",
    }


@pytest.mark.parametrize("method", METHODS)
def test_every_method_returns_verbatim_sentences_in_article_order(method: str) -> None:
    chosen = summarize_text(ARTICLE_TEXT, 3, method=method, title=TITLE)
    assert len(chosen) == 3
    positions = [ARTICLE_TEXT.find(sentence) for sentence in chosen]
    assert all(position >= 0 for position in positions)
    assert positions == sorted(positions)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("text", ["", "   ", "\n\n\n"])
def test_empty_text_gives_no_sentences(method: str, text: str) -> None:
    assert summarize_text(text, 3, method=method) == []


@pytest.mark.parametrize("method", METHODS)
def test_one_sentence_text_gives_that_sentence(method: str) -> None:
    assert summarize_text("  Only one sentence here.  ", 3, method=method) == [
        "Only one sentence here."
    ]


@pytest.mark.parametrize("method", METHODS)
def test_fewer_sentences_than_asked_gives_all_of_them(method: str) -> None:
    text = "First point made here. Second point follows.\n\nThird point closes."
    assert summarize_text(text, 5, method=method) == [
        "First point made here.",
        "Second point follows.",
        "Third point closes.",
    ]


@pytest.mark.parametrize("method", METHODS)
def test_text_without_punctuation_gives_the_whole_text(method: str) -> None:
    text = "a heading without any punctuation at all"
    assert summarize_text(text, 3, method=method) == [text]


@pytest.mark.parametrize("method", METHODS)
def test_repeated_lead_paragraph_appears_once(method: str) -> None:
    """A page that repeats its lead (teaser, then article) must not yield it twice."""
    text = LEAD + "\n\n" + ARTICLE_TEXT + "\n\n" + LEAD.replace("Tuesday", "Tuesday night")
    chosen = summarize_text(text, 20, method=method)
    assert len(chosen) == len(set(chosen)) == _sentence_count(ARTICLE_TEXT)
    for lead_sentence in summarize_text(LEAD, 2, method="lead"):
        assert chosen.count(lead_sentence) == 1


@pytest.mark.parametrize("method", METHODS)
def test_near_duplicate_sentences_are_never_both_chosen(method: str) -> None:
    text = (
        "Scroll down for video. The storm closed every school in the county on Monday. "
        "The storm closed every school in the county on Monday morning. "
        "Power returned to most homes by the evening. Scroll down for video."
    )
    chosen = summarize_text(text, 4, method=method)
    assert len(chosen) == 3
    assert sum("The storm closed" in sentence for sentence in chosen) == 1


@pytest.mark.parametrize("method", METHODS)
def test_all_caps_lines_are_kept_as_sentences(method: str) -> None:
    text = "BREAKING NEWS FROM THE CAPITAL.\n\nTHE BRIDGE IS CLOSED. TRAFFIC IS DIVERTED."
    assert summarize_text(text, 3, method=method) == [
        "BREAKING NEWS FROM THE CAPITAL.",
        "THE BRIDGE IS CLOSED.",
        "TRAFFIC IS DIVERTED.",
    ]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("zh", "我喜欢苹果。苹果很甜。今天天气很好。明天会下雨。我们去公园吧。"),
        ("ja", "東京は晴れです。大阪は雨です。明日は雪が降るでしょう。週末は晴れるでしょう。"),
        ("ru", "Мэр открыл мост. Мост строили три года. Движение начнётся завтра. Жители рады."),
        ("de", "Am 3. Oktober wurde gefeiert. Die Stadt war voll. Es gab Musik. Alle waren froh."),
        ("xx", "Odd language tag here. Second sentence here. Third one here. And a fourth."),
    ],
)
def test_other_languages_and_scripts_work(method: str, language: str, text: str) -> None:
    chosen = summarize_text(text, 2, language, method=method)
    assert len(chosen) == 2
    assert all(sentence in text for sentence in chosen)


@pytest.mark.parametrize(
    "text",
    [
        "12345. 678. 12345.",
        "!!! ??? ...",
        "It is. It was. He is. She was. They are.",
        "Same words here. Same words here. Same words here.",
        "a. b. c. d. e. f. g.",
    ],
)
@pytest.mark.parametrize("method", METHODS)
def test_odd_input_never_raises(method: str, text: str) -> None:
    chosen = summarize_text(text, 2, method=method, title="It")
    assert len(chosen) <= 2
    assert all(sentence in text for sentence in chosen)


@pytest.mark.parametrize("count", [0, -1])
def test_asking_for_no_sentences_gives_none(count: int) -> None:
    assert summarize_text(ARTICLE_TEXT, count) == []


@pytest.mark.parametrize("method", ["bogus", "", "text-rank"])
def test_unknown_method_raises_summarize_error_listing_valid_names(method: str) -> None:
    with pytest.raises(SummarizeError) as excinfo:
        summarize_text(ARTICLE_TEXT, 3, method=method)
    assert repr(method) in str(excinfo.value)
    assert all(name in str(excinfo.value) for name in METHODS)


def test_method_name_is_case_insensitive() -> None:
    assert summarize_text(ARTICLE_TEXT, 2, method=" LexRank ") == summarize_text(
        ARTICLE_TEXT, 2, method="lexrank"
    )


def test_lead_takes_the_first_sentences() -> None:
    assert summarize_text(ARTICLE_TEXT, 3, method="lead") == [
        "The city council approved a new budget for public libraries on Tuesday.",
        "The plan adds evening hours at six branches and funds a mobile library van.",
        BODY[0],
    ]


def test_summarize_returns_summary_record_for_article() -> None:
    article = Article(url="https://example.org/a", title=TITLE, text=ARTICLE_TEXT, language="en")
    summary = summarize(article, sentences=2, method="Edmundson")
    assert isinstance(summary, Summary)
    assert summary.article is article
    assert summary.method == "edmundson"
    assert isinstance(summary.sentences, tuple)
    assert list(summary.sentences) == summarize_text(
        ARTICLE_TEXT, 2, "english", method="edmundson", title=TITLE
    )


def test_summarize_uses_article_language() -> None:
    text = "Am 3. Oktober wurde gefeiert. Die Stadt war voll. Es gab Musik. Alle waren froh."
    article = Article(url="https://example.org/de", title="", text=text, language="de-DE")
    summary = summarize(article, sentences=4)
    assert summary.sentences[0] == "Am 3. Oktober wurde gefeiert."


def test_summarize_unknown_method_raises() -> None:
    article = Article(url="https://example.org/a", title=TITLE, text=ARTICLE_TEXT)
    with pytest.raises(SummarizeError):
        summarize(article, method="nope")


@pytest.fixture(scope="module")
def megabyte_text() -> str:
    rng = random.Random(20240611)
    syllables = [c + v for c in "bcdfgklmnprstv" for v in "aeiou"]
    vocabulary = ["".join(rng.choices(syllables, k=rng.randint(1, 4))) for _ in range(5000)]
    paragraphs: list[str] = []
    size = 0
    while size < 1_000_000:
        sentences = [
            " ".join(rng.choice(vocabulary) for _ in range(rng.randint(5, 30))).capitalize() + "."
            for _ in range(rng.randint(1, 6))
        ]
        paragraphs.append(" ".join(sentences))
        size += len(paragraphs[-1]) + 2
    return "\n\n".join(paragraphs)


@pytest.mark.parametrize("method", METHODS)
def test_megabyte_text_completes(method: str, megabyte_text: str) -> None:
    chosen = summarize_text(megabyte_text, 3, method=method)
    assert len(chosen) == 3
    positions = [megabyte_text.find(sentence) for sentence in chosen]
    assert positions == sorted(positions) and positions[0] >= 0


def test_subheadings_are_not_summary_sentences() -> None:
    text = (
        "The line reopens in December after 58 years.\n\n"
        "Stations and journey times\n\n"
        "Trains will call at four stations. The trip takes 41 minutes."
    )
    assert "Stations and journey times" not in summarize_text(text, sentences=3, method="lead")
    assert summarize_text("Stations and journey times", sentences=3) == [
        "Stations and journey times"
    ]
