"""Page furniture: the rules that tell a banner, a credit or a menu from article prose.

Pure: no I/O, and nothing from digest. Each rule looks at one normalised paragraph (one
line of extracted text) and answers whether it is furniture; `digest.extract.cleanup.clean_text`
applies them. They are deliberately narrow: a rule matches a short paragraph that starts
or ends in a known way, so that a real sentence that merely mentions "copyright",
"subscribers" or "sources" is kept. Each was measured on the extraction dev set; see
``bench/extraction.py --rules``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = [
    "MAX_WORDS",
    "RULES",
    "STANDING",
    "ends_sentence",
    "is_link_title",
    "is_menu_entry",
    "is_related_heading",
    "strip_trailing_credit",
]

# No rule matches a paragraph longer than this: furniture is short.
MAX_WORDS = 80
# A sentence ends in one of these, perhaps followed by closing quotes and brackets.
_STOPS, _CLOSERS = ".!?\u2026\u3002\uff01\uff1f:;", "\"'\u201d\u2019\u00bb)]"
# A menu entry: one to four words of letters only ("World news", "Contact us").
_NAV_ITEM = re.compile(r"^[^\W\d_]+(?:[ &'\u2019-]+[^\W\d_]+){0,3}$")

# Whole paragraphs that are page furniture, never article prose.
_BANNER = re.compile(
    r"^(?:advertisement|advertising|sponsored(?: content)?|open in (?:the )?(?:\w+ )?app|"
    r"share(?: (?:this|the))?(?: (?:article|story|post|page))?(?: (?:on|via) \w+)?|"
    r"(?:subscribe|sign up|sign in|log ?in|register)(?: (?:now|today|here))?|"
    r"(?:read|see|view|show|load) (?:more|all|the full (?:article|story)|comments?)|"
    r"continue reading|back to top|skip to (?:main )?content|print(?: this (?:article|page))?|"
    r"(?:\d+ )?comments?|leave a (?:comment|reply)|"
    r"(?:listen to (?:this )?article|\d+ min(?:ute)?s? (?:read|listen))|"
    r"reading time:? \d+ min(?:ute)?s?)[\s.:!\u2026|\u00bb>-]*$",
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
# "Related: <headline>", "READ MORE: <headline>".
_LABELLED_LINK = re.compile(
    r"^(?:related|read more|see more|more|also read|read also|watch|recommended)\s*:",
    re.IGNORECASE,
)
_TAG_LINE = re.compile(
    r"^(?:tags|tagged(?: with| as| in)?|filed under|posted in|categories|topics|keywords)\s*:",
    re.IGNORECASE,
)
_COPYRIGHT = re.compile(
    r"^(?:©|\(c\)\s*\d{4}|copyright\s*(?:©|\(c\)|\d{4})|this material may not be published\b)",
    re.IGNORECASE,
)
_COPYRIGHT_LABEL = re.compile(r"^copyright\b", re.IGNORECASE)  # "copyright Site 2019 - ISSN"
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
# "If you enjoyed this article, ... join/subscribe/donate": the publisher's appeal.
_APPEAL = re.compile(
    r"^if you (?:enjoyed|liked|value|appreciate|rely on) (?:(?:this|our) (?:article|story|"
    r"post|piece|journalism|reporting|content|work|newsletter)|reading)\b",
    re.IGNORECASE,
)
_NAV_SEPARATOR = re.compile(r"\s+[|\u2022\u00b7\u00bb\u203a>/]\s+")
# Disclaimers: each alternative names what it is about ("this article ...", "the views
# expressed ... are the author's own"), so that a sentence about a ruling, a survey or a
# data release that merely says "informational purposes" or "views" is kept.
_DISCLAIMER = re.compile(
    r"^disclaimer\s*:|"
    r"^(?:this|the|our) (?:article|content|information|material|post|story|page|site|website|"
    r"newsletter|report|column|blog|video|podcast)\b.{0,80}?\b(?:for (?:general )?"
    r"information(?:al)?(?: and \w+)? purposes only|(?:does|do|is|should) not "
    r"(?:constitute|be (?:construed|considered|taken) as)\b)|"
    r"^nothing (?:in|on) this (?:article|site|website|page)\b|"
    r"\b(?:views|opinions)(?: and [\w ]{1,30}?)? expressed\b.{0,120}?\b(?:are (?:solely )?"
    r"(?:the author'?s'? own|(?:those )?of the authors?|their own|his own|her own)|"
    r"do not necessarily (?:reflect|represent))\b|"
    r"^this (?:article|story|post|report|piece) (?:has been|was) (?:corrected|updated|amended)"
    r"(?: (?:to|on|at|with|since|from)\b|[.,:;]|$)",
    re.IGNORECASE,
)
_DISCLAIMER_HINTS = (
    *("disclaimer", "purposes only", "constitute", "construed", "considered", "taken as"),
    *("nothing", "expressed", "corrected", "updated", "amended"),
)
# Agency and newsroom credits, and the agency's pointer to its other coverage.
_AGENCY = re.compile(
    r"^\((?:additional )?(?:reporting|writing|editing) by [^()]*\)\.?$|"
    r"^(?:reporting|writing) by [^;]{1,80}; (?:additional reporting|writing|editing) by |"
    r"^additional reporting by\b|"
    r"^sources?\s*:\s*[^.!?]{0,80}$|"
    r"^follow (?:[\w.]+['\u2019]s? )?(?:full |complete |latest |live )?coverage\b",
    re.IGNORECASE,
)
_CONTRIBUTED = re.compile(r"\bcontributed (?:reporting )?to this (?:report|story|article)\.?$")
_MEDIA = re.compile(
    r"^(?:(?:image|media|video) (?:caption|copyright)\b|"
    r"media playback is (?:not |un)supported on (?:this|your) device|"
    r"scroll down for (?:the )?videos?\b)",
    re.IGNORECASE,
)
_CONTACT = re.compile(
    r"\b(?:follow (?:him|her|them|me|us) on (?:twitter|x|facebook|instagram)|"
    r"(?:can|may) be reached (?:at|by|via)|have a (?:news )?tip\?)",
    re.IGNORECASE,
)
_HANDLE = re.compile(r"@\w")
# "Updated at 1:23 p.m.", "Published 2 hours ago": a time stamp and nothing else.
_STAMP = re.compile(
    r"^(?:(?:last )?updated|published|posted|first published|modified)\b:?\s*(.*)$", re.IGNORECASE
)
_DATE_WORD = re.compile(
    r"^(?:on|at|[\d:/.,-]+|[ap]\.?m\.?,?|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
    r"[a-z]*\.?,?|(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?|[ecmp][sd]?t|bst|cest?|gmt|utc|"
    r"ago|an?|"
    r"(?:hour|minute|min|day|week)s?|yesterday|today)$",
    re.IGNORECASE,
)
# A credit or a pointer appended to the end of a paragraph: dropped, the paragraph kept.

_TRAILING_CREDIT = re.compile(
    r"(?:^|(?<=[.!?\"'\u201d\u2019)])\s+)(?:\((?:[^()]*?[;,] )?(?:additional )?"
    r"(?:reporting|writing|editing) by [^()]*\)|"
    r"[^.!?()]{0,80}\bcontributed (?:reporting )?to this (?:report|story|article)\.|"
    r"scroll down for (?:the )?videos?\.?)\s*$",
    re.IGNORECASE,
)


def ends_sentence(text: str) -> bool:
    """Whether the text ends like a sentence: a full stop, a question or exclamation mark,
    an ellipsis, a colon or a semicolon, perhaps inside closing quotes or brackets."""
    text = text.rstrip(_CLOSERS)
    return bool(text) and text[-1] in _STOPS


def is_link_title(paragraph: str) -> bool:
    """A line of a related-stories list: a short headline, not a sentence."""
    return len(paragraph.split()) <= 20 and not ends_sentence(paragraph.rstrip("|").strip())


def _short(limit: int, pattern: re.Pattern[str], how: str = "search") -> Callable[[str], bool]:
    """A rule: the pattern is found in a paragraph of at most ``limit`` words."""
    find = pattern.match if how == "match" else pattern.search
    # Paragraphs are normalised: words are separated by exactly one space.
    return lambda paragraph: paragraph.count(" ") < limit and find(paragraph) is not None


def _is_copyright(paragraph: str) -> bool:
    """ "© 2026 Reuters", "Copyright 2019 The Associated Press. All rights reserved."."""
    if paragraph.count(" ") >= 30:
        return False
    return bool(_COPYRIGHT.match(paragraph)) or "all rights reserved" in paragraph.lower()


def _is_agency_credit(paragraph: str) -> bool:
    """ "(Reporting by ...; Editing by ...)", "Additional reporting by ...", "SOURCE: ...",
    "AP contributed to this report.", "Follow AP's full coverage of ..."."""
    words = paragraph.count(" ") + 1
    if words > 40 or (words > 16 and paragraph[:10].lower() == "additional"):
        return False
    if _AGENCY.match(paragraph):
        return True
    return "contributed" in paragraph and bool(_CONTRIBUTED.search(paragraph.lower()))


def _is_promotion(paragraph: str) -> bool:
    """ "Sign up for our newsletter ...", "Click here to ...", "If you enjoyed this article"."""
    words = paragraph.count(" ") + 1
    if words <= 30 and _PROMO_START.match(paragraph) and _PROMO_WORD.search(paragraph):
        return True
    return (words <= 30 and _CLICK_HERE.search(paragraph) is not None) or (
        words <= 60 and _APPEAL.match(paragraph) is not None
    )


def _is_copyright_label(paragraph: str) -> bool:
    """ "copyright Inexhibit 2019 - ISSN ...": a label, not "Copyright law was changed."."""
    return (
        paragraph.count(" ") < 12
        and _COPYRIGHT_LABEL.match(paragraph) is not None
        and not ends_sentence(paragraph)
    )


def _is_contact(paragraph: str) -> bool:
    """An author's contact line: "Follow her on Twitter @handle", "may be reached at ..."."""
    return (
        "@" in paragraph
        and paragraph.count(" ") < 60
        and _HANDLE.search(paragraph) is not None
        and _CONTACT.search(paragraph) is not None
    )


