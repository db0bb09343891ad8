"""Sample data for previewing and checking templates before there is anything to send.

Pure: no I/O. The articles are invented, and cover what templates must cope with: a long and
a short summary, markup characters in a title, an article with no summary, a local note.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from digest.models import Article, Digest, Subscriber, Summary

_LONG = (
    "The harbour board approved a tidal barrier on Monday after three years of consultation. "
    "The barrier will close during storm surges and protect about 4,000 homes. "
) * 12


def sample_digest(now: datetime, subscriber: Subscriber | None = None) -> Digest:
    """A digest of invented articles, generated at `now` (an aware time)."""
    reader = subscriber or Subscriber("reader@example.org", "Sample Reader", "UTC")
    articles = (
        Article(
            url="https://example.org/news/tidal-barrier",
            title="Harbour board approves a tidal barrier for the lower town",
            text=_LONG,
            source="Harbour Gazette",
            published=now - timedelta(hours=5),
            author="Ines Marlow",
        ),
        Article(
            url="https://example.net/science/comet-hollis",
            title="Comet <Hollis> brightens & may be seen without a telescope",
            text="Comet Hollis brightened faster than predicted. " * 40,
            source="Hill Observatory",
            published=now - timedelta(days=1, hours=2),
        ),
        Article(
            url="https://example.com/community/repair-cafe",
            title="Library repair cafés fix 1,800 items in their first year",
            text="Volunteers mended household items at the library. " * 30,
            source="Westvale Weekly",
            published=now - timedelta(days=2),
        ),
        Article(url="", title="Garden notes", text="Water use fell.", source="Notes"),
    )
    summaries = (
        (
            "The harbour board approved a tidal barrier on Monday after three years of "
            "consultation.",
            "The barrier will close during storm surges and protect about 4,000 homes.",
            "Building starts in March & should take two years.",
        ),
        ("Comet Hollis brightened faster than predicted, and may be visible by mid-December.",),
        (
            "Volunteers at the library's monthly repair cafés mended 1,812 items in the first "
            "year.",
            "The scheme now runs in seven branches.",
        ),
        (),
    )
    return Digest(
        subscriber=reader,
        title="Your daily digest",
        generated_at=now,
        items=tuple(
            Summary(article, sentences, "newsrank")
            for article, sentences in zip(articles, summaries, strict=True)
        ),
        sources=("Harbour Gazette", "Hill Observatory", "Westvale Weekly", "Notes"),
        unsubscribe_url="mailto:digest@example.org?subject=Unsubscribe",
    )
