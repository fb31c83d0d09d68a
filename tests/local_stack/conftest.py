"""One whole local stack per test session (``local.stack.LocalStack``: the Replicate
stand-in, the emulator, ``terraform/environments/local`` applied, the function runtime,
the AppSync endpoint), and what the tests need to drive it as a frontend does.

Everything here reaches the stack over the protocols AWS speaks: ``local.client``'s
``PictureClient`` (gql's AppSync transports, Cognito, the identity pool, S3). Names of
resources are never written here: they come from the stack's outputs, or from what
Terraform created (a function is known by its handler, the table by the stream its
mapping reads).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from local.client import FINAL_STATUSES, ClientConfig, PicEvent, PictureClient, SignedInUser
from local.runtime.config import FunctionConfig
from local.stack import LocalStack
from local.terraform import REPO_ROOT, ApplyReport

PASSWORD = "A-long-passw0rd!"
# A picture takes ~5 s through the whole stack on a loaded 2-core machine.
PICTURE_TIMEOUT_SECONDS = 45.0
# How long to wait for the picture to settle when the wiring is broken: the stand-in's
# webhooks delivered and the runtime idle (nothing running, queued, retrying, unread).
SETTLE_TIMEOUT_SECONDS = 20.0
# After the runtime is idle, what it published is at most this far from the subscriber.
DELIVERY_GRACE_SECONDS = 0.5
# The stand-in's knobs a test may turn (see local.replicate.standin.ReplicateStandIn).
REPLICATE_KNOBS = (
    "outcome",
    "error",
    "prediction_failures",
    "image_failures",
    "prediction_delays",
    "retry_after",
    "webhook_delay",
    "output_url",
    "progress_bar",
    "time_scale",
)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    if not (REPO_ROOT / "dist" / "manifest.json").is_file():
        pytest.fail("dist/manifest.json is missing: run `make build` first")
    started = time.monotonic()
    work_dir = tmp_path_factory.mktemp("local-stack")
    # TLS beside plain http: aws-amplify opens its real-time socket with wss:// only.
    with LocalStack(work_dir=work_dir, appsync_tls_dir=work_dir / "tls") as local_stack:
        steps = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in local_stack.timings.items())
        print(f"\nlocal stack up in {time.monotonic() - started:.1f}s ({steps})")
        yield local_stack


@pytest.fixture(autouse=True)
def replicate_knobs(stack: LocalStack) -> Iterator[None]:
    """Each test turns the stand-in's knobs for itself; they are reset afterwards."""
    replicate = stack.replicate
    saved = {name: _copied(getattr(replicate, name)) for name in REPLICATE_KNOBS}
    yield
    for name, value in saved.items():
        setattr(replicate, name, value)


