"""The local run follows the Terraform wiring: break one wire in a copy of the tree, apply
the copy onto the running stack (only the changed resource changes), and the picture no
longer gets through; apply the original again and it does.

Each break is one that nothing but the deployed wiring would catch (the handlers' and
resolvers' own tests pass with any of them):

- the order of createAIPic's pipeline functions (modules/api): putPic before validatePrompt
  writes an invalid prompt;
- the bucket notification's prefix (modules/pipeline/triggers.tf): on_upload is never called;
- a function's environment variable name (modules/pipeline/main.tf): on_upload fails;
- the stream mapping's filter (modules/pipeline/triggers.tf): COMPLETED is never published.

An apply costs tens of seconds (terraform starts the AWS provider several times), so the
breaks are applied as a chain, in this file's order: each apply puts in one break and, in
the same apply, takes out the one before (the copy holds only its own break), and each
test first checks what the previous break stopped, which only its restoration makes pass:

    break          the test shows it fails by          and shows the previous one restored by
    order          an invalid prompt written           -
    prefix         on_upload never called              an invalid prompt writes nothing
    env var        on_upload fails, failure queue      on_upload called for the picture
    stream filter  no COMPLETED event                  the picture COMPLETED in the table
    (original)     -                                   PROCESSING → COMPLETED delivered

Five applies instead of eight. Each test also passes run alone (whatever was broken
before is undone by its apply); the module re-applies the original tree at the end if a
break is still in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from local.client import GraphQLResponseError, PictureClient, SignedInUser
from local.stack import LocalStack
from local.terraform import LOCAL_ROOT

from .conftest import (
    Applied,
    TreeCopy,
    apply_tree,
    function_for,
    item,
    items_of,
    new_user,
    object_keys,
    run_picture,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

PIPELINE = "module.stack.module.pipeline"
API = "module.stack.module.api"
# The pipeline order is the contract's (modules/api reads it from modules/contract).
CONTRACT_FILE = "modules/contract/contract.json"
PUT_PIC_STEP = '          {"name": "putPic", "data_source": "pics"},\n'


@dataclass(frozen=True)
class Break:
    label: str
    resource: str  # the one resource address the break changes
    make: Callable[[TreeCopy], None]


def _put_pic_first(tree: TreeCopy) -> None:
    tree.edit(CONTRACT_FILE, PUT_PIC_STEP, "")
    tree.edit(
        CONTRACT_FILE,
        '          {"name": "validatePrompt"',
        f'{PUT_PIC_STEP}          {{"name": "validatePrompt"',
    )


PUT_BEFORE_VALIDATE = Break(
    "createAIPic pipeline: putPic before validatePrompt",
    f"{API}.aws_appsync_resolver.create_pic",
    _put_pic_first,
)
NOTIFICATION_PREFIX = Break(
    "S3 notification prefix pics/ -> uploads/",
    f"{PIPELINE}.aws_s3_bucket_notification.pics",
    lambda tree: tree.edit_after(
        "modules/pipeline/triggers.tf", anchor="filter_prefix", old='"pics/"', new='"uploads/"'
    ),
)
ON_UPLOAD_ENV = Break(
    "on_upload's PICS_TABLE_NAME renamed PICS_TABLE",
    f'{PIPELINE}.aws_lambda_function.function["on_upload"]',
    # on_upload's is the first environment after its key that sets PICS_TABLE_NAME:
    # the module, not the contract, renames it.
    lambda tree: tree.edit_after(
        "modules/pipeline/main.tf",
        anchor="    on_upload = {",
        old="(local.env.pics_table_name)",
        new='"PICS_TABLE"',
    ),
)
STREAM_FILTER = Break(
    "stream filter without COMPLETED",
    f"{PIPELINE}.aws_lambda_event_source_mapping.publish",
    lambda tree: tree.edit(
        "modules/pipeline/triggers.tf",
        'NewImage = { completionStatus = { S = ["COMPLETED", "FAILED", "CANCELED"] } }',
        'NewImage = { completionStatus = { S = ["FAILED", "CANCELED"] } }',
    ),
)


class Wiring:
    """Applies the tree with one break in it (or the original) onto the running stack."""

    def __init__(self, stack: LocalStack, directory: Path) -> None:
        self.stack = stack
        self.directory = directory
        self.current: Break | None = None

    def apply(self, wire: Break | None) -> Applied:
        """Apply a fresh copy holding only ``wire`` (None: the original tree). Exactly the
        resources of the break taken out and the break put in change."""
        expected = {b.resource for b in (self.current, wire) if b is not None}
        if wire is None:
            undone = self.current.label if self.current else "nothing"
            root, label = LOCAL_ROOT, f"the original tree (undoes {undone})"
        else:
            tree = TreeCopy(self.directory / f"tree-{len(list(self.directory.iterdir()))}")
            wire.make(tree)
            root, label = tree.local_root, f"break: {wire.label}"
        self.current = None  # unknown until the apply succeeded
        applied = apply_tree(self.stack, root, label)
        self.current = wire
        assert applied.changed == expected
        return applied


@pytest.fixture(scope="module")
def wiring(stack: LocalStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wiring]:
    wired = Wiring(stack, tmp_path_factory.mktemp("trees"))
    yield wired
    if wired.current is not None:
        wired.apply(None)


def assert_an_invalid_prompt_writes_nothing(stack: LocalStack, client: PictureClient) -> None:
    other = new_user(client, "invalid-prompt")
    with pytest.raises(GraphQLResponseError) as refused:
        client.create(other, "   ")
    assert refused.value.error_types == ["ValidationError"]
    assert items_of(stack, other.sub) == []


def test_put_pic_before_validate_prompt_writes_an_invalid_prompt(
    stack: LocalStack, client: PictureClient, user: SignedInUser, wiring: Wiring
) -> None:
    wiring.apply(PUT_BEFORE_VALIDATE)
    predictions_before = len(stack.replicate.prediction_requests)

    with pytest.raises(GraphQLResponseError) as refused:
        client.create(user, "   ")
    # The caller still gets the validation error, but putPic already wrote the picture.
    assert refused.value.error_types == ["ValidationError"]
    (written,) = items_of(stack, user.sub)
    assert written["completionStatus"] == "STARTED"
    assert "prompt" not in written  # written before validatePrompt cleaned it
    assert len(stack.replicate.prediction_requests) == predictions_before


def test_another_notification_prefix_never_calls_on_upload(
    stack: LocalStack, client: PictureClient, user: SignedInUser, wiring: Wiring
) -> None:
    wiring.apply(NOTIFICATION_PREFIX)
    assert_an_invalid_prompt_writes_nothing(stack, client)  # the pipeline order is back
    on_upload = function_for(stack, "on_upload")
    calls_before = len(stack.runtime.invocations.records(on_upload.name))

    run = run_picture(stack, client, user, "a fox in the snow")
    stored = item(stack, run.pic["id"])
    assert stored is not None
    # The webhook stored the picture under pics/, but the notification now watches uploads/.
    assert object_keys(stack, f"pics/{user.sub}/") == [f"pics/{user.sub}/{run.pic['id']}.png"]
    assert len(stack.runtime.invocations.records(on_upload.name)) == calls_before
    assert stored["completionStatus"] == "PROCESSING"
    assert run.statuses == ["PROCESSING"], run.events


def test_a_renamed_environment_variable_fails_on_upload(
    stack: LocalStack, client: PictureClient, user: SignedInUser, wiring: Wiring
) -> None:
    wiring.apply(ON_UPLOAD_ENV)
    on_upload = function_for(stack, "on_upload")
    calls_before = len(stack.runtime.invocations.records(on_upload.name))

    run = run_picture(stack, client, user, "a tram in the rain")
    stored = item(stack, run.pic["id"])
    assert stored is not None
    assert stored["completionStatus"] == "PROCESSING"
    assert run.statuses == ["PROCESSING"], run.events
    # on_upload is called again (the prefix is back), but every attempt, the first and
    # Lambda's async retries, fails on its settings, and the event lands in on_upload's
    # failure queue: all as Terraform configured.
    attempts = [r.outcome for r in stack.runtime.invocations.records(on_upload.name)]
    retries = on_upload.async_config.maximum_retry_attempts
    assert attempts[calls_before:] == ["SettingsError"] * (1 + retries)
    assert on_upload.async_config.on_failure is not None
    assert _queue_holds(stack, on_upload.async_config.on_failure.arn, run.pic["id"])


def test_a_stream_filter_without_completed_stops_the_completed_event(
    stack: LocalStack, client: PictureClient, user: SignedInUser, wiring: Wiring
) -> None:
    wiring.apply(STREAM_FILTER)

    run = run_picture(stack, client, user, "a kite over the dunes")
    stored = item(stack, run.pic["id"])
    assert stored is not None
    # on_upload completes the picture again (its variable is back) ...
    assert stored["completionStatus"] == "COMPLETED"
    # ... but the stream mapping no longer hands COMPLETED to publish.
    assert run.statuses == ["PROCESSING"], run.events


def test_the_original_tree_gets_pictures_through_again(
    stack: LocalStack, client: PictureClient, user: SignedInUser, wiring: Wiring
) -> None:
    wiring.apply(None)

    run = run_picture(stack, client, user, "a lantern on a jetty")
    assert run.statuses == ["PROCESSING", "COMPLETED"], run.events
    assert_an_invalid_prompt_writes_nothing(stack, client)


def _queue_holds(stack: LocalStack, queue_arn: str, text: str) -> bool:
    """Whether a message in the queue mentions ``text`` (messages stay: they are only
    received, and become visible again after the visibility timeout)."""
    sqs = stack.aws_client("sqs")
    url = sqs.get_queue_url(QueueName=queue_arn.rsplit(":", 1)[1])["QueueUrl"]
    answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    return any(text in message["Body"] for message in answer.get("Messages", []))
