"""Plain-text cleanup: feed HTML and Markdown to plain text, and page furniture removed.

Pure: no I/O. `clean_text` is the last pass for every text digest keeps (web pages after
extraction, feed content, local notes): it normalises whitespace, joins wrapped lines,
keeps a repeated paragraph once and drops short page furniture, while keeping the article's
own sentences intact. `html_to_text` and `markdown_to_text` turn feed-supplied HTML and
Markdown notes into plain text and then run `clean_text`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import html2text

__all__ = ["clean_text", "html_to_text", "markdown_to_text", "text_key"]

_WORD = re.compile(r"\w+")
_SPACES = re.compile(r"[ \t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u200b\u2060\ufeff\u00ad]")
_LIST_ITEM = re.compile(r"^(?:[-*+\u2022\u00b7\u2013\u2014]\s|\d{1,3}[.)]\s)")
_SENTENCE_END = re.compile(r"[.!?\u2026\u3002\uff01\uff1f:;][\"'\u201d\u2019\u00bb)\]]*$")

# Whole paragraphs that are page furniture, never article prose.
_FURNITURE = re.compile(
    r"^(?:advertisement|advertising|sponsored(?: content)?|open in (?:the )?app|"
    r"share(?: (?:this|the))?(?: (?:article|story|post|page))?(?: (?:on|via) \w+)?|"
    r"(?:subscribe|sign up|sign in|log ?in|register)(?: (?:now|today|here))?|"
    r"(?:read|see|view|show|load) (?:more|all|the full (?:article|story)|comments?)|"
    r"continue reading|back to top|skip to (?:main )?content|print(?: this (?:article|page))?|"
    r"(?:\d+ )?comments?|leave a (?:comment|reply)|"
    r"(?:listen to (?:this )?article|\d+ min(?:ute)?s? (?:read|listen))|"
    r"reading time:? \d+ min(?:ute)?s?)[\s.:!…|»>-]*$",
    re.IGNORECASE,
)
# A heading that opens a list of links to other stories.
_RELATED_HEADING = re.compile(
    r"^(?:related(?: (?:articles?|stories|posts|content|coverage|links|reading))?|"
    r"recommended(?: for you)?|trending(?: now)?|most (?:read|popular|viewed|shared)\b.{0,30}|"
    r"top stories|more (?:stories|news|articles|headlines)|more (?:from|on|in) [^.!?]{1,30}|"
    r"you (?:may|might) also (?:like|enjoy)|(?:also|further) read(?:ing)?|read (?:next|also)|"
    r"up next|what to read next|don'?t miss|see also|more|also)[\s:\u2026]*(?:\.\.\.)?$",
    re.IGNORECASE,
)
# "Related: <headline>", "READ MORE: <headline>" and tag lines.
_LABELLED_LINK = re.compile(
    r"^(?:related|read more|see more|more|also read|read also|watch|recommended|"
    r"tags|filed under|posted in|categories|topics)\s*:",
    re.IGNORECASE,
)
_COPYRIGHT = re.compile(
    r"^(?:©|\(c\)\s*\d{4}|copyright\s*(?:©|\(c\)|\d{4}))|all rights reserved", re.IGNORECASE
)
_PROMO_START = re.compile(
    r"^(?:subscribe|sign[ -]?up|join|get|download|follow|like us|click|tap|register|"
    r"want|don'?t forget)\b",
    re.IGNORECASE,
)
_PROMO_WORD = re.compile(
    r"newsletter|inbox|subscri|podcast|\b(?:our|the) app\b|"
    r"\b(?:on|us on|our) (?:twitter|facebook|instagram|youtube|tiktok|linkedin|whatsapp|telegram)",
    re.IGNORECASE,
)
_CLICK_HERE = re.compile(r"\bclick here (?:to|for)\b", re.IGNORECASE)
_NAV_SEPARATOR = re.compile(r"\s+[|\u2022\u00b7\u00bb\u203a>/]\s+")

_MD_HEADING = re.compile(r"^#{1,6}\s+")
_MD_QUOTE = re.compile(r"^(?:>\s?)+")
_MD_RULE = re.compile(r"^(?:(?:[-*_]\s*){3,}|=+|(?:```|~~~).*)$")  # rules, underlines, fences
_MD_BULLET = re.compile(r"^[*+]\s+")
_MD_TABLE_RULE = re.compile(r"^[\s|:-]*-{3,}[\s|:-]*$")
# Inline code and strike-through marks, which html2text writes even with emphasis off.
_MD_INLINE = re.compile(r"(?<!\\)(`+|~~)(.+?)(?<!\\)\1")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>|~])")
# Markdown written by people (files), not by html2text: images, links and emphasis.
_MD_IMAGE = re.compile(r"!\[[^\]]*\](?:\([^)]*\)|\[[^\]]*\])")
_MD_LINK = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\[[^\]]*\])")
_MD_LINK_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S+.*$", re.MULTILINE)
_MD_EMPHASIS = re.compile(r"(?<![\w*\\])(\*{1,3}|_{1,3})(?=\S)(.+?)(?<=\S)(?<!\\)\1(?![\w*])")


def html_to_text(html: str) -> str:
    """Turn a feed-supplied HTML fragment (RSS or Atom content) into clean plain text.

    Links keep their text but lose their address; emphasis markers, images and other
    Markdown markup are removed; each list item becomes its own paragraph. The result
    goes through `clean_text`, so paragraphs are separated by one blank line.
    """
    converter = html2text.HTML2Text()
    converter.body_width = 0  # never wrap: clean_text joins lines, wrapping only hurts
    converter.ignore_links = True
    converter.ignore_images = True
    converter.ignore_emphasis = True
    converter.unicode_snob = True
    converter.ul_item_mark = "-"
    converter.pad_tables = True  # "| a | b |" rows, rather than "a| b" and a ruler
    return clean_text(_unmark(converter.handle(html)))


def markdown_to_text(markdown: str) -> str:
    """Turn a Markdown document (a ``.md`` file) into clean plain text.

    Links keep their text, images and link definitions are dropped, and emphasis, code,
    heading, quote and list markup is removed; the result goes through `clean_text`.
    """
    text = _MD_LINK_DEFINITION.sub("", _MD_IMAGE.sub("", markdown))
    text = _MD_EMPHASIS.sub(r"\2", _MD_LINK.sub(r"\1", text))
    return clean_text(_unmark(text))


def _unmark(markdown: str) -> str:
    """Remove line-level Markdown markup; table rows become paragraphs of their own."""
    lines: list[str] = []
    for raw in markdown.splitlines():
        line = _MD_QUOTE.sub("", raw.strip())
        if _MD_RULE.match(line) or _MD_TABLE_RULE.match(line):
            lines.append("")
            continue
        is_table_row = line.startswith("|") and line.endswith("|")
        line = line.strip("|").strip() if is_table_row else _MD_BULLET.sub("- ", line)
        lines.append(_MD_ESCAPE.sub(r"\1", _MD_INLINE.sub(r"\2", _MD_HEADING.sub("", line))))
        if is_table_row:
            lines.append("")
    return "\n".join(lines)


def clean_text(text: str) -> str:
    """Normalise plain text into paragraphs and drop obvious page furniture.

    Whitespace is normalised, the wrapped lines of a paragraph are joined (list items
    and table rows stay apart), a paragraph repeated verbatim is kept once, and short
    furniture is dropped: banners ("Advertisement", "Open in App", share and subscribe
    prompts), "Related"/"Read more" headings with the link list under them, tag lines,
    copyright lines and menu-like lines. A paragraph that reads as an ordinary sentence
    is kept. Returns paragraphs separated by one blank line, or ``""``.
    """
    kept: list[str] = []
    seen: set[str] = set()
    in_related_list = False
    for paragraph in _paragraphs(text):
        if in_related_list and _looks_like_link_title(paragraph):
            continue
        in_related_list = False
        if _RELATED_HEADING.match(paragraph):
            in_related_list = True
            continue
        if _is_furniture(paragraph):
            continue
        key = text_key(paragraph)
        if key in seen and _is_prose(paragraph):
            continue
        seen.add(key)
        kept.append(paragraph)
    return "\n\n".join(kept)


def _paragraphs(text: str) -> Iterator[str]:
    """Yield normalised paragraphs: blank lines separate them, wrapped lines are joined."""
    text = _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    for block in re.split(r"\n\s*\n", text):
        lines = [
            line for line in (_SPACES.sub(" ", raw).strip() for raw in block.split("\n")) if line
        ]
        if len(lines) > 1 and _RELATED_HEADING.match(lines[0]):
            # A heading over a list of links: keep the lines apart so the list can be dropped.
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


def _is_furniture(paragraph: str) -> bool:
    words = len(paragraph.split())
    if _FURNITURE.match(paragraph):
        return True
    if words <= 25 and _LABELLED_LINK.match(paragraph):
        return True
    if words <= 30 and _COPYRIGHT.search(paragraph):
        return True
    if words <= 30 and _CLICK_HERE.search(paragraph):
        return True
    if words <= 30 and _PROMO_START.match(paragraph) and _PROMO_WORD.search(paragraph):
        return True
    return _is_menu(paragraph)


def _is_menu(paragraph: str) -> bool:
    """True for a breadcrumb or menu line: three or more short items between separators."""
    if paragraph.startswith("|") or _SENTENCE_END.search(paragraph):
        return False
    items = _NAV_SEPARATOR.split(paragraph)
    return len(items) >= 3 and all(0 < len(item.split()) <= 3 for item in items)


def _looks_like_link_title(paragraph: str) -> bool:
    """A line of a related-stories list: a short headline, not a sentence."""
    return len(paragraph.split()) <= 20 and not _SENTENCE_END.search(paragraph.rstrip("|").strip())


def _is_prose(paragraph: str) -> bool:
    """Long enough, and sentence-like enough, that a verbatim repeat is an accident.

    Labels and list entries ("Meal 1", "Containers: 1 Green, 1 Red, 1 tsp.") legitimately
    repeat in tables and lists, so only paragraphs that read like running text are
    de-duplicated: several words, a sentence ending, and mostly lower-case words (in
    scripts that have case).
    """
    words = paragraph.split()
    if (len(words) < 8 and len(paragraph) < 60) or not _SENTENCE_END.search(paragraph):
        return False
    lower = sum(1 for word in words if word[:1].islower())
    upper = sum(1 for word in words if word[:1].isupper())
    return 2 * lower >= upper


def text_key(text: str) -> str:
    """A comparison key for a text: its words, case-folded, single-spaced."""
    return " ".join(_WORD.findall(text.casefold()))
