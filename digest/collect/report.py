"""What the collection pass hands around and returns: failures, the pass's report, what one
source gave, and the limits on one source's work."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from digest.collect.prepare import Prepared
from digest.collect.read import RawSource
from digest.models import CollectedArticle, Source
from digest.store import WaitingText

__all__ = ["CollectionReport", "Failure", "Gathered", "Limits"]


@dataclass(frozen=True, slots=True)
class Failure:
    """Something that went wrong in a run, in one line."""

    what: str  # a source name, an item URL or an email address
    reason: str


@dataclass(slots=True)
class CollectionReport:
    """What one collection pass did."""

    sources_read: int = 0
    sources_unchanged: int = 0
    sources_deferred: int = 0
    new_articles: int = 0
    duplicates: int = 0
    source_failures: list[Failure] = field(default_factory=list)
    item_failures: list[Failure] = field(default_factory=list)
    full_text_failures: list[Failure] = field(default_factory=list)  # one per page
    full_text_notes: list[Failure] = field(default_factory=list)  # one per source, said
    items_left: dict[str, int] = field(default_factory=dict)  # source: items for next time
    stopped: bool = False  # stopped part-way (Ctrl-C); the sources not stored come next time


@dataclass(slots=True)
class Gathered:
    """What a thread brings back from one source."""

    source: Source
    raw: RawSource | None = None
    articles: list[CollectedArticle] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    error: Exception | None = None
    item_failures: list[Failure] = field(default_factory=list)
    full_text_failures: list[Failure] = field(default_factory=list)
    refused: str = ""  # why a page was refused as private, when one was
    waiting: list[WaitingText] = field(default_factory=list)  # teasers still waiting
    done_waiting: list[str] = field(default_factory=list)  # teasers that wait no more
    left: int = 0  # new items beyond the cap
    listed: list[str] = field(default_factory=list)  # items seen before, still listed

    def add(self, prepared: Prepared) -> None:
        self.articles.extend(prepared.articles)
        self.skipped.extend(prepared.skipped)
        self.item_failures.extend(Failure(what, why) for what, why in prepared.failures)


@dataclass(frozen=True, slots=True)
class Limits:
    """What bounds one pass's work on a source."""

    now: datetime
    max_items: int
    full_text_wait: timedelta
    # Items published before this are older than the store keeps (``[store] keep_days``):
    # a feed still listing them must not bring them back once they are pruned.
    not_before: datetime | None = None
