"""The apply cache's key and entries (``local.stack_cache``): a changed input is a miss, a
half-written entry is never read, old entries are pruned."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from local.stack_cache import (
    ApplyCache,
    cache_inputs,
    cache_key,
    input_files,
)
from tests.cached_stack import REPO_ROOT

PORTS = {"emulator": 18700, "appsync": 18701, "replicate": 18702}
VARIABLES = {"replicate_api_url": "http://127.0.0.1:18702/v1", "region": "us-east-1"}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of the inputs the key reads."""
    copy = tmp_path / "repo"
    for path in input_files(REPO_ROOT):
        if path.is_file():
            target = copy / path.relative_to(REPO_ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    return copy


def key_of(repo: Path, **overrides: object) -> str:
    arguments: dict[str, object] = {"ports": PORTS, "variables": VARIABLES, **overrides}
    return cache_key(cache_inputs(repo_root=repo, **arguments))  # type: ignore[arg-type]


def test_the_key_reads_every_input_of_the_apply() -> None:
    names = {str(path.relative_to(REPO_ROOT)) for path in input_files(REPO_ROOT)}
    for expected in (
        "terraform/environments/local/main.tf",
        "terraform/stack/main.tf",
        "modules/api/main.tf",
        "modules/pipeline/main.tf",
        "schema.graphql",
        "dist/manifest.json",
        "local/emulator/patches/appsync.py",
    ):
        assert expected in names
    assert any(name.startswith("modules/api/resolvers/") for name in names)
    assert not any("/.terraform/" in name or "/tests/" in name for name in names)


@pytest.mark.parametrize(
    "change",
    [
        "modules/pipeline/main.tf",
        "terraform/environments/local/main.tf",
        "schema.graphql",
        "dist/manifest.json",
        "local/emulator/patches/appsync.py",
    ],
)
def test_a_changed_input_changes_the_key(repo: Path, change: str) -> None:
    before = key_of(repo)
    with (repo / change).open("a", encoding="utf-8") as file:
        file.write("\n")
    assert key_of(repo) != before


def test_ports_and_variables_are_part_of_the_key(repo: Path) -> None:
    before = key_of(repo)
    assert key_of(repo, ports={**PORTS, "appsync": 18799}) != before
    assert key_of(repo, variables={**VARIABLES, "region": "eu-west-1"}) != before
    assert key_of(repo) == before  # and nothing else: the same inputs, the same key


def save(cache: ApplyCache, key: str, tmp_path: Path) -> None:
    recording, state = tmp_path / "r.jsonl", tmp_path / "s.tfstate"
    recording.write_text("{}\n")
    state.write_text("{}")
    cache.save(key, recording=recording, state=state, outputs={"k": key}, inputs={})


def test_an_entry_round_trips_and_a_partial_one_is_a_miss(tmp_path: Path) -> None:
    cache = ApplyCache(tmp_path / "cache")
    assert cache.lookup("k1") is None
    save(cache, "k1", tmp_path)
    entry = cache.lookup("k1")
    assert entry is not None
    assert entry.outputs == {"k": "k1"}
    assert entry.recording.read_text() == "{}\n"

    (entry.directory / "terraform.tfstate").unlink()
    assert cache.lookup("k1") is None
    cache.discard("k1")
    assert not (tmp_path / "cache" / "k1").exists()


def test_only_the_newest_entries_are_kept(tmp_path: Path) -> None:
    cache = ApplyCache(tmp_path / "cache", keep=2)
    for number in range(4):
        save(cache, f"k{number}", tmp_path)
    kept = sorted(p.name for p in (tmp_path / "cache").iterdir())
    assert kept == ["k2", "k3"]
    assert json.loads((tmp_path / "cache" / "k3" / "outputs.json").read_text()) == {"k": "k3"}
