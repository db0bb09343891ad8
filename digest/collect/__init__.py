"""Collection: every source read, and only the articles not seen before stored.

The first stage. It owns the only network code that reads sources (`fetch`, with the
guard against private addresses), feed reading (`feeds`: the fast reader, the feedparser
path and JSON Feed), local files and folders (`read`), the list of sources (`sources`,
with OPML in `opml`), canonical URLs (`urls`), fingerprints for near-duplicates
(`fingerprint`) and the pass itself (`gather`), which runs the work in threads and worker
processes (`prepare`) and writes to the store. Turning an item into an article's clean
text is the extraction stage's; the pass is handed that function by `digest.pipeline`.
"""

from digest.collect.deadline import stop_requests
from digest.collect.gather import Progress, Share, collect_all, new_fetcher
from digest.collect.prepare import ArticleMaker
from digest.collect.read import load_document
from digest.collect.report import CollectionReport, Failure

__all__ = [
    "ArticleMaker",
    "CollectionReport",
    "Failure",
    "Progress",
    "Share",
    "collect_all",
    "load_document",
    "new_fetcher",
    "stop_requests",
]