def _copied(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


@pytest.fixture
def client(stack: LocalStack) -> PictureClient:
    return PictureClient(ClientConfig.from_outputs(stack.client_outputs()))


def new_user(client: PictureClient, name: str = "user") -> SignedInUser:
    return client.sign_up(f"{name}-{secrets.token_hex(4)}@example.com", PASSWORD)


@pytest.fixture
def user(client: PictureClient) -> SignedInUser:
    return new_user(client)


# ---------------------------------------------------------------- what Terraform created


def function_for(stack: LocalStack, handler_module: str) -> FunctionConfig:
    """The deployed function whose handler is ``aipic.handlers.<handler_module>.handler``."""
    found = [
        function
        for function in stack.runtime.config.functions.values()
        if function.handler.split(".")[-2:-1] == [handler_module]
    ]
    assert len(found) == 1, f"expected one {handler_module} function, found {found}"
    return found[0]


def table_name(stack: LocalStack) -> str:
    """The pics table: the one whose stream every stream mapping (publish, cleanup) reads."""
    # arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>
    (name,) = {
        mapping.event_source_arn.split(":table/", 1)[1].split("/", 1)[0]
        for mapping in stack.runtime.config.stream_mappings
    }
    return name


def item(stack: LocalStack, pic_id: str) -> dict[str, Any] | None:
    """The stored picture, plain values."""
    answer = stack.aws_client("dynamodb").get_item(
        TableName=table_name(stack), Key={"id": {"S": pic_id}}, ConsistentRead=True
    )
    raw = answer.get("Item")
    return None if raw is None else {k: next(iter(v.values())) for k, v in raw.items()}


def items_of(stack: LocalStack, sub: str) -> list[dict[str, Any]]:
    """Every item of the pics table a user caused: their pictures (``owner``) and their
    quota counters (the user's sub in the key). A scan: the test table is tiny."""
    pages = stack.aws_client("dynamodb").get_paginator("scan")
    found: list[dict[str, Any]] = []
    for page in pages.paginate(
        TableName=table_name(stack),
        FilterExpression="#owner = :sub OR contains(id, :sub)",
        ExpressionAttributeNames={"#owner": "owner"},
        ExpressionAttributeValues={":sub": {"S": sub}},
        ConsistentRead=True,
    ):
        found.extend({k: next(iter(v.values())) for k, v in raw.items()} for raw in page["Items"])
    return found


def object_keys(stack: LocalStack, prefix: str = "") -> list[str]:
    listing = stack.aws_client("s3").list_objects_v2(
        Bucket=stack.outputs["bucket_name"], Prefix=prefix
    )
    return [entry["Key"] for entry in listing.get("Contents", [])]


# ---------------------------------------------------------------- one picture, end to end


@dataclass
class PictureRun:
    """A picture created by a subscribed user, and every event the subscriber received."""

    pic: dict[str, Any]
    events: list[PicEvent] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def statuses(self) -> list[str]:
        return [event.status for event in self.events if event.pic.get("id") == self.pic["id"]]

    @property
    def final(self) -> PicEvent | None:
        finals = [
            event
            for event in self.events
            if event.pic.get("id") == self.pic["id"] and event.status in FINAL_STATUSES
        ]
        return finals[-1] if finals else None


def settle(stack: LocalStack) -> None:
    """Until the picture's pipeline has nothing left to do. In order: the runtime idle
    (generate has run, so any prediction's webhook is queued at the stand-in), the
    stand-in's webhooks sent (each ran the webhook function while it was sent), the
    runtime idle again (on_upload, publish: no invocation, async retry or unread stream
    record left)."""
    stack.runtime.wait_until_idle(timeout=SETTLE_TIMEOUT_SECONDS)
    stack.replicate.wait_for_webhooks(timeout=SETTLE_TIMEOUT_SECONDS)
    stack.runtime.wait_until_idle(timeout=SETTLE_TIMEOUT_SECONDS)


def run_picture(
    stack: LocalStack,
    client: PictureClient,
    user: SignedInUser,
    prompt: str,
    *,
    timeout: float = PICTURE_TIMEOUT_SECONDS,
) -> PictureRun:
    """Subscribe, create, and collect the subscriber's events until the picture is final,
    or (when it never gets there) until the pipeline has settled; bounded by ``timeout``."""

    async def scenario() -> PictureRun:
        started = time.monotonic()
        async with client.subscription(user) as events:
            pic = await asyncio.to_thread(client.create, user, prompt)
            run = PictureRun(pic)

            async def collect() -> None:
                async for event in events:
                    run.events.append(event)
                    if event.pic.get("id") == pic["id"] and event.status in FINAL_STATUSES:
                        return

            collector = asyncio.create_task(collect())
            settled = asyncio.ensure_future(asyncio.to_thread(settle, stack))
            done, _ = await asyncio.wait(
                {collector, settled}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if collector not in done and settled in done:
                settled.result()  # a runtime that never went idle is a failure of its own
                await asyncio.wait({collector}, timeout=DELIVERY_GRACE_SECONDS)
            collector.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await collector
            run.seconds = time.monotonic() - started
            # Leave the pipeline quiet for the next test (bounded by settle's own timeouts).
            await settled
            return run

    return asyncio.run(scenario())


# ---------------------------------------------------------------- a copy of the tree


class TreeCopy:
    """The Terraform tree the local root reads, copied with the same layout (so the
    modules installed in ``.tfcli/local`` resolve in it too): ``terraform/`` (with the
    local root's lock file), ``modules/``, ``schema.graphql`` (modules/api reads it as
    ``${path.module}/../../schema.graphql``) and ``dist`` as a link to the real build (the
    local root reads ``${path.root}/../../../dist``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        ignore = shutil.ignore_patterns(".terraform", "tests", "*.tfstate*")
        shutil.copytree(REPO_ROOT / "terraform", directory / "terraform", ignore=ignore)
        shutil.copytree(REPO_ROOT / "modules", directory / "modules", ignore=ignore)
        shutil.copy2(REPO_ROOT / "schema.graphql", directory / "schema.graphql")
        (directory / "dist").symlink_to(REPO_ROOT / "dist", target_is_directory=True)

    @property
    def local_root(self) -> Path:
        return self.directory / "terraform" / "environments" / "local"

    def edit(self, relative_path: str, old: str, new: str) -> None:
        """Replace the one occurrence of ``old`` (a failed match fails the test: the file
        changed, and the break must be written anew)."""
        path = self.directory / relative_path
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{relative_path}: expected {old!r} exactly once"
        path.write_text(text.replace(old, new), encoding="utf-8")

    def edit_after(self, relative_path: str, *, anchor: str, old: str, new: str) -> None:
        """Replace the first ``old`` after the one ``anchor`` (say, inside one block)."""
        path = self.directory / relative_path
        text = path.read_text(encoding="utf-8")
        assert text.count(anchor) == 1, f"{relative_path}: expected {anchor!r} exactly once"
        start = text.index(anchor) + len(anchor)
        at = text.find(old, start)
        assert at >= 0, f"{relative_path}: no {old!r} after {anchor!r}"
        path.write_text(text[:at] + new + text[at + len(old) :], encoding="utf-8")


@dataclass
class Applied:
    """An apply onto the running stack: what changed and how long it took (with reload)."""

    report: ApplyReport
    seconds: float

    @property
    def changed(self) -> set[str]:
        """The resources the apply created, updated or replaced (data sources are read
        on every apply and left out)."""
        return {a for a in self.report.resource_seconds if not _DATA_SOURCE.search(a)}


_DATA_SOURCE = re.compile(r"(^|\.)data\.[a-z0-9_]+\.")
APPLY_TIMINGS: list[tuple[str, float, int]] = []


def apply_tree(stack: LocalStack, root: Path, label: str) -> Applied:
    """Apply ``root`` onto the stack's emulator and state (no refresh: nothing but these
    applies changes the emulator's resources), and reload the runtime and endpoint."""
    started = time.monotonic()
    report = stack.apply(root, refresh=False)
    applied = Applied(report, time.monotonic() - started)
    APPLY_TIMINGS.append((label, applied.seconds, len(applied.changed)))
    print(
        f"\n{label}: apply+reload {applied.seconds:.1f}s (terraform {report.seconds:.1f}s), "
        f"changed {sorted(applied.changed)}"
    )
    return applied


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if APPLY_TIMINGS:
        terminalreporter.write_sep("-", "local stack: incremental applies")
        for label, seconds, changed in APPLY_TIMINGS:
            terminalreporter.write_line(f"{seconds:6.1f}s  {changed:2d} changed  {label}")
