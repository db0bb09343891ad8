"""`digest serve`: APScheduler as the clock, the store as the record of what was sent.

Two jobs with fixed ids run in an in-memory job store: ``collect`` every ``[schedule]
collect_minutes`` and ``tick`` every ``tick_seconds`` (a minute by default), each at once
on start. Both coalesce missed runs into one, never overlap themselves
(``max_instances=1``) and run however late they are (``misfire_grace_time=None``): a tick
is idempotent, because `pipeline.send_due` decides each subscriber's period once, in the
store. So APScheduler may drop, merge or repeat a tick, and a restart may come at any time:
no digest is sent twice for a period, and one missed while the service was down is sent
on restart (within ``grace_hours``). With ``[store] keep_days`` set, a third job,
``prune``, removes what is older than that once a day (`Store.prune`).

Each job opens its own connection to the store and logs one line; a failing job is logged
and the service goes on. `serve` returns once `stop` is set (the command line sets it on
SIGTERM or SIGINT), after the jobs in hand have finished.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from digest import pipeline
from digest.collect import CollectionReport
from digest.config import Config
from digest.errors import DigestError
from digest.lockfile import StoreLock, lock_path
from digest.service.workers import SourceShare, period_claim, worker_name
from digest.store import Store

log = logging.getLogger("digest.serve")

Clock = Callable[[], datetime]
T = TypeVar("T")


def serve(
    config: Config,
    *,
    stop: threading.Event,
    clock: Clock | None = None,
    role: str = "all",
    speed: float = 1.0,
) -> None:
    """Run the service until `stop` is set, doing what `role` says (see
    `digest.service.workers.ROLES`); with `speed`, the jobs come that many times as often
    (for a `clock` that runs as fast). On SQLite one service at a time works on a store:
    raises `ServiceError` when another holds it. On PostgreSQL, any number of workers may
    serve one store together."""
    now = clock or (lambda: datetime.now(UTC))
    shared = config.store_address.shared
    with contextlib.ExitStack() as held:
        if not shared:
            held.enter_context(StoreLock(lock_path(config.database), "digest serve"))
        with Store(config.store_address):
            pass  # create or migrate it now, before two jobs open it at once
        _run(config, stop=stop, now=now, role=role, speed=speed)


def _run(config: Config, *, stop: threading.Event, now: Clock, role: str, speed: float) -> None:
    worker = worker_name() if config.store_address.shared else None
    scheduler = BackgroundScheduler(
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(max_workers=2)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        timezone=UTC,
    )
    started = datetime.now(UTC)
    jobs: list[tuple[Callable[[Config, Clock, str | None], None], str, float, str]] = []
    if role in ("all", "collect"):
        minutes = config.schedule.collect_minutes
        jobs.append((collect, "collect", minutes * 60, "collect every source"))
    if role in ("all", "send"):
        jobs.append((tick, "tick", config.schedule.tick_seconds, "send what is due"))
        if config.store.keep_days:
            jobs.append((prune, "prune", 24 * 3600.0, "prune what is older than keep_days"))
    for job, job_id, seconds, name in jobs:
        scheduler.add_job(
            job,
            IntervalTrigger(seconds=seconds / speed),
            args=(config, now, worker),
            id=job_id,
            name=name,
            next_run_time=started,
        )
    log.info(
        "digest serve started: collecting every %g minutes, sending checked every %g s",
        config.schedule.collect_minutes,
        config.schedule.tick_seconds,
    )
    if worker is not None or role != "all":
        log.info("this worker (%s) does: %s", worker or "alone", "; ".join(n for *_, n in jobs))
    scheduler.start()
    try:
        stop.wait()
    finally:
        log.info("stopping after the jobs in hand")
        scheduler.shutdown(wait=True)
        log.info("digest serve stopped")


def _job(what: str, config: Config, work: Callable[[Store], T]) -> T | None:
    """Run `work` over a connection of its own; log a failure and return None."""
    try:
        with Store(config.store_address) as store:
            return work(store)
    except DigestError as exc:
        log.error("%s failed: %s", what, exc)
    except Exception:
        log.exception("%s failed", what)
    return None


def collect(config: Config, now: Clock, worker: str | None = None) -> None:
    """The ``collect`` job: one collection pass (of the sources this `worker` leased, when
    several share the store), one log line."""

    def work(store: Store) -> CollectionReport:
        at = now()
        if worker is None:
            return pipeline.collect_all(config, store, now=at)
        interval = timedelta(minutes=config.schedule.collect_minutes)
        share = SourceShare(store, owner=worker, clock=now, interval=interval)
        try:
            return pipeline.collect_all(config, store, now=at, share=share)
        finally:
            share.release_all()

    report = _job("collection", config, work)
    if report is None:
        return
    failed = len(report.source_failures)
    log.info(
        "collected %d of %d sources: %d new articles, %d duplicates, %d sources failed",
        report.sources_read,
        report.sources_read + failed + report.sources_deferred,
        report.new_articles,
        report.duplicates,
        failed,
    )
    for failure in report.source_failures:
        log.warning("source %s failed: %s", failure.what, failure.reason)


def prune(config: Config, now: Clock, worker: str | None = None) -> None:
    """The ``prune`` job: remove what is older than ``[store] keep_days``, one log line."""
    cutoff = now() - timedelta(days=config.store.keep_days)
    pruned = _job("pruning", config, lambda store: store.prune(before=cutoff))
    if pruned is not None:
        log.info(
            "pruned what was first seen before %s: %d articles, %d items, %d digests",
            cutoff.date().isoformat(),
            pruned.articles,
            pruned.items,
            pruned.digests,
        )


def tick(config: Config, now: Clock, worker: str | None = None) -> None:
    """The ``tick`` job: queue (those this `worker` claimed, when several share the store)
    and send the digests that are due, one log line if any."""

    def work(store: Store) -> pipeline.RunReport:
        at = now()
        claim = period_claim(store, owner=worker, now=at) if worker is not None else None
        return pipeline.send_due(config, store, now=at, claim=claim)

    report = _job("sending", config, work)
    if report is None:
        return
    sending = report.sending
    counts = (
        report.queued,
        len(sending.sent),
        len(sending.deferred),
        len(sending.failed),
        len(report.nothing_new),
        len(report.skipped),
    )
    if any(counts) or sending.problem:
        log.info(
            "digests: %d queued, %d sent, %d deferred, %d failed, %d with nothing new, %d skipped",
            *counts,
        )
    if sending.problem:
        log.error("sending stopped: %s", sending.problem)
    for failure in report.delivery_failures:
        log.error("digest for %s not rendered: %s", failure.what, failure.reason)
