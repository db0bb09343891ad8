"""The package's shape, checked: imports point one way (import-linter's contracts in
pyproject.toml), the checks can fail, and every module says what it owns."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "digest"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
STAGES = ["collect", "collect/feeds", "extract", "summarize", "render", "deliver", "schedule"]
PACKAGES = [*STAGES, "service", "store", "web", "cli"]


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` with the project's contracts, over the `digest` package under `tree`."""
    return subprocess.run(
        [str(LINT_IMPORTS), str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree), "COLUMNS": "250"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_imports_keep_the_contracts() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("extract/page.py", "from digest.cli import main", "Imports point down"),
        ("summarize/methods.py", "from digest.store import Store", "Extraction, summarisation"),
        ("collect/read.py", "from digest.extract import clean_text", "Imports point down"),
        ("store/_core.py", "from digest.render import templates", "Imports point down"),
        ("models.py", "import digest.collect", "Imports point down"),
        ("collect/feeds/fast.py", "import httpx", "Feed reading"),
    ],
)
def test_a_stray_import_breaks_a_contract(
    tmp_path: Path, module: str, line: str, broken: str
) -> None:
    """The contracts are live: a copy of the package with one import the rules forbid fails."""
    shutil.copytree(PACKAGE, tmp_path / "digest", ignore=shutil.ignore_patterns("__pycache__"))
    with (tmp_path / "digest" / module).open("a", encoding="utf-8") as file:
        file.write(f"\n{line}  # noqa\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout
    verdicts = [line for line in result.stdout.splitlines() if line.startswith(broken)]
    assert verdicts and verdicts[0].endswith(" BROKEN"), result.stdout


def test_a_module_outside_the_floors_breaks_the_contract(tmp_path: Path) -> None:
    """Every top-level module and package has a floor: a new one must be placed."""
    shutil.copytree(PACKAGE, tmp_path / "digest", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "digest" / "helpers.py").write_text('"""Odds and ends."""\n', encoding="utf-8")
    result = lint_imports(tmp_path)
    assert result.returncode == 1
    assert "digest.helpers" in result.stdout


SOURCES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_module_has_a_docstring(path: Path) -> None:
    assert ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))), path.name


@pytest.mark.parametrize("name", [*STAGES, "service"])
def test_a_stage_package_only_states_its_job_and_exposes_its_entry_points(name: str) -> None:
    """A stage's `__init__.py` has a docstring, imports and `__all__`, and defines nothing."""
    tree = ast.parse((PACKAGE / name / "__init__.py").read_text(encoding="utf-8"))
    body = tree.body[1:]  # after the docstring
    assert all(isinstance(node, ast.ImportFrom | ast.Assign) for node in body), name
    assigned = [target.id for node in body if isinstance(node, ast.Assign)
                for target in node.targets if isinstance(target, ast.Name)]  # fmt: skip
    assert assigned == ["__all__"], name


def test_the_top_level_holds_only_packages_pipeline_and_shared_modules() -> None:
    modules = {path.name for path in PACKAGE.glob("*.py")}
    assert modules == {
        "__init__.py", "__main__.py", "pipeline.py", "config.py", "models.py", "errors.py",
        "validation.py", "language.py", "tokens.py", "lockfile.py", "words.py",
    }  # fmt: skip
    packages = {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").exists()}
    assert packages == {name.split("/")[0] for name in PACKAGES}
