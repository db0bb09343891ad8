"""Extraction: a page's HTML or a feed item in, an `Article` with clean main text out.

Pure: no I/O. `page` finds a web page's main text and metadata (trafilatura, then
`cleanup`); `cleanup` turns HTML, Markdown or plain text into paragraphs without page
furniture (menus, banners, tags, disclaimers, related-story lists), whose patterns live in
`furniture`, and with a repeated lead kept once (`repeats`); `items` turns a collected item
into an article; `limits` bounds what is read of a huge page and caps an article's title,
author and text.
"""

from digest.extract.cleanup import clean_text, html_to_text, markdown_to_text
from digest.extract.items import article_from_item
from digest.extract.page import extract_article, lead_image

__all__ = [
    "article_from_item",
    "clean_text",
    "extract_article",
    "html_to_text",
    "lead_image",
    "markdown_to_text",
]
