"""Into the outbox: a rendered digest or notice built into its message and queued.

The message is built here, once, with its Message-ID, so that every attempt to send it
(and a resend after a crash) carries the same one. Queueing is one transaction in the
store; the sender (`sender`) takes it from there.
"""

from __future__ import annotations

from datetime import datetime

from digest.config import Config
from digest.models import RenderedDigest, Subscriber
from digest.render.message import Envelope, build_message
from digest.store import Store

__all__ = ["queue_digest", "queue_notice"]


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
    return _queue_message(
        config,
        store,
        subscriber,
        rendered,
        now=now,
        unsubscribe_url=unsubscribe_url,
        article_ids=article_ids,
        period=period,
        newest_article_id=newest_article_id,
    )


def queue_notice(
    config: Config, store: Store, subscriber: Subscriber, rendered: RenderedDigest, *, now: datetime
) -> int:
    """Queue a message that is not a digest (a confirmation request). Returns its id."""
    return _queue_message(config, store, subscriber, rendered, now=now, kind="notice")


def _queue_message(
    config: Config,
    store: Store,
    subscriber: Subscriber,
    rendered: RenderedDigest,
    *,
    now: datetime,
    unsubscribe_url: str = "",
    article_ids: tuple[int, ...] = (),
    period: str | None = None,
    newest_article_id: int | None = None,
    kind: str = "digest",
) -> int:
    envelope = Envelope(
        sender=config.delivery.sender,
        recipient=subscriber.email,
        recipient_name=subscriber.name,
        list_name=config.digest.title,
        list_id=config.delivery.list_id,
        unsubscribe_url=unsubscribe_url,
    )
    message = build_message(rendered, envelope, now=now)
    return store.queue_digest(
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
