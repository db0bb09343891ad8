"""Filters for user-edited templates: small, pure functions of plain values.

Pure: no I/O. Each is registered in the template environment under its own name.
"""

from __future__ import annotations

import math
from datetime import datetime
from functools import lru_cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digest.words import plural

WORDS_PER_MINUTE = 230


@lru_cache(maxsize=1024)  # every subscriber's digest asks about the same articles
def reading_time(text: str, words_per_minute: int = WORDS_PER_MINUTE) -> str:
    """How long a text takes to read, as "4 min read" (at least one minute)."""
    minutes = max(1, math.ceil(len(str(text).split()) / words_per_minute))
    return f"{minutes} min read"


def localtime(when: datetime | None, timezone: str) -> datetime | None:
    """An aware time in an IANA time zone; None stays None, an unknown zone is an error."""
    if when is None:
        return None
    try:
        return when.astimezone(ZoneInfo(timezone))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {timezone!r}") from exc


def domain(url: str) -> str:
    """The host of a URL without "www.", e.g. "example.org"; "" for a local file."""
    host = urlsplit(str(url)).hostname or ""
    return host.removeprefix("www.")


def truncate_words(text: str, count: int, end: str = "...") -> str:
    """The first `count` words of a text, with `end` when words were cut."""
    words = str(text).split()
    return " ".join(words) if len(words) <= count else " ".join(words[:count]) + end


FILTERS = {
    "plural": plural,
    "reading_time": reading_time,
    "localtime": localtime,
    "domain": domain,
    "truncate_words": truncate_words,
}
