"""``tests/`` holds tests only: what ships (``lambda_src``, ``build.py``) and what emulates AWS
and Replicate here (``local/``) never import from it; tests import from ``local``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
NOT_TESTS = (REPO_ROOT / "lambda_src", REPO_ROOT / "local", REPO_ROOT / "build.py")


def _sources() -> list[Path]:
    return sorted(
        path
        for root in NOT_TESTS
        for path in ([root] if root.is_file() else root.rglob("*.py"))
        if "node_modules" not in path.parts
    )


def _imported_modules(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_there_are_sources_to_check() -> None:
    assert len(_sources()) > 50


@pytest.mark.parametrize("path", _sources(), ids=lambda path: str(path.relative_to(REPO_ROOT)))
def test_no_import_from_tests(path: Path) -> None:
    from_tests = [
        name for name in _imported_modules(path) if name == "tests" or name.startswith("tests.")
    ]

    assert not from_tests, f"{path.relative_to(REPO_ROOT)} imports {from_tests}"
