"""Repeated paragraphs: a page's lead, teaser or pull quote kept once.

Only accidents of layout go: a copy of the lead (a summary box above the body, the lead
again under a photo), a copy right after its original, and a teaser or pull quote of a
longer paragraph. A paragraph that recurs by design (the question asked of each of the
people interviewed, a refrain) stays every time, as does a copy of a later paragraph of
the body, which the page printed twice for its own reasons.

Pure: no I/O. `drop_repeats` is the last pass of `digest.extract.cleanup.clean_text`.
Paragraphs are compared as sets of word triples (shingles), each only with the earlier
paragraphs that share a triple with it, so that a page of megabytes is cleaned in time in
proportion to its length; on an article (tens or hundreds of paragraphs) the decisions are
those of comparing every pair, as the tests check.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import pairwise

from digest.extract import furniture

__all__ = ["drop_repeats", "is_prose", "recurring_by_design"]

# Punctuation goes before splitting into words: as good as a word regex, and faster.
_SHINGLE_PUNCTUATION = re.compile(r"[^\w\s]+")
_REPEAT_JACCARD = 0.8  # near-verbatim copies of about the same length
_REPEAT_CONTAINMENT = 0.9  # a teaser or pull quote inside a longer paragraph
# A word triple found in more kept paragraphs than this ("one of the", a boilerplate
# sentence on every card of a listing) stops taking new ones: looking up its paragraphs
# would make the pass quadratic. An article's paragraphs share no triple this often, and a
# near copy shares many triples with its original, most of them rare, so it is still found.
_PARAGRAPHS_PER_SHINGLE = 32
# The lead: the first prose paragraphs, which summary boxes and teasers repeat.
LEAD_PARAGRAPHS = 3
_BY_DESIGN_COPIES = 3  # this many copies, each with other paragraphs between: a refrain


def drop_repeats(paragraphs: list[str]) -> list[str]:
    """Keep the lead, a teaser or a pull quote once when the page repeats it.

    Paragraphs are compared as sets of word triples. A paragraph that is a near copy
    (Jaccard >= 0.8) of a kept paragraph of the lead (the first `LEAD_PARAGRAPHS` prose
    paragraphs) or of the prose paragraph just before it goes; so does one 90% contained
    in a longer, earlier one (a pull quote). An earlier kept paragraph 90% contained in a
    longer, later one was its teaser (a lead in a summary box) and goes instead, so the
    full text stays once. A teaser may be cut off mid-sentence; otherwise only prose
    counts: labels and list entries may repeat, and so may a paragraph that recurs by
    design (`recurring_by_design`).

    Each paragraph is compared only with the earlier ones that share a triple with it,
    found through an index from triples to paragraphs (at most `_PARAGRAPHS_PER_SHINGLE`
    for each triple), so a page of many paragraphs takes time in proportion to its length.
    """
    kept: list[str | None] = []
    index = _ShingleIndex(kept)
    prose: set[int] = set()
    lead: set[int] = set()
    last = -1  # the last kept prose paragraph
    by_design = recurring_by_design(paragraphs)
    for paragraph in paragraphs:
        here = len(kept)
        kept.append(paragraph)
        if here in by_design or not is_prose(paragraph, teaser=True):
            continue
        new = _shingles(paragraph)
        if not furniture.ends_sentence(paragraph):
            # A cut-off teaser: it may go for a later paragraph, never the reverse.
            index.add(here, new)
            continue
        common = index.overlaps(new)
        sizes = index.sizes
        copies = {i for i, n in common.items() if n >= _REPEAT_JACCARD * (len(new) + sizes[i] - n)}
        if any(
            (i in lead or i == last) if i in copies else n >= _REPEAT_CONTAINMENT * len(new)
            for i, n in common.items()
            if i in prose
        ):
            kept[here] = None
            continue
        for i, n in common.items():
            if i not in copies and n >= _REPEAT_CONTAINMENT * sizes[i]:
                kept[i] = None
        index.add(here, new)
        prose.add(here)
        last = here
        if len(lead) < LEAD_PARAGRAPHS:
            lead.add(here)
    return [paragraph for paragraph in kept if paragraph is not None]


def recurring_by_design(paragraphs: list[str]) -> set[int]:
    """The positions of paragraphs whose text recurs `_BY_DESIGN_COPIES` times or more with
    other paragraphs between each two copies: the question asked of each interviewee.

    A run of copies one after another is no design but a page's accident.
    """
    positions: dict[str, list[int]] = {}
    for at, paragraph in enumerate(paragraphs):
        positions.setdefault(paragraph, []).append(at)
    return {
        at
        for found in positions.values()
        if len(found) >= _BY_DESIGN_COPIES and all(b - a > 1 for a, b in pairwise(found))
        for at in found
    }


def _shingles(paragraph: str) -> frozenset[int]:
    """A paragraph's word triples (its words, when it has fewer than three), hashed.

    Hashes take a fraction of the triples' memory; two triples share one about once in 2**64.
    """
    words = _SHINGLE_PUNCTUATION.sub(" ", paragraph.casefold()).split()
    if len(words) < 3:
        return frozenset([hash(tuple(words))])
    return frozenset(map(hash, zip(words, words[1:], words[2:], strict=False)))


class _ShingleIndex:
    """For the paragraphs seen so far and still kept (``kept[i]`` not None): their number of
    shingles, and which of them hold each shingle.

    Most shingles belong to one paragraph, so a shingle maps to that paragraph's number
    and only a shared one to a list: a 10 MB page has millions of shingles.
    """

    def __init__(self, kept: list[str | None]) -> None:
        self.kept = kept
        self.sizes: dict[int, int] = {}
        self._holders: dict[int, int | list[int]] = {}
        self._full: set[int] = set()  # shingles whose list stopped taking paragraphs

    def add(self, here: int, shingles: frozenset[int]) -> None:
        self.sizes[here] = len(shingles)
        all_holders = self._holders
        for shingle in shingles:
            holders = all_holders.setdefault(shingle, here)
            if holders == here:
                continue
            if isinstance(holders, int):
                all_holders[shingle] = [holders, here]
                continue
            if len(holders) >= _PARAGRAPHS_PER_SHINGLE:
                holders[:] = [i for i in holders if self.kept[i] is not None]
                if len(holders) >= _PARAGRAPHS_PER_SHINGLE:
                    self._full.add(shingle)
                    continue
            holders.append(here)

    def overlaps(self, shingles: frozenset[int]) -> dict[int, int]:
        """How many shingles each kept paragraph shares with ``shingles``, for those that
        could be a copy, a teaser or the original of it (the others share too few)."""
        counts: Counter[int] = Counter()
        single: list[int] = []
        for shingle in shingles:
            holders = self._holders.get(shingle)
            if isinstance(holders, int):
                single.append(holders)
            elif holders is not None:
                counts.update(holders)
        counts.update(single)
        # A count is short by the shingles whose lists stopped growing, at most.
        unlisted = len(shingles & self._full) if self._full else 0
        # Every threshold asks for at least this share of the smaller set.
        least = min(_REPEAT_JACCARD, _REPEAT_CONTAINMENT)
        size, sizes, kept = len(shingles), self.sizes, self.kept
        found = {
            i: n
            for i, n in counts.items()
            if n + unlisted >= least * min(size, sizes[i]) and kept[i] is not None
        }
        if unlisted:  # rare: count those again, exactly
            found = {i: len(shingles & _shingles(kept[i] or "")) for i in found}
        return found


def is_prose(paragraph: str, *, teaser: bool = False) -> bool:
    """Long enough, and sentence-like enough, that a repeat is an accident.

    Labels and list entries ("Meal 1", "Containers: 1 Green, 1 Red, 1 tsp.") legitimately
    repeat in tables and lists, so only paragraphs that read like running text count:
    several words, a sentence ending (not asked of a ``teaser``, which may be cut off), and
    mostly lower-case words (in scripts with case).
    """
    if len(paragraph) < 60 and paragraph.count(" ") < 7:
        return False
    if not teaser and not furniture.ends_sentence(paragraph):
        return False
    initials = "".join([word[0] for word in paragraph.split()])
    return 2 * sum(map(str.islower, initials)) >= sum(map(str.isupper, initials))
