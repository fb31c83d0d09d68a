"""Test tiers, by what a test needs, marked by path (a pytest plugin: -p tests.tiers).

- fast (no marker): pure code, moto's in-process mocks, in-process stand-ins.
  ``make test-fast`` runs only these: ``pytest -m "not integration and not slow"``.
- ``integration``: starts a process or a server (Node, eslint, terraform, moto's
  server, the local AppSync endpoint, the Lambda build), or streams tens of MiB;
  seconds to a minute each.
- ``slow``: minutes (applies terraform/environments/local to the emulator); marked
  in its file.

``make test`` runs every tier. A new directory of process- or server-backed tests goes
into INTEGRATION below; a single file can also mark itself (``pytestmark``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent

# Paths relative to tests/: a directory (trailing slash) or a file.
INTEGRATION = (
    "appsync/",  # the local AppSync endpoint: aiohttp server, WebSockets, gql
    "emulator/",  # moto's server with the project's patches, terraform
    "runtime/",  # the function runtime: subprocesses per function
    "local_stack/",  # the whole local stack
    "resolvers/test_handlers.py",  # resolvers evaluated under Node
    "resolvers/test_harness.py",
    "resolvers/test_evaluate_code.py",
    "resolvers/test_lint.py",  # eslint
    "resolvers/test_pipeline_moto.py",
    "handlers/test_webhook_memory.py",  # streams a 64 MiB picture
    "handlers/test_races.py",  # real threads and delays: deliveries, retries, the webhook first
    "terraform/test_secret_state.py",  # terraform apply against moto's server
    "test_build.py",  # builds the Lambda artifacts
    "test_demo.py",
    "test_pipeline_end_to_end.py",
    "test_up.py",  # make up as a subprocess: a whole local stack
    "test_stack_cache.py",  # the recorded apply and its replay
    "test_stack_stale_state.py",  # LocalStack's start on a reused work dir, up to the apply
    "test_soak.py",  # the short soak through the whole local stack
    "test_fault_knobs.py",  # the fault knobs, against servers
    "test_get_token.py",  # SRP sign-in against moto's Cognito
    "test_cost_per_picture.py",  # whole pictures through the handlers with the stand-in
    "resolvers/test_cancel_delete_moto.py",  # resolvers under Node against moto
    "contract/test_resolvers.py",  # the resolvers' literals, under Node
    "contract/test_terraform.py",  # terraform test over mutated module copies
)


def _tier_paths() -> tuple[tuple[str, ...], tuple[str, ...]]:
    directories = tuple(path for path in INTEGRATION if path.endswith("/"))
    files = tuple(path for path in INTEGRATION if not path.endswith("/"))
    return directories, files


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "integration: starts a process or a server (Node, terraform, moto's server, the "
        "AppSync endpoint, a build); deselect with -m 'not integration' (make test-fast)",
    )


def _relative(path: Path) -> str | None:
    try:
        return path.resolve().relative_to(TESTS_DIR).as_posix()
    except ValueError:
        return None


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Under ``-m "not integration ..."`` the integration paths are not even imported:
    collecting them (aiohttp, gql, the emulator) costs each xdist worker seconds."""
    if not str(config.option.markexpr or "").startswith("not integration"):
        return None
    relative = _relative(collection_path)
    if relative is None:
        return None
    directories, files = _tier_paths()
    if relative in files or f"{relative}/" in directories or relative.startswith(directories):
        return True
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    directories, files = _tier_paths()
    for item in items:
        relative = _relative(Path(item.path))
        if relative is None:
            continue
        if relative in files or relative.startswith(directories):
            item.add_marker(pytest.mark.integration)
