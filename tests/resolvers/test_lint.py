"""The resolvers pass @aws-appsync/eslint-plugin's rules, and the lint really bites."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from local.appsync.executor import (
    REPO_ROOT,
    RESOLVERS_DIR,
    substitute_daily_ceiling,
    substitute_daily_quota,
)

ESLINT = REPO_ROOT / "node_modules" / "eslint" / "bin" / "eslint.js"
LINT_TIMEOUT_SECONDS = 120


@pytest.fixture(scope="module")
def node() -> str:
    node_binary = shutil.which("node")
    assert node_binary, "node is needed"
    assert ESLINT.is_file(), "run `make node` (npm ci) first: node_modules has no eslint"
    return node_binary


def eslint_problems(node: str, cwd: Path) -> tuple[int, dict[str, set[str]]]:
    """Exit code and, per file name, the rule ids eslint reports over modules/api/resolvers."""
    result = subprocess.run(
        [node, str(ESLINT), "--format", "json", "modules/api/resolvers"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=LINT_TIMEOUT_SECONDS,
        check=False,
    )
    assert result.stdout, result.stderr
    problems = {
        Path(report["filePath"]).name: {message["ruleId"] for message in report["messages"]}
        for report in json.loads(result.stdout)
        if report["messages"]
    }
    return result.returncode, problems


def test_resolvers_pass_the_appsync_lint() -> None:
    # Exactly the README / Makefile command.
    npx = shutil.which("npx")
    assert npx, "npx is needed"
    result = subprocess.run(
        [npx, "--no-install", "eslint", "modules/api/resolvers"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=LINT_TIMEOUT_SECONDS,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def lint_copy(tmp_path: Path) -> Path:
    """The repository's lint set-up (config, tsconfig, resolvers) in a scratch folder."""
    (tmp_path / "modules/api").mkdir(parents=True)
    shutil.copytree(RESOLVERS_DIR, tmp_path / "modules/api/resolvers")
    (tmp_path / "tests/resolvers").mkdir(parents=True)
    shutil.copy(
        REPO_ROOT / "tests/resolvers/tsconfig.json", tmp_path / "tests/resolvers/tsconfig.json"
    )
    shutil.copy(REPO_ROOT / "eslint.config.mjs", tmp_path / "eslint.config.mjs")
    (tmp_path / "node_modules").symlink_to(REPO_ROOT / "node_modules", target_is_directory=True)
    return tmp_path


# A `request` handler per rule, each using one construct the APPSYNC_JS runtime rejects.
BROKEN_RESOLVERS = {
    "@aws-appsync/no-try": "try { return {}; } catch (e) { return {}; }",
    "@aws-appsync/no-while": "let n = 0; while (n < 3) { n += 1; } return { n };",
    "@aws-appsync/no-regex": "return { ok: /x/.test(ctx.args.s) };",
    "@aws-appsync/no-this": "return { self: this };",
    # `recommended` rules: they need the TypeScript project set-up to work.
    "@aws-appsync/no-recursion": "const f = (n) => (n > 0 ? f(n - 1) : 0); return { n: f(3) };",
    "@aws-appsync/no-disallowed-methods": "return { s: 'a'.padStart(3, '0') };",
}


def test_lint_fails_on_constructs_appsync_rejects(node: str, lint_copy: Path) -> None:
    # One broken file per rule, linted in one run (type-aware linting is slow to start).
    expected = {}
    for number, (rule, request) in enumerate(sorted(BROKEN_RESOLVERS.items())):
        name = f"broken{number}.js"
        broken = (
            f"export function request(ctx) {{\n  {request}\n}}\n"
            "export function response(ctx) {\n  return ctx.result;\n}\n"
        )
        (lint_copy / "modules/api/resolvers" / name).write_text(broken, encoding="utf-8")
        expected[name] = rule
    returncode, problems = eslint_problems(node, lint_copy)
    assert returncode == 1
    # Only the broken files are reported (the real resolvers stay clean), each for its rule.
    assert set(problems) == set(expected)
    for name, rule in expected.items():
        assert rule in problems[name], (name, problems[name])


def test_the_deployed_quota_and_ceiling_lines_still_lint(node: str, lint_copy: Path) -> None:
    quota_file = lint_copy / "modules/api/resolvers/createAIPic.js"
    deployed = substitute_daily_ceiling(
        substitute_daily_quota(quota_file.read_text(encoding="utf-8"), 7), 4321
    )
    quota_file.write_text(deployed, encoding="utf-8")
    assert "const DAILY_PICTURE_QUOTA = 7;" in deployed
    assert "const DAILY_PICTURE_CEILING = 4321;" in deployed
    assert eslint_problems(node, lint_copy) == (0, {})
