"""Rendering: a `Digest` in, an email's subject, plain-text body and HTML body out.

Given a template folder this stage is pure: it reads templates and nothing else. One Jinja
environment serves each folder: the user's folder (when configured) overrides the packaged
templates file by file (a ChoiceLoader), templates run in a sandbox (a user's template may
not reach into Python), undefined names are errors (`StrictUndefined`) and HTML templates
are autoescaped by their extension. Templates receive the `Digest` record as ``digest`` and
nothing else, plus the filters of `digest.render.filters`.

The HTML's ``<style>`` rules are copied into ``style`` attributes (css-inline, which fetches
nothing), so mail clients that drop ``<style>`` still show the design; the block stays for
the media queries. When the HTML would be larger than the limit (Gmail clips messages over
about 102 KB, hiding the footer), the least recent articles are left out and the digest
says how many.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import css_inline
import jinja2
from jinja2.sandbox import SandboxedEnvironment

from digest.errors import RenderError
from digest.models import Article, Digest, RenderedDigest, Subscriber, Summary
from digest.render.filters import FILTERS

SUBJECT_TEMPLATE = "subject.txt"
TEXT_TEMPLATE = "digest.txt"
HTML_TEMPLATE = "digest.html"
MAX_HTML_BYTES = 100_000  # under Gmail's clipping threshold of about 102 KB
_INLINER = css_inline.CSSInliner(keep_style_tags=True, load_remote_stylesheets=False)


def packaged_templates() -> Path:
    """The folder of default templates shipped with digest."""
    package = Path(__file__).resolve().parent.parent  # digest/
    installed = package / "_templates"  # where a wheel puts them
    if installed.is_dir():
        return installed
    return package.parent / "templates"  # a checkout


def _autoescape(name: str | None) -> bool:
    return name is not None and name.endswith((".html", ".htm", ".xml"))


# The records templates receive: frozen dataclasses whose public attributes are all data.
_RECORDS = frozenset({Digest, Summary, Article, Subscriber})


class _Sandbox(SandboxedEnvironment):
    """The sandbox, with a quick answer for the records it is given.

    Every public attribute of a record is a field or a read-only property holding data, so
    only names with an underscore (``__class__`` and the like) are refused; anything else
    gets the sandbox's full check. A digest reads hundreds of attributes, so this matters.
    """

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if type(obj) in _RECORDS:
            return not attr.startswith("_")
        return bool(super().is_safe_attribute(obj, attr, value))

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) in _RECORDS and not attribute.startswith("_"):
            try:
                return getattr(obj, attribute)  # data: no format method to wrap
            except AttributeError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


@lru_cache(maxsize=8)
def environment(template_dir: Path | None = None) -> jinja2.Environment:
    """The sandboxed Jinja environment for `template_dir` over the packaged templates."""
    loaders = [jinja2.FileSystemLoader(str(packaged_templates()))]
    if template_dir is not None:
        loaders.insert(0, jinja2.FileSystemLoader(str(template_dir)))
    env = _Sandbox(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=_autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=True,
    )
    env.filters.update(FILTERS)
    env.filters["wordwrap"] = _cached_wordwrap
    return env


@jinja2.pass_environment
@lru_cache(maxsize=4096)
def _cached_wordwrap(env: jinja2.Environment, text: str, *args: Any, **kwargs: Any) -> str:
    """Jinja's ``wordwrap``, remembered: every subscriber's digest wraps the same summaries,
    and textwrap is slow."""
    return str(_WORDWRAP(env, text, *args, **kwargs))


_WORDWRAP = jinja2.filters.FILTERS["wordwrap"]


def render_digest(
    digest: Digest, *, template_dir: Path | None = None, max_html_bytes: int = MAX_HTML_BYTES
) -> RenderedDigest:
    """Render the subject, text and HTML of `digest`, within `max_html_bytes` of HTML.

    When the HTML is too large, the least recent articles (the last items) are left out and
    `Digest.omitted` says how many. Raises `RenderError` naming the template file and line
    when a template cannot be loaded, parsed or rendered.
    """
    env = environment(template_dir)
    rendered = _render_all(env, digest)
    kept = len(digest.items)
    while len(rendered.html.encode("utf-8")) > max_html_bytes and kept > 1:
        # Cut in proportion to the excess, then check again; at least one article goes.
        excess = len(rendered.html.encode("utf-8")) / max_html_bytes
        kept = max(1, min(kept - 1, int(kept / excess)))
        left_out = digest.omitted + len(digest.items) - kept
        smaller = replace(digest, items=digest.items[:kept], omitted=left_out)
        rendered = _render_all(env, smaller)
    return rendered


def _render_all(env: jinja2.Environment, digest: Digest) -> RenderedDigest:
    subject = " ".join(_render(env, SUBJECT_TEMPLATE, digest).split())
    text = _render(env, TEXT_TEMPLATE, digest)
    html = _inline_css(_render(env, HTML_TEMPLATE, digest))
    return RenderedDigest(subject=subject, text=_tidy_text(text), html=html)


def _inline_css(html: str) -> str:
    try:
        return str(_INLINER.inline(html))
    except (css_inline.InlineError, ValueError) as exc:
        raise RenderError(f"{HTML_TEMPLATE}: the CSS could not be inlined: {exc}") from exc


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
    except (ValueError, TypeError, ArithmeticError) as exc:  # e.g. a filter given bad input
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
    loaders = loader.loaders if isinstance(loader, jinja2.ChoiceLoader) else [loader]
    paths = [
        str(path)
        for each in loaders
        if isinstance(each, jinja2.FileSystemLoader)
        for path in each.searchpath
    ]
    return " or ".join(paths) or "the template folder"


_BLANK_RUNS = re.compile(r"\n{3,}")


def _tidy_text(text: str) -> str:
    """Trailing spaces off every line, at most one blank line in a row, one final newline."""
    lines = "\n".join(line.rstrip() for line in text.splitlines())
    return _BLANK_RUNS.sub("\n\n", lines).strip() + "\n"


TEMPLATE_SUFFIXES = (".html", ".txt")


def template_names(template_dir: Path | None = None) -> list[str]:
    """Every template file name, in the user's folder and the packaged one."""
    folders = [packaged_templates(), *([template_dir] if template_dir else [])]
    return sorted(
        {
            path.relative_to(folder).as_posix()
            for folder in folders
            if folder.is_dir()
            for path in folder.rglob("*")
            if path.suffix in TEMPLATE_SUFFIXES and path.is_file()
        }
    )


def packaged_files() -> list[str]:
    """Every file of the packaged templates (the web pages' static files too), as relative
    paths."""
    folder = packaged_templates()
    return sorted(
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() and not path.name.startswith(".")
    )


def check_templates(template_dir: Path | None, sample: Digest) -> list[str]:
    """Every problem in the templates, as ``file:line: message``; an empty list if none.

    Each template is parsed, then the subject, text and HTML are rendered with `sample`.
    """
    env = environment(template_dir)
    problems: list[str] = []
    for name in template_names(template_dir):
        try:
            env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            problems.append(f"{exc.filename or name}:{exc.lineno}: {exc.message}")
        except jinja2.TemplateError as exc:
            problems.append(f"{name}: {exc}")
    for name in (SUBJECT_TEMPLATE, TEXT_TEMPLATE, HTML_TEMPLATE):
        try:
            _render(env, name, sample)
        except RenderError as exc:
            if str(exc) not in problems:  # a syntax error is reported once
                problems.append(str(exc))
    return problems
