"""Items and articles in the store: what each source yielded, stored once per story."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from digest.errors import StoreError
from digest.models import Article, CollectedArticle
from digest.store._core import StoreCore, parse_time, stamp
from digest.store.dialect import Connection, Row, insert_id
from digest.store.migrations import fixed_time
from digest.store.waiting import WaitingText, save_waiting

FULLER = 2
"""A later copy of a stored story replaces its text when it has at least this many times
as many words (a teaser against the story it leads to), or when the stored text is only a
teaser and the copy is not."""


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """A stored article, with its summary when one was made for `summary_key`."""

    article_id: int
    article: Article
    first_seen: datetime
    summary: tuple[str, ...] | None
    summary_key: str | None


_BATCH = 500  # identities looked up per statement

# An article's sources as a JSON array, in the order they yielded it: a column expression
# for a query over `articles`.
SOURCE_NAMES = """(
    SELECT json_group_array(name) FROM (
        SELECT sources.name AS name FROM items JOIN sources ON sources.id = items.source_id
        WHERE items.article_id = articles.id ORDER BY items.first_seen, sources.name
    ) AS carried)"""


class ArticlesStore(StoreCore):
    """Queries about items and articles."""

    def seen_guids(self, source: str) -> set[str]:
        """Identities of every item `source` yielded before."""
        rows = self._read(
            """SELECT items.guid FROM items JOIN sources ON sources.id = items.source_id
               WHERE sources.name = ?""",
            (source,),
        )
        return {row[0] for row in rows}

    def known_guids(self, source: str, guids: Iterable[str]) -> set[str]:
        """Which of `guids` `source` yielded before: one indexed look-up per batch, however
        many items the source yielded over its history."""
        wanted = list(dict.fromkeys(guids))
        known: set[str] = set()
        row = self._read_one("SELECT id FROM sources WHERE name = ?", (source,))
        if row is None:
            return known
        # SQLite allows 32,766 bound values; a feed's batch is far smaller, but a folder of
        # files may not be.
        for start in range(0, len(wanted), _BATCH):
            batch = wanted[start : start + _BATCH]
            rows = self._read(
                f"""SELECT guid FROM items
                    WHERE source_id = ? AND guid IN ({", ".join("?" for _ in batch)})""",
                (int(row[0]), *batch),
            )
            known.update(str(each[0]) for each in rows)
        return known

    def titles_and_texts(self, article_ids: list[int]) -> dict[int, tuple[str, str]]:
        """(title, text) of each of these articles that is stored, by id."""
        marks = ", ".join("?" for _ in article_ids)
        rows = self._read(
            f"SELECT id, title, text FROM articles WHERE id IN ({marks})", article_ids
        )
        return {int(row[0]): (str(row[1]), str(row[2])) for row in rows}

    def fingerprints(self, *, since: datetime) -> list[tuple[int, int]]:
        """(article id, SimHash) of the articles first seen since `since`."""
        rows = self._read(
            "SELECT id, simhash FROM articles WHERE simhash IS NOT NULL AND first_seen >= ?",
            (fixed_time(since.isoformat()),),
        )
        return [(int(row[0]), _unsigned(int(row[1]))) for row in rows]

    def store_items(
        self,
        source: str,
        articles: list[tuple[CollectedArticle, int | None]],
        skipped: list[str],
        *,
        when: datetime,
        waiting: Iterable[WaitingText] = (),
        done_waiting: Iterable[str] = (),
        still_listed: Iterable[str] = (),
    ) -> list[tuple[int, bool]]:
        """Store what one collection of `source` found, in one transaction.

        `articles` pairs each new article with the id of a known near-duplicate (or None);
        `skipped` are item identities that yielded no article. An article with the same
        URL or words as a stored one, or a near-duplicate, is stored once and this source
        recorded as carrying it; when this copy is fuller (see `FULLER`), its text replaces
        the stored one. `waiting` are teasers whose page is still to be fetched (see
        `digest.store.waiting`), `done_waiting` the identities of those that wait no more.
        `still_listed` are identities of items stored before that the source still lists
        (retention keeps them while it does). Returns (article id, whether it is new) per
        article.
        """
        results: list[tuple[int, bool]] = []
        seen = fixed_time(when.isoformat())
        with self._transaction() as db:
            row = db.execute("SELECT id FROM sources WHERE name = ?", (source,)).fetchone()
            if row is None:
                raise StoreError(f"The source {source!r} is not in the store.")
            source_id = int(row[0])
            for collected, near in articles:
                # An item stored before (a teaser, now with its page) is the same story,
                # whatever address its page was finally fetched from.
                earlier = db.execute(
                    "SELECT article_id FROM items WHERE source_id = ? AND guid = ?",
                    (source_id, collected.guid),
                ).fetchone()
                if earlier is not None and earlier[0] is not None:
                    near = int(earlier[0])
                article_id, is_new = _insert_article(db, collected, near, when)
                # An item seen earlier without an article (a teaser that waited for its
                # page) gets the article now.
                db.execute(
                    """INSERT INTO items (source_id, guid, article_id, first_seen, last_seen)
                       VALUES (?, ?, ?, ?, ?)
                       ON CONFLICT (source_id, guid) DO UPDATE SET article_id =
                           excluded.article_id WHERE items.article_id IS NULL""",
                    (source_id, collected.guid, article_id, seen, seen),
                )
                results.append((article_id, is_new))
            db.executemany(
                """INSERT OR IGNORE INTO items (source_id, guid, first_seen, last_seen)
                   VALUES (?, ?, ?, ?)""",
                [(source_id, guid, seen, seen) for guid in skipped],
            )
            listed = list(still_listed)
            for start in range(0, len(listed), _BATCH):
                batch = listed[start : start + _BATCH]
                db.execute(
                    f"""UPDATE items SET last_seen = ?
                        WHERE source_id = ? AND guid IN ({", ".join("?" for _ in batch)})""",
                    (seen, source_id, *batch),
                )
            save_waiting(db, source_id, waiting, done_waiting, when)
        return results

    def article_count(self) -> int:
        return int(self._scalar("SELECT count(*) FROM articles"))

    def articles_since(self, when: datetime) -> int:
        """How many articles were first seen at `when` or later (through the first-seen
        index: the cost follows the answer, not the history)."""
        return int(
            self._scalar("SELECT count(*) FROM articles WHERE first_seen >= ?", (stamp(when),))
        )

    def sources_of(self, article_id: int) -> list[str]:
        """Names of every source that carried an article, in the order they yielded it."""
        names = self._scalar(
            f"SELECT {SOURCE_NAMES} AS source_names FROM articles WHERE id = ?", (article_id,)
        )
        return list(json.loads(names)) if names else []

    def save_summary(self, article_id: int, sentences: tuple[str, ...], key: str) -> None:
        """Keep an article's summary for the method and length `key` names."""
        with self._transaction() as db:
            db.execute(
                "UPDATE articles SET summary = ?, summary_key = ? WHERE id = ?",
                (json.dumps(list(sentences)), key, article_id),
            )

    def _stored_article(self, row: Row) -> StoredArticle:
        """The article of a row that carries its sources as ``source_names`` (see
        `SOURCE_NAMES`)."""
        article = Article(
            url=row["url"],
            title=row["title"],
            text=row["text"],
            source=", ".join(json.loads(row["source_names"])),
            published=parse_time(row["published"]),
            author=row["author"],
            language=row["language"],
            image=row["image"],
            teaser=bool(row["teaser"]),
        )
        return StoredArticle(
            article_id=int(row["id"]),
            article=article,
            first_seen=datetime.fromisoformat(row["first_seen"]),
            summary=tuple(json.loads(row["summary"])) if row["summary"] else None,
            summary_key=row["summary_key"],
        )


