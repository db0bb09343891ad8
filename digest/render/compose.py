"""A subscriber's `Digest` from their summaries, rendered with the configured templates.

Pure given a template folder: the summaries come in (chosen and summarised by
`digest.pipeline`), a `Digest` record and its rendering go out. Published times are shown
in the subscriber's zone; an article read from a local file (a note, a saved page) has no
link, as its ``file://`` address means nothing to the reader and tells them about the
sender's disk; the unsubscribe link is the signed one when there is one, else a mailto
link to the sender.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from digest.config import Config
from digest.models import Digest, RenderedDigest, Subscriber, Summary
from digest.render import templates
from digest.render.message import mailto_unsubscribe
from digest.render.samples import sample_digest

__all__ = ["WEB_SCHEMES", "build_digest", "check_templates", "render_with", "sample_for"]

WEB_SCHEMES = ("http://", "https://")
"""An article's URL is linked in a digest only when it starts with one of these."""


def build_digest(
    config: Config,
    subscriber: Subscriber,
    summaries: Iterable[Summary],
    *,
    now: datetime,
    unsubscribe_url: str = "",
    preferences_url: str = "",
    omitted: int = 0,
) -> Digest:
    """The digest of `summaries` for `subscriber`, made at `now`, as configured.

    Its unsubscribe link is `unsubscribe_url`, else a mailto link to the sender; `omitted`
    is how many more articles were left out.
    """
    local_now = now.astimezone(ZoneInfo(subscriber.timezone))
    return Digest(
        subscriber=subscriber,
        title=config.digest.title,
        generated_at=local_now,
        items=tuple(_for_mail(summary, local_now) for summary in summaries),
        sources=tuple(source.name for source in config.sources),
        group_by=config.digest.group_by,
        omitted=omitted,
        unsubscribe_url=unsubscribe_url
        or mailto_unsubscribe(config.delivery.sender, subscriber.email),
        preferences_url=preferences_url,
    )


def sample_for(config: Config, subscriber: Subscriber, *, now: datetime) -> Digest:
    """The sample digest, as `subscriber` would see it, for previews with nothing new."""
    local = now.astimezone(ZoneInfo(subscriber.timezone))
    return replace(sample_digest(local, subscriber), group_by=config.digest.group_by)


def render_with(config: Config, digest: Digest) -> RenderedDigest:
    """Render with the configured templates and size limit. Raises `RenderError`."""
    return templates.render_digest(
        digest, template_dir=config.digest.templates, max_html_bytes=config.digest.max_html_bytes
    )


def check_templates(config: Config, *, template_dir: Path | None, now: datetime) -> list[str]:
    """Problems in the templates (`template_dir`, else the configured folder), one a line."""
    folder = template_dir or config.digest.templates
    return templates.check_templates(folder, sample_digest(now))


def _for_mail(summary: Summary, local_now: datetime) -> Summary:
    """The summary with its article's time in the reader's zone, and its URL only when it
    is a web address (``""`` otherwise, so no template can show it)."""
    article = summary.article
    url = article.url if article.url.startswith(WEB_SCHEMES) else ""
    published = article.published.astimezone(local_now.tzinfo) if article.published else None
    if (url, published) == (article.url, article.published):
        return summary
    return replace(summary, article=replace(article, url=url, published=published))
