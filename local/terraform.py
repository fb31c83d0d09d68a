"""Runs ``terraform/environments/local`` (the whole ``terraform/stack``) against an emulator.

    stack = LocalTerraform(emulator_url=emulator.url, state_path=tmp / "local.tfstate",
                           variables={"replicate_api_url": replicate.base_url})
    stack.init()
    report = stack.apply()          # per-resource seconds from `apply -json`
    assert stack.plan_is_empty()    # plan -detailed-exitcode == 0
    stack.destroy()

Providers and modules are installed in ``.tfcli/local`` (kept, so later runs start fast;
two processes never install there at once); the state is wherever the caller says. The CLI
configuration comes from ``local/tools/terraform-cli-config.sh`` (the machine's provider
mirror, offline). Every run is bounded by ``timeout`` and stops terraform's whole process
group when it is exceeded or interrupted.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
LOCAL_ROOT = REPO_ROOT / "terraform" / "environments" / "local"
STACK_DIR = REPO_ROOT / "terraform" / "stack"
CLI_CONFIG_SCRIPT = REPO_ROOT / "local" / "tools" / "terraform-cli-config.sh"
DATA_DIR = REPO_ROOT / ".tfcli" / "local"
DEFAULT_TIMEOUT_SECONDS = 600.0


class TerraformError(RuntimeError):
    """terraform failed, timed out or is missing; ``str()`` says which step and why."""


@dataclass(frozen=True)
class ApplyReport:
    """What an apply did: wall seconds and, per resource address, seconds to create it."""

    seconds: float
    resource_seconds: dict[str, float] = field(default_factory=dict)

    def slowest(self, count: int = 10) -> list[tuple[str, float]]:
        return sorted(self.resource_seconds.items(), key=lambda item: -item[1])[:count]


def cli_config() -> str:
    """Path of the CLI configuration that installs the provider from the machine's mirror."""
    try:
        result = subprocess.run(  # noqa: S603 - our script, no shell
            [str(CLI_CONFIG_SCRIPT)], capture_output=True, text=True, timeout=60, check=True
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise TerraformError(f"{CLI_CONFIG_SCRIPT.name} failed: {error}") from None
    return result.stdout.strip()


class LocalTerraform:
    """terraform in ``terraform/environments/local`` with the state at ``state_path``.

    ``variables`` are the root's inputs besides ``emulator_url`` (``replicate_api_url`` is
    required; see the root's variables.tf). They reach terraform as ``TF_VAR_*``. ``root``
    is the root module's directory: another copy of the tree (same layout, so the modules
    installed in ``data_dir`` resolve in it too) can be applied onto the same state.
    """

    def __init__(
        self,
        *,
        emulator_url: str,
        state_path: Path,
        variables: Mapping[str, object],
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        data_dir: Path = DATA_DIR,
        root: Path = LOCAL_ROOT,
    ) -> None:
        executable = shutil.which("terraform")
        if executable is None:
            raise TerraformError(
                "terraform is not installed (or not on PATH): install Terraform 1.11.4 "
                "(see .terraform-version)"
            )
        self._terraform = executable
        self.state_path = state_path
        self.root = root
        self._timeout = timeout
        self._data_dir = data_dir
        tf_vars = {"emulator_url": emulator_url, **variables}
        self._env = {
            **os.environ,
            "TF_CLI_CONFIG_FILE": cli_config(),
            "TF_DATA_DIR": str(data_dir),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
            **{
                f"TF_VAR_{name}": value if isinstance(value, str) else json.dumps(value)
                for name, value in tf_vars.items()
            },
        }

    def run(
        self, step: str, arguments: Sequence[str], *, ok_codes: Sequence[int] = (0,)
    ) -> subprocess.CompletedProcess[str]:
        """``terraform -chdir=<local root> <arguments>``; raises unless its exit code is ok."""
        command = [self._terraform, f"-chdir={self.root}", *arguments]
        # Its own process group, so stopping it also stops the provider plugins it started.
        process = subprocess.Popen(  # noqa: S603 - terraform argv, no shell
            command,
            env=self._env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            stdout, stderr = process.communicate(timeout=self._timeout)
        except subprocess.TimeoutExpired:
            _stop_group(process)
            raise TerraformError(
                f"terraform {step} did not finish within {self._timeout:.0f}s"
            ) from None
        except BaseException:  # Ctrl-C or any error here: leave nothing running
            _stop_group(process)
            raise
        if process.returncode not in ok_codes:
            output = _diagnostics(stdout, stderr)
            raise TerraformError(f"terraform {step} failed (exit {process.returncode}):\n{output}")
        return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)

    def init(self) -> None:
        self._data_dir.mkdir(parents=True, exist_ok=True)
        # Two runs at once must not install into the same data directory together.
        with (self._data_dir.parent / f"{self._data_dir.name}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self.run("init", ["init", "-input=false", "-no-color"])

    def apply(self, *, refresh: bool = True) -> ApplyReport:
        """``refresh=False`` skips reading every resource back first (``-refresh=false``):
        right when nothing but this state's applies changed the emulator."""
        started = time.monotonic()
        result = self.run(
            "apply",
            [
                "apply",
                "-auto-approve",
                "-input=false",
                "-json",
                f"-refresh={str(refresh).lower()}",
                f"-state={self.state_path}",
            ],
        )
        return ApplyReport(time.monotonic() - started, resource_seconds(result.stdout))

    def plan_is_empty(self) -> tuple[bool, str]:
        """(no changes, the plan's text): ``plan -detailed-exitcode`` is 0, not 2."""
        result = self.run(
            "plan",
            [
                "plan",
                "-input=false",
                "-no-color",
                "-detailed-exitcode",
                f"-state={self.state_path}",
            ],
            ok_codes=(0, 2),
        )
        return result.returncode == 0, result.stdout

    def destroy(self) -> float:
        started = time.monotonic()
        self.run(
            "destroy",
            ["destroy", "-auto-approve", "-input=false", "-no-color", f"-state={self.state_path}"],
        )
        return time.monotonic() - started

    def state_addresses(self) -> list[str]:
        result = self.run("state list", ["state", "list", f"-state={self.state_path}"])
        return [line.strip() for line in result.stdout.splitlines() if line.strip()]

    def outputs(self) -> dict[str, Any]:
        result = self.run("output", ["output", "-json", f"-state={self.state_path}"])
        return {name: value["value"] for name, value in json.loads(result.stdout).items()}


def resource_seconds(apply_json: str) -> dict[str, float]:
    """Address → seconds its create took, from ``apply -json``'s ``apply_complete`` lines."""
    seconds: dict[str, float] = {}
    for line in apply_json.splitlines():
        if not line.startswith("{"):
            continue
        message = json.loads(line)
        if message.get("type") == "apply_complete":
            hook = message["hook"]
            seconds[hook["resource"]["addr"]] = float(hook.get("elapsed_seconds", 0))
    return seconds


def _diagnostics(stdout: str, stderr: str) -> str:
    """The error text of a run (``-json`` runs report diagnostics as JSON lines)."""
    errors = []
    for line in stdout.splitlines():
        if line.startswith("{"):
            message = json.loads(line)
            if message.get("type") == "diagnostic" and message["diagnostic"]["severity"] == "error":
                diagnostic = message["diagnostic"]
                where = diagnostic.get("address", "")
                errors.append(f"{where}: {diagnostic['summary']}: {diagnostic.get('detail', '')}")
    return ("\n".join(errors) or stderr.strip() or stdout.strip())[-4000:]


# ---------------------------------------------------------------- what the stack declares

_MODULE = re.compile(r'^module\s+"([^"]+)"\s*\{(.*?)^\}', re.MULTILINE | re.DOTALL)
_SOURCE = re.compile(r'^\s*source\s*=\s*"([^"]+)"', re.MULTILINE)
_RESOURCE = re.compile(r'^resource\s+"([^"]+)"\s+"([^"]+)"\s*\{(.*?)^\}', re.MULTILINE | re.DOTALL)
_COUNT = re.compile(r"^\s{2}count\s*=", re.MULTILINE)


def declared_resources(
    module_dir: Path = STACK_DIR, prefix: str = "module.stack"
) -> dict[str, bool]:
    """Every ``resource`` block under ``module_dir`` (local module calls followed), as
    address without instance keys → whether its ``count`` may leave it out."""
    declared: dict[str, bool] = {}
    for path in sorted(module_dir.glob("*.tf")):
        text = path.read_text(encoding="utf-8")
        for kind, name, body in _RESOURCE.findall(text):
            declared[f"{prefix}.{kind}.{name}"] = bool(_COUNT.search(body))
        for name, body in _MODULE.findall(text):
            source = _SOURCE.search(body)
            if source and source.group(1).startswith("."):
                child = (module_dir / source.group(1)).resolve()
                declared.update(declared_resources(child, f"{prefix}.module.{name}"))
    return declared


def without_instance_key(address: str) -> str:
    """``module.stack.module.api.aws_appsync_function.create_pic["putPic"]`` → no ``[...]``."""
    return re.sub(r"\[[^\]]*\]", "", address)


def _stop_group(process: subprocess.Popen[str]) -> None:
    """SIGTERM terraform's process group (it stops gracefully), SIGKILL if it lingers."""
    for signal_number, grace in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal_number)
        try:
            process.communicate(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def put_secrets(
    emulator_url: str,
    outputs: Mapping[str, Any],
    *,
    replicate_api_token: str,
    webhook_secret: str,
    region: str = "us-east-1",
) -> None:
    """Put the stand-in's token and signing secret into the stack's SSM parameters, as an
    operator does with ``aws ssm put-parameter --overwrite`` (Terraform never holds them)."""
    import boto3

    ssm = boto3.client(
        "ssm",
        region_name=region,
        endpoint_url=emulator_url,
        # The emulator's fake credentials (moto accepts any).
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106
    )
    for output, value in (
        ("replicate_token_parameter_name", replicate_api_token),
        ("webhook_secret_parameter_name", webhook_secret),
    ):
        ssm.put_parameter(
            Name=str(outputs[output]),
            Value=value,
            Type="SecureString",
            KeyId=str(outputs["kms_key_arn"]),
            Overwrite=True,
        )
