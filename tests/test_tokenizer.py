"""Tests for digest.summarize.tokenizer: sentence and word splitting without NLTK data."""

# ruff: noqa: RUF001
# (Fullwidth punctuation, Greek and Cyrillic text are the point of these cases.)
from __future__ import annotations

import pytest

from digest.summarize.tokenizer import Tokenizer


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        (
            "U.S. officials met Mr. Smith at 3.5 p.m. on Jan. 10.",
            ("U.S. officials met Mr. Smith at 3.5 p.m. on Jan. 10.",),
        ),
        (
            "J. R. R. Tolkien wrote books. He died in 1973.",
            ("J. R. R. Tolkien wrote books.", "He died in 1973."),
        ),
        (
            "Dr. A. Smith arrived. Plan B. I think so.",
            ("Dr. A. Smith arrived.", "Plan B.", "I think so."),
        ),
        (
            "Fruit, e.g. apples, i.e. food. Prof. Jones and St. Paul agreed.",
            ("Fruit, e.g. apples, i.e. food.", "Prof. Jones and St. Paul agreed."),
        ),
        (
            "No. 10 Downing Street is old. It is famous.",
            ("No. 10 Downing Street is old.", "It is famous."),
        ),
        (
            "She moved to the U.K. The rain was heavy.",
            ("She moved to the U.K.", "The rain was heavy."),
        ),
        (
            "He works at Apple Inc. The company is big.",
            ("He works at Apple Inc.", "The company is big."),
        ),
        (
            "Apples, pears, etc. are fruit. Cats vs. dogs.",
            ("Apples, pears, etc. are fruit.", "Cats vs. dogs."),
        ),
        (
            "Growth was 3.5% and 4.25% in 2004. Prices fell.",
            ("Growth was 3.5% and 4.25% in 2004.", "Prices fell."),
        ),
        ('"He left." She said nothing.', ('"He left."', "She said nothing.")),
        ('"Help!" he cried. Nobody came.', ('"Help!" he cried.', "Nobody came.")),
        ("It ended (finally.) Then we slept.", ("It ended (finally.)", "Then we slept.")),
        ("Wait... What happened?", ("Wait...", "What happened?")),
        ("He paused… and then went on.", ("He paused… and then went on.",)),
        ("Really?! Yes. Amazing!!! Fine.", ("Really?!", "Yes.", "Amazing!!!", "Fine.")),
        ("我喜欢苹果。你呢？好！", ("我喜欢苹果。", "你呢？", "好！")),
        ("東京は晴れ。「大阪は雨？」明日は雪。", ("東京は晴れ。", "「大阪は雨？」", "明日は雪。")),
        ("هل أنت بخير؟ نعم أنا بخير.", ("هل أنت بخير؟", "نعم أنا بخير.")),
        ("Visit example.com. Then leave.", ("Visit example.com.", "Then leave.")),
        ("no punctuation at all", ("no punctuation at all",)),
        ("A line\nwrapped inside. Next.", ("A line\nwrapped inside.", "Next.")),
        ("", ()),
        ("   \n ", ()),
    ],
)
def test_to_sentences_english_hard_cases(paragraph: str, expected: tuple[str, ...]) -> None:
    assert Tokenizer("english").to_sentences(paragraph) == expected


@pytest.mark.parametrize(
    ("language", "paragraph", "expected"),
    [
        (
            "german",
            "Am 3. Oktober feierten z. B. viele. Die Zahl stieg auf 300. Die Regierung sprach.",
            (
                "Am 3. Oktober feierten z. B. viele.",
                "Die Zahl stieg auf 300.",
                "Die Regierung sprach.",
            ),
        ),
        ("french", "M. Dupont est venu. Il est parti.", ("M. Dupont est venu.", "Il est parti.")),
        ("spanish", "La Sra. García llegó. Ella habló.", ("La Sra. García llegó.", "Ella habló.")),
        ("greek", "Τι κάνεις; Καλά.", ("Τι κάνεις;", "Καλά.")),
        ("russian", "Это было в 2020 г. Он ушёл.", ("Это было в 2020 г.", "Он ушёл.")),
        ("indonesian", "Dr. Budi datang. Dia pergi.", ("Dr. Budi datang.", "Dia pergi.")),
    ],
)
def test_to_sentences_other_languages(
    language: str, paragraph: str, expected: tuple[str, ...]
) -> None:
    assert Tokenizer(language).to_sentences(paragraph) == expected


def test_to_sentences_returns_verbatim_stripped_slices() -> None:
    paragraph = '  Mr. Lee said: "It works."  Then   he left!\nGood. '
    sentences = Tokenizer().to_sentences(paragraph)
    assert isinstance(sentences, tuple)
    assert all(s == s.strip() and s in paragraph for s in sentences)
    assert " ".join(" ".join(sentences).split()) == " ".join(paragraph.split())


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("The cat sat on the mat.", ("The", "cat", "sat", "on", "the", "mat")),
        ("Don't panic, it's well-known!", ("Don't", "panic", "it's", "well-known")),
        ("COVID-19 hit G7 in 2020, at 3.5%.", ("hit", "in", "at")),
        ('"Quoted" (bracketed) -- dashes...', ("Quoted", "bracketed", "dashes")),
        ("Ünïcödé straße café", ("Ünïcödé", "straße", "café")),
        ("我喜欢iPhone手机。", ("我", "喜", "欢", "iPhone", "手", "机")),
        ("... 123 !!!", ()),
        ("", ()),
    ],
)
def test_to_words_returns_only_word_tokens(sentence: str, expected: tuple[str, ...]) -> None:
    assert Tokenizer().to_words(sentence) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("english", "english"),
        ("de", "german"),
        ("pt-BR", "portuguese"),
        ("Indonesian", "indonesian"),
    ],
)
def test_language_property_is_the_sumy_name(language: str, expected: str) -> None:
    assert Tokenizer(language).language == expected


def test_default_language_is_english() -> None:
    assert Tokenizer().language == "english"
