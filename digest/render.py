"""Rendering: a `Digest` in, an email's subject, plain-text body and HTML body out.

Given a template folder this stage is pure: it reads templates and nothing else. One Jinja
environment serves each folder: the user's folder (when configured) overrides the packaged
templates file by file, undefined names are errors (`StrictUndefined`) and HTML templates
are autoescaped by their extension. Templates receive the `Digest` record as ``digest`` and
nothing else.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import jinja2

from digest.errors import RenderError
from digest.models import Digest, RenderedDigest

SUBJECT_TEMPLATE = "subject.txt"
TEXT_TEMPLATE = "digest.txt"
HTML_TEMPLATE = "digest.html"


def packaged_templates() -> Path:
    """The folder of default templates shipped with digest."""
    installed = Path(__file__).parent / "_templates"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parent.parent / "templates"


def _autoescape(name: str | None) -> bool:
    return name is not None and name.endswith((".html", ".htm", ".xml"))


@lru_cache(maxsize=8)
def environment(template_dir: Path | None = None) -> jinja2.Environment:
    """The Jinja environment for `template_dir` over the packaged templates."""
    folders = [packaged_templates()]
    if template_dir is not None:
        folders.insert(0, template_dir)
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(folder) for folder in folders]),
        undefined=jinja2.StrictUndefined,
        autoescape=_autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=True,
    )


def render_digest(digest: Digest, *, template_dir: Path | None = None) -> RenderedDigest:
    """Render the subject, text and HTML of `digest`.

    Raises `RenderError` naming the template file and line when a template cannot be
    loaded, parsed or rendered.
    """
    env = environment(template_dir)
    subject = " ".join(_render(env, SUBJECT_TEMPLATE, digest).split())
    text = _render(env, TEXT_TEMPLATE, digest)
    html = _render(env, HTML_TEMPLATE, digest)
    return RenderedDigest(subject=subject, text=_tidy_text(text), html=html)


def _render(env: jinja2.Environment, name: str, digest: Digest) -> str:
    try:
        return env.get_template(name).render(digest=digest)
    except jinja2.TemplateNotFound as exc:
        raise RenderError(f"Template {exc.name} was not found in {_folders(env)}.") from exc
    except jinja2.TemplateSyntaxError as exc:
        where = f"{exc.filename or exc.name or name}:{exc.lineno}"
        raise RenderError(f"{where}: {exc.message}") from exc
    except jinja2.TemplateError as exc:
        raise RenderError(f"{_error_location(exc, name)}: {exc}") from exc


def _error_location(exc: BaseException, name: str) -> str:
    """`file:line` of the innermost template frame in a render-time traceback.

    Jinja rewrites the traceback so that template frames carry the template's file name
    and line number; the innermost such frame is where the error is.
    """
    location = name
    traceback = exc.__traceback__
    while traceback is not None:
        filename = traceback.tb_frame.f_code.co_filename
        if not filename.endswith(".py") and not filename.startswith("<"):
            location = f"{filename}:{traceback.tb_lineno}"
        traceback = traceback.tb_next
    return location


def _folders(env: jinja2.Environment) -> str:
    loader = env.loader
    if isinstance(loader, jinja2.FileSystemLoader):
        return " or ".join(str(path) for path in loader.searchpath)
    return "the template folder"


_BLANK_RUNS = re.compile(r"\n{3,}")


def _tidy_text(text: str) -> str:
    """Trailing spaces off every line, at most one blank line in a row, one final newline."""
    lines = "\n".join(line.rstrip() for line in text.splitlines())
    return _BLANK_RUNS.sub("\n\n", lines).strip() + "\n"
