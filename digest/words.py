"""Words for people: a count with its noun, in the one form every message and template uses.

Pure: no I/O, nothing from digest. `plural` is also the templates' ``plural`` filter.
"""

from __future__ import annotations

__all__ = ["plural"]


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """The count and its noun: ``plural(1, "article")`` is ``"1 article"``,
    ``plural(3, "article")`` is ``"3 articles"``; nouns whose plural is not singular + "s"
    give it: ``plural(2, "entry", "entries")``."""
    if count == 1:
        return f"{count} {singular}"
    return f"{count} {plural_form or singular + 's'}"
