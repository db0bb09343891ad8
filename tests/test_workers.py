"""Several `digest serve` workers on one PostgreSQL store: source leases, period claims and
outbox claims that skip what another worker holds, roles, and a simulated day with three
workers, one of them killed mid-send (the scenario of ``bench/scale.py``, at a smaller
size), against a real PostgreSQL server, feed server and SMTP server."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

from digest.models import Source, SourceKind, Subscriber
from digest.store import Store

from .conftest import ROOT, SmtpServer

NOW = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
FEED = Source("feed", SourceKind.FEED, "https://example.org/feed")


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_scale", ROOT / "bench" / "scale.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_scale"] = module
    spec.loader.exec_module(module)
    return module


SCALE = _bench()


def test_a_source_is_leased_once_per_interval_and_a_dead_workers_lease_runs_out(
    store_where: Path | str,
) -> None:
    with Store(store_where) as store:
        store.sync_source(FEED)

        def claim(owner: str, now: datetime) -> bool:
            return store.claim_source("feed", owner=owner, now=now, interval=HOUR, lease=HOUR)

        assert claim("a", NOW)
        assert not claim("b", NOW + timedelta(minutes=1))  # a holds it
        store.release_source("feed", owner="a")
        assert not claim("b", NOW + timedelta(minutes=59))  # collected within the interval
        assert claim("b", NOW + HOUR)  # due again; b then dies holding it
        assert not claim("c", NOW + HOUR + timedelta(minutes=59))
        assert claim("c", NOW + 2 * HOUR)  # b's lease ran out
        store.release_source("feed", owner="b")  # too late: c holds it now
        (lease,) = store.source_leases()
        assert (lease.owner, lease.collected) == ("c", NOW + 2 * HOUR)


def test_a_periods_digest_is_claimed_by_one_worker_until_its_claim_runs_out(
    store_where: Path | str,
) -> None:
    reader = Subscriber("reader@example.org")
    with Store(store_where) as store:
        store.save_subscriber(reader, origin="cli", when=NOW)
        lease = timedelta(minutes=5)

        def claim(owner: str, now: datetime) -> bool:
            return store.claim_period_digest(
                reader.email, "2026-11-26", owner=owner, now=now, lease=lease
            )

        assert claim("a", NOW)
        assert claim("a", NOW + timedelta(minutes=1))  # its own claim, renewed
        assert not claim("b", NOW + timedelta(minutes=2))
        assert claim("b", NOW + timedelta(minutes=7))  # a died before queueing it
        assert not store.claim_period_digest(
            "nobody@example.org", "2026-11-26", owner="a", now=NOW, lease=lease
        )


def test_claims_pass_over_rows_another_worker_has_locked(postgres_url: str) -> None:
    """SKIP LOCKED: a claim does not wait for a row another transaction holds; it takes the
    next one, or none."""
    with Store(postgres_url) as store, Store(postgres_url) as other:
        store.sync_source(FEED)
        for n in range(2):
            store.queue_digest(
                Subscriber(f"r{n}@example.org"),
                envelope_from="d@example.org",
                subject="S",
                message_id=f"<{n}@x>",
                message=b"m",
                article_ids=[],
                when=NOW,
            )
        with other._transaction() as db:
            db.execute("SELECT id FROM digests WHERE id = 1 FOR UPDATE")
            db.execute("SELECT id FROM sources WHERE name = 'feed' FOR UPDATE")
            began = time.monotonic()
            (claimed,) = store.claim(now=NOW, owner="w1", limit=2)
            taken = store.claim_source("feed", owner="w1", now=NOW, interval=HOUR, lease=HOUR)
            waited = time.monotonic() - began
        assert claimed.entry.id == 2 and not taken
        assert waited < 5  # passed over, not waited for
        assert [each.entry.id for each in store.claim(now=NOW, owner="w1", limit=2)] == [1]


def test_recovery_requeues_only_what_the_dead_sender_still_holds(postgres_url: str) -> None:
    with Store(postgres_url) as store:
        store.queue_digest(
            Subscriber("r@example.org"),
            envelope_from="d@example.org",
            subject="S",
            message_id="<1@x>",
            message=b"m",
            article_ids=[],
            when=NOW,
        )
        store.claim(now=NOW, owner="dead:1:0", limit=1)
        assert store.requeue_stuck([(1, "dead:1:0")]) == 1
        store.claim(now=NOW, owner="alive:2:0", limit=1)
        # A second worker read the dead sender's claim before the first requeued it:
        assert store.requeue_stuck([(1, "dead:1:0")]) == 0
        assert [entry.claimed_by for entry in store.sending()] == ["alive:2:0"]


def _received(server: SmtpServer) -> dict[str, list[str]]:
    return server.handler.received()


def test_three_workers_over_a_simulated_day_one_killed_mid_send(
    tmp_path: Path, postgres_url: str, smtp_server: SmtpServer
) -> None:
    """Every subscriber gets exactly one digest for their local day; each source is fetched
    once per collection interval, not three times; the worker killed with SIGKILL while it
    sends loses nothing, causes at most one duplicate (same Message-ID), and the others take
    over its claims and its sources."""
    smtp_server.handler.delay = 0.01
    result = SCALE.simulate_day(
        tmp_path,
        store_url=postgres_url,
        smtp_port=smtp_server.port,
        received=lambda: _received(smtp_server),
        subscribers=100,
        sources=20,
        day_seconds=60,  # a claim older than 30 simulated minutes (1.25 s) counts as stale
    )
    received = result.received
    assert sorted(received) == sorted(result.subscribers)
    assert all(len(set(ids)) == 1 for ids in received.values())  # one digest, one Message-ID
    assert sum(len(ids) - 1 for ids in received.values()) <= 1  # at most one duplicate
    assert result.sent == 100 and result.left_sending == 0
    assert len(result.fetches) == 20
    assert all(
        result.intervals // 2 <= count <= result.intervals + 1 for count in result.fetches.values()
    )
    assert result.closest > 0.8  # never twice within an interval
    assert result.killed  # it held a digest in `sending` when killed
    assert result.held_by_killed == []  # its leases ran out, and were taken over
    assert result.not_collected_after_kill == []


def test_roles_split_collection_from_sending(
    tmp_path: Path, postgres_url: str, smtp_server: SmtpServer
) -> None:
    """A ``collect`` worker collects and sends nothing; a ``send`` worker sends what the
    other collected."""
    with SCALE.FeedServer(3, latency=0.0) as feeds:
        path = SCALE.write_config(
            tmp_path, store_url=postgres_url, smtp_port=smtp_server.port, feeds=feeds,
            collect_minutes=30, tick_seconds=60,
        )  # fmt: skip
        config = SCALE.config_module.load(path)
        start = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)  # 07:00 in Kolkata is 30 minutes in
        SCALE.add_subscribers(config, 1, created=start - HOUR)  # the first zone: Kolkata
        began = time.time()
        workers = [
            SCALE.start_workers(
                1, path, role=role, start=start, speed=600, origin=began, folder=tmp_path
            )[0]
            for role in ("collect", "send")
        ]
        with SCALE.running(workers):
            assert SCALE.wait_for(lambda: bool(_received(smtp_server)), timeout=60)
        collect_log, send_log = (worker.log.read_text("utf-8") for worker in workers)
    assert "collected 3 of 3 sources" in collect_log and "digests:" not in collect_log
    assert "digests: 1 queued, 1 sent" in send_log and "collected" not in send_log
    assert list(_received(smtp_server)) == ["reader0000@example.org"]


def test_a_second_serve_on_sqlite_is_refused_but_several_share_postgresql(
    tmp_path: Path, postgres_url: str
) -> None:
    for url in ("", postgres_url):
        folder = tmp_path / ("shared" if url else "alone")
        folder.mkdir()
        config = folder / "digest.toml"
        store = f'[store]\nurl = "{url}"\n' if url else ""
        config.write_text(f'data_dir = "{folder}"\n{store}', encoding="utf-8")
        command = [sys.executable, "-m", "digest", "serve", "-c", str(config)]
        env = {**os.environ, "PYTHONPATH": str(ROOT), "DIGEST_HOME": str(folder)}
        first = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
        second = None
        try:
            assert _started(first)
            second = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
            if url:  # PostgreSQL: both serve
                assert _started(second)
            else:
                assert second.wait(timeout=30) != 0
                assert "digest serve" in (second.stderr.read() if second.stderr else "")
        finally:
            for process in (first, second):
                if process is not None:
                    process.terminate()
                    process.communicate(timeout=30)


def _started(process: subprocess.Popen[str]) -> bool:
    """Whether `process` says the service started (False once it ends without saying so)."""
    assert process.stderr is not None
    return any("digest serve started" in line for line in process.stderr)