def _insert_article(
    db: Connection, collected: CollectedArticle, near: int | None, when: datetime
) -> tuple[int, bool]:
    """The id of the stored copy of an article, inserting it when it is new."""
    article = collected.article
    if near is None:
        row = db.execute(
            "SELECT id FROM articles WHERE (url = ? AND url != '') OR content_hash = ?"
            " ORDER BY id LIMIT 1",
            (article.url, collected.content_hash),
        ).fetchone()
        near = int(row[0]) if row is not None else None
    if near is not None:
        _keep_fuller(db, near, collected)
        return near, False
    article_id = insert_id(
        db,
        """INSERT INTO articles (url, content_hash, simhash, title, author, published,
               language, image, text, teaser, first_seen)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            article.url,
            collected.content_hash,
            _signed(collected.simhash) if collected.simhash is not None else None,
            article.title,
            article.author,
            article.published.isoformat() if article.published else None,
            article.language,
            article.image,
            article.text,
            int(article.teaser),
            fixed_time(when.isoformat()),
        ),
    )
    return article_id, True


def _keep_fuller(db: Connection, article_id: int, collected: CollectedArticle) -> None:
    """Give the stored article `article_id` the text of `collected` when that is fuller.

    The stored URL stays (it is the story's identity for later copies); its summary goes,
    since it was made of the old text.
    """
    row = db.execute("SELECT text, teaser FROM articles WHERE id = ?", (article_id,)).fetchone()
    article = collected.article
    if row is None or article.teaser:
        return
    stored_words, words = len(str(row[0]).split()), len(article.text.split())
    if not (row[1] and words > stored_words) and words < FULLER * max(stored_words, 1):
        return
    db.execute(
        """UPDATE articles SET text = ?, content_hash = ?, simhash = ?, teaser = 0,
               title = CASE WHEN title = '' THEN ? ELSE title END,
               author = COALESCE(author, ?), image = COALESCE(image, ?),
               language = COALESCE(language, ?), summary = NULL, summary_key = NULL
           WHERE id = ?""",
        (
            article.text,
            collected.content_hash,
            _signed(collected.simhash) if collected.simhash is not None else None,
            article.title,
            article.author,
            article.image,
            article.language,
            article_id,
        ),
    )


def _signed(value: int) -> int:
    """A 64-bit fingerprint as SQLite's signed INTEGER holds it."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value
