"""Tests for digest.schedule.periods: periods and due times in the subscriber's zone, DST
included."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from digest.models import Subscriber
from digest.schedule.periods import current_slot, next_slot, slot_for_day

BERLIN = Subscriber("a@example.org", timezone="Europe/Berlin")


def test_a_daily_period_is_the_local_date_and_due_at_the_local_send_time() -> None:
    late_evening_utc = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)  # 00:30 on the 27th in Berlin
    slot = current_slot(BERLIN, late_evening_utc)
    assert slot.period == "2026-11-27"
    assert slot.due == datetime(2026, 11, 27, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "due_utc"),
    [
        (date(2026, 3, 28), datetime(2026, 3, 28, 6, 0, tzinfo=UTC)),  # CET, +1
        (date(2026, 3, 29), datetime(2026, 3, 29, 5, 0, tzinfo=UTC)),  # CEST from 02:00
        (date(2026, 10, 25), datetime(2026, 10, 25, 6, 0, tzinfo=UTC)),  # CET again
    ],
)
def test_the_due_instant_follows_the_local_clock_across_dst(day: date, due_utc: datetime) -> None:
    assert slot_for_day(BERLIN, day).due == due_utc


def test_a_send_time_the_clocks_skip_is_due_an_hour_later() -> None:
    night = Subscriber("a@example.org", timezone="Europe/Berlin", send_at=time(2, 30))
    # 29 March 2026: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist.
    assert slot_for_day(night, date(2026, 3, 29)).due == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_a_send_time_the_clocks_pass_twice_is_due_the_first_time() -> None:
    night = Subscriber("a@example.org", timezone="Europe/Berlin", send_at=time(2, 30))
    # 25 October 2026: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice.
    assert slot_for_day(night, date(2026, 10, 25)).due == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_a_weekly_period_is_the_iso_week_due_on_the_chosen_day() -> None:
    weekly = Subscriber("a@example.org", timezone="America/New_York", weekly_on=0)
    thursday = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    slot = current_slot(weekly, thursday)
    assert slot.period == "2026-W48"
    assert slot.due == datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # Monday 07:00 EST
    assert next_slot(weekly, thursday, done=True).period == "2026-W49"
    assert next_slot(weekly, thursday, done=False) == slot


def test_next_slot_is_today_until_the_digest_is_done() -> None:
    early = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)
    assert next_slot(BERLIN, early, done=False).period == "2026-11-26"  # 07:00 still ahead
    assert next_slot(BERLIN, early, done=True).period == "2026-11-27"  # a one-off run sent it
    late = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    assert next_slot(BERLIN, late, done=True).period == "2026-11-27"
    assert next_slot(BERLIN, late, done=False).period == "2026-11-26"
