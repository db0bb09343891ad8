"""Feed reading: RSS, Atom and JSON Feed bytes in, `FeedItem` records out; pure, no I/O.

`parse` chooses the reader: the fast lxml reader (`fast`) for well-formed RSS 2.0 and Atom,
`jsonfeed` for JSON Feed, and feedparser for everything else. feedparser is the reference
for what a feed means: `fast` reports each entry as feedparser would, and `entries` turns an
entry into a `FeedItem` by one set of rules whichever reader found it
(tests/test_feed_corpus.py holds both to that on feedparser's own test corpus).
"""

from digest.collect.feeds.parse import alternate_feed_links, parse_feed

__all__ = ["alternate_feed_links", "parse_feed"]
