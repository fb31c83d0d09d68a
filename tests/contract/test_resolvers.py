"""The APPSYNC_JS resolvers' literals agree with the contract.

AppSync's JavaScript runtime reads no files and no environment, so the resolvers
name the owner index, the pending attribute and value, and the quota counters' ids
and attributes as literals. Each handler is evaluated under Node and the request it
sends is compared with the contract; the same check over a copy of the resolvers
with one literal changed shows that a resolver-side rename is caught.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aipic.contract import QUOTA, TABLE, index_name

from local.appsync.executor import RESOLVERS_DIR, NodeResolverRuntime, cognito_identity

SUB = "sub-1"
# 2024-05-17T10:30:00Z
NOW_MILLIS = 1_715_941_800_000
DAY = "2024-05-17"
PENDING = TABLE["indexes"]["pending"]["hash_key"]


@pytest.fixture(scope="module")
def node() -> Iterator[NodeResolverRuntime]:
    with NodeResolverRuntime() as runtime:
        yield runtime


def request_of(node: NodeResolverRuntime, directory: Path, code: str, ctx: dict[str, Any]) -> Any:
    evaluation = node.evaluate(
        directory / code, "request", ctx, now_epoch_millis=NOW_MILLIS, auto_ids=("pic-1",)
    )
    assert evaluation.error is None, evaluation.error
    return evaluation.result


def names_in(request: dict[str, Any], part: str) -> set[str]:
    return set(request[part].get("expressionNames", {}).values())


def drift(node: NodeResolverRuntime, directory: Path) -> list[str]:
    """How the resolvers in ``directory`` disagree with the contract."""
    problems = []
    identity = cognito_identity(SUB)

    listing = request_of(node, directory, "listAIPics.js", {"identity": identity, "args": {}})
    if listing.get("index") != index_name("owner"):
        problems.append(f"listAIPics queries index {listing.get('index')!r}")

    put = request_of(
        node,
        directory,
        "putPic.js",
        {"identity": identity, "args": {}, "stash": {"prompt": "a cat", "settings": None}},
    )
    if put["attributeValues"].get(PENDING) != {"S": TABLE["pending_partition"]}:
        problems.append(f"putPic does not write {PENDING} = {TABLE['pending_partition']}")
    if set(put["key"]) != {TABLE["hash_key"]}:
        problems.append(f"putPic keys the item by {sorted(put['key'])}")

    pic = {"id": "pic-1", "owner": SUB, "completionStatus": "PROCESSING"}
    cancel = request_of(
        node, directory, "cancelPic.js", {"identity": identity, "args": {}, "prev": {"result": pic}}
    )
    if PENDING not in names_in(cancel, "update"):
        problems.append(f"cancelPic does not remove {PENDING}")

    for code, counter_id, limit in (
        ("enforceQuota.js", QUOTA["user_key"].format(owner=SUB, day=DAY), "dailyPictureQuota"),
        ("enforceGlobalCeiling.js", QUOTA["global_key"].format(day=DAY), "dailyPictureCeiling"),
    ):
        ctx = {"identity": identity, "args": {}, "stash": {limit: 5}}
        update = request_of(node, directory, code, ctx)
        if update["key"] != {TABLE["hash_key"]: {"S": counter_id}}:
            problems.append(f"{code} counts in {update['key']}, not {counter_id}")
        expected = {QUOTA["count_attribute"], TABLE["ttl_attribute"]}
        if names_in(update, "update") != expected:
            problems.append(f"{code} updates {sorted(names_in(update, 'update'))}")
    return problems


def test_the_resolvers_use_the_contracts_names(node: NodeResolverRuntime) -> None:
    assert drift(node, RESOLVERS_DIR) == []


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        ("listAIPics.js", "'byOwner'", "'byCreator'", "listAIPics queries index 'byCreator'"),
        ("putPic.js", "pendingPartition: 'PENDING'", "pending: 'PENDING'", "putPic does not write"),
        ("cancelPic.js", "'pendingPartition'", "'pending'", "cancelPic does not remove"),
        ("enforceQuota.js", "`quota#${ctx", "`quota-${ctx", "enforceQuota.js counts in"),
        ("enforceGlobalCeiling.js", "'expiresAt'", "'ttl'", "enforceGlobalCeiling.js updates"),
    ],
    ids=["owner-index", "pending-value", "pending-removal", "quota-id", "ttl-attribute"],
)
def test_a_resolver_side_change_is_caught(
    node: NodeResolverRuntime, tmp_path: Path, file: str, old: str, new: str, expected: str
) -> None:
    copy = tmp_path / "resolvers"
    shutil.copytree(RESOLVERS_DIR, copy)
    source = (copy / file).read_text(encoding="utf-8")
    assert old in source
    (copy / file).write_text(source.replace(old, new), encoding="utf-8")
    problems = drift(node, copy)
    assert any(expected in problem for problem in problems), problems
