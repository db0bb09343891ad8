"""Tests for ``digest serve``'s logging (the service itself is run in test_scheduler)."""

from __future__ import annotations

import logging

from digest.cli.serve import JournalFormatter


def test_journal_lines_carry_the_syslog_priority() -> None:
    formatter = JournalFormatter("%(message)s")
    lines = [
        formatter.format(logging.LogRecord("digest", level, __file__, 1, "hello", None, None))
        for level in (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR)
    ]
    assert lines == ["<7>hello", "<6>hello", "<4>hello", "<3>hello"]
