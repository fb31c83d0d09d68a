"""Applies ``terraform/environments/local`` to the moto server and reads its outputs.

Working files: providers and modules in ``.tfcli/local-demo`` (kept, so later runs start
fast), the state in the demo's temporary directory (the emulator it describes is gone when
the demo ends). The fake token and webhook secret reach Terraform as ``TF_VAR_*``
environment variables, never on a command line.

Two resource types are left out of the apply (``SKIPPED_RESOURCE_TYPES`` says why); neither
plays a part in a picture's flow.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.demo.deadline import Deadline
from local.demo.errors import DemoTimeoutError, SetupError

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCAL_ROOT = REPO_ROOT / "terraform" / "environments" / "local"
MODULES_DIR = REPO_ROOT / "modules"
CLI_CONFIG_SCRIPT = REPO_ROOT / "local" / "tools" / "terraform-cli-config.sh"
DATA_DIR = REPO_ROOT / ".tfcli" / "local-demo"
SKIPPED_RESOURCE_TYPES = {
    # The provider (5.100) waits a fixed ~55 s after writing lifecycle rules, until ten
    # reads 5 s apart agree: that alone would break the demo's one-minute budget.
    "aws_s3_bucket_lifecycle_configuration": "provider waits ~55 s for it to settle",
    # moto enforces bucket policies but ignores their conditions, so the TLS-only
    # statement (Deny s3:* when aws:SecureTransport is false) would deny every request.
    "aws_s3_bucket_policy": "moto ignores the policy's TLS condition and would deny all",
}


@dataclass(frozen=True)
class LocalEnvironment:
    """The names ``terraform output`` reports for the local root."""

    table_name: str
    table_stream_arn: str
    bucket_name: str
    replicate_token_parameter_name: str
    webhook_secret_parameter_name: str

    @classmethod
    def from_outputs(cls, outputs: Mapping[str, Any]) -> LocalEnvironment:
        try:
            return cls(**{name: str(outputs[name]["value"]) for name in cls.__dataclass_fields__})
        except KeyError as missing:
            raise SetupError(
                f"terraform output lacks {missing} (see {LOCAL_ROOT}/outputs.tf)"
            ) from None


class LocalTerraform:
    """Runs terraform against ``moto_url`` with the state in ``state_dir``."""

    def __init__(
        self,
        *,
        moto_url: str,
        region: str,
        state_dir: Path,
        name_prefix: str,
        replicate_api_token: str,
        webhook_secret: str,
        deadline: Deadline,
    ) -> None:
        executable = shutil.which("terraform")
        if executable is None:
            raise SetupError(
                "terraform is not installed (or not on PATH); the demo creates the emulator's "
                "table, bucket and parameters with it. Install Terraform 1.11.4 "
                "(see .terraform-version) and run the demo again."
            )
        self._terraform = executable
        self._state = state_dir / "terraform.tfstate"
        self._deadline = deadline
        self._variables = [
            *("-var", f"moto_endpoint={moto_url}"),
            *("-var", f"region={region}"),
            *("-var", f"name_prefix={name_prefix}"),
        ]
        self._env = {
            **os.environ,
            "TF_CLI_CONFIG_FILE": self._cli_config(),
            "TF_DATA_DIR": str(DATA_DIR),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
            "TF_VAR_replicate_api_token": replicate_api_token,
            "TF_VAR_webhook_secret": webhook_secret,
        }

    @staticmethod
    def _cli_config() -> str:
        """The CLI configuration that installs the provider from the machine's mirror."""
        try:
            result = subprocess.run(  # noqa: S603 - our script, no shell
                [str(CLI_CONFIG_SCRIPT)], capture_output=True, text=True, timeout=60, check=True
            )
        except (OSError, subprocess.SubprocessError) as error:
            raise SetupError(f"{CLI_CONFIG_SCRIPT.name} failed: {error}") from None
        return result.stdout.strip()

    def _run(self, step: str, arguments: Sequence[str]) -> str:
        command = [self._terraform, f"-chdir={LOCAL_ROOT}", *arguments]
        timeout = self._deadline.check(f"starting terraform {step}")
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
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop_group(process)
            raise DemoTimeoutError(
                f"terraform {step} did not finish within the demo's --timeout "
                f"({self._deadline.seconds:.0f}s)"
            ) from None
        except BaseException:  # Ctrl-C or any error here: leave nothing running
            _stop_group(process)
            raise
        if process.returncode != 0:
            output = (stderr.strip() or stdout.strip())[-3000:]
            raise SetupError(f"terraform {step} failed (exit {process.returncode}):\n{output}")
        return stdout

    def init(self) -> None:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        # Two demos at once must not install into the same data directory together.
        with (DATA_DIR.parent / "local-demo.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self._run("init", ["init", "-input=false", "-no-color"])

    def planned_addresses(self) -> list[str]:
        """Every resource instance a fresh apply creates, from ``plan -json``.

        The plan costs seconds (two provider start-ups), so its answer is kept in the data
        directory together with a digest of every ``.tf`` file it depends on.
        """
        digest = _configuration_digest()
        cache = DATA_DIR / "planned-addresses.json"
        try:
            cached = json.loads(cache.read_text(encoding="utf-8"))
            if cached.get("digest") == digest:
                return [str(address) for address in cached["addresses"]]
        except (OSError, ValueError, KeyError, AttributeError):
            pass  # no usable cache: plan
        stdout = self._run(
            "plan", ["plan", "-json", "-input=false", f"-state={self._state}", *self._variables]
        )
        addresses: list[str] = []
        for line in stdout.splitlines():
            message = json.loads(line) if line.startswith("{") else {}
            if message.get("type") == "planned_change":
                resource = message["change"]["resource"]
                addresses.append(str(resource["addr"]))
        cache.write_text(json.dumps({"digest": digest, "addresses": addresses}), encoding="utf-8")
        return addresses

    def apply(self) -> dict[str, str]:
        """Apply all but the skipped resource types; returns skipped address → reason."""
        addresses = self.planned_addresses()
        skipped = {
            address: SKIPPED_RESOURCE_TYPES[_resource_type(address)]
            for address in addresses
            if _resource_type(address) in SKIPPED_RESOURCE_TYPES
        }
        targets = [f"-target={a}" for a in addresses if a not in skipped]
        if not targets:
            raise SetupError("terraform plans no resources for the local environment")
        self._run(
            "apply",
            [
                "apply",
                "-auto-approve",
                "-input=false",
                "-no-color",
                f"-state={self._state}",
                *self._variables,
                *targets,
            ],
        )
        return skipped

    def outputs(self) -> LocalEnvironment:
        stdout = self._run("output", ["output", "-json", f"-state={self._state}"])
        return LocalEnvironment.from_outputs(json.loads(stdout))


def _configuration_digest() -> str:
    """sha256 over the local root's and the modules' Terraform files (names and contents),
    nested modules (modules/<name>/modules/<name>) included."""
    digest = hashlib.sha256()
    module_files = [p for p in MODULES_DIR.rglob("*.tf") if ".terraform" not in p.parts]
    for path in sorted([*LOCAL_ROOT.glob("*.tf"), *module_files]):
        digest.update(str(path.relative_to(REPO_ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _resource_type(address: str) -> str:
    """``module.data.aws_s3_bucket.pics`` (or ``...pics[0]``) → ``aws_s3_bucket``."""
    parts = address.split(".")
    while parts[0] == "module":
        parts = parts[2:]
    if parts[0] == "data":
        parts = parts[1:]
    return parts[0]


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
