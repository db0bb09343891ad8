"""The command line: parse arguments, call one function, report the result.

No business logic lives here. Every `DigestError` is caught once, by the command group, and
printed as ``Error: <message>`` (with the traceback only under ``--verbose``). Exit codes:
0 ok, 1 a runtime failure, 2 a usage or configuration error. One module per command group.
"""

from __future__ import annotations

from digest.cli import outbox, run, serve, sources, status, store, subscribers, templates  # noqa: F401  (each registers its commands)
from digest.cli._app import cli

__all__ = ["cli", "main"]


def main() -> None:
    """Entry point of the ``digest`` command."""
    cli(prog_name="digest")
