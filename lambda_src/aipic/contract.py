"""The names the parts share, from ``contract.json`` (modules/contract/contract.json).

The file ships inside the package (``aipic/contract.json``, a symlink in the source
tree that build.py and pip copy as a file), so a function reads the same names
Terraform configured it with. ``tests/contract`` fails when a side drifts from it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import resources
from typing import Any

CONTRACT: Mapping[str, Any] = json.loads(
    resources.files(__package__ or "aipic").joinpath("contract.json").read_text(encoding="utf-8")
)
TABLE: Mapping[str, Any] = CONTRACT["table"]
QUOTA: Mapping[str, Any] = CONTRACT["quota"]


def env_name(key: str) -> str:
    """The environment variable's name for ``key`` (a key of environment.variables)."""
    return str(CONTRACT["environment"]["variables"][key])


def index_name(key: str) -> str:
    """The name of the table's ``owner`` or ``pending`` index."""
    return str(TABLE["indexes"][key]["name"])
