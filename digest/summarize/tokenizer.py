"""Sentence and word splitting for sumy, with no downloaded data.

This module owns ``Tokenizer``, a drop-in for sumy's own tokenizer (``language``,
``to_sentences``, ``to_words``, tuples of stripped strings), and the per-language
abbreviation lists it splits by. The names languages go by and the words that open their
sentences belong to `digest.language`. sumy's ``Tokenizer`` needs NLTK punkt data and is
never constructed here.

Sentences are split with regular expressions compiled once at import, plus small
per-language word lists (abbreviations, words that start sentences). A "." ends a sentence
unless the next word is lower case, the word before is a title ("Mr.", "Dr."), a number
abbreviation before a number ("No. 10"), or an ambiguous abbreviation (months, "Inc.",
"U.S.", initials, "a.m.") that is not followed by a typical sentence opener ("The", "He").
Decimals and URLs never split because a terminator must be followed by whitespace.
CJK and Arabic terminators split wherever they occur. Line breaks alone do not split.

Pure: no I/O; from digest it imports `digest.language` only.
"""

# ruff: noqa: RUF001, RUF003
# (Curly quotes, fullwidth punctuation, Cyrillic and Greek words are this module's data.)
from __future__ import annotations

import re
from dataclasses import dataclass

from digest.language import OPENERS, known_language

__all__ = ["Tokenizer"]

# Terminators that need whitespace after them, and closers that stay with the sentence.
_WEST = ".!?…‽"
_CLOSERS = "\"'”’»)\\]}›"
# Terminators that end a sentence wherever they are (no spaces in CJK text).
_EAST = "。！？｡؟۔।॥"
_EAST_CLOSERS = "」』”’）)】》〉\"'"
_OPENERS = "\"'“‘«„(\\[{¿¡"
# Han, kana and CJK compatibility ideographs: written without spaces, one token per character.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"


def _boundary_pattern(west: str) -> re.Pattern[str]:
    # A run of Western terminators (and closers) before whitespace, or Eastern ones anywhere.
    # The word the terminator ends is found by scanning back (``_token_before``): a pattern
    # that matched the word too would be tried at every word start, twice as slow.
    return re.compile(rf"(?P<term>[{west}]+)[{_CLOSERS}]*(?=\s|\Z)|[{_EAST}]+[{_EAST_CLOSERS}]*")


