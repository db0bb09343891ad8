"""Plain-text cleanup: feed HTML and Markdown to plain text, and page furniture removed.

Pure: no I/O. `clean_text` is the last pass for every text digest keeps (web pages after
extraction, feed content, ``.txt`` notes): it normalises whitespace, joins wrapped lines,
drops page furniture and keeps a repeated paragraph once, while keeping the article's own
sentences intact. `html_to_text` sanitises feed-supplied HTML with nh3 and converts it with
html2text; `markdown_to_text` does the same for Markdown notes. Both end with `clean_text`.

The furniture rules themselves live in `digest.extract.furniture`. Every rule and pass was measured
on the extraction dev set (``bench/extraction.py --rules``) and against the reference texts
there: a rule that removed article text was narrowed or dropped.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator

import html2text
import nh3

from digest.extract import furniture

__all__ = [
    "clean_text",
    "html_to_text",
    "markdown_to_text",
    "replace_surrogates",
    "sanitize_html",
    "text_key",
]

_WORD = re.compile(r"\w+")
_SPACES = re.compile(r"[ \t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u200b\u2060\ufeff\u00ad]")
# A lone surrogate, which a JSON feed may carry, cannot be encoded: not by nh3, not for the
# store. It becomes the replacement character.
_SURROGATE = re.compile("[\ud800-\udfff]")
_LIST_ITEM = re.compile(r"^(?:[-*+\u2022\u00b7\u2013\u2014]\s|\d{1,3}[.)]\s)")


def html_to_text(html: str) -> str:
    """Turn a feed-supplied HTML fragment (RSS or Atom content) into clean plain text.

    The HTML is sanitised first (`sanitize_html`), so scripts, styles, frames and form
    controls never reach the text. Links keep their text but lose their address; emphasis
    markers, images and other Markdown markup are removed; each list item becomes its own
    paragraph. The result goes through `clean_text`.
    """
    converter = html2text.HTML2Text()
    converter.body_width = 0  # never wrap: clean_text joins lines, wrapping only hurts
    converter.ignore_links = True
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.unicode_snob = True
    converter.ul_item_mark = "-"
    converter.pad_tables = True  # "| a | b |" rows, rather than "a| b" and a ruler
    return clean_text(_unmark(converter.handle(sanitize_html(html))))


# Structure html2text needs for paragraphs, lists and tables; every other tag (links,
# emphasis, spans) is unwrapped, its text kept, which also spares html2text most of its work;
# the tags below are removed together with everything inside them.
_TEXT_TAGS = {
    *("p", "br", "div", "blockquote", "pre", "hr"),
    *("h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd"),
    *("table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption"),
}
_REMOVED_TAGS = {
    *("script", "style", "noscript", "template", "head", "title"),
    *("iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math", "canvas"),
    *("audio", "video", "form", "button", "select", "textarea"),
}


def sanitize_html(html: str) -> str:
    """Feed HTML made safe to parse or render: text structure only, no attributes.

    Scripts, styles, frames, embedded objects and form controls are removed with their
    content; other unknown tags are unwrapped; comments and every attribute are dropped.
    """
    return nh3.clean(
        replace_surrogates(html),
        tags=_TEXT_TAGS,
        clean_content_tags=_REMOVED_TAGS,
        attributes={},
        link_rel=None,
        strip_comments=True,
    )


def markdown_to_text(markdown: str) -> str:
    """Turn a Markdown document (a ``.md`` file) into clean plain text.

    Links keep their text, images and link definitions are dropped, and emphasis, code,
    heading, quote and list markup is removed; the result goes through `clean_text`.
    """
    text = _MD_LINK_DEFINITION.sub("", _MD_IMAGE.sub("", markdown))
    text = _MD_LINK.sub(r"\1", text)
    for _ in range(2):  # the second pass for emphasis inside emphasis: **a *b* c**
        text = _MD_EMPHASIS.sub(r"\2\4", text)
    return clean_text(_unmark(text))


_MD_HEADING = re.compile(r"^#{1,6}\s+")
_MD_QUOTE = re.compile(r"^(?:>\s?)+")
_MD_RULE = re.compile(r"^(?:(?:[-*_]\s*){3,}|=+|(?:```|~~~).*)$")  # rules, underlines, fences
_MD_BULLET = re.compile(r"^[*+]\s+")
_MD_TABLE_CHARS = re.compile(r"[\s|:-]*")  # a table rule: these only, with "---" among them
# Inline code and strike-through marks, which html2text writes even with emphasis off.
_MD_INLINE = re.compile(r"(?<!\\)(`+|~~)(.+?)(?<!\\)\1")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>|~])")
# Markdown written by people (files), not by html2text: images, links and emphasis. No
# part may scan past the bracket, parenthesis or marker that could start another match:
# a line of "[x [x [x" or "*a *a *a" would otherwise cost time in its length squared.
_MD_TARGET = r"(?:\((?:[^()\n]|\([^()\n]*\))*\)|\[[^\[\]\n]*\])"  # (url "title") or [ref]
_MD_IMAGE = re.compile(r"!\[[^\[\]]*\]" + _MD_TARGET)
_MD_LINK = re.compile(r"\[([^\[\]]+)\]" + _MD_TARGET)
_MD_LINK_DEFINITION = re.compile(r"^ {0,3}\[[^\[\]\n]+\]:\s*\S+.*$", re.MULTILINE)
_MD_EMPHASIS = re.compile(
    r"(?<![\w*\\])(?:(\*{1,3})(?=\S)([^*\n]+?)(?<=\S)(?<!\\)\1"
    r"|(_{1,3})(?=\S)([^_\n]+?)(?<=\S)(?<!\\)\3)(?![\w*])"
)


_MD_MARKS = re.compile(r"[#>|`~\\*_=+-]")  # a line without these needs no unmarking


def _unmark(markdown: str) -> str:
    """Remove line-level Markdown markup; table rows become paragraphs of their own."""
    lines: list[str] = []
    for raw in markdown.splitlines():
        if not _MD_MARKS.search(raw):
            lines.append(raw.strip())
            continue
        line = _MD_QUOTE.sub("", raw.strip())
        if _MD_RULE.match(line) or ("---" in line and _MD_TABLE_CHARS.fullmatch(line)):
            lines.append("")
            continue
        is_table_row = line.startswith("|") and line.endswith("|")
        line = line.strip("|").strip() if is_table_row else _MD_BULLET.sub("- ", line)
        lines.append(_MD_ESCAPE.sub(r"\1", _MD_INLINE.sub(r"\2", _MD_HEADING.sub("", line))))
        if is_table_row:
            lines.append("")
    return "\n".join(lines)


def clean_text(text: str) -> str:
    """Normalise plain text into paragraphs and drop page furniture.

    Whitespace is normalised and the wrapped lines of a paragraph are joined (list items,
    table rows and menu entries stay apart). Dropped: banners ("Advertisement", "Open in
    App", share and subscribe prompts), "Related"/"Read more" headings with the link list
    under them and "Read more: <headline>" lines, tag lines, copyright lines, disclaimers,
    agency credits ("(Reporting by ...)", "AP contributed to this report", also at the end
    of a paragraph), media placeholders ("Image caption", "Scroll down for video"), author
    contact lines, time stamps, menus (a separator-joined line, or a run of three or more
    short entries that opens or closes the text), and a paragraph repeated verbatim or
    nearly so (the later copy, or the shorter teaser of a longer paragraph). Paragraphs
    that read as the article's own sentences are kept; `digest.extract.furniture` has the rules.
    Idempotent. Returns paragraphs separated by one blank line, or "".
    """
    paragraphs = list(_paragraphs(replace_surrogates(text)))
    for step in PASSES.values():
        paragraphs = step(paragraphs)
    return "\n\n".join(paragraphs)


def _paragraphs(text: str) -> Iterator[str]:
    """Yield normalised paragraphs: blank lines separate them, wrapped lines are joined."""
    text = _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    for block in re.split(r"\n\s*\n", text):
        lines = [
            line for line in (_SPACES.sub(" ", raw).strip() for raw in block.split("\n")) if line
        ]
        if len(lines) > 1 and (
            furniture.is_related_heading(lines[0])
            or (len(lines) >= 3 and all(map(furniture.is_menu_entry, lines)))
        ):
            # A heading over a list of links, or a menu: keep the lines apart.
            yield from lines
            continue
        current: list[str] = []
        for line in lines:
            starts_item = _LIST_ITEM.match(line) or _is_table_row(line)
            if current and (starts_item or _is_table_row(current[-1])):
                yield " ".join(current)
                current = []
            current.append(line)
        if current:
            yield " ".join(current)


def _is_table_row(line: str) -> bool:
    return line.startswith("|") or line.count(" | ") >= 2


def _drop_related_lists(paragraphs: list[str]) -> list[str]:
    """Drop a "Related stories" heading and the headlines listed under it."""
    kept: list[str] = []
    in_list = False
    for paragraph in paragraphs:
        if in_list and furniture.is_link_title(paragraph):
            continue
        in_list = furniture.is_related_heading(paragraph)
        if not in_list:
            kept.append(paragraph)
    return kept


def _drop_furniture(paragraphs: list[str]) -> list[str]:
    rules = tuple(furniture.RULES.values())
    return [
        p
        for p in paragraphs
        if p.count(" ") >= furniture.MAX_WORDS or not any(rule(p) for rule in rules)
    ]


def _strip_trailing_credits(paragraphs: list[str]) -> list[str]:
    stripped = map(furniture.strip_trailing_credit, paragraphs)
    return [paragraph for paragraph in stripped if paragraph]


def _drop_edge_menus(paragraphs: list[str]) -> list[str]:
    """Drop a run of three or more menu entries that opens or closes the text.

    Inside an article such runs are real lists (ingredients, product names), so only a
    run at the very start or the very end goes, and only when prose remains.
    """
    start, stop = 0, len(paragraphs)
    while start < stop and furniture.is_menu_entry(paragraphs[start]):
        start += 1
    while stop > start and furniture.is_menu_entry(paragraphs[stop - 1]):
        stop -= 1
    if start == stop:
        return paragraphs
    return paragraphs[start if start >= 3 else 0 : stop if len(paragraphs) - stop >= 3 else None]


# Punctuation goes before splitting into words: as good as a word regex, and faster.
_SHINGLE_PUNCTUATION = re.compile(r"[^\w\s]+")
_REPEAT_JACCARD = 0.8  # near-verbatim copies of about the same length
_REPEAT_CONTAINMENT = 0.9  # a teaser or pull quote inside a longer paragraph
# A word triple found in more kept paragraphs than this ("one of the", a boilerplate
# sentence on every card of a listing) stops taking new ones: looking up its paragraphs
# would make the pass quadratic. An article's paragraphs share no triple this often, and a
# near copy shares many triples with its original, most of them rare, so it is still found.
_PARAGRAPHS_PER_SHINGLE = 32


def _drop_repeats(paragraphs: list[str]) -> list[str]:
    """Keep a prose paragraph once when it is repeated verbatim or nearly so.

    Paragraphs are compared as sets of word triples. A paragraph that is a near copy of an
    earlier kept one (Jaccard >= 0.8) or 90% contained in it goes; an earlier kept
    paragraph 90% contained in a longer, later one was its teaser (a lead in a summary
    box, a pull quote) and goes instead, so the full text stays once. A teaser may be cut
    off mid-sentence; otherwise only prose counts: labels and list entries may repeat.

    Each paragraph is compared only with the earlier ones that share a triple with it,
    found through an index from triples to paragraphs (at most `_PARAGRAPHS_PER_SHINGLE`
    for each triple), so a page of many paragraphs takes time in proportion to its length.
    """
    kept: list[str | None] = []
    index = _ShingleIndex(kept)
    prose: set[int] = set()
    for paragraph in paragraphs:
        here = len(kept)
        kept.append(paragraph)
        if not _is_prose(paragraph, teaser=True):
            continue
        new = _shingles(paragraph)
        if not furniture.ends_sentence(paragraph):
            # A cut-off teaser: it may go for a later paragraph, never the reverse.
            index.add(here, new)
            continue
        common = index.overlaps(new)
        if any(
            n >= _REPEAT_CONTAINMENT * len(new)
            or n >= _REPEAT_JACCARD * (len(new) + index.sizes[i] - n)
            for i, n in common.items()
            if i in prose
        ):
            kept[here] = None
            continue
        for i, n in common.items():
            if n >= _REPEAT_CONTAINMENT * index.sizes[i]:
                kept[i] = None
        index.add(here, new)
        prose.add(here)
    return [paragraph for paragraph in kept if paragraph is not None]


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


def _is_prose(paragraph: str, *, teaser: bool = False) -> bool:
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


def replace_surrogates(text: str) -> str:
    """The text with each lone surrogate, which no encoder accepts, as U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def text_key(text: str) -> str:
    """A comparison key for a text: its words, case-folded, single-spaced."""
    return " ".join(_WORD.findall(text.casefold()))


# The passes of `clean_text`, in order; named so that the benchmark can measure each one.
PASSES: dict[str, Callable[[list[str]], list[str]]] = {
    "trailing credit": _strip_trailing_credits,
    "related list": _drop_related_lists,
    "furniture": _drop_furniture,
    "edge menu": _drop_edge_menus,
    "repeat": _drop_repeats,
}
