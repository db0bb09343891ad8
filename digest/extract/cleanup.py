"""Plain-text cleanup: feed HTML and Markdown to plain text, and page furniture removed.

Pure: no I/O. `clean_text` is the last pass for every text digest keeps (web pages after
extraction, feed content, ``.txt`` notes): it normalises whitespace, joins wrapped lines,
drops page furniture and keeps a repeated paragraph once (`digest.extract.repeats`), while
keeping the article's own sentences intact. `html_to_text` sanitises feed-supplied HTML
with nh3 and converts it with html2text; `markdown_to_text` does the same for Markdown
notes. Both end with `clean_text`.

The furniture rules themselves live in `digest.extract.furniture`. Every rule and pass was measured
on the extraction dev set (``bench/extraction.py --rules``) and against the reference texts
there: a rule that removed article text was narrowed or dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import html2text
import nh3

from digest.extract import furniture, repeats

__all__ = [
    "PASSES",
    "PASS_STANDING",
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
    short entries that opens or closes the text), and a repeat of the lead, or a teaser or
    pull quote of a longer paragraph (`digest.extract.repeats`; lines that recur by design
    stay). Paragraphs
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
    "repeat": repeats.drop_repeats,
}

# Why each pass keeps its place, as `digest.extract.furniture.STANDING` says for the rules.
PASS_STANDING: dict[str, str] = {
    "trailing credit": "policy: a newsroom credit, as the measured agency-credit rule drops",
    "related list": "measured",
    "furniture": "the rules of digest.extract.furniture, each with its own standing",
    "edge menu": "policy: a run of menu entries opening or closing the text is navigation",
    "repeat": "policy: a digest shows the lead once; a teaser or pull quote is a copy",
}
