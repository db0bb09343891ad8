"""Tests for the service: `pipeline.send_due` (the tick) over simulated weeks with DST
changes, downtime and races, and `digest serve` as a real process against a real SMTP
server. The clock is injected everywhere; nothing waits for a wall-clock time."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from digest import config as config_module
from digest.config import Config
from digest.errors import ServiceError
from digest.lockfile import StoreLock
from digest.pipeline import run_once, send_due
from digest.service import jobs
from digest.store import Store

from .conftest import DEMO_CONFIG, ROOT, SmtpServer, free_port
from .test_cli import smtp_demo_config

ZONES = ("Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Auckland")


def config_for(tmp_path: Path, subscribers: list[dict[str, object]], **schedule: object) -> Config:
    raw = {
        "data_dir": str(tmp_path / "data"),
        "delivery": {"backend": "file", "sender": "Digest <digest@example.org>"},
        "schedule": {"send_empty": True, **schedule},
        "subscribers": subscribers,
    }
    return config_module.parse(raw, base=tmp_path)


def simulate(config: Config, start: datetime, end: datetime, step: timedelta) -> None:
    """Tick from `start` to `end` every `step`, as `digest serve` would."""
    with Store(config.database) as store:
        now = start
        while now < end:
            send_due(config, store, now=now)
            now += step


def digests_by_local_day(config: Config, email: str, zone: str) -> Counter[str]:
    with Store(config.database) as store:
        sent = [e for e in store.outbox_entries(("sent",)) if e.recipient == email]
    return Counter(entry.created.astimezone(ZoneInfo(zone)).date().isoformat() for entry in sent)


DST_WEEKS = [
    ("Europe/Berlin", datetime(2026, 3, 26)),  # spring forward, Sun 29 March
    ("Europe/Berlin", datetime(2026, 10, 22)),  # fall back, Sun 25 October
    ("America/New_York", datetime(2026, 3, 5)),  # Sun 8 March
    ("America/New_York", datetime(2026, 10, 29)),  # Sun 1 November
    ("Asia/Kolkata", datetime(2026, 10, 22)),  # no DST
    ("Pacific/Auckland", datetime(2026, 4, 2)),  # fall back, Sun 5 April
    ("Pacific/Auckland", datetime(2026, 9, 24)),  # spring forward, Sun 27 September
]


@pytest.mark.parametrize(("zone", "first_day"), DST_WEEKS, ids=lambda v: str(v)[:10])
def test_one_digest_per_local_day_through_a_dst_change(
    tmp_path: Path, zone: str, first_day: datetime
) -> None:
    """At 07:00, and at 02:30 (a time the change skips or repeats), over a week."""
    config = config_for(
        tmp_path,
        [
            {"email": "seven@example.org", "timezone": zone, "at": "07:00"},
            {"email": "night@example.org", "timezone": zone, "at": "02:30"},
        ],
    )
    local = ZoneInfo(zone)
    start = first_day.replace(tzinfo=local) - timedelta(hours=1)  # 23:00 the evening before
    end = start + timedelta(days=7)
    simulate(config, start.astimezone(UTC), end.astimezone(UTC), timedelta(minutes=10))
    days = [(first_day + timedelta(days=n)).date().isoformat() for n in range(7)]
    for email in ("seven@example.org", "night@example.org"):
        per_day = digests_by_local_day(config, email, zone)
        assert per_day == Counter(dict.fromkeys(days, 1)), email
    with Store(config.database) as store:
        for entry in store.outbox_entries(("sent",)):
            local_time = entry.created.astimezone(local)
            if entry.recipient == "seven@example.org":  # within one tick of 07:00
                assert (local_time.hour, local_time.minute // 10) == (7, 0), local_time


def test_a_restart_within_the_grace_sends_the_missed_digest_once(tmp_path: Path) -> None:
    config = config_for(tmp_path, [{"email": "a@example.org", "timezone": "Europe/Berlin"}])
    berlin = ZoneInfo("Europe/Berlin")
    day = datetime(2026, 11, 26, tzinfo=berlin)
    simulate(config, (day + timedelta(hours=5)).astimezone(UTC),
             (day + timedelta(hours=6)).astimezone(UTC), timedelta(minutes=1))  # fmt: skip
    # down from 06:00 to 09:00; back at 09:00, ticking again (twice in the same minute)
    simulate(config, (day + timedelta(hours=9)).astimezone(UTC),
             (day + timedelta(hours=10)).astimezone(UTC), timedelta(seconds=30))  # fmt: skip
    assert digests_by_local_day(config, "a@example.org", "Europe/Berlin") == {"2026-11-26": 1}
    with Store(config.database) as store:
        (entry,) = store.outbox_entries(("sent",))
    assert entry.created.astimezone(berlin).hour == 9


def test_down_longer_than_the_grace_skips_the_day_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = config_for(
        tmp_path, [{"email": "a@example.org", "timezone": "Europe/Berlin"}], grace_hours=12
    )
    berlin = ZoneInfo("Europe/Berlin")
    day = datetime(2026, 11, 26, tzinfo=berlin)
    simulate(config, (day + timedelta(hours=5)).astimezone(UTC),
             (day + timedelta(hours=6)).astimezone(UTC), timedelta(minutes=5))  # fmt: skip
    with caplog.at_level(logging.WARNING, logger="digest"):
        simulate(config, (day + timedelta(hours=19, minutes=30)).astimezone(UTC),
                 (day + timedelta(hours=32)).astimezone(UTC), timedelta(minutes=5))  # fmt: skip
    assert digests_by_local_day(config, "a@example.org", "Europe/Berlin") == {"2026-11-27": 1}
    skipped = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert skipped == [
        "digest for a@example.org for 2026-11-26 skipped: due at 2026-11-26T06:00+00:00, "
        "more than 12 hours ago"
    ]
    with Store(config.database) as store:
        assert store.periods("a@example.org") == [
            ("2026-11-26", "skipped"),
            ("2026-11-27", "queued"),
        ]


def test_two_ticks_racing_make_one_digest_per_subscriber(tmp_path: Path) -> None:
    """Two threads tick at the same moments, each over its own connection to the store;
    over a day, each reader's one send time comes once."""
    readers = [{"email": f"r{n}@example.org", "timezone": ZONES[n % 4]} for n in range(12)]
    config = config_for(tmp_path, readers)
    start = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
    with Store(config.database) as store:
        send_due(config, store, now=start)  # they subscribe now
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def ticks() -> None:
        try:
            with Store(config.database) as store:
                for minutes in range(0, 24 * 60, 20):
                    barrier.wait()  # both tick the same moment
                    send_due(config, store, now=start + timedelta(minutes=minutes))
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=ticks) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Store(config.database) as store:
        sent = Counter(entry.recipient for entry in store.outbox_entries(("sent",)))
        decided = [store.periods(str(reader["email"])) for reader in readers]
    assert sent == Counter({str(reader["email"]): 1 for reader in readers})
    assert all(len(found) == 1 and found[0][1] == "queued" for found in decided)


