"""Each module's README lists exactly its inputs and outputs, and says which inputs are required.

terraform-docs cannot be installed on these machines, so this check reads the
variables and outputs with python-hcl2 and compares them with the README's
`## Inputs` and `## Outputs` tables (first column: the backticked name).
"""

from __future__ import annotations

import re
from pathlib import Path

import hcl2
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
MODULE_DIRS = sorted(
    [*REPO_ROOT.glob("modules/*/"), REPO_ROOT / "terraform" / "stack"],
)
# What a README writes in the default column of a required input.
REQUIRED_MARKERS = {"—", "-", "**required**", "required"}
TABLE_ROW = re.compile(r"^\|\s*`(?P<name>[a-z0-9_]+)`\s*\|(?P<rest>.*)\|\s*$")


def _blocks(path: Path, kind: str) -> dict[str, dict[str, object]]:
    if not path.exists():
        return {}
    with path.open() as handle:
        parsed = hcl2.load(handle)
    blocks: dict[str, dict[str, object]] = {}
    for block in parsed.get(kind, []):
        for quoted_name, body in block.items():
            blocks[quoted_name.strip('"')] = body
    return blocks


def _terraform_blocks(module: Path, kind: str) -> dict[str, dict[str, object]]:
    found: dict[str, dict[str, object]] = {}
    for path in sorted(module.glob("*.tf")):
        found.update(_blocks(path, kind))
    return found


def _readme_table(module: Path, heading: str) -> dict[str, list[str]]:
    """name → the row's other cells, from the table under `## <heading>`."""
    lines = (module / "README.md").read_text().splitlines()
    try:
        start = lines.index(f"## {heading}")
    except ValueError:
        pytest.fail(f"{module.relative_to(REPO_ROOT)}/README.md has no '## {heading}' section")
    rows: dict[str, list[str]] = {}
    for line in lines[start + 1 :]:
        if line.startswith("## "):
            break
        match = TABLE_ROW.match(line)
        if match:
            rows[match["name"]] = [cell.strip() for cell in match["rest"].split("|")]
    return rows


@pytest.mark.parametrize("module", MODULE_DIRS, ids=lambda path: str(path.relative_to(REPO_ROOT)))
def test_readme_inputs_match_variables(module: Path) -> None:
    variables = _terraform_blocks(module, "variable")
    documented = _readme_table(module, "Inputs")
    assert sorted(documented) == sorted(variables), (
        f"{module.relative_to(REPO_ROOT)}/README.md Inputs table is out of step: "
        f"undocumented {sorted(set(variables) - set(documented))}, "
        f"documented but absent {sorted(set(documented) - set(variables))}"
    )
    for name, body in variables.items():
        # Columns: type, default, description.
        default_cell = documented[name][1]
        required_in_terraform = "default" not in body
        assert (default_cell in REQUIRED_MARKERS) == required_in_terraform, (
            f"{module.relative_to(REPO_ROOT)}: input {name} is "
            f"{'required' if required_in_terraform else 'optional'} in Terraform, "
            f"but the README's default column says {default_cell!r}"
        )


@pytest.mark.parametrize("module", MODULE_DIRS, ids=lambda path: str(path.relative_to(REPO_ROOT)))
def test_readme_outputs_match_outputs(module: Path) -> None:
    outputs = _terraform_blocks(module, "output")
    documented = _readme_table(module, "Outputs")
    assert sorted(documented) == sorted(outputs), (
        f"{module.relative_to(REPO_ROOT)}/README.md Outputs table is out of step: "
        f"undocumented {sorted(set(outputs) - set(documented))}, "
        f"documented but absent {sorted(set(documented) - set(outputs))}"
    )
