"""Tests for digest.cleanup: feed HTML and Markdown to plain text, and furniture removal."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.cleanup import clean_text, html_to_text, markdown_to_text

PAGES = Path(__file__).parent / "data" / "pages"


def page(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


def test_html_to_text_gives_plain_text() -> None:
    assert html_to_text(page("feed-fragment.html")) == (
        "Spring planting guide\n\n"
        "It is time to sow broad beans and early peas outdoors, as long as the soil is no "
        "longer frozen.\n\n"
        "- Soak the seeds overnight.\n\n"
        "- Sow them five centimetres deep.\n\n"
        "Water sparingly until the first leaves appear.\n\n"
        "Read the full guide on our website."
    )


@pytest.mark.parametrize(
    "clutter", ["](", "http", "**", "_", "![", "#", ">", "  ", "\n\n\n", "beans.jpg"]
)
def test_html_to_text_has_no_markdown_clutter(clutter: str) -> None:
    assert clutter not in html_to_text(page("feed-fragment.html"))


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>One<br>line</p>", "One line"),
        ("<h3>Heading</h3><p>1. Not a list.</p>", "Heading\n\n1. Not a list."),
        ("<table><tr><td>a</td><td>b</td></tr></table>", "a | b"),
        ("<p>Snake_case and 2*3 stay as written.</p>", "Snake_case and 2*3 stay as written."),
        ("", ""),
    ],
)
def test_html_to_text_cases(html: str, expected: str) -> None:
    assert html_to_text(html) == expected


def test_markdown_to_text_gives_plain_text() -> None:
    assert markdown_to_text(page("notes.md")) == (
        "Allotment notes\n\n"
        "The first courgettes arrived this week, two weeks early; see last year's notes and "
        "the wiki.\n\n"
        "Things to do\n\n"
        "- Net the brassicas before the pigeons find them.\n\n"
        "- Move the water_butt to the shed.\n\n"
        "Water in the evening, never at noon."
    )


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("snake_case_name and 2 * 3 * 4 stay.", "snake_case_name and 2 * 3 * 4 stay."),
        ("__Bold__ and _italic_ go.", "Bold and italic go."),
        ("```\ncode line\n```", "code line"),
        ("| a | b |\n|---|---|\n| 1 | 2 |", "a | b\n\n1 | 2"),
    ],
)
def test_markdown_to_text_cases(markdown: str, expected: str) -> None:
    assert markdown_to_text(markdown) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Two\u00a0 spaces\tand a tab.  ", "Two spaces and a tab."),
        ("A wrapped\nparagraph.\n\n\n\nNext one.", "A wrapped paragraph.\n\nNext one."),
        ("Windows\r\nline ends.", "Windows line ends."),
        ("- one\n- two\nwraps", "- one\n\n- two wraps"),
        (
            "Same lead sentence, told twice by the page.\n\nSame lead sentence, told twice "
            "by the page.\n\nThe rest.",
            "Same lead sentence, told twice by the page.\n\nThe rest.",
        ),
        (
            "Meal 1\n\nEat every 2-3 hours\n\nMeal 2\n\nEat every 2-3 hours",
            "Meal 1\n\nEat every 2-3 hours\n\nMeal 2\n\nEat every 2-3 hours",
        ),
        ("Body.\n\nAdvertisement\n\nOpen in App\n\nShare this article\n\nSubscribe now", "Body."),
        ("Body.\n\nHome | News | Sport | Weather", "Body."),
        ("Body.\n\nRead more: Flood warnings issued for the valley", "Body."),
        ("Body.\n\nRelated stories\nCouncil approves new cycle lanes\nBakery wins prize", "Body."),
        ("Body.\n\nYou may also like...\n\n- Ten walks\n\n- Five cafés\n\nEnd.", "Body.\n\nEnd."),
        ("Body.\n\nTags: floods, bridges\n\n© 2024 Courier Ltd. All rights reserved.", "Body."),
        ("Body.\n\nSign up for our newsletter and get the headlines in your inbox.", "Body."),
        ("", ""),
    ],
)
def test_clean_text_cases(text: str, expected: str) -> None:
    assert clean_text(text) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "More than 100 people were evacuated, the council said.",
        "Copyright law was last changed in 1988.",
        "Follow the river path to reach the mill.",
        "Share prices fell by 3% on Monday.",
        "Subscribers will pay more from May.",
        "Related research points the same way, the authors wrote.",
    ],
)
def test_clean_text_keeps_real_sentences(sentence: str) -> None:
    assert clean_text(f"Intro.\n\n{sentence}\n\nOutro.") == f"Intro.\n\n{sentence}\n\nOutro."
