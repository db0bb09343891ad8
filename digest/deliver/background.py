"""The sender in a child process, for runs that queue many digests.

Rendering a digest and sending one both cost CPU time in Python, and threads of one
process share one interpreter lock; with the sender in its own process, a large run renders
on one core while it sends on another. The child opens its own connection to the store
(SQLite in WAL mode serves both), runs a `Sender` that follows the outbox, and sends its
`SendReport` back when the parent says queueing is over. If the parent dies, the child
finishes what is due and exits; whatever it leaves behind stays in the outbox.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import traceback
from datetime import datetime
from multiprocessing import get_context
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event

from digest.config import Config
from digest.deliver.sender import STOPPED, Sender, SendReport, clock_from
from digest.errors import DeliveryError
from digest.models import StoreAddress
from digest.store import Store

POLL = 0.05  # seconds between looks at the outbox when nothing is due


class SenderProcess:
    """A `Sender` following the outbox in a child process: `start`, `add`, `stop`, `finish`.

    The child ignores Ctrl-C (the terminal sends it to the whole process group): the parent
    decides, and tells it to `stop` after the message in hand."""

    def __init__(self, config: Config, database: StoreAddress, *, start: datetime) -> None:
        # A fresh interpreter, so the child sees this process's environment as it is now
        # (the SMTP password among it); a fork server keeps the one it started with.
        context = get_context("spawn")
        self._done = context.Event()
        self._stopping = context.Event()
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_run,
            args=(
                config,
                database,
                start,
                (self._done, self._stopping),
                send,
                os.getpid(),
                _log_level(),
            ),
            name="digest-sender",
            daemon=True,
        )
        self._send_end = send

    def start(self) -> None:
        self._process.start()
        self._send_end.close()  # the child holds the other copy

    def add(self, digest_id: int) -> None:
        """Nothing to do: the child looks at the outbox every few milliseconds."""

    def stop(self) -> None:
        """Tell the child to stop after the message in hand (`STOPPED` says why); what is
        not sent waits in the outbox."""
        self._stopping.set()

    def finish(self) -> SendReport:
        """Tell the child queueing is over, wait for it, and return its report.

        Raises `DeliveryError` when the child failed.
        """
        self._done.set()
        try:
            outcome = self._receive.recv()
        except EOFError:
            outcome = ("error", f"the sending process stopped (exit code {self._process.exitcode})")
        finally:
            self._process.join()
            self._receive.close()
        kind, payload = outcome
        if kind == "error":
            raise DeliveryError(f"Sending failed: {payload}")
        assert isinstance(payload, SendReport)
        return payload


def _log_level() -> int:
    """How much of the sender's log this process shows (the child shows the same)."""
    return logging.getLogger("digest").getEffectiveLevel()


def _run(
    config: Config,
    database: StoreAddress,
    start: datetime,
    events: tuple[Event, Event],
    reply: Connection,
    parent: int,
    log_level: int,
) -> None:
    """The child: follow the outbox until the parent is done (or gone, or says stop), then
    report."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    done, stopping = events
    logging.basicConfig(level=log_level, format="%(levelname)s: %(message)s", stream=sys.stderr)
    logging.getLogger("digest").setLevel(log_level)
    try:
        with Store(database) as store:
            sender = Sender(config, store, clock=clock_from(start), follow=True, poll=POLL)
            sender.start()
            while not done.wait(timeout=0.1) and not stopping.is_set():
                if os.getppid() != parent:
                    break  # the parent died; send what is due and stop
            if stopping.is_set():
                sender.stop(STOPPED)
            report = sender.finish()
        reply.send(("report", report))
    except BaseException as exc:  # reported to the parent, which raises it for the user
        reply.send(("error", str(exc) or traceback.format_exc(limit=1)))
    finally:
        reply.close()