_BOUNDARY = _boundary_pattern(_WEST)
_BOUNDARY_GREEK = _boundary_pattern(_WEST + ";\u037e")  # Greek asks questions with ";"
# The first word after a candidate boundary, and whether a "." follows it (an initial).
_NEXT = re.compile(r"\s*[^\w\s]*(\w+)(\.?)")
_DOTTED = re.compile(r"(?:[^\W\d_]{1,2}\.)+[^\W\d_]{1,2}")  # U.S, e.g, z.B, EE.UU, Ph.D
_WORD_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+(?:['’\-][^\W{_CJK}]+)*")
_IS_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['’\-])*")  # sumy's Tokenizer._is_word, plus "’"


@dataclass(frozen=True, slots=True)
class _Rules:
    titles: frozenset[str]  # never end a sentence: "Mr.", "e.g."
    numeric: frozenset[str]  # abbreviations only before a number: "No. 10"
    ambiguous: frozenset[str]  # end a sentence only before a sentence opener: "Inc.", "Jan."
    starters: frozenset[str]  # words that typically open a sentence, lower case
    ordinals: bool  # "3. Oktober": a number with a dot is an ordinal
    boundary: re.Pattern[str]


def _rules(
    titles: str = "",
    numeric: str = "",
    ambiguous: str = "",
    starters: str = "",
    *,
    ordinals: bool = False,
    boundary: re.Pattern[str] = _BOUNDARY,
) -> _Rules:
    return _Rules(
        titles=frozenset((_CORE_TITLES + " " + titles).split()),
        numeric=frozenset((_CORE_NUMERIC + " " + numeric).split()),
        ambiguous=frozenset((_CORE_AMBIGUOUS + " " + ambiguous).split()),
        starters=frozenset(starters.split()),
        ordinals=ordinals,
        boundary=boundary,
    )


_CORE_TITLES = "mr mrs ms dr prof st mt vs cf e.g i.e viz"
_CORE_NUMERIC = "no nos nr art fig figs vol vols p pp ch chap sec tel op"
_CORE_AMBIGUOUS = "etc al inc ltd co corp llc plc ph.d ee.uu ca"
_EN_MONTHS = "jan feb mar apr jun jul aug sep sept oct nov dec"

_GENERIC = _rules(ambiguous=_EN_MONTHS, starters=OPENERS["english"])
_RULES: dict[str, _Rules] = {
    "english": _rules(
        "gen sen rep gov col lt sgt capt cmdr adm maj rev hon pres supt det insp messrs brig "
        "cpl pvt atty approx",
        "",
        _EN_MONTHS + " jr sr bros ave blvd rd dept univ est assn",
        OPENERS["english"],
    ),
    "german": _rules(
        "hr hrn fr frl z.b d.h vgl bzw sog inkl bspw ggü",
        "s abs bd",
        "usw u.a ggf evtl mio mrd tsd jh jan feb apr aug sept okt nov dez",
        OPENERS["german"],
        ordinals=True,
    ),
    "french": _rules(
        "m mm mme mmes mlle mlles pr ste me mgr env p.ex",
        "n",
        "av apr janv févr avr juil sept oct nov déc",
        OPENERS["french"],
    ),
    "spanish": _rules(
        "sr sra srta sres dra ud uds lic ing dña",
        "núm pág",
        "aprox ene feb mar abr may jun jul ago sept oct nov dic",
        OPENERS["spanish"],
    ),
    "italian": _rules(
        "sig sigg sig.ra dott dott.ssa ing avv on geom rag",
        "pag n",
        "ecc gen feb mar apr mag giu lug ago set ott nov dic",
        OPENERS["italian"],
    ),
    "portuguese": _rules(
        "sr sra srs dra profa eng exmo exma",
        "pág n nº",
        "jan fev mar abr mai jun jul ago set out nov dez",
        OPENERS["portuguese"],
    ),
    "dutch": _rules(
        "dhr mevr mw drs ir ing bijv d.w.z o.a m.b.t",
        "blz",
        "enz jl jan feb mrt apr jun jul aug sep okt nov dec",
        OPENERS["dutch"],
    ),
    "czech": _rules(
        "např tzv tj resp mj ing mgr bc mudr rndr phdr judr doc sv pí",
        "č str čís",
        "atd apod aj tis mil mld r",
        OPENERS["czech"],
        ordinals=True,
    ),
    "slovak": _rules(
        "napr tzv t.j resp ing mgr bc mudr rndr phdr judr doc sv",
        "č str",
        "atď atd tis mil mld r",
        OPENERS["slovak"],
        ordinals=True,
    ),
    "russian": _rules(
        "т.е т.к т.н им ул просп пер проф акад",
        "стр рис",
        "т.д т.п др млн млрд тыс руб коп см",
        OPENERS["russian"],
    ),
    "ukrainian": _rules(
        "т.б т.зв ім вул просп пров проф акад",
        "стор рис",
        "т.д т.п ін млн млрд тис грн див",
        OPENERS["ukrainian"],
    ),
    "polish": _rules(
        "np m.in tzn tj mgr inż ks płk ul pl",
        "s str",
        "itd itp wg tys mln mld zł godz ok r",
        OPENERS["polish"],
    ),
    "swedish": _rules(
        "t.ex bl.a dvs s.k resp",
        "s kl",
        "osv m.m kr milj jan feb mar apr jun jul aug sep okt nov dec",
        OPENERS["swedish"],
    ),
    "danish": _rules(
        "bl.a f.eks dvs mht hhv",
        "s",
        "osv mv kr mio mia jan feb mar apr jun jul aug sep okt nov dec",
        OPENERS["danish"],
        ordinals=True,
    ),
    "norwegian": _rules(
        "bl.a f.eks dvs mht hhv",
        "s",
        "osv mv kr mill mrd jan feb mar apr jun jul aug sep okt nov des",
        OPENERS["norwegian"],
        ordinals=True,
    ),
    "finnish": _rules(
        "esim ns mm eli ks",
        "s",
        "jne yms tms milj mrd",
        OPENERS["finnish"],
        ordinals=True,
    ),
    "hungarian": _rules(
        "pl ifj id kb ún",
        "o",
        "stb mrd",
        OPENERS["hungarian"],
        ordinals=True,
    ),
    "romanian": _rules(
        "dl dna d-l d-na ing str",
        "",
        "mil mld",
        OPENERS["romanian"],
    ),
    "greek": _rules(
        "π.χ κ.α κ.λπ κ.τ.λ λ.χ δηλ βλ κ.ο.κ",
        "σελ κεφ αρ",
        "χμ χλμ χιλ τηλ",
        OPENERS["greek"],
        boundary=_BOUNDARY_GREEK,
    ),
}

_TOKEN_STOPS = frozenset(_EAST)


def _token_before(text: str, end: int) -> str:
    """The run of non-space characters (after any Eastern terminator) that ends at ``end``."""
    start = end
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in _TOKEN_STOPS:
        start -= 1
    return text[start:end]


class Tokenizer:
    """Splits text into sentences and words like sumy's tokenizer, without NLTK data.

    ``language`` may be a sumy language name or an ISO code ("de" becomes "german"); a
    language without its own rules keeps its name and uses generic rules.
    """

    __slots__ = ("_language", "_rules")

    def __init__(self, language: str = "english") -> None:
        self._language = known_language(language) or language.strip().lower()
        self._rules = _RULES.get(self._language, _GENERIC)

    @property
    def language(self) -> str:
        """The sumy language name, e.g. "english"."""
        return self._language

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        """Split a paragraph into stripped sentences, each a verbatim slice of the input."""
        sentences: list[str] = []
        start = 0
        for match in self._rules.boundary.finditer(paragraph):
            if match["term"] is not None and not self._ends_sentence(paragraph, match):
                continue
            sentence = paragraph[start : match.end()].strip()
            if sentence:
                sentences.append(sentence)
            start = match.end()
        tail = paragraph[start:].strip()
        if tail:
            sentences.append(tail)
        return tuple(sentences)

    def to_words(self, sentence: str) -> tuple[str, ...]:
        """Return the word-like tokens of a sentence (letters, inner "'" and "-"), in order.

        Numbers, punctuation and tokens mixing digits ("G7", "COVID-19") are dropped, as
        sumy's ``_is_word`` does. Han and kana characters are one token each, since those
        scripts have no spaces between words.
        """
        tokens = _WORD_TOKEN.findall(sentence)
        # isalpha() is the fast, exact test for most tokens; the pattern handles "it's", "a-b".
        return tuple(t for t in tokens if t.isalpha() or _IS_WORD.fullmatch(t))

    def _ends_sentence(self, text: str, match: re.Match[str]) -> bool:
        """Decide whether a terminator followed by whitespace really ends a sentence."""
        following = _NEXT.match(text, match.end())
        if following is None:
            return True  # only punctuation (or nothing) follows
        word, dot = following.group(1, 2)
        if word[0].islower():
            return False  # "etc. and", "U.S. officials", "Help!" he cried
        if match["term"] != ".":
            return True  # "?", "!", an ellipsis
        rules = self._rules
        token = _token_before(text, match.start()).lstrip(_OPENERS)
        lowered = token.lower()
        if lowered in rules.titles:
            return False
        if word[0].isdigit() and lowered in rules.numeric:
            return False
        if (
            lowered in rules.ambiguous
            or (len(token) == 1 and token.isalpha())
            or _DOTTED.fullmatch(token) is not None
            or (rules.ordinals and token.isdigit())
        ):
            # "in the U.S. The" ends a sentence; "J. R. R. Tolkien", "Jan. 10", "Dr. A. Smith"
            # and "U.S. President" do not.
            is_initial = len(word) == 1 and bool(dot)
            return word.lower() in rules.starters and word[0].isupper() and not is_initial
        return True

    def __repr__(self) -> str:
        return f"Tokenizer({self._language!r})"
