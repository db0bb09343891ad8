"""Tests for digest.render: the packaged templates, escaping and template errors."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from digest.config import parse
from digest.errors import RenderError
from digest.models import Article, Digest, Subscriber, Summary
from digest.render import samples
from digest.render.compose import build_digest
from digest.render.templates import render_digest

WHEN = datetime(2026, 11, 26, 7, 0, tzinfo=ZoneInfo("Europe/London"))
READER = Subscriber("reader@example.org", "Reader", "Europe/London")


def make_digest(title: str = "Bridge reopens", sentence: str = "The bridge reopened.") -> Digest:
    article = Article(
        url="https://example.org/bridge",
        title=title,
        text=sentence,
        source="Town news",
        published=datetime(2026, 11, 25, 9, 30, tzinfo=UTC),
    )
    return Digest(
        subscriber=READER,
        title="Daily digest",
        generated_at=WHEN,
        items=(Summary(article, (sentence, "Traffic is back."), "lexrank"),),
    )


def test_default_templates_render_every_part() -> None:
    rendered = render_digest(make_digest())
    assert rendered.subject == "Daily digest: 1 new article (Thu 26 Nov 2026)"
    assert "1. Bridge reopens" in rendered.text
    assert "   - The bridge reopened." in rendered.text
    assert "https://example.org/bridge" in rendered.text
    assert '<a href="https://example.org/bridge"' in rendered.html
    assert '<li style="padding: 0 0 6px 0;">Traffic is back.</li>' in rendered.html
    assert "reader@example.org" in rendered.html


def test_html_is_escaped_and_text_is_not() -> None:
    rendered = render_digest(make_digest("<script>alert(1)</script>", "Salt & pepper."))
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
    assert "Salt &amp; pepper." in rendered.html
    assert "<script>alert(1)</script>" in rendered.text
    assert "Salt & pepper." in rendered.text


def test_user_templates_override_file_by_file(tmp_path: Path) -> None:
    (tmp_path / "subject.txt").write_text("Custom {{ digest.article_count }}", encoding="utf-8")
    rendered = render_digest(make_digest(), template_dir=tmp_path)
    assert rendered.subject == "Custom 1"
    assert "Bridge reopens" in rendered.html


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("line one\n{{ digest.titel }}", r"digest\.txt:2: 'digest\.models\.Digest object' has no"),
        ("ok\n\n{% for x in %}", r"digest\.txt:3: "),
        ("{{ digest.items | nosuchfilter }}", r"digest\.txt:1: No filter named 'nosuchfilter'"),
    ],
)
def test_template_errors_name_file_and_line(tmp_path: Path, source: str, message: str) -> None:
    (tmp_path / "digest.txt").write_text(source, encoding="utf-8")
    with pytest.raises(RenderError, match=message):
        render_digest(make_digest(), template_dir=tmp_path)


def test_an_article_without_a_summary_says_so() -> None:
    digest = make_digest()
    empty = replace(digest, items=(replace(digest.items[0], sentences=()),))
    rendered = render_digest(empty)
    assert "No summary could be made of this article" in rendered.text
    assert "No summary could be made of this article" in rendered.html
    assert "<ul" not in rendered.html


GOLDEN = Path(__file__).parent / "data" / "golden"


def sample_digest() -> Digest:
    """The built-in sample data at a fixed time and for a fixed reader: the golden files'."""
    return samples.sample_digest(WHEN, READER)


