"""A LocalStack started on a work directory an earlier run left its Terraform state in.

The emulator starts empty, so that state describes resources it never had; applied on
top of it, terraform failed ("Data source with name none already exists", a second
``make bench --latency`` on the same work directory). Before a fresh apply the stack
removes the state and its backup (``LocalStack.remove_stale_state``).

The stack is started for real (the stand-in, the emulator) but stopped where terraform
would begin: the whole apply takes minutes, and what matters is what it would read.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local.stack import LocalStack, LocalStackError
from local.terraform import LocalTerraform
from tests.cached_stack import needs_tools

STALE_LINEAGE = "5ca1ab1e-0000-4000-8000-0000000000aa"


def write_stale_state(work_dir: Path) -> None:
    """The state (and its backup) of an earlier run: it names an AppSync API and its NONE
    data source that the fresh emulator does not have."""
    work_dir.mkdir(parents=True, exist_ok=True)
    state = {
        "version": 4,
        "terraform_version": "1.11.4",
        "serial": 98,
        "lineage": STALE_LINEAGE,
        "outputs": {},
        "resources": [
            {
                "module": "module.stack.module.api",
                "mode": "managed",
                "type": "aws_appsync_datasource",
                "name": "none",
                "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
                "instances": [
                    {
                        "schema_version": 0,
                        "attributes": {"api_id": "r0a6ndlelr5t4q6h3jqjvd49cs", "name": "none"},
                    }
                ],
            }
        ],
    }
    for name in ("terraform.tfstate", "terraform.tfstate.backup"):
        (work_dir / name).write_text(json.dumps(state), encoding="utf-8")


def state_files(work_dir: Path) -> list[str]:
    return sorted(path.name for path in work_dir.glob("terraform.tfstate*"))


def test_remove_stale_state_deletes_the_state_and_its_backup_and_nothing_else(
    tmp_path: Path,
) -> None:
    write_stale_state(tmp_path)
    (tmp_path / "moto-recording.jsonl").write_text("{}\n", encoding="utf-8")
    (tmp_path / "runtime").mkdir()

    LocalStack(work_dir=tmp_path).remove_stale_state()

    assert sorted(path.name for path in tmp_path.iterdir()) == ["moto-recording.jsonl", "runtime"]


class StoppedBeforeTerraformError(Exception):
    pass


@needs_tools
@pytest.mark.timeout(120)
def test_a_fresh_apply_does_not_start_from_the_state_an_earlier_run_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work_dir = tmp_path / "stack"
    write_stale_state(work_dir)
    seen_by_terraform: list[list[str]] = []

    def record_the_state_files_and_stop(terraform: LocalTerraform) -> None:
        seen_by_terraform.append(state_files(work_dir))
        raise StoppedBeforeTerraformError("stopped where terraform init would run")

    monkeypatch.setattr(LocalTerraform, "init", record_the_state_files_and_stop)

    # No apply cache: the apply is a fresh one.
    with pytest.raises(LocalStackError, match=r"^apply: stopped where terraform init would run"):
        LocalStack(work_dir=work_dir).start()

    assert seen_by_terraform == [[]]
