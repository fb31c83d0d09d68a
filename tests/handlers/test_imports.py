"""The handlers import only the standard library, the runtime's boto3 and its
dependencies (urllib3 among them) and our code: nothing a layer would have to carry."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration  # a fresh interpreter per handler

HANDLERS = ("generate", "webhook", "on_upload", "publish", "cleanup", "sweeper", "pre_sign_up")
# What the layer used to carry (Powertools, requests and their dependencies). Not
# certifi: botocore imports it whenever it is installed (here, not in the runtime).
NOT_SHIPPED = (
    "aws_lambda_powertools",
    "requests",
    "charset_normalizer",
    "idna",
    "typing_extensions",
)


@pytest.mark.parametrize("handler", HANDLERS)
def test_a_handler_imports_nothing_beyond_the_runtime(handler: str) -> None:
    code = (
        f"import json, sys, aipic.handlers.{handler}; "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(result.stdout))
    assert loaded.isdisjoint(NOT_SHIPPED), loaded & set(NOT_SHIPPED)
