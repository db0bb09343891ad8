"""Tests for digest.deliver.sender: draining the outbox into a real SMTP server on 127.0.0.1 that
refuses, defers, drops connections, goes down, or is killed mid-batch."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from digest import config as config_module
from digest.config import Config
from digest.deliver import DigestBatch, Queued
from digest.deliver.sender import RateLimit, RetryPolicy, Sender, drain, recover
from digest.errors import StoreError
from digest.models import RenderedDigest, Subscriber
from digest.render.message import Envelope, build_message
from digest.store import Store

from .conftest import ROOT, RecordingHandler, SmtpServer, free_port
from .test_cli import smtp_demo_config

START = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
RENDERED = RenderedDigest(subject="Daily digest", text="Plain body\n", html="<p>HTML body</p>\n")


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def smtp_config(tmp_path: Path, port: int, **smtp: object) -> Config:
    base = config_module.parse({}, base=tmp_path)
    settings = replace(base.smtp, host="127.0.0.1", port=port, security="none", timeout=5.0)
    settings = replace(settings, **smtp)  # type: ignore[arg-type]
    delivery = replace(base.delivery, backend="smtp", sender="Digest <digest@example.org>")
    return replace(base, smtp=settings, delivery=delivery, data_dir=tmp_path / "data")


def queue(store: Store, count: int, *, when: datetime = START) -> list[str]:
    """Queue `count` digests, one per reader; returns their addresses."""
    recipients = [f"reader{n:03}@example.org" for n in range(count)]
    for address in recipients:
        message = build_message(
            RENDERED, Envelope(sender="digest@example.org", recipient=address), now=when
        )
        store.queue_digest(
            Subscriber(address),
            envelope_from="digest@example.org",
            subject=RENDERED.subject,
            message_id=message.message_id,
            message=message.data,
            article_ids=[],
            when=when,
        )
    return recipients


def drain_until_empty(config: Config, store: Store, clock: FakeClock, rounds: int = 20) -> int:
    """Drain, then move the clock past any retry delay, until nothing waits; returns rounds."""
    for round_number in range(1, rounds + 1):
        drain(config, store, clock=clock)
        counts = store.outbox_counts()
        if counts["queued"] + counts["deferred"] + counts["sending"] == 0:
            return round_number
        clock.advance(hours=6)
    raise AssertionError(f"still waiting after {rounds} rounds: {store.outbox_counts()}")


@pytest.fixture
def store(store_where: Path | str) -> Iterator[Store]:
    """An outbox in SQLite, then in PostgreSQL: each test runs on both."""
    with Store(store_where) as opened:
        yield opened


def test_every_digest_arrives_once_when_a_third_of_transactions_get_451(
    tmp_path: Path, store: Store, smtp_server: SmtpServer
) -> None:
    chance = random.Random(7)
    smtp_server.handler.data_replies = lambda _: (
        "451 4.3.0 Try again later" if chance.random() < 1 / 3 else None
    )
    recipients = queue(store, 30)
    config = smtp_config(tmp_path, smtp_server.port)
    rounds = drain_until_empty(config, store, FakeClock())
    received = smtp_server.handler.received()
    assert sorted(received) == recipients
    assert all(len(ids) == 1 for ids in received.values())
    assert store.outbox_counts()["sent"] == 30
    assert rounds > 1  # some digests really were deferred and retried


def test_permanent_refusal_fails_that_digest_and_the_rest_are_sent(
    tmp_path: Path, store: Store, smtp_server: SmtpServer
) -> None:
    recipients = queue(store, 5)
    smtp_server.handler.refuse[recipients[2]] = "550 5.1.1 No such user here"
    report = drain(config := smtp_config(tmp_path, smtp_server.port), store, clock=FakeClock())
    assert sorted(smtp_server.handler.received()) == recipients[:2] + recipients[3:]
    (failed,) = report.failed
    assert (failed.recipient, failed.reply) == (recipients[2], "550 5.1.1 No such user here")
    (entry,) = store.outbox_entries(("failed",))
    assert entry.recipient == recipients[2] and entry.last_reply == "550 5.1.1 No such user here"
    assert store.outbox_counts()["sent"] == 4
    assert smtp_server.handler.connections == 1
    assert drain(config, store, clock=FakeClock(START + timedelta(days=1))).sent == []


def test_dropped_connection_defers_one_digest_and_reconnects(
    tmp_path: Path, store: Store, smtp_server: SmtpServer
) -> None:
    smtp_server.handler.drop_at = {4}
    recipients = queue(store, 10)
    clock = FakeClock()
    config = smtp_config(tmp_path, smtp_server.port)
    first = drain(config, store, clock=clock)
    assert len(first.sent) == 9
    (deferred,) = first.deferred
    assert deferred.recipient == recipients[3]
    assert "closed the connection" in deferred.reply
    assert START + timedelta(minutes=3) <= deferred.next_attempt <= START + timedelta(minutes=7)
    assert smtp_server.handler.connections == 2
    drain_until_empty(config, store, clock)
    received = smtp_server.handler.received()
    assert sorted(received) == recipients and all(len(ids) == 1 for ids in received.values())


def test_421_closes_the_connection_and_the_sender_reconnects(
    tmp_path: Path, store: Store, smtp_server: SmtpServer
) -> None:
    smtp_server.handler.data_replies = lambda number: (
        "421 4.3.2 Too many messages" if number == 3 else None
    )
    recipients = queue(store, 6)
    config = smtp_config(tmp_path, smtp_server.port)
    report = drain(config, store, clock=(clock := FakeClock()))
    assert len(report.sent) == 5 and report.deferred[0].reply.endswith(
        "421 4.3.2 Too many messages."
    )
    assert smtp_server.handler.connections == 2
    drain_until_empty(config, store, clock)
    assert sorted(smtp_server.handler.received()) == recipients


def test_server_down_loses_nothing_and_sending_resumes_when_it_is_back(
    tmp_path: Path, store: Store
) -> None:
    port = free_port()
    recipients = queue(store, 8)
    config = smtp_config(tmp_path, port, timeout=2.0)
    clock = FakeClock()
    report = drain(config, store, clock=clock)
    assert report.sent == [] and "connection refused" in report.problem
    assert store.outbox_counts() == {
        "queued": 7, "sending": 0, "deferred": 1, "failed": 0, "sent": 0,
    }  # fmt: skip
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        clock.advance(hours=1)
        again = drain(config, store, clock=clock)
    finally:
        controller.stop()
    assert len(again.sent) == 8 and again.ok
    assert sorted(handler.received()) == recipients


def test_connections_are_renewed_after_the_configured_number_of_messages(
    tmp_path: Path, store: Store, smtp_server: SmtpServer
) -> None:
    queue(store, 5)
    config = smtp_config(tmp_path, smtp_server.port, messages_per_connection=2)
    assert len(drain(config, store, clock=FakeClock()).sent) == 5
    assert smtp_server.handler.connections == 3


def test_several_connections_send_each_digest_once(
    tmp_path: Path, store: Store, smtp_server: SmtpServer
) -> None:
    smtp_server.handler.delay = 0.01
    recipients = queue(store, 24)
    config = smtp_config(tmp_path, smtp_server.port, connections=3)
    report = drain(config, store, clock=FakeClock())
    received = smtp_server.handler.received()
    assert len(report.sent) == 24
    assert sorted(received) == recipients and all(len(ids) == 1 for ids in received.values())
    assert smtp_server.handler.connections == 3


def test_a_message_leaves_only_once_the_one_before_is_recorded_as_sent(
    tmp_path: Path, store: Store, smtp_server: SmtpServer
) -> None:
    """The store's work overlaps the next envelope, never the next message: when the server
    gets a message, every message it accepted before is already marked sent."""
    assert store.address is not None
    observer = Store(store.address)  # another connection, as another process would have
    seen_sent: list[int] = []
    accepted_before: list[int] = []

    def look(number: int) -> str | None:
        seen_sent.append(observer.outbox_counts()["sent"])
        accepted_before.append(number - 1)
        return None

    smtp_server.handler.data_replies = look
    queue(store, 12)
    drain(smtp_config(tmp_path, smtp_server.port), store, clock=FakeClock())
    observer.close()
    assert seen_sent == accepted_before == list(range(12))
    assert store.outbox_counts()["sent"] == 12


def test_a_record_that_fails_stops_the_next_message_before_it_leaves(
    tmp_path: Path, store: Store, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    marked: list[int] = []
    mark_sent = Store.mark_sent

    def failing_second(self: Store, digest_id: int, **kwargs: Any) -> None:
        marked.append(digest_id)
        if len(marked) == 2:
            raise StoreError("The store at x failed: disk I/O error.")
        mark_sent(self, digest_id, **kwargs)

    monkeypatch.setattr(Store, "mark_sent", failing_second)
    queue(store, 5)
    config = smtp_config(tmp_path, smtp_server.port)
    with pytest.raises(StoreError, match="disk I/O error"):
        drain(config, store, clock=FakeClock())
    assert len(smtp_server.handler.messages) == 2  # the third never left
    counts = store.outbox_counts()
    assert (counts["sent"], counts["sending"], counts["queued"]) == (1, 1, 3)


def test_a_digest_deferred_past_the_give_up_period_fails(
    tmp_path: Path, store: Store, smtp_server: SmtpServer
) -> None:
    smtp_server.handler.data_reply = "452 4.2.2 Mailbox full"
    queue(store, 1)
    config = smtp_config(tmp_path, smtp_server.port)
    clock = FakeClock()
    for _ in range(40):
        drain(config, store, clock=clock)
        if store.outbox_counts()["failed"]:
            break
        clock.advance(hours=5)
    (entry,) = store.outbox_entries(("failed",))
    assert entry.last_reply == "gave up after 72 hours: 452 4.2.2 Mailbox full"
    assert clock.now - START >= timedelta(hours=72)
    assert entry.attempts > 10


def test_retry_policy_doubles_with_jitter_and_stops_at_the_deadline() -> None:
    policy = RetryPolicy()
    rng = random.Random(1)
    delays = []
    for attempts in range(1, 10):
        due = policy.next_attempt(attempts=attempts, queued=START, now=START, rng=rng)
        assert due is not None
        delays.append(due - START)
    assert timedelta(minutes=3.75) <= delays[0] <= timedelta(minutes=6.25)
    assert timedelta(minutes=7.5) <= delays[1] <= timedelta(minutes=12.5)
    assert all(delay <= timedelta(hours=5) for delay in delays)
    near_end = START + timedelta(hours=71)
    assert policy.next_attempt(attempts=9, queued=START, now=near_end, rng=rng) == (
        START + timedelta(hours=72)
    )
    assert (
        policy.next_attempt(attempts=9, queued=START, now=START + timedelta(days=3), rng=rng)
        is None
    )


def test_rate_limit_spaces_events_evenly() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limit = RateLimit(4.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        limit.wait()
    assert slept == [0.25, 0.25, 0.25, 0.25]
    unlimited = RateLimit(0.0, clock=lambda: now[0], sleep=sleep)
    unlimited.wait()
    assert len(slept) == 4


def test_rows_left_sending_by_a_dead_process_are_recovered(store: Store) -> None:
    queue(store, 3)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = socket.gethostname()
    store.claim_next(now=START, owner=f"{host}:{dead.pid}:0")
    store.claim_next(now=START, owner=f"{host}:{os.getppid()}:0")  # alive: left alone
    store.claim_next(now=START, owner=f"elsewhere:{dead.pid}:0")  # unknown: left alone...
    assert recover(store, now=START + timedelta(minutes=1)) == 1
    assert [entry.claimed_by for entry in store.sending()] == [
        f"{host}:{os.getppid()}:0",
        f"elsewhere:{dead.pid}:0",
    ]
    assert recover(store, now=START + timedelta(hours=1)) == 2  # ...until the claim is stale
    assert store.outbox_counts()["queued"] == 3


def test_a_sender_following_the_queue_sends_what_is_added(
    tmp_path: Path, store: Store, smtp_server: SmtpServer
) -> None:
    config = smtp_config(tmp_path, smtp_server.port)
    with Sender(config, store, clock=FakeClock(), follow=True) as sender:
        recipients = queue(store, 3)
        sender.add(0)
    assert sorted(smtp_server.handler.received()) == recipients


def test_pruning_drops_old_messages_and_keeps_the_record(
    tmp_path: Path, store: Store, smtp_server: SmtpServer
) -> None:
    queue(store, 2)
    config = smtp_config(tmp_path, smtp_server.port)
    drain(config, store, clock=FakeClock())
    drain(config, store, clock=FakeClock(START + timedelta(days=31)))
    assert store.outbox_counts()["sent"] == 2
    assert store.outbox_message(1) is None


def test_a_sender_killed_mid_batch_and_restarted_delivers_everything(
    tmp_path: Path, store: Store, smtp_server: SmtpServer
) -> None:
    """SIGKILL twice mid-batch: every reader gets the digest, at most one duplicate a crash,
    and a duplicate carries the same Message-ID."""
    smtp_server.handler.delay = 0.02
    recipients = queue(store, 60)
    config = smtp_demo_config(tmp_path, smtp_server)
    if store.shared:
        with config.open("a") as appended:
            appended.write(f'\n[store]\nurl = "{store.target.url}"\n')
    env = {**os.environ, "DIGEST_HOME": str(tmp_path / "data"), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "digest", "send", "-c", str(config)]
    kills = 0
    for target in (10, 30):
        process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 60
        while len(smtp_server.handler.messages) < target and time.monotonic() < deadline:
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stderr.close()  # type: ignore[union-attr]
        kills += 1
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    received = smtp_server.handler.received()
    assert sorted(received) == recipients
    duplicates = sum(len(ids) - 1 for ids in received.values())
    assert duplicates <= kills
    assert all(len(set(ids)) == 1 for ids in received.values())  # same Message-ID
    assert store.outbox_counts()["sent"] == 60


def test_a_batch_queues_every_few_digests_and_what_is_left_at_the_end(
    tmp_path: Path, store: Store
) -> None:
    config = smtp_config(tmp_path, 25)
    heard: list[Queued] = []
    with DigestBatch(config, store, now=START, on_queued=heard.append, size=3) as batch:
        for number in range(7):
            batch.add(
                Subscriber(f"r{number}@example.org"),
                RENDERED,
                unsubscribe_url="",
                article_ids=(),
                newest_article_id=0,
                period=None,
            )
            assert store.outbox_counts()["queued"] == len(heard) == (number + 1) // 3 * 3
    assert store.outbox_counts()["queued"] == len(heard) == 7
    assert [queued.subscriber.email for queued in heard] == [f"r{n}@example.org" for n in range(7)]
    assert all(queued.digest_id is not None for queued in heard)


def test_a_batch_ended_by_an_error_queues_nothing_half_done(tmp_path: Path, store: Store) -> None:
    config = smtp_config(tmp_path, 25)
    heard: list[Queued] = []
    with (
        pytest.raises(RuntimeError),
        DigestBatch(config, store, now=START, on_queued=heard.append) as batch,
    ):
        batch.add(
            Subscriber("r@example.org"),
            RENDERED,
            unsubscribe_url="",
            article_ids=(),
            newest_article_id=0,
            period="2026-11-26",
        )
        raise RuntimeError("the run broke")
    assert heard == [] and store.outbox_counts()["queued"] == 0
