"""Tests for digest.deliver.background: a large run renders in this process and sends from a child
process, into a real SMTP server on 127.0.0.1."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from digest import config as config_module
from digest.deliver.background import SenderProcess
from digest.models import Subscriber
from digest.pipeline import SENDER_PROCESS_FROM, run_once
from digest.store import Store

from .conftest import DEMO_CONFIG, SmtpServer, free_port

NOW = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)


def smtp_demo(port: int) -> config_module.Config:
    demo = config_module.load(DEMO_CONFIG)
    smtp = replace(demo.smtp, host="127.0.0.1", port=port, security="none", timeout=5.0)
    return replace(demo, smtp=smtp, delivery=replace(demo.delivery, backend="smtp"))


def test_a_large_run_sends_every_digest_once_from_a_child_process(
    smtp_server: SmtpServer,
) -> None:
    config = smtp_demo(smtp_server.port)
    readers = tuple(Subscriber(f"reader{n:03}@example.org") for n in range(SENDER_PROCESS_FROM))
    with Store(config.database) as store:
        report = run_once(config, store, now=NOW, recipients=readers)
        assert store.outbox_counts()["sent"] == len(readers)
    received = smtp_server.handler.received()
    assert sorted(received) == [reader.email for reader in readers]
    assert all(len(ids) == 1 for ids in received.values())
    assert sorted(d.recipient for d in report.delivered) == sorted(received)
    assert report.sending.ok and not report.failed


def test_the_child_reports_a_server_that_is_down(tmp_path: Path) -> None:
    config = smtp_demo(free_port())
    with Store(config.database) as store:
        for n in range(3):
            store.queue_digest(
                Subscriber(f"r{n}@example.org"),
                envelope_from="digest@example.org",
                subject="S",
                message_id=f"<{n}@example.org>",
                message=b"Subject: S\r\n\r\nBody\r\n",
                article_ids=[],
                when=NOW,
            )
        sender = SenderProcess(config, config.database, start=NOW)
        sender.start()
        report = sender.finish()
        assert "connection refused" in report.problem
        assert store.outbox_counts()["deferred"] == 1
        assert store.outbox_counts()["queued"] == 2
