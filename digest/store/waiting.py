"""Teasers waiting for their page: feed items whose linked page could not be fetched yet.

Such an item counts as seen (the feed does not yield it again) and waits here, with how often
and until when its page was tried, so that later runs try again. The collection pass decides
when to try and when to give up (`digest.collect.gather`); this module only keeps the rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from digest.models import FeedItem
from digest.store._core import StoreCore, parse_time, stamp
from digest.store.dialect import Connection, Row
from digest.store.migrations import fixed_time


@dataclass(frozen=True, slots=True)
class WaitingText:
    """A teaser whose page is still to be fetched."""

    item: FeedItem
    first_tried: datetime
    attempts: int = 0  # failed fetches of its page so far
    next_attempt: datetime | None = None  # not before then
    last_error: str = ""
    teaser_stored: bool = False  # its teaser is stored as an article (the wait is over)


class WaitingStore(StoreCore):
    """Queries about teasers waiting for their page."""

    def waiting_texts(self, source: str, *, due: datetime) -> list[WaitingText]:
        """The teasers of `source` whose page is due to be tried again at `due`."""
        rows = self._read(
            """SELECT full_texts.* FROM full_texts JOIN sources
                   ON sources.id = full_texts.source_id
               WHERE sources.name = ? AND julianday(next_attempt) <= julianday(?)
               ORDER BY first_tried, guid""",
            (source, stamp(due)),
        )
        return [_waiting(row) for row in rows]

    def waiting_count(self) -> int:
        """How many teasers wait for their page, over every source."""
        return int(self._scalar("SELECT count(*) FROM full_texts"))


def save_waiting(
    db: Connection,
    source_id: int,
    waiting: Iterable[WaitingText],
    done: Iterable[str],
    when: datetime,
) -> None:
    """Within the caller's transaction: keep `waiting` (marking each item seen) and forget
    the items whose identities are in `done` (their page came, or trying is over)."""
    seen = fixed_time(when.isoformat())
    for entry in waiting:
        item = entry.item
        db.execute(
            """INSERT OR IGNORE INTO items (source_id, guid, first_seen, last_seen)
               VALUES (?, ?, ?, ?)""",
            (source_id, item.guid, seen, seen),
        )
        db.execute(
            """INSERT INTO full_texts (source_id, guid, item, first_tried, attempts,
                   next_attempt, last_error, teaser_stored) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (source_id, guid) DO UPDATE SET attempts = excluded.attempts,
                   next_attempt = excluded.next_attempt, last_error = excluded.last_error,
                   teaser_stored = excluded.teaser_stored""",
            (
                source_id,
                item.guid,
                _item_json(item),
                stamp(entry.first_tried),
                entry.attempts,
                stamp(entry.next_attempt or when),
                entry.last_error,
                int(entry.teaser_stored),
            ),
        )
    db.executemany(
        "DELETE FROM full_texts WHERE source_id = ? AND guid = ?",
        [(source_id, guid) for guid in done],
    )


def _item_json(item: FeedItem) -> str:
    return json.dumps(
        {
            "source": item.source,
            "guid": item.guid,
            "url": item.url,
            "title": item.title,
            "content": item.content,
            "content_type": item.content_type,
            "published": item.published.isoformat() if item.published else None,
            "author": item.author,
        }
    )


def _waiting(row: Row) -> WaitingText:
    data = json.loads(row["item"])
    item = FeedItem(
        source=data["source"],
        guid=data["guid"],
        url=data["url"],
        title=data["title"],
        content=data["content"],
        content_type=data["content_type"],
        published=parse_time(data["published"]),
        author=data["author"],
    )
    return WaitingText(
        item=item,
        first_tried=datetime.fromisoformat(row["first_tried"]),
        attempts=int(row["attempts"]),
        next_attempt=parse_time(row["next_attempt"]),
        last_error=row["last_error"],
        teaser_stored=bool(row["teaser_stored"]),
    )
