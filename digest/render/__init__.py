"""Rendering: a subscriber's `Digest` in, a subject, a text part, an HTML part and a message out.

Pure given a template folder: it reads templates and nothing else. `compose` makes a
subscriber's `Digest` from their summaries; `templates` renders it through the Jinja
sandbox with the filters of `filters` and inlines the CSS; `message` builds the MIME
message; `samples` is the sample digest that previews and template checks use; `preview`
serves a preview on loopback for template editing.
"""

from digest.render.compose import build_digest, check_templates, render_with, sample_for
from digest.render.message import Envelope, build_message
from digest.render.samples import sample_digest
from digest.render.templates import packaged_templates, render_digest

__all__ = [
    "Envelope",
    "build_digest",
    "build_message",
    "check_templates",
    "packaged_templates",
    "render_digest",
    "render_with",
    "sample_digest",
    "sample_for",
]
