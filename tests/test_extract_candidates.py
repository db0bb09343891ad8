"""Tests for digest.extract.candidates and for extraction that never throws an article away.

Pages without a full stop at the end of any paragraph (tables, lists, languages that end
lines without one) give their text; a page's JSON-LD copy of the article rescues a page
whose markup holds none; only a page with next to no text outside its links has no article.
The extraction dev set in shared/data is used when it sits beside the repository.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from digest.errors import ExtractError
from digest.extract.candidates import NEARLY_EMPTY_WORDS, Signals, best, is_prose
from digest.extract.page import extract_article

DEV_SET = Path(__file__).resolve().parents[2] / "shared" / "data" / "extraction-dev"


def _page(body: str, head: str = "<title>Harbour report</title>") -> str:
    return f"<!DOCTYPE html><html lang='en'><head>{head}</head><body>{body}</body></html>"


def test_a_table_page_whose_cells_end_in_pipes_gives_its_rows() -> None:
    rows = "".join(
        f"<tr><td>Pier {n} reopened to ferries after the winter repairs</td>"
        f"<td>{n * 12} berths available from the first of the month</td></tr>"
        for n in range(1, 9)
    )
    html = _page(f"<main><h1>Harbour report</h1><table>{rows}</table></main>")
    text = extract_article(html, "https://port.example.org/report").text
    assert "Pier 3 reopened to ferries after the winter repairs" in text
    assert "96 berths available" in text


def test_a_list_only_page_gives_its_list() -> None:
    items = "".join(
        f"<li>Step {n}: fold the paper corner {n} towards the middle crease</li>"
        for n in range(1, 10)
    )
    html = _page(f"<article><h1>Folding a paper crane</h1><ul>{items}</ul></article>")
    text = extract_article(html).text
    assert "Step 7: fold the paper corner 7 towards the middle crease" in text


def test_paragraphs_that_end_without_punctuation_are_kept() -> None:
    paragraphs = "".join(
        f"<p>Die Gemeinde baut im Sommer {n} neue Radwege entlang des Flusses und der "
        f"alten Bahnlinie zwischen den Dörfern im Tal</p>"
        for n in range(2, 8)
    )
    html = _page(f"<article><h1>Radwege</h1>{paragraphs}</article>")
    text = extract_article(html).text
    assert text.count("neue Radwege entlang des Flusses") == 6


def test_a_page_without_text_in_its_markup_gives_its_json_ld_article_body() -> None:
    body = " ".join(
        f"The ferry timetable changes on day {n} of the month, the operator said." for n in range(9)
    )
    ld = json.dumps({"@type": "NewsArticle", "headline": "Ferries", "articleBody": body})
    html = _page(
        "<div id='app'></div>",
        f"<title>Ferries</title><script type='application/ld+json'>{ld}</script>",
    )
    assert extract_article(html).text == body


def test_a_page_of_links_only_has_no_article() -> None:
    links = "".join(f"<li><a href='/s/{n}'>Story number {n} of the week</a></li>" for n in range(9))
    with pytest.raises(ExtractError, match="No article text found"):
        extract_article(_page(f"<div><ul>{links}</ul></div>"), "https://links.example.org/")


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        ("The council met on Tuesday. It voted to keep the pool open", True),
        ("| Pier 3 reopened to ferries. | 36 berths |", True),
        ("港の修理は冬に終わり、フェリーが戻った。新しい桟橋も使える", True),
        ("Pier 3 reopened to ferries after repairs", False),
        ("Short. Too.", False),
    ],
)
def test_is_prose_finds_a_sentence_end_anywhere(paragraph: str, expected: bool) -> None:
    assert is_prose(paragraph) is expected


def test_a_candidate_of_link_text_is_weak_and_loses_to_prose() -> None:
    headlines = [f"Story number {n} of the week in the harbour" for n in range(12)]
    signals = Signals.of(headlines, [])
    links = signals.measure(headlines)
    prose = signals.measure(["The ferry timetable changes next month, the operator said."] * 8)
    assert signals.is_weak(links)
    assert not signals.is_weak(prose)
    chosen = best([(headlines, links), (["prose"], prose)])
    assert chosen == ["prose"]


def test_a_candidate_that_misses_the_pages_own_copy_of_the_article_is_weak() -> None:
    copy = "The ferry timetable changes next month because the harbour wall is being rebuilt."
    signals = Signals.of([], [copy])
    other = ["Tickets for the summer concerts go on sale on Friday at the town hall."] * 6
    assert signals.measure(other).agreement == 0.0
    assert signals.is_weak(signals.measure(other))
    assert not signals.is_weak(signals.measure([copy] * 6))


def test_best_is_none_only_when_every_candidate_is_nearly_empty() -> None:
    signals = Signals.of(["Home", "Contact us"], [])
    menu = ["Home", "Contact us"]
    short = ["A few words."]
    assert best([(menu, signals.measure(menu)), (short, signals.measure(short))]) is None
    words = ["word"] * NEARLY_EMPTY_WORDS
    listing = [" ".join(words)]
    assert best([(menu, signals.measure(menu)), (listing, signals.measure(listing))]) == listing


@pytest.mark.skipif(not DEV_SET.is_dir(), reason="shared/data/extraction-dev is not present")
def test_no_dev_page_comes_out_empty() -> None:
    """Every dev page's ground truth has an article (69 words at least), so every page gives
    text, and at least half as many words as the ground truth."""
    truth = json.loads((DEV_SET / "ground-truth.json").read_text(encoding="utf-8"))
    short = []
    for page_id in sorted(truth):
        html = gzip.decompress((DEV_SET / "html" / f"{page_id}.html.gz").read_bytes())
        text = extract_article(html.decode("utf-8"), truth[page_id]["url"]).text
        if 2 * len(text.split()) < len(truth[page_id]["articleBody"].split()):
            short.append(page_id)
    assert short == []
