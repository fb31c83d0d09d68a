"""Progress: parsed from the tqdm bar in Replicate's logs, stored in 10-point steps that
only rise, never on a final picture; the webhook records it from start/logs events."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from aipic.clients import dynamodb_client
from aipic.progress import logged_progress, progress_to_record

from local.replicate.standin import ReplicateStandIn, run_logs, tqdm_bar
from tests.conftest import AwsAccount

from .webhook_support import PIC_ID, call_webhook, processing_pic, webhook_event

# What diffusers under cog really prints (Replicate's logs of stability-ai/sdxl).
REAL_LOGS = (
    "Using seed: 20710\n"
    "Prompt: An astronaut riding a rainbow unicorn\n"
    "txt2img mode\n"
    "  0%|          | 0/50 [00:00<?, ?it/s]\n"
    "  2%|▏         | 1/50 [00:00<00:09,  5.21it/s]\n"
    " 46%|████▌     | 23/50 [00:04<00:05,  5.38it/s]\n"
    " 48%|████▊     | 24/50 [00:04<00:04,  5.37it/s]"
)


@pytest.mark.parametrize(
    ("logs", "expected"),
    [
        (REAL_LOGS, 48),  # the last bar: 24/50
        (REAL_LOGS.replace("\n", "\r"), 48),  # tqdm's in-place updates
        ("Loading pipeline...\nUsing seed: 1", None),  # no bar yet
        ("100%|██████████| 50/50 [00:09<00:00,  5.40it/s]", 100),
        (" 33%|███▎      | 1/3 [00:00<00:01, 1.9it/s]", 33),  # k/n, not the rounded 33%
        ("  0%|          | 0/0 [00:00<?, ?it/s]", None),  # no total
        (" 10%|█         | 60/50 [00:00<?, ?it/s]", None),  # not a real bar
        (None, None),
        (["not", "text"], None),
        ("", None),
    ],
)
def test_logged_progress_reads_the_last_tqdm_bar(logs: object, expected: int | None) -> None:
    assert logged_progress(logs) == expected


def test_only_the_tail_of_a_huge_log_is_scanned() -> None:
    logs = " 10%|█         | 5/50 [00:00<?, ?it/s]\n" + "x" * 1_000_000
    assert logged_progress(logs) is None  # the bar is far outside the tail: no work on it
    assert logged_progress(logs + "\n 90%|█████████ | 45/50") == 90


@pytest.mark.parametrize(
    ("percent_logs", "recorded", "expected"),
    [
        (" 48%|████▊     | 24/50", 0, 40),
        (" 48%|████▊     | 24/50", 40, None),  # the same step again
        (" 48%|████▊     | 24/50", 50, None),  # lower than what is stored
        ("  8%|▊         | 4/50", 0, None),  # below the first step
        ("100%|██████████| 50/50", 90, 100),
    ],
)
def test_progress_to_record_rises_in_steps_of_ten(
    percent_logs: str, recorded: int, expected: int | None
) -> None:
    assert progress_to_record(percent_logs, recorded) == expected


def test_the_stand_ins_bar_is_the_real_format() -> None:
    assert tqdm_bar(23, 50, 0.1) == " 46%|████▌     | 23/50 [00:02<00:02, 10.00it/s]"
    assert tqdm_bar(0, 50, 0.1) == "  0%|          | 0/50 [00:00<00:05, ?it/s]"
    assert logged_progress(run_logs(37, 50, 0.1)) == 74


def logs_prediction(prediction_id: str, done: int, total: int = 50) -> dict[str, Any]:
    """A ``logs`` webhook body: the prediction, processing, with its log so far."""
    return {"id": prediction_id, "status": "processing", "logs": run_logs(done, total, 0.1)}


@pytest.fixture
def count_writes(aws: AwsAccount) -> Iterator[Counter[str]]:
    """DynamoDB calls by operation from here on (the client outlives the test)."""
    calls: Counter[str] = Counter()

    def record(model: Any, **_: object) -> None:
        calls[model.name] += 1

    events = dynamodb_client().meta.events
    events.register("before-call.dynamodb", record)
    yield calls
    events.unregister("before-call.dynamodb", record)


def test_logs_events_store_rising_steps_only(
    aws: AwsAccount, replicate: ReplicateStandIn, count_writes: Counter[str]
) -> None:
    prediction_id = processing_pic(aws, replicate)
    calls = count_writes
    # Delivered out of order and repeated, as retried webhooks can be.
    answers = [
        call_webhook(webhook_event(logs_prediction(prediction_id, done)))[1]
        for done in (3, 12, 26, 21, 26, 49, 40)
    ]

    assert [answer.get("progress") for answer in answers] == [
        None,  # 6 %: below the first step
        "20",
        "50",
        None,  # 42 %: lower than the 50 stored
        None,  # 52 %: the step stored already
        "90",
        None,
    ]
    item = aws.item(PIC_ID)
    assert item is not None
    assert item["progress"] == "90"
    assert item["completionStatus"] == "PROCESSING"
    assert calls["UpdateItem"] == 3  # a step not past the stored one is not even tried


def test_the_conditional_write_refuses_a_picture_that_went_final_meanwhile(
    aws: AwsAccount, replicate: ReplicateStandIn
) -> None:
    from aipic.pics import pics_repository

    prediction_id = processing_pic(aws, replicate)
    pics = pics_repository()
    assert pics.record_progress(PIC_ID, prediction_id, 30)
    aws.put_pic(PIC_ID, status="CANCELED", prediction_id=prediction_id)

    assert not pics.record_progress(PIC_ID, prediction_id, 60)
    assert not pics.record_progress(PIC_ID, "another-prediction", 60)
    item = aws.item(PIC_ID)
    assert item is not None
    assert (item["completionStatus"], item.get("progress")) == ("CANCELED", None)
