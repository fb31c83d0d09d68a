"""The modules' own `terraform test`s catch a module that stops using the contract.

Each module reads its names from modules/contract and its tests compare what it
plans with the contract (tests/tools/terraform-tests.sh runs them). Here a copy of
one module has one name typed as a literal instead, and its test file must fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from local.terraform import cli_config

REPO_ROOT = Path(__file__).resolve().parents[2]
MODULES = REPO_ROOT / "modules"


def terraform(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "TF_CLI_CONFIG_FILE": cli_config(),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
    }
    return subprocess.run(
        ["terraform", f"-chdir={directory}", *args, "-no-color"],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
        timeout=600,
    )


@pytest.mark.parametrize(
    ("module", "file", "old", "new", "test_file", "expected"),
    [
        (
            "data",
            "main.tf",
            "local.table.indexes.owner.name",
            '"byCreator"',
            "tests/data.tftest.hcl",
            "owner_index_name and pending_index_name must name the contract's indexes",
        ),
        (
            "api",
            "main.tf",
            "local.pipelines.createAIPic.functions",
            "reverse(local.pipelines.createAIPic.functions)",
            "tests/api.tftest.hcl",
            "createAIPic must run the contract's functions",
        ),
        (
            "pipeline",
            "main.tf",
            "(local.env.pics_table_name)               = var.table_name",
            "PICS_TABLE                                = var.table_name",
            "tests/pipeline.tftest.hcl",
            "no name the contract does not list for it",
        ),
    ],
    ids=["data-index-name", "api-pipeline-order", "pipeline-environment-name"],
)
def test_a_module_that_leaves_the_contract_fails_its_tests(
    tmp_path: Path, module: str, file: str, old: str, new: str, test_file: str, expected: str
) -> None:
    copy = tmp_path / "modules"
    for name in ("contract", module):
        shutil.copytree(MODULES / name, copy / name, ignore=shutil.ignore_patterns(".terraform*"))
    path = copy / module / file
    source = path.read_text(encoding="utf-8")
    assert old in source
    path.write_text(source.replace(old, new, 1), encoding="utf-8")

    init = terraform(copy / module, "init", "-backend=false")
    assert init.returncode == 0, init.stdout + init.stderr
    result = terraform(copy / module, "test", f"-filter={test_file}")
    assert result.returncode != 0, result.stdout
    assert expected in result.stdout + result.stderr
