"""Delivery: queued digests out to their readers, each once, none lost.

`queue` builds a rendered digest's message and puts it in the outbox (the store), a few
at a time in a large run;
`sender` drains the outbox with retries and crash recovery, paced by `pacing`;
`transports` is the only code that speaks SMTP, pipes to sendmail or writes the outbox
folder; `background` runs the sender in a child process for large runs.
"""

from digest.deliver.background import SenderProcess
from digest.deliver.queue import DigestBatch, Queued, queue_digest, queue_notice
from digest.deliver.sender import (
    STOPPED,
    Sender,
    SendReport,
    clock_from,
    drain,
    recover,
    retry,
)

__all__ = [
    "STOPPED",
    "DigestBatch",
    "Queued",
    "SendReport",
    "Sender",
    "SenderProcess",
    "clock_from",
    "drain",
    "queue_digest",
    "queue_notice",
    "recover",
    "retry",
]