def test_a_one_off_run_counts_as_the_days_digest(tmp_path: Path) -> None:
    demo = config_module.load(DEMO_CONFIG)
    config = replace(demo, data_dir=tmp_path / "data")
    london = ZoneInfo("Europe/London")
    six = datetime(2026, 11, 26, 6, 0, tzinfo=london)
    with Store(config.database) as store:
        report = run_once(config, store, now=six.astimezone(UTC), only="Reader@Example.org")
        assert len(report.delivered) == 1
        later = send_due(config, store, now=(six + timedelta(hours=2)).astimezone(UTC))
        assert later.queued == 0 and later.nothing_new == []
        assert store.periods("reader@example.org") == [("2026-11-26", "queued")]
        tomorrow = send_due(config, store, now=(six + timedelta(days=1, hours=2)).astimezone(UTC))
    assert tomorrow.nothing_new == ["reader@example.org"]  # nothing new: no empty digest


def test_the_tick_job_logs_what_it_sent(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = config_for(tmp_path, [{"email": "a@example.org", "timezone": "UTC"}])
    with caplog.at_level(logging.INFO, logger="digest"):
        jobs.tick(config, lambda: datetime(2026, 11, 26, 6, 59, tzinfo=UTC))
        jobs.tick(config, lambda: datetime(2026, 11, 26, 7, 0, tzinfo=UTC))
    lines = [record.getMessage() for record in caplog.records]
    assert any(
        line.startswith("digest #1 sent to a@example.org (0 articles): written to")
        for line in lines
    )
    assert "digests: 1 queued, 1 sent, 0 deferred, 0 failed, 0 with nothing new, 0 skipped" in lines


def test_the_store_lock_admits_one_holder_and_names_it(tmp_path: Path) -> None:
    lock = tmp_path / "digest.sqlite3.lock"
    with (
        StoreLock(lock, "digest serve"),
        pytest.raises(ServiceError, match=rf"`digest serve` \(process {os.getpid()}\)"),
        StoreLock(lock, "digest run", wait=0.3),
    ):
        pass
    with StoreLock(lock, "digest run"):
        pass  # released on exit


def test_digest_serve_sends_at_the_send_time_and_stops_on_sigterm(
    tmp_path: Path, smtp_server: SmtpServer
) -> None:
    """With the subscriber pages served beside it (--web)."""
    config = smtp_demo_config(tmp_path, smtp_server)
    port = free_port()
    with config.open("a", encoding="utf-8") as toml:
        toml.write(f"\n[schedule]\ntick_seconds = 0.5\n\n[web]\nport = {port}\n")
        toml.write(f'public_url = "http://127.0.0.1:{port}"\n')
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DIGEST_SECRET_KEY": "k" * 32}
    command = [sys.executable, "-m", "digest", "serve", "-c", str(config)]
    service = subprocess.Popen(
        [*command, "--web", "--clock-start", "2026-11-27T06:59:57+00:00"],  # 07:00 London
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not smtp_server.handler.messages and time.monotonic() < deadline:
            time.sleep(0.05)
        second = subprocess.run([*command], env=env, capture_output=True, text=True, timeout=60)
        page = httpx.get(f"http://127.0.0.1:{port}/subscribe")
    finally:
        service.send_signal(signal.SIGTERM)
        _, err = service.communicate(timeout=60)
    (message,) = smtp_server.handler.messages
    assert message["To"] == "Demo Reader <reader@example.org>"
    assert message["Subject"] == "Demo digest: 8 new articles (Fri 27 Nov 2026)"
    assert service.returncode == 0, err
    assert "digest #1 sent to reader@example.org (8 articles): 250" in err
    assert "SIGTERM received" in err and "digest serve stopped" in err
    assert page.status_code == 200 and "Subscribe to Demo digest" in page.text
    assert second.returncode == 1
    assert second.stderr.startswith("Error: Another digest process, `digest serve` (process ")
