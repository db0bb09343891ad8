"""Tests for digest.summarize: sentence selection with sumy, newsrank and the tokenizer."""

from __future__ import annotations

import collections
import importlib.util
import json
import random
import sys
from pathlib import Path
from typing import Any

import numpy
import pytest

from digest.errors import SummarizeError
from digest.models import Article, Summary
from digest.summarize.methods import DEFAULT_METHOD, METHODS, summarize, summarize_text

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


def test_default_method_is_the_projects_own_and_listed_first() -> None:
    assert DEFAULT_METHOD == "newsrank" == METHODS[0]
    assert summarize_text(ARTICLE_TEXT, 3, title=TITLE) == summarize_text(
        ARTICLE_TEXT, 3, method="newsrank", title=TITLE
    )
    article = Article(url="https://example.org/a", title=TITLE, text=ARTICLE_TEXT)
    assert summarize(article).method == "newsrank"


def test_methods_lists_every_supported_name() -> None:
    assert set(METHODS) == {
        "newsrank",
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
        "Crews worked through the night. The storm closed every school in the county on Monday. "
        "The storm closed every school in the county on Monday morning. "
        "Power returned to most homes by the evening. Crews worked through the night."
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


# --- Budget: sentences, a ratio, a word budget ---------------------------------------------

TEN = " ".join(f"Sentence number {word} talks about the harbour project." for word in "abcdefghij")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("ratio", "expected"), [(0.3, 3), (0.05, 1), (1.0, 10), (0.25, 3)])
def test_ratio_takes_that_share_of_the_sentences(method: str, ratio: float, expected: int) -> None:
    chosen = summarize_text(TEN, None, method=method, ratio=ratio)
    assert len(chosen) == expected
    positions = [TEN.find(sentence) for sentence in chosen]
    assert positions == sorted(positions) and min(positions) >= 0


def test_every_given_limit_applies() -> None:
    assert len(summarize_text(TEN, 2, ratio=0.5)) == 2
    assert len(summarize_text(TEN, 8, ratio=0.5)) == 5
    assert len(summarize_text(TEN, 8, max_words=20)) == 2  # eight words a sentence


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("budget", [18, 30, 100])  # no sentence is longer than 18
def test_word_budget_is_never_exceeded(method: str, budget: int) -> None:
    chosen = summarize_text(ARTICLE_TEXT, None, method=method, max_words=budget, title=TITLE)
    assert chosen
    assert sum(len(sentence.split()) for sentence in chosen) <= budget


def test_word_budget_keeps_the_best_sentence_even_if_longer() -> None:
    chosen = summarize_text(ARTICLE_TEXT, 3, max_words=5)
    assert len(chosen) == 1 and len(chosen[0].split()) > 5


def test_word_budget_skips_a_long_sentence_for_a_shorter_one_that_fits() -> None:
    text = (
        "The harbour reopened to ships on Friday after a month of repairs to the quay. "
        "The repairs to the harbour quay took four crews, two cranes, one diver and many "
        "more long weeks than the port authority had planned for in the spring. "
        "Ships queued at the harbour."
    )
    chosen = summarize_text(text, None, max_words=22)
    assert chosen == [
        "The harbour reopened to ships on Friday after a month of repairs to the quay.",
        "Ships queued at the harbour.",
    ]


@pytest.mark.parametrize("ratio", [0, -0.5, 1.5, float("nan")])
def test_ratio_outside_zero_to_one_raises(ratio: float) -> None:
    with pytest.raises(SummarizeError, match="ratio"):
        summarize_text(TEN, ratio=ratio)


@pytest.mark.parametrize("max_words", [0, -3])
def test_word_budget_below_one_raises(max_words: int) -> None:
    with pytest.raises(SummarizeError, match="word budget"):
        summarize_text(TEN, max_words=max_words)


def test_summarize_passes_the_budget_on() -> None:
    article = Article(url="https://example.org/t", title="", text=TEN, language="en")
    assert len(summarize(article, sentences=None, ratio=0.2).sentences) == 2
    assert len(summarize(article, max_words=16).sentences) == 2


# --- Robustness ------------------------------------------------------------------------------

