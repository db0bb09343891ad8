"""Content fingerprints: recognise the same story in two places, even slightly edited.

Pure: no I/O. `simhash` turns a text into a 64-bit SimHash over word 3-shingles; two texts
that share most of their shingles get fingerprints a few bits apart. `NearDuplicateIndex`
holds the fingerprints of stored articles and answers "which one is this a copy of?" with
one vectorised comparison against all of them. A SimHash match is only a candidate: two
distinct articles on one subject, written from one vocabulary, may land a few bits apart
(the more articles the index holds, the more often), so `same_story` confirms a candidate
with an exact measure before two articles are taken for one.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
import numpy.typing as npt

# Differing bits (of 64) at most for two texts to count as one story. Measured on news
# articles: unrelated texts differ in 19 bits or more, a copy with a line added or a word
# changed in 0 to 8, a copy missing its last paragraph in up to 18.
MAX_DISTANCE = 8
MIN_WORDS = 40  # shorter texts are too small to fingerprint reliably
MIN_SHARED = 0.5
"""Share of word 3-shingles (Jaccard) two texts must have in common to be one story. A copy
with a line added or a word changed shares 80 % or more; distinct look-alikes that SimHash
puts within `MAX_DISTANCE` share 20-32 %."""
CANDIDATES = 5  # nearest fingerprints confirmed, at most

_WORD = re.compile(r"\w+")


def fingerprints(text: str) -> tuple[str, int | None]:
    """Both fingerprints of a text, from one pass over its words.

    The first is exact: a SHA-256 of the words, blind to case, spacing and punctuation.
    The second is the `simhash` (None for a text too short to tell).
    """
    words = _WORD.findall(text.casefold())
    exact = hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()
    return exact, _simhash(words)


def simhash(text: str) -> int | None:
    """A 64-bit SimHash of the text's word shingles, or None for a text too short to tell."""
    return _simhash(_WORD.findall(text.casefold()))


def _simhash(words: list[str]) -> int | None:
    if len(words) < MIN_WORDS:
        return None
    known = _WORD_HASHES.get
    ids = np.array([known(word) or _word_hash(word) for word in words], dtype=np.uint64)
    with np.errstate(over="ignore"):  # multiplication modulo 2**64 is the point
        mixed = ids[:-2] * _K1 + ids[1:-1] * _K2 + ids[2:] * _K3
        shingles = _finalise(np.unique(mixed))
    bits = np.unpackbits(shingles.view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    votes = bits.sum(axis=0, dtype=np.int64) * 2 - len(shingles)
    # Byte b of a little-endian uint64 holds bits 8b..8b+7, so column j is bit j.
    return int(sum(1 << int(i) for i in np.nonzero(votes > 0)[0]))


_K1, _K2, _K3 = (
    np.uint64(0x9E3779B97F4A7C15),
    np.uint64(0xC2B2AE3D27D4EB4F),
    np.uint64(0x165667B19E3779F9),
)


_WORD_HASHES: dict[str, int] = {}
_WORD_HASHES_MAX = 500_000  # distinct words remembered, about 60 MB at most


def _word_hash(word: str) -> int:
    """A stable 64-bit hash of a word (Python's own hash() changes between processes)."""
    value = int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "big")
    if len(_WORD_HASHES) < _WORD_HASHES_MAX:
        _WORD_HASHES[word] = value
    return value


def _finalise(values: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """SplitMix64's finaliser: spreads every input bit over every output bit."""
    with np.errstate(over="ignore"):
        values = (values ^ (values >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        values = (values ^ (values >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        mixed: npt.NDArray[np.uint64] = values ^ (values >> np.uint64(31))
        return mixed


def shingles(text: str) -> set[tuple[str, str, str]]:
    """The text's word 3-shingles, blind to case, spacing and punctuation."""
    words = _WORD.findall(text.casefold())
    return set(zip(words, words[1:], words[2:], strict=False))


def same_story(title: str, text: str, other_title: str, other_text: str) -> bool:
    """Whether two texts whose fingerprints are close are one story: the same title words,
    or at least `MIN_SHARED` of their word 3-shingles in common."""
    words = _WORD.findall(title.casefold())
    if words and words == _WORD.findall(other_title.casefold()):
        return True
    mine, theirs = shingles(text), shingles(other_text)
    if not mine or not theirs:
        return False
    return len(mine & theirs) / len(mine | theirs) >= MIN_SHARED


class NearDuplicateIndex:
    """Fingerprints of known articles, searched all at once."""

    def __init__(self, entries: list[tuple[int, int]] | None = None) -> None:
        entries = entries or []
        # Grown by doubling; _ids says how full. Built in one step: a collection pass starts
        # with the whole de-duplication window's fingerprints (over 100,000 of them).
        self._ids: list[int] = [article_id for article_id, _ in entries]
        self._hashes = np.zeros(max(64, 1 << len(entries).bit_length()), dtype=np.uint64)
        if entries:
            self._hashes[: len(entries)] = np.array(
                [fingerprint for _, fingerprint in entries], dtype=np.uint64
            )

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, article_id: int, fingerprint: int) -> None:
        if len(self._ids) == len(self._hashes):
            self._hashes = np.concatenate([self._hashes, np.zeros_like(self._hashes)])
        self._hashes[len(self._ids)] = np.uint64(fingerprint)
        self._ids.append(article_id)

    def find(self, fingerprint: int, max_distance: int = MAX_DISTANCE) -> int | None:
        """The id of the closest known article within `max_distance` bits, if any."""
        found = self.candidates(fingerprint, max_distance, limit=1)
        return found[0] if found else None

    def candidates(
        self, fingerprint: int, max_distance: int = MAX_DISTANCE, *, limit: int = CANDIDATES
    ) -> list[int]:
        """Ids of the known articles within `max_distance` bits, closest first, at most
        `limit` of them."""
        if not self._ids:
            return []
        differing = np.bitwise_xor(self._hashes[: len(self._ids)], np.uint64(fingerprint))
        distances = _popcount(differing)
        close = np.nonzero(distances <= max_distance)[0]
        order = close[np.argsort(distances[close], kind="stable")][:limit]
        return [self._ids[int(i)] for i in order]


def _popcount(values: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
    """Set bits in each value (numpy 2's bitwise_count where there is one)."""
    if hasattr(np, "bitwise_count"):
        counted: npt.NDArray[np.int64] = np.bitwise_count(values).astype(np.int64)
        return counted
    bits = np.unpackbits(values.view(np.uint8).reshape(-1, 8), axis=1)
    summed: npt.NDArray[np.int64] = bits.sum(axis=1, dtype=np.int64)
    return summed
