"""Tests for digest.render: the packaged templates, escaping and template errors."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from digest.errors import RenderError
from digest.models import Article, Digest, Subscriber, Summary
from digest.render import render_digest

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
    assert '<li style="margin:0 0 6px 0;">Traffic is back.</li>' in rendered.html
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
