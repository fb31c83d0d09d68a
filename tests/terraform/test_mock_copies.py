"""Every tested Terraform module carries the one fake AWS account in its own tests/mocks/.

A module must be testable on its own (no path reaching outside it), yet the fake
account is one fact: tests/terraform/mocks/aws.tfmock.hcl is the source and each
module's tests/mocks/aws.tfmock.hcl a copy (`make terraform-mocks` rewrites them).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SOURCE = REPO_ROOT / "tests" / "terraform" / "mocks" / "aws.tfmock.hcl"
TESTED_MODULES = sorted(
    path.parent.parent
    for pattern in (
        "modules/*/tests/*.tftest.hcl",
        "modules/*/modules/*/tests/*.tftest.hcl",
        "terraform/stack/tests/*.tftest.hcl",
    )
    for path in REPO_ROOT.glob(pattern)
    # A module without providers (modules/contract) mocks nothing.
    if "required_providers" in (path.parent.parent / "versions.tf").read_text(encoding="utf-8")
)
MOCK_SOURCE = re.compile(r'mock_provider\s+"aws"\s*\{[^}]*?source\s*=\s*"(?P<path>[^"]+)"', re.S)


def _name(module: Path) -> str:
    return str(module.relative_to(REPO_ROOT))


def test_the_modules_are_found() -> None:
    names = {_name(module) for module in TESTED_MODULES}
    assert {"modules/data", "modules/api", "terraform/stack"} <= names


@pytest.mark.parametrize("module", TESTED_MODULES, ids=_name)
def test_module_mock_is_a_copy_of_the_source(module: Path) -> None:
    copy = module / "tests" / "mocks" / "aws.tfmock.hcl"
    assert copy.is_file(), (
        f"{_name(module)} lacks tests/mocks/aws.tfmock.hcl: run make terraform-mocks"
    )
    assert copy.read_bytes() == SOURCE.read_bytes(), (
        f"{_name(module)}/tests/mocks/aws.tfmock.hcl differs from "
        "tests/terraform/mocks/aws.tfmock.hcl: edit the source, then run make terraform-mocks"
    )


@pytest.mark.parametrize("module", TESTED_MODULES, ids=_name)
def test_module_tests_load_their_own_mock(module: Path) -> None:
    for test_file in sorted((module / "tests").glob("*.tftest.hcl")):
        sources = [m["path"] for m in MOCK_SOURCE.finditer(test_file.read_text())]
        assert sources, f"{test_file.relative_to(REPO_ROOT)} declares no mock_provider source"
        assert set(sources) == {"./tests/mocks"}, (
            f"{test_file.relative_to(REPO_ROOT)} loads its mock from {sources}; "
            'a module test loads its own copy: source = "./tests/mocks"'
        )
