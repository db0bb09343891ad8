"""Subscriptions and their periods: who gets a digest, and when it is due.

`subscriptions` reads and changes who is subscribed, from the configuration file and the
store together; `periods` says, in each subscriber's own zone, which day or week a digest
belongs to and when it is due; `due` says which periods are still open, whose digest is due
now and when each subscriber's next one is. The clock that acts on this is
`digest.service`.
"""

from digest.schedule.due import Due, due_now, still_open, upcoming
from digest.schedule.periods import Slot, current_slot, next_slot
from digest.schedule.subscriptions import active_subscribers, find_subscriber

__all__ = [
    "Due",
    "Slot",
    "active_subscribers",
    "current_slot",
    "due_now",
    "find_subscriber",
    "next_slot",
    "still_open",
    "upcoming",
]
