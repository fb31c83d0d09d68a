"""The Lambda settings read exactly the contract's environment variables.

For each function of the contract, the settings loaders its handler calls are run
over a complete, valid environment that records which names they read: every name
read must be one the contract lists for that function (Terraform sets no other), and
each variable the contract calls required must make the loader refuse to start when
it is missing (and only those). The same check over a copy of settings.py with one
name typed as a literal shows that a Python-side rename is caught.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from aipic import settings
from aipic.contract import CONTRACT, env_name

REPO_ROOT = Path(__file__).resolve().parents[2]
HANDLERS_DIR = REPO_ROOT / "lambda_src" / "aipic" / "handlers"
ENVIRONMENT = CONTRACT["environment"]
# Set by Lambda itself, not by Terraform: publish reads the region.
SET_BY_LAMBDA = {"AWS_REGION", "AWS_DEFAULT_REGION"}

# A valid value for every variable, by contract key.
VALID = {
    "pics_table_name": "pics",
    "pics_bucket_name": "pics-bucket",
    "replicate_api_token_parameter": "/aipic/replicate/api-token",
    "replicate_model": "stability-ai/stable-diffusion-3.5-large",
    "webhook_url": "https://example.com/webhooks/replicate",
    "replicate_api_url": "https://api.replicate.com/v1",
    "replicate_max_attempts": "4",
    "replicate_timeout_seconds": "10",
    "webhook_secret_parameter": "/aipic/replicate/webhook-secret",
    "image_host_allowlist": "replicate.delivery",
    "allowed_image_url_schemes": "https",
    "max_image_bytes": "1024",
    "image_download_deadline_seconds": "20",
    "image_fetch_allow_loopback": "false",
    "appsync_graphql_url": "https://example.appsync-api.eu-west-1.amazonaws.com/graphql",
    "pending_index_name": "byPending",
    "picture_deadline_minutes": "30",
    "allowed_email_domains": "example.com",
    "parameters_max_age": "300",
    "service_name": "aipic",
    "log_level": "INFO",
}

# The loaders each handler's settings come from: a handler calls `<name>_settings()`,
# and the pics repository (`pics_repository()`) is built from table_settings.
LOADER_CALL = re.compile(r"\b(?P<name>[a-z_]+)_settings\(\)")


def loaders_of(function: str) -> set[str]:
    source = (HANDLERS_DIR / f"{function}.py").read_text(encoding="utf-8")
    names = {match["name"] for match in LOADER_CALL.finditer(source)}
    if "pics_repository()" in source:
        names.add("table")
    return names


class RecordingEnvironment(Mapping[str, str]):
    """An environment that remembers every name looked up."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = dict(values)
        self.read: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.read.add(name)
        return self._values[name]

    def get(self, name: str, default: Any = None) -> Any:
        self.read.add(name)
        return self._values.get(name, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def full_environment() -> dict[str, str]:
    values = {env_name(key): value for key, value in VALID.items()}
    values["AWS_REGION"] = "eu-west-1"
    return values


def drift(module: ModuleType) -> list[str]:
    """How ``module`` (aipic.settings or a copy) disagrees with the contract."""
    problems = []
    for function, declared in ENVIRONMENT["functions"].items():
        loaders: list[Callable[[Mapping[str, str]], object]] = [
            getattr(module, f"load_{name}_settings") for name in sorted(loaders_of(function))
        ]
        required = {env_name(key) for key in declared["required"]}
        allowed = required | {env_name(key) for key in declared["optional"]}
        environment = RecordingEnvironment(full_environment())
        try:
            for load in loaders:
                load(environment)
        except module.SettingsError as error:
            problems.append(f"{function}: refuses the contract's environment: {error}")
            continue
        unknown = environment.read - allowed - SET_BY_LAMBDA
        if unknown:
            problems.append(f"{function} reads {sorted(unknown)}, not in the contract for it")
        for name in sorted(allowed):
            without = {k: v for k, v in full_environment().items() if k != name}
            try:
                for load in loaders:
                    load(without)
                refused = False
            except module.SettingsError:
                refused = True
            if refused != (name in required):
                kind = "required" if name in required else "optional"
                problems.append(f"{function}: {name} is {kind} in the contract, not in settings")
    return problems


def load_copy(source: str, tmp_path: Path) -> ModuleType:
    path = tmp_path / "settings_copy.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("settings_copy", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_every_function_of_the_contract_has_a_handler_reading_settings() -> None:
    for function in ENVIRONMENT["functions"]:
        assert loaders_of(function), f"aipic.handlers.{function} calls no settings loader"


def test_settings_read_the_contracts_names() -> None:
    assert drift(settings) == []


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        # A rename in settings.py alone: a required name read under another name ...
        (
            ('env_name("pics_table_name")', '"PICS_TABLE"'),
            "refuses the contract's environment: environment variable PICS_TABLE is required",
        ),
        # ... and an optional one, which would silently fall back to its default.
        (
            ('env_name("max_image_bytes")', '"MAX_IMAGE_SIZE"'),
            "webhook reads ['MAX_IMAGE_SIZE'], not in the contract",
        ),
        # An optional variable made required.
        (
            (
                '_service_url(env, env_name("replicate_api_url"), DEFAULT_REPLICATE_API_URL)',
                '_service_url(env, env_name("replicate_api_url"))',
            ),
            "REPLICATE_API_URL is optional in the contract, not in settings",
        ),
    ],
    ids=["required-renamed", "optional-renamed", "made-required"],
)
def test_a_settings_side_change_is_caught(
    edit: tuple[str, str], expected: str, tmp_path: Path
) -> None:
    source = Path(settings.__file__).read_text(encoding="utf-8")
    old, new = edit
    assert old in source
    problems = drift(load_copy(source.replace(old, new), tmp_path))
    assert any(expected in problem for problem in problems), problems