def _is_disclaimer(paragraph: str) -> bool:
    """ "This article is for informational purposes only", "The views expressed are the
    author's own", "This story has been corrected"."""
    if paragraph.count(" ") >= MAX_WORDS:
        return False
    lower = paragraph.lower()  # the words to look for first: the pattern is slower
    return any(hint in lower for hint in _DISCLAIMER_HINTS) and bool(_DISCLAIMER.search(paragraph))


def _is_time_stamp(paragraph: str) -> bool:
    match = _STAMP.match(paragraph)
    words = match.group(1).split() if match else []
    return 0 < len(words) <= 8 and all(_DATE_WORD.match(word) for word in words)


def _is_menu(paragraph: str) -> bool:
    """True for a breadcrumb or menu line: three or more short items between separators."""
    if paragraph.startswith("|") or ends_sentence(paragraph):
        return False
    items = _NAV_SEPARATOR.split(paragraph)
    return len(items) >= 3 and all(0 < len(item.split()) <= 3 for item in items)


# Named so that the benchmark can measure each one (see bench/extraction.py --rules).
RULES: dict[str, Callable[[str], bool]] = {
    "banner": lambda paragraph: _BANNER.match(paragraph) is not None,
    "read-more line": _short(25, _LABELLED_LINK, "match"),
    "tag line": _short(40, _TAG_LINE, "match"),
    "copyright": lambda p: _is_copyright(p) or _is_copyright_label(p),
    "promotion": _is_promotion,
    "disclaimer": _is_disclaimer,
    "agency credit": _is_agency_credit,
    "media placeholder": _short(12, _MEDIA, "match"),
    "author contact": _is_contact,
    "time stamp": _is_time_stamp,
    "menu line": _is_menu,
}

