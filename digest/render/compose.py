"""One subscriber's digest: choose its articles, summarise and render them, build the
message and queue it in the outbox.

Which articles: those stored since the subscriber's previous digest (the newest article
stored when it was made marks the line; a new subscriber's first digest holds what was
first seen within ``[schedule] first_digest_hours``), from the subscriber's sources (all
when they chose none), that no digest of theirs holds, newest first. Beyond
``[digest] max_articles`` the oldest are left out and the digest says how many.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from digest import render, summarize, tokens
from digest.config import Config
from digest.message import Envelope, build_message, mailto_unsubscribe
from digest.models import Digest, RenderedDigest, Subscriber, Summary
from digest.samples import sample_digest
from digest.store import Store, StoredArticle

# Articles looked at beyond the ones shown, to count those left out.
_LOOK_BEYOND = 1000


@dataclass(frozen=True, slots=True)
class Chosen:
    """The articles for one digest, and how many more were left out."""

    articles: list[StoredArticle]
    omitted: int
    newest_article_id: int  # the newest article stored when they were chosen


@dataclass(frozen=True, slots=True)
class Prepared:
    """A rendered digest, ready to be built into a message and queued."""

    subscriber: Subscriber
    rendered: RenderedDigest
    article_ids: tuple[int, ...]
    newest_article_id: int
    unsubscribe_url: str  # the signed one-click link; empty without [web] public_url


def choose_articles(
    config: Config, store: Store, subscriber: Subscriber, *, now: datetime
) -> Chosen:
    """The articles new to `subscriber` (see the module's docstring)."""
    newest = store.newest_article_id()  # read first: anything stored later is for next time
    previous = store.previous_digest(subscriber.email)
    since: datetime | None = None
    after_id: int | None = None
    if previous is None:
        since = now - timedelta(hours=config.schedule.first_digest_hours)
    elif previous[1] is None:
        since = previous[0]
    else:
        after_id = previous[1]
    limit = config.digest.max_articles
    found = store.undelivered(
        subscriber.email,
        limit=limit + _LOOK_BEYOND,
        since=since,
        after_id=after_id,
        sources=subscriber.sources,
    )
    return Chosen(found[:limit], max(0, len(found) - limit), newest)


def prepare(
    config: Config,
    store: Store,
    subscriber: Subscriber,
    *,
    now: datetime,
    empty: bool = False,
) -> Prepared | None:
    """Choose, summarise and render `subscriber`'s digest; None when nothing is new (unless
    `empty`, which renders a digest saying so). Raises `RenderError` for a template error
    and `ConfigError` when signed links lack their key."""
    chosen = choose_articles(config, store, subscriber, now=now)
    if not chosen.articles and not empty:
        return None
    link = preferences = ""
    if config.web.public_url:  # signed links to the subscriber's pages
        holder = tokens.Holder(*store.recipient_keys(subscriber, when=now))
        link = tokens.link(config.web, "unsubscribe", holder)
        preferences = tokens.link(config.web, "preferences", holder)
    digest = build_digest(
        config,
        store,
        subscriber,
        chosen.articles,
        now=now,
        unsubscribe_url=link,
        omitted=chosen.omitted,
    )
    digest = replace(digest, preferences_url=preferences)
    return Prepared(
        subscriber=subscriber,
        rendered=render_with(config, digest),
        article_ids=tuple(stored.article_id for stored in chosen.articles),
        newest_article_id=chosen.newest_article_id,
        unsubscribe_url=link,
    )


def queue(
    config: Config,
    store: Store,
    prepared: Prepared,
    *,
    now: datetime,
    period: str | None = None,
) -> int:
    """Build the message and queue it, as `period`'s digest when given. Returns its id.

    Raises `PeriodTaken` when that period already has its digest.
    """
    return _queue_message(
        config,
        store,
        prepared.subscriber,
        prepared.rendered,
        now=now,
        unsubscribe_url=prepared.unsubscribe_url,
        article_ids=prepared.article_ids,
        period=period,
        newest_article_id=prepared.newest_article_id,
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


def build_digest(
    config: Config,
    store: Store,
    subscriber: Subscriber,
    pending: list[StoredArticle],
    *,
    now: datetime,
    unsubscribe_url: str = "",
    omitted: int = 0,
) -> Digest:
    """The digest of `pending` articles for `subscriber`, summarised as configured.

    Its unsubscribe link is `unsubscribe_url`, else a mailto link to the sender.
    """
    local_now = now.astimezone(ZoneInfo(subscriber.timezone))
    return Digest(
        subscriber=subscriber,
        title=config.digest.title,
        generated_at=local_now,
        items=tuple(_summary(config, store, stored, local_now) for stored in pending),
        sources=tuple(source.name for source in config.sources),
        group_by=config.digest.group_by,
        omitted=omitted,
        unsubscribe_url=unsubscribe_url
        or mailto_unsubscribe(config.delivery.sender, subscriber.email),
    )


def preview(
    config: Config, store: Store, *, now: datetime, subscriber: Subscriber | None = None
) -> tuple[RenderedDigest, bool]:
    """Render the next digest without collecting, sending or marking anything.

    It holds what the subscriber (the first configured one by default) would get next;
    when that is nothing, it shows sample data. Returns the rendering and whether it is the
    sample. Raises `RenderError` for a template error.
    """
    reader = subscriber or (config.subscribers[0] if config.subscribers else None)
    reader = reader or Subscriber("reader@example.org", timezone=config.digest.timezone)
    chosen = choose_articles(config, store, reader, now=now)
    if chosen.articles:
        digest = build_digest(config, store, reader, chosen.articles, now=now)
    else:
        local = now.astimezone(ZoneInfo(reader.timezone))
        digest = replace(sample_digest(local, reader), group_by=config.digest.group_by)
    return render_with(config, digest), not chosen.articles


def render_with(config: Config, digest: Digest) -> RenderedDigest:
    """Render with the configured templates and size limit."""
    return render.render_digest(
        digest, template_dir=config.digest.templates, max_html_bytes=config.digest.max_html_bytes
    )


def check_templates(config: Config, *, template_dir: Path | None, now: datetime) -> list[str]:
    """Problems in the templates (`template_dir`, else the configured folder), one a line."""
    folder = template_dir or config.digest.templates
    return render.check_templates(folder, sample_digest(now))


def _summary(config: Config, store: Store, stored: StoredArticle, local_now: datetime) -> Summary:
    """The stored article's summary, made and kept now if the configuration changed."""
    settings = config.digest
    method = settings.method
    key = f"{method}:{settings.sentences}:{settings.ratio}:{settings.max_words}"
    article = stored.article
    if article.published is not None:
        article = replace(article, published=article.published.astimezone(local_now.tzinfo))
    if stored.summary is not None and stored.summary_key == key:
        return Summary(article=article, sentences=stored.summary, method=method)
    summary = summarize.summarize(
        article,
        sentences=settings.sentences,
        method=method,
        ratio=settings.ratio,
        max_words=settings.max_words,
    )
    store.save_summary(stored.article_id, summary.sentences, key)
    return summary
