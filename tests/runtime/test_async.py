"""Asynchronous invocations: retries per the event invoke config, then the on-failure queue."""

from __future__ import annotations

import json

from tests.runtime.conftest import drain


def test_failed_event_is_retried_then_lands_in_the_on_failure_queue(deploy, start_runtime, aws):
    arn = deploy.function("flaky", "handlers.fail")
    failures_url, failures_arn = deploy.queue("flaky-failures")
    aws("lambda").put_function_event_invoke_config(
        FunctionName="flaky",
        MaximumRetryAttempts=1,
        MaximumEventAgeInSeconds=3600,
        DestinationConfig={"OnFailure": {"Destination": failures_arn}},
    )
    runtime = start_runtime()

    answer = aws("lambda", runtime.invoke_url).invoke(
        FunctionName="flaky", InvocationType="Event", Payload=json.dumps({"order": 7}).encode()
    )
    runtime.wait_until_idle(20)
    [record] = drain(aws("sqs"), failures_url, 1)

    assert answer["StatusCode"] == 202
    attempts = runtime.invocations.records("flaky")
    assert [(r.attempt, r.outcome) for r in attempts] == [(1, "ValueError"), (2, "ValueError")]
    assert record["version"] == "1.0"
    assert record["timestamp"].endswith("Z")
    assert record["requestContext"] == {
        "requestId": attempts[0].request_id,
        "functionArn": f"{arn}:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 2,
    }
    assert record["requestPayload"] == {"order": 7}
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["responsePayload"]["errorType"] == "ValueError"
    assert record["responsePayload"]["errorMessage"] == 'boom: {"order": 7}'


def test_without_an_invoke_config_lambdas_defaults_apply(deploy, start_runtime):
    deploy.function("default-retries", "handlers.fail")
    runtime = start_runtime()

    runtime.invoke_async("default-retries", {})
    runtime.wait_until_idle(20)

    assert [r.attempt for r in runtime.invocations.records("default-retries")] == [1, 2, 3]
