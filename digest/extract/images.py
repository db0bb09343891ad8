"""A page's lead image: from its metadata, else the first large picture of its content.

Pure: no I/O; nothing is fetched. `digest.extract.page` parses the page and reads its
metadata; this module picks the image among what they offer.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin

__all__ = ["ARTICLE_TYPE", "json_ld_image", "lead_image_of"]

ARTICLE_TYPE = re.compile(r"Article|Posting|Report|Review|WebPage")
_IMAGE_META = (
    *("og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src"),
    *("ld:image", "image", "thumbnailurl"),
)
_IMAGE_SOURCES = ("src", "data-src", "data-lazy-src", "data-original", "data-url")
# Where the article's own pictures are: the first of these the page has.
_CONTENT = ("//article", "//main", "//*[@itemprop='articleBody']", "//*[@role='main']", "//body")
_NOT_CONTENT = {"nav", "header", "footer", "aside", "form"}
_SMALL_IMAGE = re.compile(
    r"logo|icon|avatar|sprite|pixel|spacer|blank|badge|emoji|gravatar|1x1|button|banner|"
    r"header|holder|loading|transparent|grey_bg|/cta/|/ads?/|adserver|doubleclick|"
    r"\.(?:svg|gif)(?:$|\?)",
    re.IGNORECASE,
)
_MIN_WIDTH, _MIN_HEIGHT = 300, 150


def json_ld_image(value: object) -> str | None:
    """The first address in a JSON-LD ``image``: a string, an ImageObject or a list."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url") or value.get("contentUrl")
    return value.strip() if isinstance(value, str) and value.strip() else None


def lead_image_of(tree: Any, head: dict[str, str], url: str | None) -> str | None:
    """The lead image of a parsed page whose metadata is ``head``, as in `lead_image`."""
    candidates = [head.get(key, "") for key in _IMAGE_META]
    candidates += [
        link.get("href") or ""
        for link in tree.iter("link")
        if "image_src" in (link.get("rel") or "").lower().split()
    ]
    for candidate in candidates:
        image = _absolute(candidate, url)
        if image:
            return image
    container = next((found[0] for path in _CONTENT if (found := tree.xpath(path))), None)
    for img in container.iter("img") if container is not None else ():
        if not _is_large(img) or any(a.tag in _NOT_CONTENT for a in img.iterancestors()):
            continue
        sources = (_absolute(img.get(attribute) or "", url) for attribute in _IMAGE_SOURCES)
        image = next((source for source in sources if source), None)
        if image and not _SMALL_IMAGE.search(image):
            return image
    return None


def _is_large(img: Any) -> bool:
    """Not an icon, a logo or a tracking pixel, judging by its size and names."""
    for attribute, least in (("width", _MIN_WIDTH), ("height", _MIN_HEIGHT)):
        match = re.match(r"\s*(\d+)\s*(?:px)?\s*$", img.get(attribute) or "")
        if match and int(match.group(1)) < least:
            return False
    names = " ".join(img.get(a) or "" for a in ("class", "id", "alt"))
    return not _SMALL_IMAGE.search(names)


def _absolute(address: str, url: str | None) -> str | None:
    address = address.strip()
    if address.startswith("//") and not url:
        address = "https:" + address  # scheme-relative, nothing to resolve against
    absolute = urljoin(url or "", address) if address else ""
    return absolute if absolute.startswith(("http://", "https://")) else None
