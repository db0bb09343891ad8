"""Feed reading: RSS, Atom and JSON Feed bytes in, `FeedItem` records out; pure, no I/O.

`parse` chooses the reader: the fast lxml reader (`fast`) for well-formed RSS 2.0 and Atom,
`jsonfeed` for JSON Feed, and feedparser for everything else.
"""

from digest.collect.feeds.parse import alternate_feed_links, parse_feed

__all__ = ["alternate_feed_links", "parse_feed"]
