"""``digest serve`` and ``digest web``: the long-running services, logging for journald or a
terminal."""

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

from digest.cli._app import cli, config_option, load_config, quiet
from digest.config import Config

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
@click.option(
    "--clock-speed",
    type=click.FloatRange(min=0, min_open=True, max=100_000),
    default=1.0,
    show_default=True,
    help="With --clock-start, run the clock (and the jobs) this many times as fast.",
)
@click.option(
    "--clock-origin",
    type=float,
    metavar="UNIX-TIME",
    help="With --clock-start, the moment (seconds since 1970) the clock reads it, instead of "
    "the start: workers given the same one share one clock.",
)
@click.option(
    "--role",
    type=click.Choice(["all", "collect", "send"]),
    default="all",
    show_default=True,
    help="What this worker does: collect, send (make and send what is due), or all. Several "
    "workers may share a PostgreSQL store.",
)
@click.option("--web", "with_web", is_flag=True, help="Serve the subscriber pages too.")
def serve(
    config_path: Path | None,
    clock_start: datetime | None,
    clock_speed: float,
    clock_origin: float | None,
    role: str,
    with_web: bool,
) -> None:
    """Run the service: collect every few minutes, and send each subscriber's digest at
    their send time in their time zone. Stops cleanly on SIGTERM or Ctrl-C."""
    config = load_config(config_path)
    from digest.service.jobs import serve
    from digest.service.workers import simulated_clock

    if clock_start is None and (clock_speed != 1.0 or clock_origin is not None):
        raise click.UsageError("--clock-speed needs --clock-start.")
    _log_for_service()
    stop = _stop_on_signals()
    clock = None
    if clock_start is not None:
        clock = simulated_clock(clock_start, speed=clock_speed, origin=clock_origin)
    pages = None
    if with_web:
        from digest.web import WebServer

        pages = WebServer(config)
        _warn_if_links_stay_here(config, local=False)
        threading.Thread(target=pages.run, name="digest-web", daemon=True).start()
        logging.getLogger("digest.serve").info("subscriber pages on %s", pages.url)
    try:
        serve(config, stop=stop, clock=clock, role=role, speed=clock_speed)
    finally:
        if pages is not None:
            pages.close()


@cli.command()
@config_option
@click.option("--host", help="Listen on this address (default: [web] host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port (default: [web] port, 8080).")
@click.option(
    "--local",
    is_flag=True,
    help="Try the pages on this machine: listen on 127.0.0.1 only, links point there, no "
    "[web] public_url needed.",
)
def web(config_path: Path | None, host: str | None, port: int | None, local: bool) -> None:
    """Serve the subscriber pages: sign-up with confirmation by email, preferences and
    one-click unsubscribe. Needs [web] public_url (links are built from it), or --local.
    Stops on SIGTERM or Ctrl-C."""
    config = load_config(config_path)
    if local and host is not None:
        raise click.UsageError("--local listens on 127.0.0.1 only; leave out --host.")
    from digest.web import WebServer

    _log_for_service()
    pages = WebServer(config, host=host, port=port, local=local)
    _warn_if_links_stay_here(config, local=local)
    if local:
        logging.getLogger("digest.serve").warning(
            "local testing: the pages listen on 127.0.0.1 only and their links point there; "
            "set [web] public_url to publish them"
        )
    stop = _stop_on_signals()

    def close_when_stopped() -> None:
        stop.wait()
        pages.close()

    threading.Thread(target=close_when_stopped, daemon=True).start()
    logging.getLogger("digest.serve").info("subscriber pages on %s", pages.url)
    pages.run()


def _warn_if_links_stay_here(config: Config, *, local: bool) -> None:
    from digest.web import links_stay_on_this_machine

    if not local and links_stay_on_this_machine(config):
        logging.getLogger("digest.serve").warning(
            "[web] public_url is %s, an address on this machine: links in mails will not open "
            "for readers anywhere else; set it to the pages' public address",
            config.web.public_url,
        )


def _stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT, each logged."""
    stop = threading.Event()

    def request_stop(number: int, _: FrameType | None) -> None:
        logging.getLogger("digest.serve").info("%s received", signal.Signals(number).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    return stop


def _log_for_service() -> None:
    """Info lines to stderr (warnings and errors only under --quiet): with a priority prefix
    under systemd, else with the time."""
    handler = logging.StreamHandler(sys.stderr)
    if os.environ.get("JOURNAL_STREAM"):
        handler.setFormatter(JournalFormatter("%(message)s"))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    digest_log = logging.getLogger("digest")
    if quiet():
        digest_log.setLevel(logging.WARNING)
    elif digest_log.level == logging.CRITICAL or digest_log.level > logging.INFO:
        digest_log.setLevel(logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
