"""Tests for digest.extract (article text, metadata and lead image from HTML) and for
digest.language, which extract uses when a page declares no language.

The pages under tests/data/pages/ were written for these tests. The extraction dev set in
shared/data is used when it sits beside the repository, and skipped otherwise.
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from digest.errors import ExtractError
from digest.extract.items import article_from_item
from digest.extract.limits import (
    MAX_AUTHOR_CHARS,
    MAX_METADATA_CHARS,
    MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
    cut,
)
from digest.extract.page import extract_article, lead_image
from digest.models import Article, FeedItem

PAGES = Path(__file__).parent / "data" / "pages"
DEV_SET = Path(__file__).resolve().parents[2] / "shared" / "data" / "extraction-dev"
ARTICLE_URL = "https://courier.example.org/news/2024/03/library-repair-cafe?utm_source=feed"


def page(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def article() -> Article:
    return extract_article(page("article.html"), ARTICLE_URL)


def test_extract_article_reads_title_author_and_date(article: Article) -> None:
    assert article.title == "Town library opens a repair café"
    assert article.author == "Jane Holloway"
    assert article.published == datetime(2024, 3, 14, 9, 30, tzinfo=timezone(timedelta(hours=1)))


def test_extract_article_keeps_every_paragraph_in_order(article: Article) -> None:
    paragraphs = article.text.split("\n\n")
    assert paragraphs[0].startswith("The public library on Mill Street will host a repair café")
    assert "Tools and spare parts" in paragraphs
    assert paragraphs[-1] == (
        "The first session starts at ten in the morning and ends at one in the afternoon. "
        "Children are welcome if an adult stays with them."
    )
    assert len(paragraphs) == 7
    assert all(p.strip() == p and "\n" not in p for p in paragraphs)


def test_extract_article_leaves_out_the_headline(article: Article) -> None:
    assert not article.text.startswith("Town library opens")


@pytest.mark.parametrize(
    "furniture",
    [
        "Weather",  # navigation menu
        "Local",  # breadcrumbs
        "Share this article",
        "Related stories",
        "Council approves new cycle lanes",
        "morning newsletter",
        "Privacy policy",
        "All rights reserved",
    ],
)
def test_extract_article_drops_navigation_and_footer(article: Article, furniture: str) -> None:
    assert furniture.lower() not in article.text.lower()


def test_extract_article_prefers_canonical_link_resolved_against_the_url(article: Article) -> None:
    assert article.url == "https://courier.example.org/news/2024/03/library-repair-cafe"


def test_extract_article_uses_og_url_without_canonical_link() -> None:
    result = extract_article(page("repeated-lead.html"), "https://ferry.example.net/?id=7")
    assert result.url == "https://ferry.example.net/news/harbour-ferry-returns"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://allotment.example.com/2024/06/notes",
            "https://allotment.example.com/2024/06/notes",
        ),
        (None, ""),
    ],
)
def test_extract_article_falls_back_to_the_given_url(url: str | None, expected: str) -> None:
    assert extract_article(page("plain-blog.html"), url).url == expected


@pytest.mark.parametrize(
    ("name", "language"),
    [
        ("article.html", "en"),  # <html lang="en-GB">
        ("german.html", "de"),  # <meta http-equiv="content-language" content="de-DE">
        ("plain-blog.html", "en"),  # declares nothing: detected from the text
    ],
)
def test_extract_article_reads_the_declared_language(name: str, language: str | None) -> None:
    assert extract_article(page(name)).language == language


def test_extract_article_detects_the_language_the_page_does_not_declare() -> None:
    html = page("german.html").replace('<meta http-equiv="content-language" content="de-DE">', "")
    assert extract_article(html).language == "de"


@pytest.mark.parametrize(
    ("name", "published"),
    [
        ("repeated-lead.html", datetime(2024, 4, 2, 7, 15, tzinfo=UTC)),  # JSON-LD, "Z"
        ("german.html", datetime(2024, 5, 6, tzinfo=UTC)),  # a date without a time
        ("plain-blog.html", None),
    ],
)
def test_extract_article_published_is_aware(name: str, published: datetime | None) -> None:
    assert extract_article(page(name)).published == published


def test_extract_article_reads_json_ld_author() -> None:
    assert extract_article(page("repeated-lead.html")).author == "Sam Okafor"


def test_extract_article_keeps_a_repeated_lead_once() -> None:
    text = extract_article(page("repeated-lead.html")).text
    assert text.count("The harbour ferry between the old town and the island") == 1
    assert text.startswith("The harbour ferry between the old town and the island")
    assert "Timetables for the summer will be published in May" in text


def test_extract_article_reads_a_page_in_another_language() -> None:
    result = extract_article(page("german.html"))
    assert result.title == "Neue Buslinie verbindet die Dörfer im Tal"
    assert result.text.split("\n\n")[0].startswith("Ab dem ersten Juni fährt eine neue Buslinie")


def test_extract_article_accepts_a_bare_fragment() -> None:
    html = "<p>The council met on Tuesday and voted to keep the swimming pool open later.</p>"
    assert extract_article(html).text == (
        "The council met on Tuesday and voted to keep the swimming pool open later."
    )


def test_extract_article_raises_when_the_page_has_no_text() -> None:
    url = "https://photos.example.com/gallery"
    with pytest.raises(ExtractError, match=re.escape(url)):
        extract_article(page("no-text.html"), url)


@pytest.mark.parametrize("html", ["", "   \n", "\x00\x01"])
def test_extract_article_raises_on_empty_or_unreadable_input(html: str) -> None:
    with pytest.raises(ExtractError, match="No article text found"):
        extract_article(html, "https://example.com/empty")


# --- the furniture page (menus, banners, tags, related lists, a repeated lead) --------------

FURNITURE_URL = "https://gazette.example.com/news/harbour-wall?ref=rss"
BODY = (PAGES / "furniture-body.txt").read_text(encoding="utf-8").rstrip("\n")


def test_extract_article_yields_only_the_article_body_with_the_lead_once() -> None:
    """A teaser repeating the lead, menus, "Open in App", "Read more:" lines, tags, a
    disclaimer, a related-stories list, a script and a footer: only the body is left."""
    assert extract_article(page("furniture.html"), FURNITURE_URL).text == BODY


def test_extract_article_reads_the_metadata_of_the_acceptance_page() -> None:
    result = extract_article(page("furniture.html"), FURNITURE_URL)
    assert result.title == "Harbour wall repairs to start in June"
    assert result.author == "Priya Raman"
    assert result.published == datetime(2024, 5, 20, 8, 0, tzinfo=UTC)
    assert result.language == "en"
    assert result.image == "https://gazette.example.com/media/2024/05/harbour-wall.jpg"


# --- the lead image ----------------------------------------------------------------------------

PAGE_URL = "https://news.example.org/2024/05/story.html"
TEXT = "<p>The ferry resumed its service on Tuesday after three months in dry dock.</p>"


def html_page(head: str = "", body: str = TEXT) -> str:
    return f"<html><head><title>Story</title>{head}</head><body>{body}</body></html>"


@pytest.mark.parametrize(
    ("head", "body", "image"),
    [
        (
            '<meta property="og:image" content="/img/lead.jpg">',
            TEXT,
            "https://news.example.org/img/lead.jpg",
        ),
        (
            '<meta name="twitter:image" content="https://cdn.example.org/t.jpg">',
            TEXT,
            "https://cdn.example.org/t.jpg",
        ),
        (
            '<script type="application/ld+json">{"@type": "NewsArticle", "image": '
            '[{"@type": "ImageObject", "url": "https://cdn.example.org/ld.jpg"}]}</script>',
            TEXT,
            "https://cdn.example.org/ld.jpg",
        ),
        (  # the logo in the header and the icon are passed over; a lazy image has data-src
            "",
            '<header><img src="/logo.png" width="600" height="200"></header><article>'
            '<img src="/icons/share.png" width="16" height="16"><img src="data:image/gif;'
            'base64,R0lGOD" data-src="//cdn.example.org/photo.jpg" width="800" height="450">'
            f"{TEXT}</article>",
            "https://cdn.example.org/photo.jpg",
        ),
    ],
    ids=["og:image", "twitter:image", "json-ld", "first-large-img"],
)
def test_extract_article_finds_the_lead_image(head: str, body: str, image: str) -> None:
    """The image comes back absolute: resolved against the page, scheme-relative ones too."""
    assert extract_article(html_page(head, body), PAGE_URL).image == image
    assert lead_image(html_page(head, body), PAGE_URL) == image


@pytest.mark.parametrize(
    "head",
    [
        '<meta property="og:image" content="javascript:alert(1)">',
        '<meta property="og:image" content="data:image/png;base64,iVBORw0KGgo=">',
        '<meta property="og:image" content="   ">',
        "",
    ],
)
def test_extract_article_never_returns_a_script_or_data_image(head: str) -> None:
    assert extract_article(html_page(head), PAGE_URL).image is None


def test_lead_image_skips_a_bad_og_image_for_the_next_candidate() -> None:
    head = (
        '<meta property="og:image" content="javascript:alert(1)">'
        '<meta name="twitter:image" content="/t.jpg">'
    )
    assert lead_image(html_page(head), PAGE_URL) == "https://news.example.org/t.jpg"


def test_lead_image_without_any_image_is_none() -> None:
    assert lead_image(page("plain-blog.html"), PAGE_URL) is None


# --- length caps ----------------------------------------------------------------------------


def _prose(words: int, first: int = 0) -> str:
    """Sentences of distinct words, ``words`` words in all, from word number ``first``."""
    made = [f"word{n}" for n in range(first, first + words)]
    return " ".join(f"{' '.join(made[i : i + 10])}." for i in range(0, words, 10))


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("Short enough", 12, "Short enough"),
        ("Town library opens a repair cafe", 20, "Town library opens\u2026"),
        ("Town library    opens", 18, "Town library\u2026"),
        ("x" * 40, 10, "x" * 9 + "\u2026"),  # one long word is cut inside
        ("Ab " + "x" * 40, 10, "Ab xxxxxx\u2026"),  # a word break too early is not used
    ],
)
def test_cut_falls_between_words(text: str, limit: int, expected: str) -> None:
    assert cut(text, limit) == expected
    assert len(cut(text, limit)) <= limit


def test_cut_of_a_text_falls_between_paragraphs() -> None:
    text = "First paragraph here.\n\nSecond paragraph, rather longer than the first one."
    assert cut(text, 40, paragraphs=True) == "First paragraph here.\n\n\u2026"


def test_a_huge_title_and_author_are_cut() -> None:
    title = _prose(200_000)  # about 2 MB
    html = (
        f"<html><head><title>{title}</title><meta name='author' content='Jane {title}'>"
        f"</head><body><article><p>{_prose(200)}</p></article></body></html>"
    )
    article = extract_article(html, "https://example.org/a")
    assert 0 < len(article.title) <= MAX_TITLE_CHARS
    assert article.title.endswith("\u2026") and title.startswith(article.title[:-1])
    assert article.author is not None and len(article.author) <= MAX_AUTHOR_CHARS
    assert MAX_TITLE_CHARS < MAX_METADATA_CHARS


def test_a_huge_article_text_is_cut_between_paragraphs() -> None:
    paragraphs = [_prose(800, 800 * n) for n in range(40)]  # about 330,000 characters
    html = "<html><body><article>" + "".join(f"<p>{p}</p>" for p in paragraphs)
    article = extract_article(html + "</article></body></html>", "https://example.org/a")
    assert MAX_TEXT_CHARS // 2 < len(article.text) <= MAX_TEXT_CHARS
    kept = article.text.split("\n\n")
    assert kept[-1] == "\u2026" and kept[:-1] == paragraphs[: len(kept) - 1]


def test_an_item_with_a_huge_title_and_text_is_cut() -> None:
    item = FeedItem(
        source="news",
        guid="1",
        url="https://example.org/1",
        title=_prose(100_000),
        content=_prose(50_000),
        content_type="text",
        author="A " * 1000,
    )
    article = article_from_item(item)
    assert len(article.title) <= MAX_TITLE_CHARS
    assert article.author is not None and len(article.author) <= MAX_AUTHOR_CHARS
    assert len(article.text) <= MAX_TEXT_CHARS and article.text.endswith("\u2026")


def test_a_huge_deeply_nested_page_gives_the_text_of_the_same_page_flat() -> None:
    paragraphs = [_prose(40, 40 * n) for n in range(300)]
    flat = "".join(f"<p>{p}</p>" for p in paragraphs)
    nested = "".join("<div>" * 200 + f"<p>{p}</p>" + "</div>" * 200 for p in paragraphs)
    texts = [
        extract_article(f"<html><body><article>{body}</article></body></html>").text
        for body in (flat, nested)
    ]
    assert texts[0] == texts[1] == "\n\n".join(paragraphs)


# --- the extraction dev set (shared/data), when present ---------------------------------

_TOKEN = re.compile(r"\w+")


def _shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text)
    return Counter(tuple(tokens[i : i + 4]) for i in range(max(1, len(tokens) - 3)) if tokens)


@pytest.mark.skipif(not DEV_SET.is_dir(), reason="shared/data/extraction-dev is not present")
def test_extract_article_f1_on_dev_pages_is_above_floor() -> None:
    """Every tenth dev page, scored with the benchmark's shingle metric (F1 0.98 when written)."""
    truth = json.loads((DEV_SET / "ground-truth.json").read_text(encoding="utf-8"))
    precisions, recalls = [], []
    for page_id in sorted(truth)[::10]:
        html = gzip.decompress((DEV_SET / "html" / f"{page_id}.html.gz").read_bytes())
        got = _shingles(extract_article(html.decode("utf-8"), truth[page_id]["url"]).text)
        expected = _shingles(truth[page_id]["articleBody"])
        common = sum((got & expected).values())
        precisions.append(common / max(1, sum(got.values())))
        recalls.append(common / max(1, sum(expected.values())))
    precision, recall = statistics.mean(precisions), statistics.mean(recalls)
    assert 2 * precision * recall / (precision + recall) > 0.93
