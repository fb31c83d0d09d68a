"""tests/tiers.py: every path it names exists, so a moved file cannot drop into the fast tier."""

from __future__ import annotations

import pytest

from tests.tiers import INTEGRATION, TESTS_DIR, pytest_ignore_collect

OPTIONAL = {"local_stack/"}  # added by the local-stack tests when they land


@pytest.mark.parametrize("path", INTEGRATION)
def test_integration_path_exists(path: str) -> None:
    if path in OPTIONAL and not (TESTS_DIR / path).exists():
        pytest.skip(f"tests/{path} does not exist yet")
    target = TESTS_DIR / path
    assert target.is_dir() if path.endswith("/") else target.is_file(), (
        f"tests/tiers.py names tests/{path}, which does not exist: update INTEGRATION"
    )


def test_the_marker_is_applied(request: pytest.FixtureRequest) -> None:
    # This file is in the fast tier: no integration marker on its own tests.
    assert request.node.get_closest_marker("integration") is None


class _Option:
    def __init__(self, markexpr: str) -> None:
        self.markexpr = markexpr


class _Config:
    def __init__(self, markexpr: str) -> None:
        self.option = _Option(markexpr)


@pytest.mark.parametrize("path", INTEGRATION)
def test_the_fast_tier_does_not_even_collect_the_integration_paths(path: str) -> None:
    target = TESTS_DIR / path.rstrip("/")
    fast = _Config("not integration and not slow")
    assert pytest_ignore_collect(target, fast) is True  # type: ignore[arg-type]
    # Every other selection collects them (and marks them, above).
    for markexpr in ("", "integration or slow", "slow"):
        assert pytest_ignore_collect(target, _Config(markexpr)) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "path", ["handlers/test_webhook.py", "handlers/", "handlers/test_decisions_webhook.py"]
)
def test_the_fast_tier_collects_the_rest(path: str) -> None:
    fast = _Config("not integration and not slow")
    assert pytest_ignore_collect(TESTS_DIR / path, fast) is None  # type: ignore[arg-type]