# Why each rule keeps its place. "measured": on the extraction dev set the paired bootstrap
# 95% interval of the F1 it adds is above zero (``bench/extraction.py --rules``). Any other
# entry is the product's policy, for a rule whose gain there is within noise (it fires on
# a handful of pages): what a digest never shows, whatever an annotator kept; the rule's
# cases in tests/test_cleanup.py say it both ways. A rule with neither goes.
STANDING: dict[str, str] = {
    "banner": "policy: advertising, sharing and sign-in labels are the page's, not the story's",
    "read-more line": "policy: a link to another story is not this one",
    "tag line": "policy: tags and categories are the site's index",
    "copyright": "policy: a copyright notice is the publisher's small print",
    "promotion": "policy: newsletter, app and membership prompts advertise the publisher",
    "disclaimer": "policy: the publisher's legal notice, which the acceptance page drops",
    "agency credit": "measured",
    "media placeholder": "policy: a video player's or picture's label, without its media",
    "author contact": "policy: a reporter's address and handles, not the story",
    "time stamp": "policy: the digest shows the article's date itself",
    "menu line": "policy: a breadcrumb or menu is navigation",
}


def is_menu_entry(paragraph: str) -> bool:
    """A menu entry: a few capitalised words of letters only ("World news", "Contact")."""
    return (
        len(paragraph) <= 30
        and not paragraph[:1].islower()
        and _NAV_ITEM.match(paragraph) is not None
    )


def is_related_heading(paragraph: str) -> bool:
    """ "Related stories", "You may also like...", "More from Sport": a link list follows."""
    return _RELATED_HEADING.match(paragraph) is not None


def strip_trailing_credit(paragraph: str) -> str:
    """The paragraph without a credit appended to it ("(Reporting by ...)", "X contributed
    to this report.", "Scroll down for video"); ``""`` when that was all it held."""
    tail = paragraph[-300:].lower()
    if "ing by " not in tail and "contributed" not in tail and "scroll down" not in tail:
        return paragraph  # the common case, decided without the slower pattern
    return _TRAILING_CREDIT.sub("", paragraph)
