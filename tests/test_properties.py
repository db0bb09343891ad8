"""Property tests: whatever text, markup, item or configuration comes in, extraction and the
configuration loader either succeed or raise a `DigestError` with a message, never another
exception.

Hypothesis generates the inputs; the runs are derandomised (the same examples every time)
and kept to a few seconds in all.
"""

from __future__ import annotations

import string
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest import config
from digest.errors import DigestError
from digest.extract import (
    article_from_item,
    clean_text,
    extract_article,
    html_to_text,
    markdown_to_text,
)
from digest.extract.limits import MAX_TEXT_CHARS, MAX_TITLE_CHARS
from digest.models import Article, FeedItem

_FAST = settings(
    max_examples=60,
    deadline=None,  # a first call may import or compile; the examples are bounded in size
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Text with the characters that trip parsers up (controls, NUL, lone surrogates, which a JSON
# feed can carry, non-characters), markup and Markdown punctuation, and other scripts.
_ODD_CHARACTERS = list(
    "<>&;\"'/=!-#*_[]()`~|\\.:?\n\r\t \u00a0\u200b\ufeff\u2026\x00\x0b\x1f\x7f\ufffe"
    "\U0010ffff\ud800\udfff\u0301\u202e\u4e2d\u0410\u05d0"
)
_AWKWARD = st.lists(
    st.one_of(
        st.sampled_from(_ODD_CHARACTERS),
        st.text(max_size=8),
        st.text(alphabet=string.ascii_letters, min_size=1, max_size=10),
    ),
    max_size=60,
).map("".join)
_WORD = st.text(alphabet=string.ascii_letters, min_size=1, max_size=10)
_PROSE = st.lists(_WORD, min_size=1, max_size=30).map(lambda words: " ".join(words) + ".")
_TAG_NAMES = "p div article main h1 title meta script style a li ul table td br img svg head body"
_TAGS = [*_TAG_NAMES.split(), "html", "!--", "![CDATA["]
_ATTRIBUTE = st.tuples(
    st.sampled_from(["name", "property", "content", "href", "src", "lang", "rel", "type"]),
    st.one_of(_AWKWARD, _PROSE, st.sampled_from(["author", "og:title", "canonical", "en"])),
)


@st.composite
def _markup(draw: st.DrawFn) -> str:
    """A page-like string: tags (opened, closed or not), attributes, text and JSON-LD."""
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 25))):
        tag = draw(st.sampled_from(_TAGS))
        attributes = "".join(
            f' {key}="{value}"' for key, value in draw(st.lists(_ATTRIBUTE, max_size=3))
        )
        parts.append(draw(st.sampled_from([f"<{tag}{attributes}>", f"</{tag}>", f"<{tag}"])))
        parts.append(draw(st.one_of(_PROSE, _AWKWARD)))
    if draw(st.booleans()):
        parts.append(f'<script type="application/ld+json">{draw(_AWKWARD)}</script>')
    return "".join(parts)


def _only_digest_errors(call: Any, *args: Any) -> Any:
    """The call's result, or None when it raised a `DigestError` with a message."""
    try:
        return call(*args)
    except DigestError as exc:
        assert str(exc).strip()
        return None


@_FAST
@given(st.one_of(_markup(), _AWKWARD), st.sampled_from([None, "https://example.org/a", "x"]))
def test_extract_article_raises_only_digest_errors(html: str, url: str | None) -> None:
    article = _only_digest_errors(extract_article, html, url)
    assert article is None or (isinstance(article, Article) and article.text.strip())
    if article is not None:
        article.text.encode("utf-8")


@_FAST
@given(st.one_of(_AWKWARD, _markup()))
def test_text_conversions_raise_nothing(text: str) -> None:
    for convert in (clean_text, html_to_text, markdown_to_text):
        cleaned = _only_digest_errors(convert, text)
        assert cleaned is None or isinstance(cleaned, str)


_ITEMS = st.builds(
    FeedItem,
    source=_WORD,
    guid=_AWKWARD,
    url=st.one_of(st.just(""), st.just("https://example.org/1"), _AWKWARD),
    title=_AWKWARD,
    content=st.one_of(_markup(), _AWKWARD),
    content_type=st.sampled_from(["html", "text", "markdown", "other"]),
    published=st.one_of(st.none(), st.datetimes(timezones=st.just(UTC))),
    author=st.one_of(st.none(), _AWKWARD),
    is_full_page=st.booleans(),
)


@_FAST
@given(_ITEMS, st.sampled_from([None, "en", "english", "xx"]))
def test_article_from_item_raises_only_digest_errors(item: FeedItem, language: str | None) -> None:
    article = _only_digest_errors(article_from_item, item, language)
    if article is not None:  # storable: within the caps, and every character encodable
        assert len(article.title) <= MAX_TITLE_CHARS and len(article.text) <= MAX_TEXT_CHARS
        for field in (article.title, article.text, article.author or ""):
            field.encode("utf-8")


# --- the configuration ------------------------------------------------------------------------

_SCALAR = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True),
    _AWKWARD,
    st.sampled_from(["", "auto", "never", "smtp", "file", "UTC", "07:00", "daily", "none"]),
    st.datetimes(),
    st.dates(),
    st.times(),
    st.just(time(7, 0)),
    st.just(datetime(2026, 1, 1, tzinfo=UTC)),
)
# Section names, then keys found in sections, sources and subscribers.
_CONFIG_KEYS = (
    "digest http collect delivery smtp sendmail web schedule sources subscribers data_dir "
    "name url path kind email timezone send_at weekly_on title sentences method max_bytes "
    "timeout concurrency per_host backend port host templates full_text allow_private"
)
_KEYS = st.one_of(st.sampled_from(_CONFIG_KEYS.split()), _WORD)
_VALUES = st.recursive(
    _SCALAR,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(_KEYS, children, max_size=5)
    ),
    max_leaves=20,
)
_DOCUMENTS = st.dictionaries(_KEYS, _VALUES, max_size=6)


@_FAST
@given(_DOCUMENTS)
def test_config_parse_raises_only_digest_errors(tmp_path: Path, raw: dict[str, Any]) -> None:
    _only_digest_errors(lambda: config.parse(raw, base=tmp_path))


@_FAST
@given(
    st.one_of(
        _AWKWARD,
        st.lists(
            st.sampled_from(
                [
                    "[digest]\n",
                    "[http]\n",
                    "[[sources]]\n",
                    "[[subscribers]]\n",
                    'name = "x"\n',
                    'url = "https://example.org/feed"\n',
                    "max_bytes = -1\n",
                    'path = "notes"\n',
                    "sentences = 3.5\n",
                    'send_at = "25:00"\n',
                    "timezone = 7\n",
                    "data_dir = 1\n",
                    'kind = "files"\n',
                    'email = "a@"\n',
                    'weekly_on = "funday"\n',
                    "= broken\n",
                ]
            ),
            max_size=12,
        ).map("".join),
    )
)
def test_config_load_raises_only_digest_errors(tmp_path: Path, text: str) -> None:
    path = tmp_path / "digest.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _only_digest_errors(config.load, path)


@pytest.mark.parametrize("data", [b"\xff\xfe\x00", b"[digest]\ntitle = \xff\n"])
def test_config_load_of_bytes_that_are_not_utf8_is_a_config_error(
    tmp_path: Path, data: bytes
) -> None:
    path = tmp_path / "digest.toml"
    path.write_bytes(data)
    with pytest.raises(config.ConfigError, match="not UTF-8"):
        config.load(path)
