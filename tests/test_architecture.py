"""The import table of STYLE.md, checked: imports point one way, stages stay apart."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "digest"

# module -> the digest modules it may import
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "models": set(),
    "validation": {"errors", "models"},
    "config": {"errors", "models", "validation"},
    # collection stage: HTTP, feed formats, local files, identities
    "fetch": {"errors", "__init__"},
    "jsonfeed": {"errors", "models"},
    "opml": {"errors", "models"},
    "fastfeed": {"models"},
    "feeds": {"errors", "models", "fastfeed", "jsonfeed"},
    "collect": {"errors", "models", "fetch", "feeds"},
    "urls": set(),
    "fingerprint": set(),
    # extraction stage
    "furniture": set(),
    "cleanup": {"furniture"},
    "language": {"tokenizer"},
    "extract": {"errors", "models", "cleanup", "language"},
    # summarisation stage
    "tokenizer": set(),
    "ranking": set(),
    "summarize": {"errors", "models", "tokenizer", "language", "ranking"},
    "filters": set(),
    "samples": {"models"},
    "preview_server": set(),
    "render": {"errors", "models", "filters"},
    # delivery: the message, signed links, the backends, and the sender over the outbox
    "message": {"models", "__init__"},
    "tokens": {"errors", "config"},
    "deliver": {"errors", "config"},
    "pacing": {"config"},
    "outbox": {"errors", "models", "config", "deliver", "pacing", "store"},
    "background": {"errors", "config", "outbox", "store"},
    "store": {"errors", "models"},
    # the list of sources, and the collection pass: every source into the store
    "sources": {"errors", "models", "config", "opml", "store", "urls"},
    "prepare": {"errors", "models", "collect", "cleanup", "extract", "fingerprint", "urls"},
    "collection": {
        "errors", "models", "config", "collect", "fetch", "fingerprint", "prepare", "sources",
        "store",
    },
    # subscriptions and periods, one subscriber's digest
    "periods": {"models"},
    "subscriptions": {"errors", "models", "config", "store", "validation", "periods"},
    "compose": {
        "errors", "models", "config", "summarize", "render", "message", "tokens", "samples",
        "store",
    },
    "pipeline": {
        "errors", "models", "config", "collection", "collect", "prepare", "summarize",
        "compose", "tokens", "outbox", "background", "store", "periods", "subscriptions",
        "validation",
    },
    "lockfile": {"errors"},
    # the subscriber pages: HTTP in, subscriptions and notices out
    "web": {
        "errors", "models", "config", "render", "tokens", "subscriptions", "compose", "outbox",
        "store",
    },
    "scheduler": {"config", "pipeline", "collection", "lockfile", "store", "errors"},
    "__init__": set(),
    "__main__": {"cli"},
}  # fmt: skip


def digest_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "digest":
                found.update(alias.name for alias in node.names)
                found.discard("__version__")
                if any(alias.name == "__version__" for alias in node.names):
                    found.add("__init__")
            elif node.module.startswith("digest."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("digest."):
                    found.add(alias.name.split(".")[1])
    return found


def module_name(path: Path) -> str:
    """`digest/x.py` is module x; every file of a package `digest/x/` counts as x."""
    return path.stem if path.parent == PACKAGE else path.parent.name


SOURCES = sorted([*PACKAGE.glob("*.py"), *PACKAGE.glob("*/*.py")])
MODULES = [p for p in SOURCES if module_name(p) != "cli"]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_imports_follow_the_table(path: Path) -> None:
    name = module_name(path)
    assert name in ALLOWED, f"{path.name} is not in the import table"
    assert digest_imports(path) - {name} <= ALLOWED[name]


def test_nothing_imports_the_cli() -> None:
    for path in MODULES:
        if path.stem != "__main__":
            assert "cli" not in digest_imports(path), path.name


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_module_has_a_docstring(path: Path) -> None:
    assert ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))), path.name