@pytest.mark.parametrize(("part", "name"), [("text", "digest.txt"), ("html", "digest.html")])
def test_default_digest_matches_its_golden_file(part: str, name: str) -> None:
    """Set DIGEST_UPDATE_GOLDEN=1 to rewrite the golden files after a deliberate change."""
    rendered = getattr(render_digest(sample_digest()), part)
    golden = GOLDEN / name
    if os.environ.get("DIGEST_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(rendered, encoding="utf-8")
    assert rendered == golden.read_text(encoding="utf-8")


def test_text_part_is_plain_and_wrapped_at_72_columns() -> None:
    text = render_digest(sample_digest()).text
    prose = [line for line in text.splitlines() if "://" not in line and "mailto:" not in line]
    assert max(len(line) for line in prose) <= 72  # an address is never broken
    assert "Comet <Hollis> brightens & may be seen" in text
    assert "[1] https://example.org/news/tidal-barrier" in text
    assert "Unsubscribe: mailto:digest@example.org" in text
    assert "**" not in text and "](" not in text


def test_html_part_has_inlined_css_and_keeps_media_queries() -> None:
    html = render_digest(sample_digest()).html
    assert '<h1 class="title" style="' in html
    assert "@media (max-width: 620px)" in html and "prefers-color-scheme: dark" in html
    assert 'role="presentation"' in html
    assert "Comet &lt;Hollis&gt; brightens &amp; may be seen" in html
    assert ">Unsubscribe</a>" in html
    assert "2 min read" in html


def test_articles_can_be_grouped_by_source() -> None:
    grouped = replace(sample_digest(), group_by="source")
    text = render_digest(grouped).text
    assert text.index("HARBOUR GAZETTE") < text.index("HILL OBSERVATORY") < text.index("NOTES")


def test_a_digest_too_large_for_gmail_leaves_out_the_oldest_articles() -> None:
    """60 long articles stay under 102 KB of HTML, and the digest says how many are left out."""
    long = "A long sentence about the harbour, the ferry and the weather this week. " * 6
    items = tuple(
        Summary(
            Article(url=f"https://example.org/{n}", title=f"Article number {n}", text=long * 20,
                    source="Harbour Gazette"),
            (long, long, long),
            "newsrank",
        )
        for n in range(60)
    )  # fmt: skip
    rendered = render_digest(replace(sample_digest(), items=items))
    size = len(rendered.html.encode("utf-8"))
    assert size <= 100_000 < 102_000
    omitted = int(re.search(r"(\d+) older articles were left out", rendered.html).group(1))
    assert 0 < omitted < 60
    assert f"Article number {59 - omitted}<" in rendered.html
    assert f"Article number {60 - omitted}<" not in rendered.html
    assert "is subscribed to" in rendered.html  # the footer survives


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ digest.__class__.__mro__ }}", r"digest\.txt:1: access to attribute '__class__'"),
        ("{{ digest.title | reading_time | nosuch }}", r"digest\.txt:1: No filter named"),
        ("{{ digest.generated_at | localtime('Mars/Base') }}", r"unknown time zone 'Mars/Base'"),
    ],
)
def test_sandbox_and_filter_errors_name_file_and_line(
    tmp_path: Path, source: str, message: str
) -> None:
    (tmp_path / "digest.txt").write_text(source, encoding="utf-8")
    with pytest.raises(RenderError, match=message):
        render_digest(make_digest(), template_dir=tmp_path)


def test_a_user_template_can_override_one_block(tmp_path: Path) -> None:
    (tmp_path / "digest.html").write_text(
        '{% extends "base.html" %}{% block intro %}<tr><td>Good morning!</td></tr>{% endblock %}',
        encoding="utf-8",
    )
    html = render_digest(make_digest(), template_dir=tmp_path).html
    assert "Good morning!" in html and "Bridge reopens" in html


# --- local files carry no link --------------------------------------------------------------


def _note_and_page() -> tuple[Summary, Summary]:
    page = make_digest().items[0]
    note = Summary(
        replace(page.article, url="file:///home/reader/notes/garden.md", title="Garden log"),
        ("Peas up.",),
        "lexrank",
    )
    return note, page


def test_an_article_from_a_local_file_has_no_link_in_either_part() -> None:
    note, page = _note_and_page()
    rendered = render_digest(replace(make_digest(), items=(note, page)))
    for part in (rendered.text, rendered.html):
        assert "file:" not in part and "/home/reader" not in part
        assert "Garden log" in part and "https://example.org/bridge" in part
    assert "1. Garden log\n" in rendered.text and "   [1]" not in rendered.text
    assert "   [2]\n" in rendered.text and "[2] https://example.org/bridge" in rendered.text
    assert re.search(r"<h2[^>]*>Garden log</h2>", rendered.html)
    assert re.findall(r'<a href="([^"]*)"', rendered.html) == ["https://example.org/bridge"]


def test_a_digest_of_local_files_only_has_no_links_heading() -> None:
    note, _ = _note_and_page()
    rendered = render_digest(replace(make_digest(), items=(note,)))
    assert "Links:" not in rendered.text and "[1]" not in rendered.text
    assert "<a href" not in rendered.html


def test_build_digest_keeps_web_addresses_only(tmp_path: Path) -> None:
    note, page = _note_and_page()
    config = parse({"data_dir": str(tmp_path)}, base=tmp_path)
    digest = build_digest(config, READER, [note, page], now=WHEN)
    assert [item.article.url for item in digest.items] == ["", "https://example.org/bridge"]
    assert digest.items[0].article.published == WHEN.replace(day=25, hour=9, minute=30)


def test_the_readmes_template_context_table_names_everything_templates_receive() -> None:
    """Each field and property of the records a template sees has a row, and no row names
    something that does not exist."""
    import dataclasses
    import inspect

    from digest.models import Article, Digest, Subscriber, Summary

    from .conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Template context", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([\w.]+)` \|", table, re.MULTILINE))
    received = set()
    for prefix, record in (
        ("digest", Digest), ("digest.subscriber", Subscriber), ("item", Summary),
        ("item.article", Article),
    ):  # fmt: skip
        names = [field.name for field in dataclasses.fields(record)]
        names += [name for name, value in inspect.getmembers(record) if isinstance(value, property)]
        received |= {f"{prefix}.{name}" for name in names}
    received -= {"digest.subscriber", "item.article"}  # records, whose fields have rows
    assert documented == received