FURNITURE = (
    "By Jane Smith\n\n"
    "Scroll down for video.\n\n"
    "Read more: Click here to subscribe to our newsletter.\n\n"
    "Follow us on Twitter for updates.\n\n"
    "Copyright 2024 Example News. All rights reserved."
)


@pytest.mark.parametrize("method", METHODS)
def test_text_that_is_only_page_furniture_gives_no_sentences(method: str) -> None:
    assert summarize_text(FURNITURE, 3, method=method) == []


@pytest.mark.parametrize("method", METHODS)
def test_page_furniture_is_never_chosen(method: str) -> None:
    text = FURNITURE.replace("Scroll down for video.", ARTICLE_TEXT)
    chosen = summarize_text(text, 10, method=method, title=TITLE)
    assert len(chosen) == _sentence_count(ARTICLE_TEXT)
    assert all(sentence in ARTICLE_TEXT for sentence in chosen)


@pytest.mark.parametrize("method", METHODS)
def test_paragraphs_without_punctuation_are_sentences(method: str) -> None:
    text = (
        "the ferry to the island runs again from monday after the storm damaged its pier\n\n"
        "tickets cost the same as last year and the first boat leaves at seven in the morning"
    )
    chosen = summarize_text(text, 3, method=method)
    assert chosen == text.split("\n\n")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    ("language", "text"),
    [
        (
            None,
            "مرحبا بكم في المدينة. افتتح الجسر الجديد اليوم. الطقس جميل. سنذهب إلى الحديقة غدا.",
        ),
        (
            "ar",
            "مرحبا بكم في المدينة. افتتح الجسر الجديد اليوم. الطقس جميل. سنذهب إلى الحديقة غدا.",
        ),
        (None, "我喜欢苹果。苹果很甜。今天天气很好。明天会下雨。我们去公园吧。"),
        (None, "東京は晴れです。大阪は雨です。明日は雪が降るでしょう。週末は晴れるでしょう。"),
        (None, "서울은 맑습니다. 부산은 비가 옵니다. 내일은 눈이 올 것입니다. 주말은 맑겠습니다."),
    ],
)
def test_cjk_and_arabic_text_with_or_without_a_language(
    method: str, language: str | None, text: str
) -> None:
    chosen = summarize_text(text, 2, language, method=method)
    assert len(chosen) == 2
    assert all(sentence in text for sentence in chosen)


def test_language_is_detected_when_not_given() -> None:
    """German rules keep "3. Oktober" in one sentence; English ones would split it."""
    text = (
        "Am 3. Oktober wurde in der ganzen Stadt gefeiert, und die Straßen waren voll. "
        "Die Menschen sangen und tanzten bis in die Nacht. Es war ein schöner Tag."
    )
    assert summarize_text(text, 3)[0].startswith("Am 3. Oktober wurde")
    assert summarize_text(text, 3, "xx")[0].startswith("Am 3. Oktober wurde")


# --- newsrank ------------------------------------------------------------------------------

NEWS = (
    "A fire at a chemical plant in Rotterdam forced the evacuation of 200 homes on Sunday.\n\n"
    "Smoke from the plant drifted over the city for six hours, the fire service said.\n\n"
    "Firefighter Anna de Vries (pictured) with a colleague at the scene.\n\n"
    "Residents near the chemical plant were told to keep windows shut until the fire was out.\n\n"
    "The plant makes solvents and had passed a safety inspection in March.\n\n"
    "Read more: Other stories from the Netherlands.\n\n"
    "Officials said the evacuation of the homes near the plant would end on Monday."
)


def test_newsrank_opens_with_the_lede_and_skips_captions() -> None:
    chosen = summarize_text(NEWS, 3, title="Chemical plant fire forces evacuation")
    assert chosen[0].startswith("A fire at a chemical plant")
    assert not any("(pictured)" in sentence or "Read more" in sentence for sentence in chosen)


def test_newsrank_lede_is_the_first_real_sentence() -> None:
    text = "Sweet life: the Duchess at home.\n\n" + NEWS
    assert summarize_text(text, 1) == [NEWS.split("\n\n")[0]]


def test_newsrank_is_deterministic() -> None:
    assert len({tuple(summarize_text(NEWS, 3)) for _ in range(5)}) == 1


# --- the lead and when it is soft ----------------------------------------------------------

