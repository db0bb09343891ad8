"""Language detection: the ISO 639-1 code of a text, from its script and stop words.

Pure apart from one read at import time: the stop-word lists that sumy ships as package
data (``sumy/data/stopwords/*.txt``, through `importlib.resources`). Nothing is downloaded
and no user file is read; `detect_language` itself does no I/O. It is meant for the
pages and feed items that declare no language, and is cheap: it looks at the first few
thousand characters only.
"""

from __future__ import annotations

import re
from importlib import resources

from digest.tokenizer import function_words, iso_code

__all__ = ["detect_language"]

# sumy's stop-word lists for languages written with spaces between words, by ISO 639-1.
_STOP_WORD_FILES = {
    "czech": "cs", "english": "en", "french": "fr", "german": "de", "italian": "it",
    "polish": "pl", "portuguese": "pt", "slovak": "sk", "spanish": "es", "swedish": "sv",
    "arabic": "ar",
}  # fmt: skip
_LETTERS = re.compile(r"[^\W\d_]+")
_SAMPLE_CHARS = 1200  # about 200 words: plenty for stop-word shares
_MIN_WORDS = 12
# Measured on the dev pages and summaries: stop words make 20-45% of the words of an
# article in its language and under 5% of a text in a language without a list here.
_MIN_SHARE, _MIN_LEAD = 0.08, 2.0
# Scripts that name their language, by Unicode range.
_SCRIPTS = (
    ("el", re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]")),
    ("he", re.compile(r"[\u0590-\u05ff]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("ko", re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")),
)
_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_PERSIAN_LETTERS = re.compile(r"[\u067e\u0686\u0698\u06a9\u06af\u06cc\u0679\u0688\u0691\u06ba]")


def _load_stop_words() -> dict[str, tuple[tuple[str, ...], float]]:
    """word -> (the languages listing it, its weight 1/len(languages))."""
    folder = resources.files("sumy") / "data" / "stopwords"
    languages: dict[str, set[str]] = {}
    for name, code in _STOP_WORD_FILES.items():
        try:
            words = (folder / f"{name}.txt").read_text(encoding="utf-8").split()
        except OSError:  # a sumy without this list: that language is never detected
            continue
        for word in words:
            languages.setdefault(word.strip(".,;:").casefold(), set()).add(code)
    languages.pop("", None)
    return {word: (tuple(sorted(codes)), 1 / len(codes)) for word, codes in languages.items()}


_STOP_WORDS = _load_stop_words()


def detect_language(text: str) -> str | None:
    """Guess the ISO 639-1 code of a text's language, or None when unsure.

    Scripts that belong to one language decide alone (Greek, Hebrew, Thai, Korean,
    Japanese kana, Chinese); Cyrillic is told apart by the letters only Russian or only
    Ukrainian uses; Arabic script is Arabic unless letters of Persian or Urdu appear.
    Otherwise the words are matched against sumy's stop-word lists, each word weighted by
    how many languages list it; the best language must cover enough of the words and
    clearly beat the second. A text of under a dozen words is judged by function words
    instead (`digest.tokenizer.function_words`).
    """
    sample = text[:_SAMPLE_CHARS]
    letters = sum(len(word) for word in _LETTERS.findall(sample))
    if not letters:
        return None
    if len(_BEYOND_LATIN.findall(sample)) * 2 > letters:  # one pass spares the rest for Latin
        return _by_script(sample, letters)
    words = [word for word in _LETTERS.findall(sample.casefold()) if len(word) > 1]
    if len(words) < _MIN_WORDS:
        return _by_function_words(sample)
    return _by_stop_words(words)


_BEYOND_LATIN = re.compile(r"[^\W\d_\u0000-\u024f]")


def _by_script(sample: str, letters: int) -> str | None:
    """The language of a text written mostly in a script other than Latin."""
    for code, script in _SCRIPTS:
        if len(script.findall(sample)) * 2 > letters:
            return code
    kana, han = len(_KANA.findall(sample)), len(_HAN.findall(sample))
    if (kana + han) * 2 > letters:
        return "ja" if kana * 10 >= kana + han else "zh"
    if len(_CYRILLIC.findall(sample)) * 2 > letters:
        russian, ukrainian = bool(re.search("[ыэЫЭ]", sample)), bool(re.search("[їєґЇЄҐ]", sample))
        return "ru" if russian and not ukrainian else "uk" if ukrainian and not russian else None
    if len(_ARABIC.findall(sample)) * 2 > letters:
        return None if _PERSIAN_LETTERS.search(sample) else "ar"  # Persian or Urdu: unsure
    return None


def _by_stop_words(words: list[str]) -> str | None:
    """The language whose stop words cover enough of the words and clearly beat the rest."""
    scores: dict[str, float] = {}
    for word in words:
        codes, weight = _STOP_WORDS.get(word, ((), 0.0))
        for code in codes:
            scores[code] = scores.get(code, 0.0) + weight
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True) + [("", 0.0)] * 2
    (best, score), (_, second) = ranked[0], ranked[1]
    if score < _MIN_SHARE * len(words) or score < _MIN_LEAD * second:
        return None
    return best


_FUNCTION_WORDS = function_words()
# Quotes, dashes and ellipses, ASCII and typographic, stripped from words before lookup.
_PUNCTUATION = ".,;:!?\"'()[]«»\u201c\u201d\u2018\u2019\u201e\u2026-\u2013\u2014"


def _by_function_words(sample: str) -> str | None:
    """A short text's language, by the function words of the languages the tokenizer knows.

    Too few words for stop-word shares to mean much; instead at least one word in twenty
    must be a function word, and the language with the most of them wins.
    """
    words = sample.lower().split()
    votes: dict[str, int] = {}
    for word in words:
        for name in _FUNCTION_WORDS.get(word.strip(_PUNCTUATION), ()):
            votes[name] = votes.get(name, 0) + 1
    if not votes:
        return None
    best = max(votes, key=votes.__getitem__)  # ties: the first language the tokenizer lists
    return iso_code(best) if votes[best] * 20 >= len(words) else None
