"""The structured logger: one JSON object per line, the Lambda context, bounded state."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from typing import Any

import pytest
from aipic.observability import LambdaContext, StructuredLogger

from local.runtime.events import lambda_context


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.fixture
def stream() -> io.StringIO:
    return io.StringIO()


def test_a_line_is_one_json_object_with_level_message_and_extra(stream: io.StringIO) -> None:
    logger = StructuredLogger("svc-a", "INFO", stream)

    logger.info("picture %s completed", "p1", extra={"key": "pics/o/p1.png", "size": 3})

    (entry,) = lines(stream)
    assert entry["level"] == "INFO"
    assert entry["message"] == "picture p1 completed"
    assert entry["service"] == "svc-a"
    assert entry["key"] == "pics/o/p1.png"
    assert entry["size"] == 3
    assert entry["location"].startswith("test_a_line_is_one_json_object")
    assert entry["timestamp"].endswith("+00:00")


def test_extra_cannot_replace_the_core_fields(stream: io.StringIO) -> None:
    logger = StructuredLogger("svc-b", "INFO", stream)

    logger.warning("real message", extra={"message": "spoofed", "name": "x", "level": "DEBUG"})

    (entry,) = lines(stream)
    assert entry["message"] == "real message"
    assert entry["level"] == "WARNING"
    assert entry["name"] == "x"


def test_lines_below_the_level_are_dropped(stream: io.StringIO) -> None:
    logger = StructuredLogger("svc-c", "warning", stream)

    logger.info("not shown")
    logger.error("shown")

    assert [entry["message"] for entry in lines(stream)] == ["shown"]


def test_unknown_level_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="POWERTOOLS_LOG_LEVEL='LOUD' is not a logging level"):
        StructuredLogger("svc-d", "LOUD", io.StringIO())


def test_exception_carries_the_traceback_and_its_type(stream: io.StringIO) -> None:
    logger = StructuredLogger("svc-e", "INFO", stream)

    try:
        raise KeyError("pic_id")
    except KeyError:
        logger.exception("transfer failed")

    (entry,) = lines(stream)
    assert entry["level"] == "ERROR"
    assert entry["exception_name"] == "KeyError"
    assert "raise KeyError" in entry["exception"]


def test_lambda_context_cold_start_and_cleared_state(stream: io.StringIO) -> None:
    logger = StructuredLogger("svc-f", "INFO", stream)

    @logger.inject_lambda_context(clear_state=True)
    def handler(event: dict[str, str], context: object) -> str:
        logger.info("before")
        logger.append_keys(pic_id=event["id"])
        logger.info("after")
        return event["id"]

    first, second = lambda_context("aipic-test-fn"), lambda_context("aipic-test-fn")
    assert handler({"id": "p1"}, first) == "p1"
    handler({"id": "p2"}, second)

    before_1, after_1, before_2, after_2 = lines(stream)
    assert before_1["function_request_id"] == first.aws_request_id
    assert before_1["function_name"] == "aipic-test-fn"
    assert before_1["function_arn"] == first.invoked_function_arn
    assert before_1["function_memory_size"] == first.memory_limit_in_mb
    assert [before_1["cold_start"], before_2["cold_start"]] == [True, False]
    assert after_1["pic_id"] == "p1"
    assert "pic_id" not in before_2  # the previous invocation's keys are gone
    assert after_2["pic_id"] == "p2"
    assert after_2["function_request_id"] == second.aws_request_id


def test_importing_it_loads_no_powertools() -> None:
    code = (
        "import sys, aipic.observability; "
        "print(any(m.startswith('aws_lambda_powertools') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_the_local_context_satisfies_the_lambda_context_type() -> None:
    context: LambdaContext = lambda_context("aipic-typed")

    assert context.get_remaining_time_in_millis() > 0
