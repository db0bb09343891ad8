"""The CPU half of the collection pass: where parsing and cleaning run.

With many sources that is a pool of worker processes (started from a fork server), with few
the calling thread itself (`cpu_executor`). `Workers` shares one executor between the
sources' threads and keeps a worker that dies from taking the whole pass with it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Any, TypeVar

from digest.collect.prepare import ArticleMaker
from digest.errors import DigestError

T = TypeVar("T")


class WorkerDied(DigestError):
    """A worker process stopped (it crashed, or was killed) while preparing a source."""


class Workers:
    """The CPU executor, shared by the sources' threads.

    A process pool breaks for good when one of its workers dies, failing every job it held,
    and which job killed it cannot be told. So the pool is replaced, and each job it held
    is tried again alone, in a process of its own (`alone`): the one that dies again is the
    source at fault, and the others go on.
    """

    def __init__(self, make: Callable[[], Executor], alone: Callable[[], Executor]) -> None:
        self._make = make
        self._alone = alone
        self._executor = make()
        self._lock = threading.Lock()

    def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)`, run by the executor. Raises `WorkerDied` when the
        worker running it died, and died again when it ran alone."""
        executor = self._executor
        try:
            return executor.submit(fn, *args, **kwargs).result()
        except BrokenProcessPool:
            with self._lock:
                if self._executor is executor:
                    executor.shutdown(wait=False, cancel_futures=True)
                    self._executor = self._make()
        with self._alone() as alone:
            try:
                return alone.submit(fn, *args, **kwargs).result()
            except BrokenProcessPool as exc:
                raise WorkerDied(
                    "a worker process stopped while preparing this source; it is tried "
                    "again on the next run."
                ) from exc

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


PROCESSES_FROM = 10
"""With ``[collect] processes = 0`` (automatic), this many sources or more get worker
processes; fewer are prepared in their threads, sparing the processes' start-up."""


class _InlineExecutor(Executor):
    """Runs each job at once in the submitting thread."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to whoever reads the result, as a pool does
            future.set_exception(exc)
        return future


def cpu_executor(processes: int, sources: int, make_article: ArticleMaker) -> Executor:
    """Worker processes for the CPU-bound work, or the inline executor."""
    count = processes or ((os.cpu_count() or 1) if sources >= PROCESSES_FROM else 1)
    if count <= 1:
        return _InlineExecutor()
    return process_pool(count, make_article)


def process_pool(count: int, make_article: ArticleMaker) -> ProcessPoolExecutor:
    # Not "fork": a forked child of a threaded process can inherit a held lock. A fork
    # server is started once, imports the preparing code once, and forks each worker from
    # that clean, single-threaded process, so workers start at once.
    context = get_context("forkserver")
    context.set_forkserver_preload(["digest.collect.prepare", make_article.__module__])
    return ProcessPoolExecutor(max_workers=count, mp_context=context)
