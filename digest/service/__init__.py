"""The service: `digest serve`, with APScheduler running collection and every due digest.

`jobs` holds the two jobs (collect, tick) and the loop that runs them until stopped. It
sits above `digest.pipeline`, which it calls; nothing but the command line calls it.
"""

from digest.service.jobs import serve

__all__ = ["serve"]
