"""The SSM secrets never reach Terraform state, whatever operators put in them.

Applies modules/pipeline's secure_parameters module (through the test root
tests/terraform/fixtures/secure_parameters) to moto's server and sets the real
values out of band the way operators do (``put-parameter --overwrite``), then
applies, refreshes and plans again and looks for the values in ``terraform show
-json`` and in the raw state file. The run starts from the former definition
(fixtures/secure_parameters_before: a placeholder ``value`` with ``ignore_changes``),
which held the decrypted token in state after a refresh, so it also checks the
upgrade: the value leaves the state and the parameter keeps the operator's value.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from local.emulator.server import MotoServer

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "tests" / "terraform" / "fixtures"
CLI_CONFIG_SCRIPT = REPO_ROOT / "local" / "tools" / "terraform-cli-config.sh"
REGION = "us-east-1"
TOKEN_NAME = "/aipic-state-test/replicate/api-token"
SECRET_NAME = "/aipic-state-test/replicate/webhook-secret"
TOKEN_BEFORE_UPGRADE = "r8_TokenSetBeforeTheUpgrade000000000000"
ROTATED_TOKEN = "r8_TokenRotatedAfterTheUpgrade0000000000"
WEBHOOK_SECRET = "whsec_UmVhbFNpZ25pbmdTZWNyZXROZXZlckluU3RhdGU="
PLACEHOLDER = "PLACEHOLDER-set-with-aws-ssm-put-parameter"
COMMAND_TIMEOUT_SECONDS = 120

pytestmark = pytest.mark.skipif(shutil.which("terraform") is None, reason="needs terraform")


class TerraformRoot:
    """``terraform -chdir=<fixture>``: own data directory, the shared state file."""

    def __init__(self, fixture: str, work_dir: Path, variables: dict[str, str]) -> None:
        self._dir = FIXTURES / fixture
        self.state = work_dir / "terraform.tfstate"
        self._variables = [f"-var={name}={value}" for name, value in variables.items()]
        config = subprocess.run(
            [str(CLI_CONFIG_SCRIPT)], capture_output=True, text=True, check=True, timeout=60
        ).stdout.strip()
        self._env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))},
            "TF_CLI_CONFIG_FILE": config,
            "TF_DATA_DIR": str(work_dir / f"data-{fixture}"),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
        }
        self._terraform("init", "-backend=false")

    def _terraform(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            ["terraform", f"-chdir={self._dir}", *arguments, "-no-color"],
            env=self._env,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_SECONDS,
            check=False,
        )
        if check and result.returncode != 0:
            pytest.fail(
                f"terraform {' '.join(arguments)} in {self._dir.name} failed:\n"
                f"{result.stderr[-3000:]}"
            )
        return result

    def apply(self, *options: str) -> None:
        self._terraform(
            "apply", "-auto-approve", f"-state={self.state}", *self._variables, *options
        )

    def plan_exit_code(self) -> int:
        arguments = ("plan", "-detailed-exitcode", f"-state={self.state}", *self._variables)
        return self._terraform(*arguments, check=False).returncode

    def show_json(self) -> str:
        return self._terraform("show", "-json", str(self.state)).stdout


@pytest.fixture
def moto() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


def stored_value(ssm: Any, name: str) -> str:
    return str(ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])


def test_secret_values_never_stay_in_the_state(tmp_path: Path, moto: MotoServer) -> None:
    session = boto3.Session(
        region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    key_arn = session.client("kms", endpoint_url=moto.url).create_key()["KeyMetadata"]["Arn"]
    ssm = session.client("ssm", endpoint_url=moto.url)
    variables = {"moto_endpoint": moto.url, "kms_key_arn": key_arn}

    def put(name: str, value: str) -> None:
        ssm.put_parameter(
            Name=name, Value=value, Type="SecureString", KeyId=key_arn, Overwrite=True
        )

    # Before: the token set out of band reaches the state with the next refresh.
    before = TerraformRoot("secure_parameters_before", tmp_path, variables)
    before.apply()
    put(TOKEN_NAME, TOKEN_BEFORE_UPGRADE)
    before.apply("-refresh-only")
    assert TOKEN_BEFORE_UPGRADE in before.state.read_text(encoding="utf-8")

    # The upgrade: the token parameter moves into the module, the webhook secret is new.
    after = TerraformRoot("secure_parameters", tmp_path, variables)
    after.apply()
    assert stored_value(ssm, TOKEN_NAME) == TOKEN_BEFORE_UPGRADE, "the upgrade overwrote the token"
    assert stored_value(ssm, SECRET_NAME) == PLACEHOLDER
    assert TOKEN_BEFORE_UPGRADE not in after.state.read_text(encoding="utf-8")

    # Operators set and rotate the values; apply (refreshes first) and plan as usual.
    put(SECRET_NAME, WEBHOOK_SECRET)
    put(TOKEN_NAME, ROTATED_TOKEN)
    after.apply()
    assert after.plan_exit_code() == 0, "a value set out of band must be no drift"

    shown = after.show_json()
    parameters = [
        resource["values"]["name"]
        for module in json.loads(shown)["values"]["root_module"]["child_modules"]
        for resource in module["resources"]
        if resource["type"] == "aws_ssm_parameter"
    ]
    assert sorted(parameters) == [TOKEN_NAME, SECRET_NAME]
    raw_state = after.state.read_text(encoding="utf-8")
    for text, where in ((shown, "terraform show -json"), (raw_state, "the state file")):
        for value in (TOKEN_BEFORE_UPGRADE, ROTATED_TOKEN, WEBHOOK_SECRET, PLACEHOLDER):
            assert value not in text, f"{value[:12]}... found in {where}"
    # Terraform never wrote its placeholder back over the operators' values.
    assert stored_value(ssm, TOKEN_NAME) == ROTATED_TOKEN
    assert stored_value(ssm, SECRET_NAME) == WEBHOOK_SECRET
