"""When a subscriber's digest is due: periods and send times in the subscriber's own zone.

Pure. A daily subscriber's period is their local date (``2026-11-26``); a weekly one's is
the ISO week of their local date (``2026-W48``), due on the chosen weekday. The due moment
is the send time on that local day, as an instant in UTC, so that a change of daylight
saving time moves it with the local clock:

- a send time the clocks skip (02:30 on the night they spring forward) falls an hour later,
  when that wall time would have been without the change;
- a send time the clocks pass twice (the night they fall back) is due the first time, and
  the period is the same day either way, so it gets one digest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from digest.models import Subscriber


@dataclass(frozen=True, slots=True)
class Slot:
    """One period of one subscriber: its key and when its digest is due."""

    period: str  # "2026-11-26" (daily) or "2026-W48" (weekly)
    due: datetime  # aware, UTC


def current_slot(subscriber: Subscriber, now: datetime) -> Slot:
    """The period `now` falls in, for `subscriber`, with its due moment (maybe still ahead)."""
    return slot_for_day(subscriber, now.astimezone(ZoneInfo(subscriber.timezone)).date())


def slot_for_day(subscriber: Subscriber, day: date) -> Slot:
    """The period a local `day` falls in, for `subscriber`."""
    zone = ZoneInfo(subscriber.timezone)
    if subscriber.weekly_on is None:
        return Slot(day.isoformat(), _instant(day, subscriber, zone))
    year, week, weekday = day.isocalendar()
    due_day = day + timedelta(days=subscriber.weekly_on - (weekday - 1))
    return Slot(f"{year}-W{week:02d}", _instant(due_day, subscriber, zone))


def next_slot(subscriber: Subscriber, now: datetime, *, done: bool = False) -> Slot:
    """The next slot whose digest is still to come: the current one while its digest is not
    `done` (decided: sent by the service or a one-off run, found empty, or given up), else the
    one after."""
    slot = current_slot(subscriber, now)
    if not done:
        return slot
    day = now.astimezone(ZoneInfo(subscriber.timezone)).date()
    step = timedelta(days=1 if subscriber.weekly_on is None else 7)
    return slot_for_day(subscriber, day + step)


def _instant(day: date, subscriber: Subscriber, zone: ZoneInfo) -> datetime:
    # fold=0: an ambiguous wall time is its first occurrence; a skipped one is read with
    # the offset from before the change, which lands one hour after it.
    return datetime.combine(day, subscriber.send_at, tzinfo=zone).astimezone(UTC)
