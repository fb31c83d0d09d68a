"""The short soak: a few users through the whole local stack, every fault once; every
invariant of local/soak.py holds (slow: starts the stack, then waits out the deadline of
the pictures whose webhook was lost)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from local.soak import FAULTS, Soak, SoakConfig, SoakResult, soak_stack
from local.stack import LocalStack

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    work_dir: Path = tmp_path_factory.mktemp("soak-stack")
    with soak_stack(work_dir, pictures=2, progress=print) as started:
        yield started


@pytest.fixture(scope="module")
def result(stack: LocalStack) -> SoakResult:
    return Soak(stack, SoakConfig(users=3, pictures=2, duration_seconds=300.0)).run()


def test_every_invariant_holds_under_every_fault(result: SoakResult) -> None:
    assert result.violations == []


def test_every_fault_was_injected_and_counted(result: SoakResult) -> None:
    faults = {entry["fault"]: entry for entry in result.soak.fault_log}
    assert set(faults) == set(FAULTS)
    aimed = [entry for entry in faults.values() if "pic_id" in entry]
    assert all(entry["injected"] for entry in aimed), aimed
    assert faults["quota_burst"]["refused"] == {"QuotaExceeded": 2}
    assert faults["ceiling_burst"]["refused"] == {"GlobalQuotaExceeded": 2}


def test_each_fault_ended_as_designed(result: SoakResult) -> None:
    ended = {f["fault"]: f.get("ended") for f in result.figures()["faults"] if "pic_id" in f}
    # Lost for good: only the sweeper ends them.
    assert ended["webhook_lost"] == "FAILED"
    assert ended["replicate_500"] == "FAILED"
    # Retried or adopted: completed.
    for fault in (
        "replicate_429",
        "replicate_503",
        "replicate_timeout",
        "webhook_twice_out_of_order",
        "image_cut_mid_stream",
        "s3_put_failing",
        "publish_failing",
        "generate_crash",
        # Replicate retries the final webhook for about a minute, past the store lease
        # a crashed delivery may hold (the webhook's timeout + 2 s).
        "webhook_crash",
    ):
        assert ended[fault] == "COMPLETED", (fault, ended)
