"""``digest serve``: the long-running service, logging for journald or a terminal."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from datetime import datetime
from pathlib import Path
from types import FrameType

import click

from digest.cli._app import cli, config_option, load_config

# syslog priorities, which journald reads from a "<N>" prefix on each line
_PRIORITY = {
    logging.DEBUG: 7,
    logging.INFO: 6,
    logging.WARNING: 4,
    logging.ERROR: 3,
    logging.CRITICAL: 2,
}


class JournalFormatter(logging.Formatter):
    """``<6>message``: journald takes the priority from the prefix and adds the time."""

    def format(self, record: logging.LogRecord) -> str:
        priority = _PRIORITY.get(record.levelno, 6)
        return f"<{priority}>{super().format(record)}"


@cli.command()
@config_option
@click.option(
    "--clock-start",
    metavar="ISO-TIME",
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"]),
    help="Run as if the clock read this (with its UTC offset) at start; for trying a schedule out.",
)
def serve(config_path: Path | None, clock_start: datetime | None) -> None:
    """Run the service: collect every few minutes, and send each subscriber's digest at
    their send time in their time zone. Stops cleanly on SIGTERM or Ctrl-C."""
    config = load_config(config_path)
    from digest import outbox, scheduler

    _log_for_service()
    stop = threading.Event()

    def request_stop(number: int, _: FrameType | None) -> None:
        logging.getLogger("digest.serve").info("%s received", signal.Signals(number).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    clock = outbox.clock_from(clock_start) if clock_start is not None else None
    scheduler.serve(config, stop=stop, clock=clock)


def _log_for_service() -> None:
    """Info lines to stderr: with a priority prefix under systemd, else with the time."""
    handler = logging.StreamHandler(sys.stderr)
    if os.environ.get("JOURNAL_STREAM"):
        handler.setFormatter(JournalFormatter("%(message)s"))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    digest_log = logging.getLogger("digest")
    if digest_log.level == logging.CRITICAL or digest_log.level > logging.INFO:
        digest_log.setLevel(logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
