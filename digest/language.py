"""Languages: the names they go by, the words that open their sentences, and detection.

`known_language` and `language_for` map ISO 639 codes and names to the language names sumy
uses; `OPENERS` holds each language's common sentence openers, which the tokenizer reads
sentence ends by and `detect_language` tells short texts apart by. `detect_language` gives
the ISO 639-1 code of a text, from its script and stop words.

Pure apart from one read at import time: the stop-word lists that sumy ships as package
data (``sumy/data/stopwords/*.txt``, through `importlib.resources`). Nothing is downloaded
and no user file is read; `detect_language` itself does no I/O. It is meant for the
pages and feed items that declare no language, and is cheap: it looks at the first few
thousand characters only.
"""

# ruff: noqa: RUF001
# (Cyrillic and Greek words are this module's data.)
from __future__ import annotations

import re
from importlib import resources

__all__ = [
    "OPENERS",
    "detect_language",
    "function_words",
    "iso_code",
    "known_language",
    "language_for",
]

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
    instead (`function_words`).
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


# Language names sumy knows (stop words, stemmers or special tokenizers), by ISO 639 code.
_LANGUAGES: dict[str, tuple[str, ...]] = {
    "arabic": ("ar", "ara"), "chinese": ("zh", "zho", "chi"), "czech": ("cs", "ces", "cze"),
    "danish": ("da", "dan"), "dutch": ("nl", "nld", "dut"), "english": ("en", "eng"),
    "finnish": ("fi", "fin"), "french": ("fr", "fra", "fre"), "german": ("de", "deu", "ger"),
    "greek": ("el", "ell", "gre"), "hebrew": ("he", "iw", "heb"), "hungarian": ("hu", "hun"),
    "italian": ("it", "ita"), "japanese": ("ja", "jpn"), "korean": ("ko", "kor"),
    "norwegian": ("no", "nb", "nn", "nor", "nob", "nno"), "polish": ("pl", "pol"),
    "portuguese": ("pt", "por"), "romanian": ("ro", "ron", "rum"), "russian": ("ru", "rus"),
    "slovak": ("sk", "slk", "slo"), "spanish": ("es", "spa"), "swedish": ("sv", "swe"),
    "thai": ("th", "tha"), "ukrainian": ("uk", "ukr"),
}  # fmt: skip
_NAMES: dict[str, str] = {name: name for name in _LANGUAGES}
_NAMES.update({code: name for name, codes in _LANGUAGES.items() for code in codes})


def _lookup(code_or_name: str) -> str | None:
    key = code_or_name.strip().lower().replace("_", "-")
    return _NAMES.get(key) or _NAMES.get(key.split("-", 1)[0])


def known_language(code_or_name: str | None) -> str | None:
    """Return the sumy language name for a code or name, or ``None`` when it names none."""
    return _lookup(code_or_name) if code_or_name else None


def language_for(code_or_name: str | None) -> str:
    """Return the sumy language name for an ISO 639 code or a language name.

    Accepts "en", "en-US", "en_GB", "eng", "English" and the like; returns a lower-case name
    such as "english" or "german". ``None``, an empty string and languages sumy has no
    resources for all give "english". Never raises.
    """
    if not code_or_name:
        return "english"
    return _lookup(code_or_name) or "english"


def function_words() -> dict[str, tuple[str, ...]]:
    """Each language's sentence openers (articles, pronouns, conjunctions), which double as
    its most common words: word -> the sumy names of the languages it belongs to.

    English, the usual fallback, also gets frequent words that rarely open a sentence, so
    a short English text is not taken for Czech ("to", "a", "on") or Hungarian ("a", "is").
    """
    table: dict[str, tuple[str, ...]] = {}
    for name, words in OPENERS.items():
        extra = _ENGLISH_EXTRA if name == "english" else frozenset()
        for word in frozenset(words.split()) | extra:
            table[word] = (*table.get(word, ()), name)
    return table


_ENGLISH_EXTRA = frozenset({
    "of", "to", "is", "was", "are", "were", "be", "been", "has", "have", "had", "not", "will",
    "would", "said",
})  # fmt: skip


def iso_code(name: str) -> str | None:
    """The ISO 639-1 code of a sumy language name ("german" -> "de"), if known."""
    codes = [code for code in _LANGUAGES.get(name, ()) if len(code) == 2]
    return codes[0] if codes else None


# Words that typically open a sentence, lower case, by sumy language name: articles,
# pronouns, conjunctions. The tokenizer reads a full stop before one of them as a sentence
# end; they double as each language's most common words for telling a short text's language.
OPENERS: dict[str, str] = {
    "english": """the a an he she it they we i you this that these those there here his her its
        their our my your but and or so yet in on at for from with by as if when while after
        before since although though however meanwhile then now also some many most all one what
        who how why where it's mr mrs ms dr""",
    "german": """der die das den dem des ein eine einer einen es er sie wir ich ihr man dies
        diese dieser dieses doch aber und oder so auch im in am an auf bei mit nach seit als
        wenn während nun dann da deshalb jedoch trotzdem zudem außerdem zwar""",
    "french": """le la les l un une des il elle ils elles on nous vous je ce cette ces cet c
        mais et ou donc car en dans au aux du de d selon pour par sur si quand alors puis depuis
        cependant pourtant ainsi""",
    "spanish": """el la los las un una unos unas lo él ella ellos ellas yo nosotros se es en con
        por para pero y o si cuando como este esta estos estas ese esa eso aunque sin además
        también así según tras desde""",
    "italian": """il lo la i gli le l un uno una è e ma o se quando come questo questa questi
        queste quello quella nel nella del della in con per da dopo anche però tuttavia inoltre
        secondo lui lei noi loro io""",
    "portuguese": """o a os as um uma uns umas ele ela eles elas eu nós se é em no na nos nas
        com por para mas e ou quando como este esta isso isto esse essa também porém contudo
        segundo após depois""",
    "dutch": """de het een hij zij ze wij we ik u dit dat deze die maar en of als toen nu dan
        ook in op met voor na volgens er""",
    "czech": """ten ta to ti ty tento tato toto on ona ono oni my já vy a ale i však proto když
        jak v ve na po podle také pak tak je se""",
    "slovak": """ten tá to tí tento táto toto on ona ono oni my ja vy a ale i však preto keď ako
        v vo na po podľa tiež potom tak je sa""",
    "russian": """в во на он она оно они мы я вы это этот эта эти но и а однако по при с со как
        когда если после также кроме""",
    "ukrainian": """в у на він вона воно вони ми я ви це цей ця ці але і й а однак за при з як
        коли якщо після також""",
    "polish": """w we na on ona ono oni my ja wy to ten ta te ale i a jednak że gdy jak jeśli po
        także przez dla z ze""",
    "swedish": """den det de en ett han hon vi jag ni man detta denna dessa men och eller om när
        som i på med för efter enligt också""",
    "danish": """den det de en et han hun vi jeg man dette denne disse men og eller hvis når som
        i på med for efter ifølge også""",
    "norwegian": """den det de en et han hun vi jeg man dette denne disse men og eller hvis når
        som i på med for etter ifølge også""",
    "finnish": "hän he se ne me minä sinä te tämä nämä mutta ja tai kun jos myös",
    "hungarian": "a az egy ő ők mi én ez ezek de és vagy ha amikor is",
    "romanian": "el ea ei ele noi eu acesta aceasta dar și sau în la cu pentru după",
    "greek": "ο η το οι τα ένας μια ένα αυτός αυτή αυτό αλλά και ή όταν αν στο στη στην",
}

_FUNCTION_WORDS = function_words()