LIBRARY = [
    "The city council approved a new budget for public libraries on Tuesday, adding evening "
    "hours at six branches.",
    "Council members debated the library budget for nearly three hours before the vote passed "
    "by nine to four.",
    "Supporters said longer library hours help students who work during the day.",
    "Critics argued that the budget should have gone to road repairs instead.",
    "The mayor called the library plan a modest investment in the future of the city.",
    "Library staff will be hired in the spring, and a mobile van should start visiting villages "
    "in the summer.",
    "Branch managers expect evening visits to grow once students learn about the new hours.",
    "The budget also pays for new computers at the central library, which has not been "
    "refitted since 1998.",
]


def test_a_good_lead_opens_the_summary() -> None:
    assert summarize_text(" ".join(LIBRARY), 3)[:2] == LIBRARY[:2]


@pytest.mark.parametrize(
    "opener",
    [
        "Who needs a library in the age of the smartphone?",
        "LONDON -- Tuesday was a good day for readers.",
        "By . Jane Smith .",
    ],
)
def test_a_soft_opener_gives_way_to_the_news(opener: str) -> None:
    """A question, a dateline teaser or a byline in front: the summary starts with the news."""
    chosen = summarize_text(" ".join([opener, *LIBRARY]), 3)
    assert opener not in chosen
    assert chosen[0] == LIBRARY[0]


def test_other_scorer_weights_can_be_given() -> None:
    """The weights are an input (for fitting them): one that favours the end is obeyed."""
    from digest.summarize.scorer import FEATURES, Weights

    size = len(FEATURES)
    coef = numpy.zeros(size)
    coef[FEATURES.index("prior")] = -5.0  # late sentences first
    backwards = Weights(numpy.zeros(size), numpy.ones(size), coef, 0.0)
    text = " ".join(LIBRARY)
    assert summarize_text(text, 1, weights=backwards) == [LIBRARY[-1]]
    assert summarize_text(text, 1) == [LIBRARY[0]]


CNNDM = Path(__file__).resolve().parents[2] / "shared" / "data" / "summaries-cnndm-dev.jsonl"


@pytest.mark.skipif(not CNNDM.is_file(), reason="shared/data/summaries-cnndm-dev.jsonl is absent")
def test_dev_articles_give_verbatim_sentences_in_order_without_repeats() -> None:
    """Every tenth CNN/DM dev article: the default's sentences are slices of the text, in order."""
    lines = CNNDM.read_text(encoding="utf-8").splitlines()[::10]
    for line in lines:
        text = json.loads(line)["text"]
        chosen = summarize_text(text, 3)
        assert len(chosen) == len(set(chosen)) == 3
        starts = [text.find(sentence) for sentence in chosen]
        assert -1 not in starts
        assert starts == sorted(starts)


# --- the summaries benchmark's judging helpers (bench/summaries.py) ------------------------


def _bench() -> Any:
    path = Path(__file__).resolve().parents[1] / "bench" / "summaries.py"
    spec = importlib.util.spec_from_file_location("bench_summaries", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


def test_folds_are_dealt_evenly_and_reproducibly() -> None:
    bench = _bench()
    articles = [bench.Article(str(n), "s", "", f"text {n}", ("ref",)) for n in range(23)]
    folds = bench.deal_folds(articles, 5)
    assert sorted(collections.Counter(folds).values()) == [4, 4, 5, 5, 5]
    assert folds == bench.deal_folds(articles, 5)
    assert folds != bench.deal_folds(articles, 5, seed=1)


def test_paired_interval_of_a_sure_gain_excludes_zero_and_of_noise_does_not() -> None:
    bench = _bench()
    assert bench.paired_interval([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == (0.0, 0.0, 0.0)
    rng = random.Random(7)
    theirs = [rng.uniform(0, 50) for _ in range(200)]
    gain = [t + 1.0 + rng.uniform(-0.5, 0.5) for t in theirs]
    mean, low, high = bench.paired_interval(gain, theirs)
    assert 0.0 < low <= mean <= high
    noise = [t + rng.uniform(-1.0, 1.0) for t in theirs]
    _, low, high = bench.paired_interval(noise, theirs)
    assert low < 0.0 < high
