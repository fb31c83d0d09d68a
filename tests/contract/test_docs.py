"""lambda_src/README.md documents exactly the contract's environment variables."""

from __future__ import annotations

import re
from pathlib import Path

from aipic.contract import CONTRACT

README = Path(__file__).resolve().parents[2] / "lambda_src" / "README.md"
# Set by Lambda, documented beside the ones Terraform sets.
SET_BY_LAMBDA = {"AWS_REGION"}


def documented_variables(text: str) -> set[str]:
    section = text.split("## Environment variables", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names.update(re.findall(r"`([A-Z][A-Z0-9_]+)`", first_cell))
    return names


EXPECTED = set(CONTRACT["environment"]["variables"].values()) | SET_BY_LAMBDA


def test_the_environment_table_lists_the_contracts_variables() -> None:
    assert documented_variables(README.read_text(encoding="utf-8")) == EXPECTED


def test_a_renamed_row_is_caught() -> None:
    text = README.read_text(encoding="utf-8").replace("| `MAX_IMAGE_BYTES`", "| `MAX_IMAGE_SIZE`")
    assert documented_variables(text) ^ EXPECTED == {"MAX_IMAGE_BYTES", "MAX_IMAGE_SIZE"}
