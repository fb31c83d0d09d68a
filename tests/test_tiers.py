"""tests/tiers.py: every path it names exists, so a moved file cannot drop into the fast tier."""

from __future__ import annotations

import pytest

from tests.tiers import INTEGRATION, TESTS_DIR

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
