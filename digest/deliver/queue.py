"""Into the outbox: a rendered digest or notice built into its message and queued.

The message is built here, once, with its Message-ID, so that every attempt to send it
(and a resend after a crash) carries the same one. Queueing is one transaction in the
store; the sender (`sender`) takes it from there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType

from digest.config import Config
from digest.models import RenderedDigest, Subscriber
from digest.render.message import Envelope, build_message
from digest.store import NewDigest, Store

__all__ = ["DigestBatch", "Queued", "queue_digest", "queue_notice"]

BATCH = 8  # digests queued per transaction by a `DigestBatch`


def queue_digest(
    config: Config,
    store: Store,
    subscriber: Subscriber,
    rendered: RenderedDigest,
    *,
    now: datetime,
    unsubscribe_url: str,
    article_ids: tuple[int, ...],
    newest_article_id: int,
    period: str | None = None,
) -> int:
    """Queue `subscriber`'s digest of `article_ids`, as `period`'s when given; return its id.

    Raises `PeriodTaken` when that period already has its digest.
    """
    new = _new_digest(
        config,
        subscriber,
        rendered,
        now=now,
        unsubscribe_url=unsubscribe_url,
        article_ids=article_ids,
        period=period,
        newest_article_id=newest_article_id,
    )
    return store.queue_new(new)


def queue_notice(
    config: Config, store: Store, subscriber: Subscriber, rendered: RenderedDigest, *, now: datetime
) -> int:
    """Queue a message that is not a digest (a confirmation request). Returns its id."""
    return store.queue_new(_new_digest(config, subscriber, rendered, now=now, kind="notice"))


@dataclass(frozen=True, slots=True)
class Queued:
    """What became of one digest of a `DigestBatch`."""

    subscriber: Subscriber
    period: str | None
    digest_id: int | None  # None when its period already had a digest


class DigestBatch:
    """Digests built into messages and queued a few at a time, each few in one transaction.

    A large run queues thousands; one transaction each would write the outbox's indexes
    thousands of times. `on_queued` hears of each digest once its batch is in the store.
    Use as a context manager: what is left is queued on a normal exit, and dropped (never
    half-queued) when an exception ends the block.
    """

    def __init__(
        self,
        config: Config,
        store: Store,
        *,
        now: datetime,
        on_queued: Callable[[Queued], None],
        size: int = BATCH,
    ) -> None:
        self.config = config
        self.store = store
        self.now = now
        self.on_queued = on_queued
        self.size = size
        self._pending: list[tuple[NewDigest, Subscriber]] = []

    def __enter__(self) -> DigestBatch:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.flush()

    def add(
        self,
        subscriber: Subscriber,
        rendered: RenderedDigest,
        *,
        unsubscribe_url: str,
        article_ids: tuple[int, ...],
        newest_article_id: int,
        period: str | None,
    ) -> None:
        """Build the digest's message; queue it with the others once there are enough."""
        new = _new_digest(
            self.config,
            subscriber,
            rendered,
            now=self.now,
            unsubscribe_url=unsubscribe_url,
            article_ids=article_ids,
            period=period,
            newest_article_id=newest_article_id,
        )
        self._pending.append((new, subscriber))
        if len(self._pending) >= self.size:
            self.flush()

    def flush(self) -> None:
        """Queue what is pending, in one transaction."""
        pending, self._pending = self._pending, []
        if not pending:
            return
        ids = self.store.queue_digests([new for new, _ in pending])
        for (new, subscriber), digest_id in zip(pending, ids, strict=True):
            self.on_queued(Queued(subscriber, new.period, digest_id))


def _new_digest(
    config: Config,
    subscriber: Subscriber,
    rendered: RenderedDigest,
    *,
    now: datetime,
    unsubscribe_url: str = "",
    article_ids: tuple[int, ...] = (),
    period: str | None = None,
    newest_article_id: int | None = None,
    kind: str = "digest",
) -> NewDigest:
    envelope = Envelope(
        sender=config.delivery.sender,
        recipient=subscriber.email,
        recipient_name=subscriber.name,
        list_name=config.digest.title,
        list_id=config.delivery.list_id,
        unsubscribe_url=unsubscribe_url,
    )
    message = build_message(rendered, envelope, now=now)
    return NewDigest(
        subscriber,
        envelope_from=envelope.sender_address,
        subject=rendered.subject,
        message_id=message.message_id,
        message=message.data,
        article_ids=article_ids,
        when=now,
        period=period,
        newest_article_id=newest_article_id,
        kind=kind,
    )
