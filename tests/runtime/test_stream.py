"""DynamoDB stream mappings polled as Lambda's poller does: filter, batches, partial failures."""

from __future__ import annotations

import json

from tests.runtime.conftest import drain

PUBLISHED = {
    "eventName": ["MODIFY"],
    "dynamodb": {"NewImage": {"status": {"S": ["PROCESSING", "COMPLETED", "FAILED"]}}},
}


def make_table(aws, name="pics"):
    table = aws("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    return table["TableDescription"]["LatestStreamArn"]


def set_status(aws, pic_id, status, **extra):
    values = {":s": {"S": status}, **{f":{k}": {"S": v} for k, v in extra.items()}}
    assignments = ", ".join(["#s = :s", *(f"{k} = :{k}" for k in extra)])
    aws("dynamodb").update_item(
        TableName="pics",
        Key={"id": {"S": pic_id}},
        UpdateExpression=f"SET {assignments}",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues=values,
    )


def records_seen(aws, seen_url, batches):
    return [
        (
            r["eventName"],
            r["dynamodb"]["NewImage"]["id"]["S"],
            r["dynamodb"]["NewImage"]["status"]["S"],
        )
        for batch in drain(aws("sqs"), seen_url, batches)
        for r in batch["Records"]
    ]


def test_the_mappings_filter_decides_which_records_reach_the_function(deploy, start_runtime, aws):
    seen_url, _ = deploy.queue("seen")
    stream = make_table(aws)
    deploy.function("consumer", "handlers.record", environment={"SEEN_QUEUE": "seen"})
    aws("lambda").create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName="consumer",
        StartingPosition="LATEST",
        BatchSize=10,
        MaximumBatchingWindowInSeconds=1,
        FilterCriteria={"Filters": [{"Pattern": json.dumps(PUBLISHED)}]},
    )
    runtime = start_runtime()

    set_status(aws, "p1", "STARTED")  # INSERT: filtered out
    set_status(aws, "p1", "PROCESSING")  # MODIFY to a published status: delivered
    set_status(aws, "p1", "PROCESSING")  # MODIFY, same status: the filter passes it too
    runtime.wait_until_idle(20)

    seen = records_seen(aws, seen_url, 1)
    assert seen == [("MODIFY", "p1", "PROCESSING"), ("MODIFY", "p1", "PROCESSING")]
    # One batch: the batching window gathered both records.
    [invocation] = runtime.invocations.records("consumer")
    assert invocation.trigger.startswith("dynamodb-stream:")


def test_an_update_item_that_creates_an_item_is_one_insert(deploy, start_runtime, aws):
    seen_url, _ = deploy.queue("seen")
    stream = make_table(aws)
    deploy.function("consumer", "handlers.record", environment={"SEEN_QUEUE": "seen"})
    aws("lambda").create_event_source_mapping(
        EventSourceArn=stream, FunctionName="consumer", StartingPosition="LATEST", BatchSize=10
    )
    runtime = start_runtime()

    set_status(aws, "p1", "STARTED")  # moto writes two INSERTs for this
    aws("dynamodb").put_item(
        TableName="pics", Item={"id": {"S": "k-only"}}
    )  # a real key-only INSERT
    runtime.wait_until_idle(20)

    batches = drain(aws("sqs"), seen_url, 1)
    records = [r for b in batches for r in b["Records"]]
    assert [(r["eventName"], r["dynamodb"]["Keys"]["id"]["S"]) for r in records] == [
        ("INSERT", "p1"),
        ("INSERT", "k-only"),
    ]
    assert records[0]["dynamodb"]["NewImage"]["status"] == {"S": "STARTED"}
    assert records[0]["eventVersion"] == "1.1"
    assert records[0]["eventSourceARN"] == stream
    assert isinstance(records[0]["dynamodb"]["ApproximateCreationDateTime"], float)


def test_partial_batch_failure_retries_from_the_failed_record_then_reports_it(
    deploy, start_runtime, aws
):
    seen_url, _ = deploy.queue("seen")
    failures_url, failures_arn = deploy.queue("consumer-failures")
    stream = make_table(aws)
    function_arn = deploy.function(
        "consumer", "handlers.record", environment={"SEEN_QUEUE": "seen", "FAIL_MODE": "partial"}
    )
    aws("dynamodb").put_item(TableName="pics", Item={"id": {"S": "a"}, "status": {"S": "ok"}})
    aws("dynamodb").put_item(
        TableName="pics", Item={"id": {"S": "b"}, "status": {"S": "bad"}, "fail": {"S": "yes"}}
    )
    aws("dynamodb").put_item(TableName="pics", Item={"id": {"S": "c"}, "status": {"S": "ok"}})
    aws("lambda").create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName="consumer",
        StartingPosition="TRIM_HORIZON",
        BatchSize=10,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        MaximumRetryAttempts=2,
        DestinationConfig={"OnFailure": {"Destination": failures_arn}},
    )
    runtime = start_runtime()
    runtime.wait_until_idle(30)

    batches = [
        [r["dynamodb"]["Keys"]["id"]["S"] for r in b["Records"]]
        for b in drain(aws("sqs"), seen_url, 3)
    ]
    assert batches == [["a", "b", "c"], ["b", "c"], ["b", "c"]]
    [failure] = drain(aws("sqs"), failures_url, 1)
    info = failure["DDBStreamBatchInfo"]
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["functionArn"] == function_arn
    assert failure["requestContext"]["approximateInvokeCount"] == 3
    assert failure["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert info["batchSize"] == 2
    assert info["streamArn"] == stream
    assert int(info["startSequenceNumber"]) < int(info["endSequenceNumber"])


def test_bisect_on_function_error_isolates_the_failing_record(deploy, start_runtime, aws):
    seen_url, _ = deploy.queue("seen")
    failures_url, failures_arn = deploy.queue("consumer-failures")
    stream = make_table(aws)
    deploy.function("consumer", "handlers.record", environment={"SEEN_QUEUE": "seen"})
    for pic_id in "abcd":
        item = {"id": {"S": pic_id}, "status": {"S": "ok"}}
        if pic_id == "c":
            item["fail"] = {"S": "yes"}
        aws("dynamodb").put_item(TableName="pics", Item=item)
    aws("lambda").create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName="consumer",
        StartingPosition="TRIM_HORIZON",
        BatchSize=10,
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": failures_arn}},
    )
    runtime = start_runtime()
    runtime.wait_until_idle(30)

    batches = [
        [r["dynamodb"]["Keys"]["id"]["S"] for r in b["Records"]]
        for b in drain(aws("sqs"), seen_url, 5)
    ]
    assert batches == [["a", "b", "c", "d"], ["a", "b"], ["c", "d"], ["c"], ["d"]]
    [failure] = drain(aws("sqs"), failures_url, 1)
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 1
    assert failure["responseContext"]["functionError"] == "Unhandled"
